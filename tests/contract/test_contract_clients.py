"""Contract tests: the exact bodies public clients build, sent over HTTP to the session
stack (default seed, default technical account), each answer checked with the decoder
of the client that sent it (tests/contract/decoders.py, shapes.py), not with our models.

Bodies are data (tests/contract/bodies/<client>.json, each naming the file and function
it comes from). ``$NAME`` placeholders are ids of the default seed, looked up through the
API the way an integrator would. With ``CONTRACT_REPORT=path`` the run writes the
conformance report there (``make conformance`` -> docs/conformance.md and docs/api.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from api_factories import ApiClient
from contract_report import record, write_reports
from decoders import go_decode, php_decode, reads
from shapes import GO, PHP, READS

HERE = Path(__file__).parent
BASES = {
    "structures": "/cpro/structures/v1",
    "utilisateurs": "/cpro/utilisateurs/v1",
    "transverses": "/cpro/transverses/v1",
    "factures": "/cpro/factures/v1",
}
PUBLIC_SIRET = "11000201100044"  # a permanent recipient of the qualification environment


def load_cases() -> list[tuple[str, int, dict]]:
    cases = []
    for path in sorted((HERE / "bodies").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, case in enumerate(data["cases"]):
            cases.append((data["client"], i, case))
    return cases


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


@pytest.fixture(scope="module")
def seed_ids(client, chorus_credentials) -> dict:  # noqa: ANN001
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
        "$ID_SERVICE": services["listeServices"][0]["idService"],
        "$LOGIN": chorus_credentials["gestionnaire"]["login"],
        "$ID_PUBLIC": public["listeStructures"][0]["idStructureCPP"],
        "$SIRET_PUBLIC": PUBLIC_SIRET,
    }


def substitute(body, ids: dict):  # noqa: ANN001, ANN201
    if isinstance(body, dict):
        return {k: substitute(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [substitute(v, ids) for v in body]
    if isinstance(body, str) and body in ids:
        return ids[body]
    return body


@pytest.fixture(scope="module", autouse=True)
def report():  # noqa: ANN201
    yield
    target = os.environ.get("CONTRACT_REPORT")
    if target:
        write_reports(Path(target), CASES)


def decode(client_name: str, operation: str, answer: dict, business: bool) -> list[str]:
    """The errors the sending client's own decoder would raise on ``answer``."""
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
            problems += decode(client_name, operation, data, expect == "business")
    finally:
        record(client_name, index, case, status, problems)
    assert not problems, problems
