"""CPU per API call of the bench's read mix, in process, and where it goes (issue 24).

The app in this process (Flask test client, load profile, a fresh seeded SQLite), each
request shape of ``loadtests/api_users.py`` called in turn; this thread's CPU time per
call, per operation, best of the rounds; then, with ``--profile``, cProfile over one
more round (the functions with most cumulative and own time). No server: what is left
of an HTTP call's CPU-ms beyond these figures is the server's (granian or gunicorn).

Usage: ``python scripts/api_cpu.py [CALLS_PER_SHAPE] [ROUNDS] [--profile] [--only=WORD]
[--count]`` (defaults 200, 3; ``--only``: the shapes whose name holds WORD; ``--count``: also
the Python function calls per call, a figure the box's load does not move). The last line
is the mix's mean, each shape weighted as Locust's tasks. Compare two checkouts by running
it in each, alternately (``PYTHONPATH=<other checkout>`` runs this script on its code).
"""

from __future__ import annotations

import base64
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sandbox import create_app
from sandbox.loadtesting.runner import LOAD_PROFILE, credentials
from sandbox.stack import prepare_database


def shapes(client, headers: dict) -> list[tuple[str, str, str, dict | None]]:
    """(name, method, path, body) of every request shape of the API user's mix."""
    found = client.post("/cpro/structures/v1/rechercher", headers=headers, json={
        "structure": {"typeStructure": "PUBLIQUE"},
        "parametres": {"pageResultatDemandee": 1, "nbResultatsParPage": 20}}).get_json()
    item = found["listeStructures"][0]
    structure, identifiant = item["idStructureCPP"], item["identifiantStructure"]
    word = next(w.lower() for w in item["designationStructure"].split() if len(w) >= 3)
    services = client.post("/cpro/structures/v1/rechercher/services", headers=headers, json={
        "idStructure": structure, "parametresRechercherServicesStructure": {
            "pageResultatDemandee": 1, "nbResultatsParPage": 10}}).get_json()
    service = (services.get("listeServices") or [{}])[0].get("idService")
    uuid = client.post("/cpro/organisations/v1/structures/recherche", headers=headers, json={
        "identifiant": {"op": "=", "val": identifiant}, "_fields": ["uuid"]}).get_json()[0]["uuid"]
    found_shapes: list[tuple[str, str, str, dict | None]] = [
        ("rechercher [identifiant]", "POST", "/cpro/structures/v1/rechercher",
         {"structure": {"identifiantStructure": identifiant, "typeIdentifiantStructure": "SIRET"},
          "restreindreStructuresPrivees": False}),
        ("rechercher [raison sociale]", "POST", "/cpro/structures/v1/rechercher",
         {"structure": {"raisonSocialeStructure": word},
          "parametres": {"pageResultatDemandee": 1, "nbResultatsParPage": 10}}),
        ("consulter", "POST", "/cpro/structures/v1/consulter",
         {"idStructureCPP": structure, "codeLangue": "FR"}),
        ("rechercher/services", "POST", "/cpro/structures/v1/rechercher/services",
         {"idStructure": structure, "parametresRechercherServicesStructure": {
             "pageResultatDemandee": 1, "nbResultatsParPage": 10}}),
        ("health-check", "GET", "/cpro/transverses/v1/health-check", None),
        ("recuperer/pays", "POST", "/cpro/transverses/v1/recuperer/pays", {"codeLangue": "FR"}),
        ("organisations recherche", "POST", "/cpro/organisations/v1/structures/recherche",
         {"identifiant": {"op": "=", "val": identifiant},
          "_fields": ["uuid", "raisonSociale", "typeOrganisation"]}),
        ("organisations structure", "GET", f"/cpro/organisations/v1/structures/{uuid}", None),
        ("organisations services", "GET",
         f"/cpro/organisations/v1/structures/{uuid}/services", None),
        ("ping (ceiling)", "GET", "/_sandbox/ping", None),
    ]
    if service is not None:
        found_shapes.append(("consulter/service", "POST", "/cpro/structures/v1/consulter/service",
                             {"idStructure": structure, "idService": service,
                              "codeLangue": "FR"}))
    travaux = client.post(f"{TRAVAUX}/rechercher", headers=headers, json=_TRAVAUX_LIST).get_json()
    found_shapes.append(("travaux rechercher", "POST", f"{TRAVAUX}/rechercher", _TRAVAUX_LIST))
    for item in (travaux.get("listeFacturesTravaux") or [])[:1]:
        body = {"idFactureTravaux": item["idFactureTravaux"]}
        found_shapes.append(("travaux consulter", "POST", f"{TRAVAUX}/consulter", body))
        found_shapes.append(("travaux dossier", "POST",
                             f"{TRAVAUX}/consulter/dossierfacturation", body))
    valideur = client.post("/cpro/factures/v1/rechercher/valideur", headers=headers,
                           json=_VALIDEUR_LIST).get_json()
    found_shapes.append(("rechercher/valideur", "POST", "/cpro/factures/v1/rechercher/valideur",
                         _VALIDEUR_LIST))
    for item in (valideur.get("listeFactures") or [])[:1]:
        found_shapes.append(("consulter/valideur", "POST",
                             "/cpro/factures/v1/consulter/valideur",
                             {"identifiantFactureCPP": item["idFacture"]}))
    ejs = client.post(f"{ENGAGEMENTS}/rechercher", headers=headers, json=_EJ_LIST).get_json()
    for item in (ejs.get("listeEngagementJuridique") or [])[:1]:
        numero = item["numeroEngagementJuridique"]
        found_shapes.append(("EJ rechercher [OCA check]", "POST", f"{ENGAGEMENTS}/rechercher", {
            "structureReceptriceEngagementJuridique": item.get("identifiantStructureReceptrice"),
            "numeroEngagementJuridique": numero, "etatCourantEngagementJuridique": "COMMANDE"}))
        found_shapes.append(("EJ consulterDetail", "POST", f"{ENGAGEMENTS}/consulterDetail",
                             {"numeroEngagementJuridique": numero}))
    return found_shapes


