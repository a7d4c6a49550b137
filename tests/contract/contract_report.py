"""The conformance report: operations attested by public sources, bodies tried per
client, failures. Written by the contract tests when ``CONTRACT_REPORT`` names a file
(``make conformance``): that file (docs/conformance.md) and the table between the
``conformance`` markers of docs/api.md beside it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

RESULTS: list[dict] = []

# Operations of the Structures, Utilisateurs and Transverses APIs that public sources
# attest, with those sources (chorus-pro-reference.md 3.x, factures-reference.md 2,
# the clients' code). Clients with a body in tests/contract/bodies are added at run time.
ATTESTED: dict[str, list[str]] = {
    "structures/rechercher": ["Swagger"],
    "structures/consulter": ["Swagger"],
    "structures/rechercher/services": ["Swagger"],
    "structures/consulter/service": ["Swagger"],
    "structures/lister/rattachementsutilisateur": ["Swagger"],
    "structures/rechercher/espaces": ["Swagger"],
    "utilisateurs/monCompte/recuperer/rattachements": ["chorus-pro-reference 3.2"],
    "transverses/health-check": [],
    "transverses/recuperer/typeidentifiant/structure": [],
    "transverses/recuperer/pays": [],
    "transverses/recuperer/devises": [],
    "transverses/rechercher/destinataire": [],
    "transverses/telecharger/annuaire/destinataire": [],
    "transverses/consulter/information/siret": [],
    "transverses/recuperer/structures/actives/fournisseur": [],
    "transverses/recuperer/structures/actives/destinataire": [],
    "transverses/recuperer/structures/actives/facturetravaux": [],
    "transverses/recuperer/structuresPourUtilisateur": [],
    "transverses/recuperer/coordbanc/valides": [],
    "transverses/rechercher/serviceexecutant": [],
    "transverses/recuperer/tauxtva": [],
    "transverses/recuperer/modereglements": [],
    "transverses/recuperer/cadrefacturation": [],
    "transverses/recuperer/modedepot": [],
    "transverses/recuperer/formatflux": [],
    "transverses/recuperer/syntaxeflux": ["piste-gouv-fr (not implemented there)"],
    "transverses/recuperer/typedp": [],
    "transverses/recuperer/etat/typedp": [],
    "transverses/recuperer/etats/traitement": ["go-choruspro"],
    "transverses/recuperer/typefacturetravaux": [],
    "transverses/recuperer/typespj": [],
    "transverses/recuperer/motifs/exonerationtva": [],
    "transverses/recuperer/motifs/refus/Facture/AValider": [],
    "transverses/rechercher/categorieSollicitation": [],
    "transverses/rechercher/sousCategorieSollicitation": [],
    "transverses/consulterCR": ["tryton", "chorus-api", "piste-gouv-fr", "go-choruspro"],
    "transverses/consulterCRDetaille": [
        "oca",
        "pastell",
        "chorus-api",
        "piste-gouv-fr",
        "go-choruspro",
    ],
    "transverses/ajouter/fichier": ["go-choruspro"],
    "transverses/rechercher/pj/moncompte": ["go-choruspro"],
    "transverses/rechercher/pj/structure": ["go-choruspro"],
    "transverses/telecharger/pieceJointe": ["go-choruspro"],
    "transverses/detacherPieceJointe": ["piste-gouv-fr"],
    # Factures (factures-reference.md 2: the clients that call each operation)
    "factures/deposer/flux": ["tryton", "pastell"],
    "factures/deposer/pdf": ["piste-gouv-fr", "pastell"],
    "factures/soumettre": ["go-choruspro", "piste-gouv-fr", "pastell"],
    "factures/rechercher/fournisseur": [],
    "factures/consulter/fournisseur": [],
    "factures/rechercher/recipiendaire": ["go-choruspro"],
    "factures/consulter/recipiendaire": ["go-choruspro"],
    "factures/traiter/recue": ["go-choruspro"],
    "factures/traiterRejet": ["go-choruspro"],
    "factures/completer": ["go-choruspro"],
    "factures/recycler": ["go-choruspro"],
    "factures/consulter/historique": [],
    "factures/telecharger/groupe": ["go-choruspro", "pastell"],
    "factures/rechercher/valideur": ["go-choruspro"],
    "factures/consulter/valideur": ["go-choruspro"],
    "factures/traiter/factureAValider": ["go-choruspro"],
    "factures/corriger/valideur/facture": ["go-choruspro"],
    "factures/recuperer/statutsFactureVisibles/valideur": ["go-choruspro"],
    "factures/rechercher/demandePaiement": [],  # go-choruspro: "not on qualification"
    # Engagements juridiques (factures-rules-and-apis-reference.md §3)
    "engagementsJuridiques/rechercher": ["communaute.chorus-pro.gouv.fr sample"],
    "engagementsJuridiques/consulterDetail": [
        "communaute.chorus-pro.gouv.fr sample (PISTE path UNCONFIRMED)"],
    # Factures travaux (factures-rules-and-apis-reference.md §2.2; C17 = CPP-2017 paths,
    # COMM = the official samples)
    "facturesTravaux/rechercher": ["C17", "COMM"],
    "facturesTravaux/rechercher/atraiter": ["C17"],
    "facturesTravaux/consulter": ["C17"],
    "facturesTravaux/consulter/dossierfacturation": ["C17"],
    "facturesTravaux/completer": ["C17"],
    "facturesTravaux/completermoe": ["C17"],
    "facturesTravaux/demander/recyclage": ["C17"],
    "facturesTravaux/recycler": ["C17", "COMM"],
    "facturesTravaux/refuser": ["C17"],
    "facturesTravaux/suspendre/demander/completer/factureTravaux": ["COMM"],
    "facturesTravaux/recuperer/motifs/refus": ["COMM (path: the sandbox's choice)"],
    "facturesTravaux/soumettre": ["C17 todo.txt (path: the sandbox's choice)"],
    "facturesTravaux/corriger/valideur": ["C17 todo.txt (path: the sandbox's choice)"],
    "facturesTravaux/prendreEnCompte": ["C17 todo.txt (path: the sandbox's choice)"],
    # Référentiel des Organisations (factures-rules-and-apis-reference.md §5): REST paths
    "organisations/healthcheck": [],
    "organisations/structures/{uuid}": [],
    "organisations/structures/{uuid}/services": [],
    "organisations/structures/{uuid}/pieces_jointes": [],
    "organisations/structures/{uuid}/pieces_jointes/{uuidPJ}": [],
    "organisations/structures/{uuid}/parametres-edi": [],
    "organisations/structures/recherche": [],
    "organisations/services/{uuid}": [],
    "organisations/services/recherche": [],
    "organisations/services": ["piste-gouv-fr (creerService, not implemented there; path: "
                               "the sandbox's choice)"],
    "organisations/siren/recherche": [],
}
BASES = {
    "structures": "/cpro/structures/v1",
    "utilisateurs": "/cpro/utilisateurs/v1",
    "transverses": "/cpro/transverses/v1",
    "factures": "/cpro/factures/v1",
    "engagementsJuridiques": "/cpro/engagementsJuridiques/v1",
    "facturesTravaux": "/cpro/facturesTravaux/v1",
    "organisations": "/cpro/organisations/v1",
}
START, END = "<!-- conformance:start -->", "<!-- conformance:end -->"


BODIES = Path(__file__).parent / "bodies"


def load_cases(folder: Path = BODIES) -> list[tuple[str, int, dict]]:
    """(client, index, case) of every ``<client>.json`` in ``folder``."""
    cases = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, case in enumerate(data["cases"]):
            cases.append((data["client"], i, case))
    return cases


def all_cases() -> list[tuple[str, int, dict]]:
    """The cases of every runner: the RPC APIs' bodies and the Référentiel des
    Organisations' (``bodies/organisations/``)."""
    return load_cases() + load_cases(BODIES / "organisations")


