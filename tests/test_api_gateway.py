"""PISTE token endpoint and gateway: every refusal, in PISTE's order, over real HTTP."""

from __future__ import annotations

import base64
import re

import pytest
import requests
from api_factories import ApiClient, cpro_account, make_user, tech_client

from sandbox import db, state
from sandbox.config import load_settings
from sandbox.cpro import schemas as sc

HEALTH = "/cpro/transverses/v1/health-check"
TYPES = "/cpro/transverses/v1/recuperer/typeidentifiant/structure"
CONSULTER = "/cpro/structures/v1/consulter"


@pytest.fixture
def api(base_url, world) -> ApiClient:
    return tech_client(base_url, world)



def _token(base_url: str, **data) -> requests.Response:
    return requests.post(f"{base_url}/api/oauth/token", data=data, timeout=30)


def test_token_form_encoded_answers_like_piste(base_url, world):
    answer = _token(
        base_url,
        grant_type="client_credentials",
        client_id=world.client_id,
        client_secret=world.client_secret,
        scope="openid",
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert list(body) == ["access_token", "token_type", "expires_in", "scope"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid"
    assert len(body["access_token"]) >= 32


def test_token_accepts_http_basic_client_authentication(base_url, world):
    answer = requests.post(
        f"{base_url}/api/oauth/token",
        data={"grant_type": "client_credentials", "scope": "openid"},
        auth=(world.client_id, world.client_secret),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "data, error",
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, "invalid_client"),
        # PostgreSQL refuses a NUL in a query: found by the fuzzing as a 400 in the API's
        # codeRetour shape instead of the token endpoint's OAuth error.
        ({"client_id": "e5864422\x00"}, "invalid_client"),
        ({"client_id": "x" * 65}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": ""}, "invalid_request"),
        ({"client_secret": ""}, "invalid_request"),
        ({"scope": "admin"}, "invalid_scope"),
    ],
)
def test_token_errors_are_400_with_oauth_error(base_url, world, data, error):
    form = {
        "grant_type": "client_credentials",
        "client_id": world.client_id,
        "client_secret": world.client_secret,
        "scope": "openid",
    }
    form.update(data)
    answer = _token(base_url, **form)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == error
    assert body["error_description"]


def test_token_refuses_a_json_body(base_url, world):
    answer = requests.post(
        f"{base_url}/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        },
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_health_check_with_both_headers(api):
    answer = api.get(HEALTH)
    assert answer.status_code == 200
    assert answer.json() == {
        "body": "L'API CPRO est actuellement disponible et fonctionnel.",
        "statusCodeValue": 200,
        "statusCode": "OK",
    }


def test_missing_unknown_or_malformed_bearer_is_401(base_url, api):
    headers = api.headers()
    for authorization in (None, "Bearer", "Basic abc", "Bearer not-a-token"):
        sent = dict(headers)
        sent.pop("Authorization")
        if authorization is not None:
            sent["Authorization"] = authorization
        answer = requests.post(f"{base_url}{TYPES}", json={}, headers=sent, timeout=30)
        assert answer.status_code == 401, authorization
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        body = answer.json()
        assert body["error"] in {"invalid_request", "invalid_token"}
        assert body["error_description"]


def test_bearer_is_checked_before_the_route(base_url):
    answer = requests.post(f"{base_url}/cpro/nothing/here", json={}, timeout=30)
    assert answer.status_code == 401


@pytest.mark.parametrize(
    "account, error",
    [
        (None, "missing_cpro_account"),
        ("%%%not-base64%%%", "invalid_cpro_account"),
        (base64.b64encode(b"no-colon").decode(), "invalid_cpro_account"),
        (cpro_account("nobody@example.com", "whatever"), "invalid_cpro_account"),
        (cpro_account("no\x00body@example.com", "whatever"), "invalid_cpro_account"),
    ],
)
def test_missing_or_wrong_cpro_account_is_401(base_url, api, account, error):
    headers = api.headers()
    if account is None:
        headers.pop("cpro-account")
    else:
        headers["cpro-account"] = account
    answer = requests.get(f"{base_url}{HEALTH}", headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"] == error


def test_wrong_password_of_a_real_account_is_401(base_url, api, world):
    headers = api.headers()
    headers["cpro-account"] = cpro_account(world.tech_login, world.tech_password + "x")
    answer = requests.post(f"{base_url}{TYPES}", json={}, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_cpro_account"
    # and the right one still works (the verification cache keys on the password)
    assert api.post(TYPES, {}).status_code == 200


def test_inactive_user_account_is_401(base_url, api, db_session):
    user, password = make_user(db_session, statut="EN_ATTENTE_ACTIVATION")
    db_session.commit()
    headers = api.headers()
    headers["cpro-account"] = cpro_account(user.login, password)
    answer = requests.post(f"{base_url}{TYPES}", json={}, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"] == "inactive_cpro_account"


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/cpro/structures/v1/inconnue"),
        ("POST", "/cpro/transverses/v1/rechercherStructure"),
        ("GET", "/cpro/structures/v1/rechercher"),
        ("POST", "/cpro/transverses/v1/health-check"),
        ("POST", "/cpro"),
    ],
)
def test_unknown_route_is_403_with_a_reason(api, base_url, method, path):
    answer = api.http.request(
        method, f"{base_url}{path}", json={}, headers=api.headers(), timeout=30
    )
    assert answer.status_code == 403
    body = answer.json()
    assert body["error"] == "route_inconnue"
    assert path in body["error_description"]


def test_non_json_body_is_415(api):
    answer = api.post(
        CONSULTER, None, headers={"Content-Type": "text/plain"}, data="idStructureCPP=1"
    )
    assert answer.status_code == 415
    body = answer.json()
    assert body["codeRetour"] == 10003
    assert "JSON" in body["libelle"]


def test_form_body_is_415(api, base_url):
    headers = api.headers()
    headers.pop("Content-Type")
    answer = requests.post(
        f"{base_url}{CONSULTER}", data={"idStructureCPP": "1"}, headers=headers, timeout=30
    )
    assert answer.status_code == 415


def test_malformed_json_is_400(api, base_url):
    answer = requests.post(
        f"{base_url}{CONSULTER}", data=b'{"idStructureCPP": 1,', headers=api.headers(), timeout=30
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["codeRetour"] == 10001
    assert body["libelle"].startswith("Requête mal formulée")


@pytest.mark.parametrize(
    "path, body, champ",
    [
        # A missing id ({}, 0, null) is a business answer (20103), not a 400: issue 12.
        (CONSULTER, {"idStructureCPP": "abc"}, "idStructureCPP"),
        (CONSULTER, {"idStructureCPP": -1}, "idStructureCPP"),
        (CONSULTER, {"idStructureCPP": 1, "codeLangue": "FRANCAIS-DE-FRANCE"}, "codeLangue"),
        (CONSULTER, [1, 2], "(corps)"),
        (
            "/cpro/structures/v1/rechercher",
            {"structure": {"statutStructure": "ACTIVE"}},
            "structure.statutStructure",
        ),
        (
            "/cpro/structures/v1/rechercher",
            {"parametres": {"nbResultatsParPage": 10_001}},
            "parametres.nbResultatsParPage",
        ),
        (
            "/cpro/structures/v1/rechercher",
            {"parametres": {"triColonne": "Ville"}},
            "parametres.triColonne",
        ),
        (
            "/cpro/structures/v1/rechercher",
            {"structure": {"typeIdentifiantStructure": "SIREN"}},
            "structure.typeIdentifiantStructure",
        ),
        ("/cpro/structures/v1/rechercher/services", {"idStructure": 2**70}, "idStructure"),
    ],
)
def test_schema_violations_are_400_naming_the_field(api, path, body, champ):
    answer = api.post(path, body)
    assert answer.status_code == 400, answer.text
    data = answer.json()
    sc.ErreurRequete.model_validate(data)
    assert data["codeRetour"] == 10002
    assert champ in [e["champ"] for e in data["erreurs"]]
    assert champ in data["libelle"]


def test_empty_body_counts_as_empty_object(api, base_url):
    headers = api.headers()
    answer = requests.post(f"{base_url}{TYPES}", data=b"", headers=headers, timeout=30)
    assert answer.status_code == 200
    assert answer.json()["codeRetour"] == 0


def test_expired_token_is_401(base_url, world, clock_restored):
    api = tech_client(base_url, world)
    api.fetch_token()
    assert api.get(HEALTH).status_code == 200
    state.set_clock_offset(state.refresh().clock_offset_seconds + 3601)  # the shared offset now
    answer = api.get(HEALTH)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert "expired" in answer.json()["error_description"]


def test_expired_technical_password_is_401_then_ok_after_reset(base_url, world, clock_restored):
    from sandbox.accounts.technical import reset_technical_password

    settings = load_settings()
    state.set_clock_offset(state.refresh().clock_offset_seconds
                           + (settings.tech_password_days + 1) * 86400)
    api = tech_client(base_url, world)  # a fresh token, issued at the moved time
    answer = api.get(HEALTH)
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"] == "expired_password"
    assert "expired" in body["error_description"]
    assert world.tech_login.lower() in body["error_description"]
    with db.new_session() as s:
        from sandbox.models import Structure, User

        structure = s.get(Structure, world.own.id)
        gp = s.get(User, world.gp.id)
        _, new_password = reset_technical_password(s, settings, structure, gp, notify=False)
        s.commit()
    api.password = new_password
    world.tech_password = new_password  # for the tests that follow
    assert api.get(HEALTH).status_code == 200


def test_openapi_document_describes_every_operation(base_url):
    import sandbox.organisations  # noqa: F401 (declares its operations, as create_app does)
    from sandbox.cpro.api import OPERATIONS

    answer = requests.get(f"{base_url}/openapi.json", timeout=30)
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["openapi"].startswith("3.")
    for (method, path), op in OPERATIONS.items():
        entry = doc["paths"][path][method.lower()]
        assert entry["operationId"] == op.operation_id
        if op.request_model is not None:
            ref = entry["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/" + op.request_model.__name__)
            assert {"400", "415"} <= set(entry["responses"])
        if op.extra.get("wire") == "organisations":  # REST: 200, 201, 204, or only errors
            assert {"400", "401", "403"} <= set(entry["responses"])
            continue
        assert {"200", "401", "403"} <= set(entry["responses"])
    assert "/api/oauth/token" in doc["paths"]
    schemas = doc["components"]["schemas"]
    # the oddities survive into the document
    assert "informationGenerales" in schemas["ConsulterStructureRetour"]["properties"]
    assert "informationsGenerales" in schemas["ConsulterServiceStructureRetour"]["properties"]
    assert set(
        schemas["StructureCriteres"]["properties"]["statutStructure"]["anyOf"][0]["enum"]
    ) == {"ACTIF", "INACTIF"}
    assert set(schemas["StructureResume"]["properties"]["statut"]["enum"]) == {"ACTIVE", "INACTIVE"}
    assert doc["components"]["securitySchemes"]["cproAccount"]["name"] == "cpro-account"


def test_docs_page_is_self_contained(base_url):
    page = requests.get(f"{base_url}/docs/api/", timeout=30)
    assert page.status_code == 200
    # no CDN, no inline script (the sandbox's Content-Security-Policy forbids both)
    assert 'src="http' not in page.text and 'href="http' not in page.text
    assert "<script>" not in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert len(scripts) == 3
    for src in scripts:
        asset = requests.get(f"{base_url}{src}", timeout=30)
        assert asset.status_code == 200, src
    init = requests.get(f"{base_url}{scripts[-1]}", timeout=30).text
    assert "/openapi.json" in init


def test_http_errors_of_the_api_are_json(base_url, api):
    wrong_method = requests.get(f"{base_url}/api/oauth/token", timeout=30)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Content-Type"].startswith("application/json")
    assert wrong_method.json()["codeRetour"] == 405
    too_big = requests.post(
        f"{base_url}{CONSULTER}",
        data=b'{"x": "' + b"a" * 1_100_000 + b'"}',
        headers=api.headers(),
        timeout=30,
    )
    assert too_big.status_code == 413
    assert too_big.json()["codeRetour"] == 413
