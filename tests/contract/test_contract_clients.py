"""Contract tests: the exact bodies public clients build, sent over HTTP to the session
stack (default seed, default technical account), each answer checked with the decoder
of the client that sent it (tests/contract/decoders.py, shapes.py), not with our models.

Bodies are data (tests/contract/bodies/<client>.json, each naming the file and function
it comes from). ``$NAME`` placeholders are ids of the default seed, looked up through the
API the way an integrator would; the Factures ones come from a flux the module deposits
for the default supplier and lets integrate (``$FICHIER_FLUX``: a fresh invoice for each
deposit, so that no body is refused as a duplicate). ``echo``: fields the client compares
with what it asked (OCA checks the ``idFacture`` of the history). With
``CONTRACT_REPORT=path`` the run writes the conformance report there
(``make conformance`` -> docs/conformance.md and docs/api.md; conftest.py). The
Référentiel des Organisations, a REST API, has its own runner
(test_contract_organisations.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from api_factories import ApiClient, tag
from contract_report import load_cases, record
from decoders import go_decode, php_decode, reads
from factures_flux import RECHERCHER, deposit_and_integrate
from shapes import GO, PASTELL_TRAVAUX, PHP, READS
from valideur_support import validator_ids

from sandbox.config import load_settings
from sandbox.seeding.invoice_cases import cases as example_cases

BASES = {
    "structures": "/cpro/structures/v1",
    "utilisateurs": "/cpro/utilisateurs/v1",
    "transverses": "/cpro/transverses/v1",
    "factures": "/cpro/factures/v1",
    "engagementsJuridiques": "/cpro/engagementsJuridiques/v1",
    "facturesTravaux": "/cpro/facturesTravaux/v1",
}
PUBLIC_SIRET = "11000201100044"  # a permanent recipient of the qualification environment


CASES = load_cases()


def url_of(operation: str) -> str:
    api, _, rest = operation.partition("/")
    return f"{BASES[api]}/{rest}"


@pytest.fixture(scope="module")
def client(base_url, chorus_credentials) -> ApiClient:  # noqa: ANN001
    creds = chorus_credentials
    return ApiClient(
        base_url,
        creds["oauth_client"]["client_id"],
        creds["oauth_client"]["client_secret"],
        creds["technical_account"]["login"],
        creds["technical_account"]["password"],
    )


def fresh_invoice(siret: str, name: str) -> Callable[[], str]:
    """A new example invoice ``name`` of fixtures/factures for ``siret``, base64, each call
    with its own number."""

    def make() -> str:
        [case] = [c for c in example_cases(siret, prefix=tag()) if c.name == name]
        return base64.b64encode(case.content).decode("ascii")

    return make


def integrated_flux(client: ApiClient, base_url: str, siret: str) -> dict:
    """Deposit one UBL invoice for the default supplier (plain body), move the sandbox
    clock past the integration delay, wait for ``IN_INTEGRE``; the clock is put back."""
    [case] = [c for c in example_cases(siret, prefix=tag()) if c.name == "ubl-invoice"]
    answer, cr = deposit_and_integrate(client, base_url, case.content, case.fichier,
                                       case.syntaxe, load_settings().factures_integration_delay + 1)
    assert cr["etatCourantDepotFlux"] == "IN_INTEGRE", cr
    found = client.call(RECHERCHER, {"numeroFluxDepot": answer["numeroFluxDepot"]})
    [facture] = found["listeFactures"]
    return {"$NUMERO_FLUX": answer["numeroFluxDepot"],
            "$ID_FACTURE": facture["identifiantFactureCPP"],
            # piste-gouv-fr: (new DateTime(dateDepot))->format('Y-m-d\\TH:i:sp'), UTC
            "$DATE_DEPOT_PHP": f"{answer['dateDepot']}T00:00:00Z"}


@pytest.fixture(scope="module")
def seed_ids(client, chorus_credentials, base_url) -> dict:  # noqa: ANN001
    """The default seed's ids, found through the API with plain bodies."""
    siret = chorus_credentials["technical_account"]["login"].split("_")[2].split("@")[0]
    s = "/cpro/structures/v1"
    found = client.call(f"{s}/rechercher", {"structure": {"identifiantStructure": siret}})
    id_structure = found["listeStructures"][0]["idStructureCPP"]
    services = client.call(f"{s}/rechercher/services", {"idStructure": id_structure})
    public = client.call(f"{s}/rechercher", {"structure": {"identifiantStructure": PUBLIC_SIRET}})
    return {
        "$SIRET": siret,
        "$ID_STRUCTURE": id_structure,
        "$ID_STRUCTURE_TEXT": str(id_structure),  # OCA: str(company.fr_chorus_identifier)
        "$SIRET_PRIVE_AUTRE": other_private_siret(siret),
        "$ID_SERVICE": services["listeServices"][0]["idService"],
        "$LOGIN": chorus_credentials["gestionnaire"]["login"],
        "$ID_PUBLIC": public["listeStructures"][0]["idStructureCPP"],
        "$SIRET_PUBLIC": PUBLIC_SIRET,
        "$FICHIER_FLUX": fresh_invoice(siret, "ubl-invoice"),
        "$FICHIER_FLUX_CII": fresh_invoice(siret, "cii-16b"),
        "$NUMERO_SAISI": lambda: f"S{tag()}",
        "$DATE_FACTURE_RFC3339": "2026-11-30T00:00:00Z",
        **integrated_flux(client, base_url, siret),
        **validator_ids(client),
    }