def record(client: str, index: int, case: dict, status: int | None, problems: list) -> None:
    RESULTS.append(
        {
            "client": client,
            "index": index,
            "operation": case["operation"],
            "source": case["source"],
            "status": status,
            "problems": list(problems),
            "defect": case.get("knownDefect"),
            "pending": case.get("pending"),
        }
    )


def _registered() -> set[str]:
    """The attested operations the sandbox declares: every area's operation modules are
    imported as the app does (``create_app``), not only those this process happened to
    load (the Factures ones register when ``sandbox.factures`` is set up)."""
    import sandbox.cpro  # noqa: F401 (declares Structures, Utilisateurs, Transverses)
    import sandbox.engagements.api  # noqa: F401 (declares the Engagements juridiques ones)
    import sandbox.factures.api  # noqa: F401 (declares the Factures operations)
    import sandbox.organisations  # noqa: F401 (declares the Référentiel des Organisations)
    from sandbox.cpro.api import OPERATIONS
    paths = {path for _method, path in OPERATIONS}
    found = set()
    for operation in ATTESTED:
        api, _, rest = operation.partition("/")
        if f"{BASES[api]}/{rest}" in paths:
            found.add(operation)
    return found


def operation_table(cases: list) -> list[str]:
    """Markdown rows: operation × sources × status."""
    registered = _registered()
    by_op: dict[str, list[dict]] = defaultdict(list)
    for result in RESULTS:
        by_op[result["operation"]].append(result)
    sources: dict[str, list[str]] = {op: list(srcs) for op, srcs in ATTESTED.items()}
    for client, _i, case in cases:
        srcs = sources.setdefault(case["operation"], [])
        if client not in srcs:
            srcs.append(client)
    rows = ["| Operation | Attested by | Status |", "|---|---|---|"]
    for op in sorted(sources):
        tried = by_op.get(op, [])
        passed = sum(1 for r in tried if not r["problems"])
        if op not in registered:
            status = "**missing** (403 route_inconnue)"
        elif tried:
            status = f"answers; client bodies {passed}/{len(tried)} pass"
        else:
            status = "answers (no public client body)"
        defects = sum(1 for r in tried if r["problems"] and r["defect"])
        if defects:
            status += f" ({defects} client defect{'s' if defects > 1 else ''}, see below)"
        rows.append(f"| `{op}` | {', '.join(sources[op]) or '—'} | {status} |")
    return rows