# The weights of loadtests/api_users.py's tasks (transverses: recuperer/pays stands for its
# three calls), for the mix's mean per call.
MIX_WEIGHTS = {
    "rechercher [identifiant]": 5, "rechercher [raison sociale]": 1, "consulter": 4,
    "rechercher/services": 3, "consulter/service": 1, "health-check": 1, "recuperer/pays": 1,
    "organisations recherche": 1, "organisations structure": 1, "organisations services": 1,
    "travaux rechercher": 1, "travaux consulter": 1, "travaux dossier": 1,
    "rechercher/valideur": 1, "consulter/valideur": 1, "EJ rechercher [OCA check]": 1,
    "EJ consulterDetail": 1}
TRAVAUX = "/cpro/facturesTravaux/v1"
ENGAGEMENTS = "/cpro/engagementsJuridiques/v1"
_TRAVAUX_LIST = {"roleUtilisateur": "FOURNISSEUR",
                 "rechercheFactureTravaux": {"nbResultatsParPage": 100, "pageResultatDemandee": 1}}
_VALIDEUR_LIST = {"statutCourant": ["A_VALIDER_1"],
                  "pagination": {"pageResultatDemandee": 1, "nbResultatsParPage": 10}}
_EJ_LIST = {"etatCourantEngagementJuridique": "COMMANDE",
            "parametresRecherche": {"pageResultatDemandee": 1, "nbResultatsParPage": 100}}


def main(calls: int = 200, rounds: int = 3, profile: bool = False, only: str = "",
         count: bool = False) -> None:
    work = Path(tempfile.mkdtemp(prefix="api-cpu-"))
    settings: dict[str, object] = {
        "database_url": f"sqlite:///{work / 'sandbox.db'}", "journal_size": 0,
        "password_hash_method": LOAD_PROFILE["password_hash_method"], "captcha_mode": "off",
        "mail_dispatcher": False, "factures_worker": False}
    prepare_database({"SANDBOX_DATABASE_URL": str(settings["database_url"])})  # seeded
    app = create_app(settings)
    creds = credentials({"SANDBOX_DATABASE_URL": str(settings["database_url"])})
    client = app.test_client()
    token = client.post("/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"], "scope": "openid"}).get_json()["access_token"]
    account = f"{creds['tech_login']}:{creds['tech_password']}".encode()
    headers = {"Authorization": f"Bearer {token}",
               "cpro-account": base64.b64encode(account).decode("ascii"),
               "Accept": "application/json;charset=utf-8"}
    every = [shape for shape in shapes(client, headers) if only in shape[0]]

    def call(method: str, path: str, body: dict | None) -> None:
        answer = client.open(path, method=method, headers=headers, json=body)
        if answer.status_code != 200 or b'"codeRetour":0' not in answer.data and method == "POST" \
                and "/organisations/" not in path:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status_code} {answer.data[:200]}")

    for _, method, path, body in every:  # warm up: statements built, caches filled
        for _ in range(20):
            call(method, path, body)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, method, path, body in every:
            started = time.thread_time()
            for _ in range(calls):
                call(method, path, body)
            spent = 1000.0 * (time.thread_time() - started) / calls
            best[name] = min(best.get(name, spent), spent)
    counted: dict[str, float] = {}
    if count:  # Python function calls per call: deterministic, unlike CPU time on a busy box
        for name, method, path, body in every:
            counter = cProfile.Profile()
            counter.enable()
            for _ in range(20):
                call(method, path, body)
            counter.disable()
            counted[name] = pstats.Stats(counter).total_calls / 20  # type: ignore[attr-defined]
    print(f"In-process CPU-ms per call (Flask test client, best of {rounds} × {calls})"
          + (", Python function calls per call:" if count else ":"))
    for name, value in best.items():
        print(f"  {name:32} {value:6.3f}" + (f" {counted[name]:8.0f}" if count else ""))
    weighted = {name: MIX_WEIGHTS[name] for name in best if name in MIX_WEIGHTS}
    if weighted:
        total = sum(weighted.values())
        mean = sum(best[n] * w for n, w in weighted.items()) / total
        calls_mean = sum(counted[n] * w for n, w in weighted.items()) / total if count else 0
        print(f"  {'the mix (task weights)':32} {mean:6.3f}"
              + (f" {calls_mean:8.0f}" if count else ""))
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _, method, path, body in every:
            if path != "/_sandbox/ping":
                for _ in range(calls):
                    call(method, path, body)
        profiler.disable()
        profiler.dump_stats(str(work / "api_cpu.prof"))
        print(f"cProfile data: {work / 'api_cpu.prof'}")
        for order, where in (("cumulative", "sandbox/"), ("cumulative", ""), ("tottime", "")):
            text = io.StringIO()  # the sandbox's own functions first, then everything
            pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(where, 40)
            print(text.getvalue())


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    words = [a.removeprefix("--only=") for a in sys.argv[1:] if a.startswith("--only=")]
    main(*numbers[:2], profile="--profile" in sys.argv, only=(words or [""])[0],
         count="--count" in sys.argv)