def other_private_siret(own: str) -> str:
    """A seeded private structure the default technical account is not attached to (a
    supplier facturation_electronique resolves by SIRET)."""
    from sqlalchemy import select

    from sandbox import db
    from sandbox.models import Structure

    with db.new_session() as s:
        found = s.scalars(select(Structure.identifiant).where(
            Structure.type_structure == "PRIVEE", Structure.type_identifiant == "SIRET",
            Structure.identifiant != own).order_by(Structure.id.desc())).first()
    assert found is not None, "the default seed has other private structures"
    return found


def value_at(data, path: str):  # noqa: ANN001, ANN201
    """``a.b.c`` of a decoded answer (None where a step is missing)."""
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def substitute(body, ids: dict):  # noqa: ANN001, ANN201
    if isinstance(body, dict):
        return {k: substitute(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [substitute(v, ids) for v in body]
    if isinstance(body, str) and body in ids:
        value = ids[body]
        return value() if callable(value) else value
    return body


def decode(client_name: str, operation: str, answer: dict, business: bool) -> list[str]:
    """The errors the sending client's own decoder would raise on ``answer``."""
    if (client_name, operation) == ("pastell", "factures/rechercher/recipiendaire"):
        # CPPWrapper::rechercheFactureParRecipiendaire: codeRetour 20000 ends the loop;
        # any other answer must carry pageCourante and pages (top level) or it throws.
        if answer.get("codeRetour") == 20000:
            return []
        return reads(answer, ["pageCourante:int", "pages:int"])
    if (client_name, operation) == ("pastell", "facturesTravaux/rechercher"):
        # CPPWrapper::rechercheFactureTravaux: 20007 (GFT_MSG_01.075) ends the loop; any
        # other answer must carry parametresRetour.pageCourante and .pages or it throws;
        # PortailFactureConnecteur::getListeFacturesTravaux reads the items.
        if answer.get("codeRetour") == 20007:
            return []
        return reads(answer, PASTELL_TRAVAUX)
    if client_name == "go-choruspro":
        return go_decode(answer, GO[operation])
    if client_name == "piste-gouv-fr":
        if business:  # ChorusPro::post throws PisteException on codeRetour != 0, by design
            return []
        return php_decode(answer, PHP[operation]) if operation in PHP else []
    return reads(answer, READS.get((client_name, operation), []))


@pytest.mark.parametrize(
    ("client_name", "index", "case"),
    CASES,
    ids=[f"{c}:{case['operation']}#{i}" for c, i, case in CASES],
)
def test_client_body(request, client, seed_ids, client_name, index, case):  # noqa: ANN001
    """``knownDefect``: the client cannot decode what the real API answers (Swagger,
    official samples) either; ``pending``: a sandbox gap still open. Both are strict
    xfails: the day they pass, the data must say so."""
    reason = case.get("knownDefect") or case.get("pending")
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    operation = case["operation"]
    body = substitute(case["body"], seed_ids)
    problems: list[str] = []
    status = None
    try:
        if case.get("method") == "GET":
            answer = client.get(url_of(operation))
        elif isinstance(body, list):  # PHP's empty array: the raw JSON text "[]"
            answer = client.post(url_of(operation), None, data=json.dumps(body))
        else:
            answer = client.post(url_of(operation), body)
        status = answer.status_code
        if status != 200:
            problems.append(f"HTTP {status}: {answer.text[:300]}")
        else:
            data = answer.json()
            expect = case["expect"]
            code = data.get("codeRetour")
            if expect == "ok" and code != 0:
                problems.append(f"codeRetour {code}: {data.get('libelle')}")
            if expect == "business" and (not isinstance(code, int) or code == 0):
                problems.append(f"expected a business error, got codeRetour {code!r}")
            if expect == "health" and data.get("statusCode") != "OK":
                problems.append(f"health-check answered {data}")
            for name in case.get("nonEmpty", []):
                if not data.get(name):
                    problems.append(f"{name} is empty on the default seed")
            for name, asked in substitute(case.get("echo", {}), seed_ids).items():
                if data.get(name) != asked:
                    problems.append(f"{name} {data.get(name)!r} is not the {asked!r} asked")
            for path, wanted in case.get("equals", {}).items():  # what the client requires
                if value_at(data, path) != wanted:
                    problems.append(f"{path} is {value_at(data, path)!r}, the client needs "
                                    f"{wanted!r}")
            problems += decode(client_name, operation, data, expect == "business")
    finally:
        record(client_name, index, case, status, problems)
    assert not problems, problems