def write_reports(target: Path, cases: list) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    per_client: dict[str, list[dict]] = defaultdict(list)
    for result in RESULTS:
        per_client[result["client"]].append(result)
    lines = [
        "# Conformance to the public clients",
        "",
        f"Generated by `make conformance` on {now} (default seed; "
        "tests/contract/test_contract_clients.py, and test_contract_organisations.py for the "
        "REST Référentiel des Organisations). Each body is transcribed from a public "
        "client's code (file and function named), sent over HTTP, and the answer checked "
        "with that client's own decoder (tests/contract/decoders.py).",
        "",
        "## Bodies per client",
        "",
        "| Client | Bodies tried | Pass | Fail |",
        "|---|---|---|---|",
    ]
    for client in sorted(per_client):
        results = per_client[client]
        fails = sum(1 for r in results if r["problems"])
        lines.append(f"| {client} | {len(results)} | {len(results) - fails} | {fails} |")
    lines += ["", "## Operations", "", *operation_table(cases), "", "## Failures", ""]
    failures = [r for r in RESULTS if r["problems"]]
    if not failures:
        lines.append("None.")
    for r in failures:
        why = (
            f" — client defect: {r['defect']}"
            if r["defect"]
            else f" — open: {r['pending']}"
            if r["pending"]
            else ""
        )
        lines.append(
            f"- **{r['client']}** `{r['operation']}` ({r['source']}): "
            + "; ".join(p.replace("|", "\\|").replace("\n", " ") for p in r["problems"][:3])
            + why
        )
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    api_md = target.parent / "api.md"
    if api_md.exists():
        text = api_md.read_text(encoding="utf-8")
        if START in text and END in text:
            head, _, rest = text.partition(START)
            _, _, tail = rest.partition(END)
            table = "\n".join(
                [f"(generated {now} by `make conformance`)", "", *operation_table(cases)]
            )
            api_md.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
