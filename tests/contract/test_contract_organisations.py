"""Contract tests of the Référentiel des Organisations (``/cpro/organisations/v1``): the
exact requests piste-gouv-fr and facturation_electronique build, sent over HTTP to the
session stack (default seed, default technical account), each answer checked as that
client reads it (issue #21.7).

A REST API, so its own runner: a case has a ``method``, a ``path`` (placeholders
substituted), a ``body`` (``null``: none; ``[]``: PHP's empty array), and what the client
gets: ``expectStatus`` and ``expect`` — ``empty`` (no body: healthcheck, 204),
``object`` / ``array`` (decoded with piste-gouv-fr's FieldDefinitions for its class,
``shapes.ORG_PHP``; ``equals``, ``contains``, ``keys``, ``length``, ``nonEmpty``,
``maxLength``, ``sortedBy``), ``errors`` (an error array whose first ``error`` is
``errorName``: piste-gouv-fr's ``body()[0]->error``) or ``exact`` (the whole body, as the
live tests assert it). ``account``: ``bad_login`` / ``bad_password`` for the cases that
send a wrong cpro-account.

Placeholders are found as an integrator finds them: uuids through ``structures/recherche``
by SIRET, a structure attachment uploaded with ``transverses/v1/ajouter/fichier``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests
from api_factories import ApiClient, cpro_account
from contract_report import BODIES, load_cases, record
from decoders import php_decode
from shapes import ORG_PHP

BASE = "/cpro/organisations/v1"
PUBLIC_SIRET = "11000201100044"  # a permanent recipient of the qualification environment
CASES = load_cases(BODIES / "organisations")
PJ = b"%PDF-1.4\n% the default supplier's contract, for its structure\n"


@pytest.fixture(scope="module")
def client(base_url, chorus_credentials) -> ApiClient:  # noqa: ANN001
    creds = chorus_credentials
    return ApiClient(base_url, creds["oauth_client"]["client_id"],
                     creds["oauth_client"]["client_secret"],
                     creds["technical_account"]["login"], creds["technical_account"]["password"])


def _uuid(client: ApiClient, siret: str) -> str:
    answer = client.send("POST", f"{BASE}/structures/recherche",
                         {"identifiant": {"op": "=", "val": siret}, "_fields": ["uuid"]})
    assert answer.status_code == 200, answer.text
    return answer.json()[0]["uuid"]


@pytest.fixture(scope="module")
def seed_ids(client, chorus_credentials) -> Iterator[dict]:  # noqa: ANN001
    """The default seed's uuids, found through the API; one attachment uploaded for the
    default supplier's structure, whose EDI parameters (changed by the PATCH cases) are
    put back afterwards."""
    siret = chorus_credentials["structure"]["identifiant"]
    public = _uuid(client, PUBLIC_SIRET)
    own = _uuid(client, siret)
    service = client.get(f"{BASE}/structures/{public}/services").json()[0]
    upload = client.call("/cpro/transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": base64.b64encode(PJ).decode(), "pieceJointeNom": "contrat.pdf",
        "pieceJointeTypeMime": "application/pdf", "pieceJointeExtension": "PDF"})
    assert upload["codeRetour"] == 0, upload
    listed = client.get(f"{BASE}/structures/{own}/pieces_jointes")
    assert listed.status_code == 200, listed.text
    pj = next(p["uuid"] for p in reversed(listed.json()) if p["fileName"] == "contrat.pdf")
    before = client.get(f"{BASE}/structures/{own}").json()
    yield {"$UUID_STRUCTURE": public, "$UUID_STRUCTURE_OWN": own,
            "$UUID_SERVICE": service["uuid"], "$CODE_SERVICE": service["codeService"],
            "$UUID_PJ": pj,
            "$PJ_BASE64": base64.b64encode(PJ).decode(), "$SIRET_PUBLIC": PUBLIC_SIRET,
            "$SIREN_PUBLIC": PUBLIC_SIRET[:9], "$SIRET": siret}
    restored = client.send("PATCH", f"{BASE}/structures/{own}/parametres-edi", {
        "reception_edi": before["recevoirCyclesViesEdi"],
        "connexion_edi": before["emetteurFluxEdi"]})
    assert restored.status_code == 204, restored.text


def substitute(value, ids: dict):  # noqa: ANN001, ANN201
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    if isinstance(value, str):
        for name in sorted(ids, key=len, reverse=True):  # $UUID_STRUCTURE_OWN first
            value = value.replace(name, ids[name])
    return value


def _send(client: ApiClient, case: dict, ids: dict) -> requests.Response:
    headers = {}
    account = case.get("account")
    if account == "bad_login":
        headers["cpro-account"] = cpro_account("bad_login", client.password)
    elif account == "bad_password":
        headers["cpro-account"] = cpro_account(client.login, "bad_password")
    body = substitute(case["body"], ids)
    data = None if body is None else json.dumps(body).encode()  # [] stays "[]"
    return client.send(case["method"], f"{BASE}/{substitute(case['path'], ids)}",
                       data=data, headers=headers)


def _items(data, expect: str) -> list[dict]:  # noqa: ANN001
    return [data] if expect == "object" else data


def check(case: dict, answer: requests.Response, ids: dict) -> list[str]:  # noqa: C901
    """What the sending client would stumble on, as a list of problems."""
    problems: list[str] = []
    if answer.status_code != case["expectStatus"]:
        return [f"HTTP {answer.status_code} (expected {case['expectStatus']}): {answer.text[:300]}"]
    expect = case["expect"]
    if expect == "empty":
        if answer.content:  # piste-gouv-fr: '' == response; patch(): 204 -> true
            problems.append(f"a body where none is expected: {answer.text[:200]}")
        return problems
    try:
        data = answer.json()
    except ValueError:
        return [f"not JSON: {answer.text[:200]}"]
    if "codeRetour" in answer.text:
        problems.append("a codeRetour key (ChorusPro::get/post would read it)")
    if expect == "exact":
        wanted = substitute(case["exact"], ids)
        if data != wanted:
            problems.append(f"{data!r} is not {wanted!r}")
        return problems
    if expect == "errors":
        if not (isinstance(data, list) and data and isinstance(data[0], dict)):
            return [*problems, f"not an error array: {data!r:.200}"]
        if data[0].get("error") != case["errorName"]:
            problems.append(f"body()[0]->error is {data[0].get('error')!r}")
        return problems
    if expect == "object" and not isinstance(data, dict):
        return [*problems, f"not a JSON object: {data!r:.200}"]
    if expect == "array" and not isinstance(data, list):
        return [*problems, f"not a JSON array (foreach): {data!r:.200}"]
    items = _items(data, expect)
    spec = ORG_PHP.get(case["operation"])
    if case.get("client") == "piste-gouv-fr" and spec is not None:
        for i, item in enumerate(items):
            problems += php_decode(item, spec, f"$[{i}]", top=False)
    if "length" in case and len(items) != case["length"]:
        problems.append(f"{len(items)} items, expected {case['length']}")
    if case.get("nonEmpty") and not items:
        problems.append("empty on the default seed")
    if "maxLength" in case and len(items) > case["maxLength"]:
        problems.append(f"{len(items)} items, more than {case['maxLength']}")
    if "keys" in case:
        wanted_keys = set(case["keys"])
        problems += [f"$[{i}] keys {sorted(item)} are not {sorted(wanted_keys)}"
                     for i, item in enumerate(items) if set(item) != wanted_keys]
    for name, value in substitute(case.get("equals", {}), ids).items():
        for i, item in enumerate(items):
            if item.get(name) != value:
                problems.append(f"$[{i}].{name} is {item.get(name)!r}, expected {value!r}")
    wanted = substitute(case.get("contains"), ids)
    if wanted and not any(all(item.get(k) == v for k, v in wanted.items()) for item in items):
        problems.append(f"no item has {wanted}")
    if "sortedBy" in case:
        values = [item.get(case["sortedBy"]) for item in items]
        if values != sorted(values):
            problems.append(f"not sorted by {case['sortedBy']}")
    return problems


@pytest.mark.parametrize(
    ("client_name", "index", "case"), CASES,
    ids=[f"{c}:{case['method']} {case['path']}#{i}" for c, i, case in CASES],
)
def test_client_request(client, seed_ids, client_name, index, case):  # noqa: ANN001
    status = None
    problems: list[str] = []
    try:
        answer = _send(client, case, seed_ids)
        status = answer.status_code
        problems = check({**case, "client": client_name}, answer, seed_ids)
    finally:
        record(client_name, index, case, status, problems)
    assert not problems, problems
