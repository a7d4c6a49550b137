"""PISTE subscriptions over real HTTP (issue #21.6): an application subscribed to some
Chorus Pro APIs only gets the real gateway's answer on the others — **403 with an empty
body** (OCA issue #410) — set through the control plane or ticked on the portal's
Raccordements page; applications nobody narrowed keep every API.

Each test uses an application of its own, so that no other test sees its subscriptions.
"""

from __future__ import annotations

import html
import re

import pytest
import requests
from api_factories import ApiClient, attach, make_client, make_structure, make_technical, make_user

from sandbox.testing.client import SandboxClient
from sandbox.testing.portal import PortalClient, find_form

ALL = ["structures", "utilisateurs", "transverses", "factures", "facturesTravaux",
       "engagementsJuridiques", "organisations"]
HEALTH = "/cpro/transverses/v1/health-check"
TYPES = "/cpro/transverses/v1/recuperer/typeidentifiant/structure"
ORGANISATIONS = "/cpro/organisations/v1/healthcheck"
RECHERCHER = "/cpro/structures/v1/rechercher"


@pytest.fixture
def application(base_url, db_session):
    """A fresh structure, its gestionnaire (portal login), technical account and a PISTE
    application of its own: (ApiClient, gp login, gp password)."""
    gp, gp_password = make_user(db_session)
    structure = make_structure(db_session)
    attach(db_session, gp, structure, role="GESTIONNAIRE_PRINCIPAL")
    client = make_client(db_session, gp)
    _, tech_password = make_technical(db_session, structure, gp)
    db_session.commit()
    api = ApiClient(base_url, client.client_id, client.client_secret,
                    f"TECH_1_{structure.identifiant}@cpro.fr", tech_password)
    return api, gp.login, gp_password


def _apis(base_url: str, client_id: str, method: str = "GET", body=None) -> requests.Response:  # noqa: ANN001
    return requests.request(method, f"{base_url}/_sandbox/piste/applications/{client_id}/apis",
                            json=body, timeout=30)


def test_every_application_subscribes_to_every_api_by_default(base_url, application):
    api, *_ = application
    view = _apis(base_url, api.client_id).json()
    assert view["allApis"] is True and view["apis"] == ALL
    listed = requests.get(f"{base_url}/_sandbox/piste/applications", timeout=30).json()
    assert api.client_id in {a["clientId"] for a in listed["applications"]}
    assert api.get(HEALTH).status_code == 200
    assert api.get(ORGANISATIONS).status_code == 200


def test_a_call_outside_the_subscriptions_is_an_empty_403(base_url, application):
    api, *_ = application
    answer = _apis(base_url, api.client_id, "PUT",
                   {"apis": ["structures", "transverses", "factures", "utilisateurs"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["apis"] == ["structures", "utilisateurs", "transverses", "factures"]
    assert answer.json()["allApis"] is False
    for path, body in ((ORGANISATIONS, None),
                       ("/cpro/engagementsJuridiques/v1/rechercher", {}),
                       ("/cpro/facturesTravaux/v1/rechercher", {}),
                       ("/cpro/organisations/v1/does/not/exist", None)):
        refused = api.get(path) if body is None else api.post(path, body)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.content == b""  # as PISTE answers (OCA #410)
        assert "not subscribed" in refused.headers["X-Sandbox-Reason"]
        assert api.client_id in refused.headers["X-Sandbox-Reason"]
    # the subscribed APIs answer as before, an unknown route of one is still route_inconnue
    assert api.get(HEALTH).status_code == 200
    assert api.call(RECHERCHER, {})["codeRetour"] == 0
    unknown = api.post("/cpro/structures/v1/nothing", {})
    assert unknown.status_code == 403 and unknown.json()["error"] == "route_inconnue"
    # the bearer is checked first: a bad token is a 401, whatever the subscriptions
    bad = requests.get(f"{base_url}{ORGANISATIONS}",
                       headers={"Authorization": "Bearer nope"}, timeout=30)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    # back to every API
    assert _apis(base_url, api.client_id, "DELETE").json()["allApis"] is True
    assert api.get(ORGANISATIONS).status_code == 200


def test_no_api_at_all_and_every_api_listed(base_url, application):
    api, *_ = application
    assert _apis(base_url, api.client_id, "PUT", {"apis": []}).json()["apis"] == []
    assert api.get(HEALTH).status_code == 403 and api.get(HEALTH).content == b""
    # the token endpoint is not an API: a new token is still issued
    api.fetch_token()
    assert _apis(base_url, api.client_id, "PUT", {"apis": ALL}).json()["allApis"] is True
    assert api.call(TYPES)["codeRetour"] == 0


@pytest.mark.parametrize(("body", "status"), [
    ({"apis": ["factures", "nope"]}, 400), ({"apis": "factures"}, 400), ({}, 400),
    ({"apis": ["factures"] * 8}, 400), ({"apis": [1]}, 400), ({"apis": ["factures"], "x": 1}, 400),
])
def test_the_control_plane_refuses_what_is_no_set_of_apis(base_url, application, body, status):
    api, *_ = application
    answer = _apis(base_url, api.client_id, "PUT", body)
    assert answer.status_code == status, answer.text
    assert "error" in answer.json()
    assert _apis(base_url, api.client_id).json()["allApis"] is True  # unchanged


def test_an_unknown_application_is_404(base_url):
    for method in ("GET", "PUT", "DELETE"):
        answer = _apis(base_url, "no-such-client", method,
                       {"apis": ["factures"]} if method == "PUT" else None)
        assert answer.status_code == 404, answer.text


# --- the portal's Raccordements page ----------------------------------------------------


def _ticked(page: str, client_id: str) -> list[str]:
    row = page.split(f'data-client-id="{client_id}"', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<input type="checkbox" name="apis" value="([^"]+)" checked>', row)


def test_the_raccordements_page_ticks_the_apis(base_url, application):
    api, login, password = application
    visitor = PortalClient(base_url)
    assert visitor.login(login, password).status_code == 303
    page = visitor.get("/raccordements").text
    assert _ticked(page, api.client_id) == ALL
    assert "Chorus Pro : Référentiel des Organisations" in page
    action = f"/raccordements/{api.client_id}/api"
    form = find_form(page, action)
    chosen = [("csrf_token", form.fields["csrf_token"]), ("apis", "factures"),
              ("apis", "structures")]
    saved = visitor.http.post(visitor.url(action), data=chosen, timeout=30, allow_redirects=False)
    assert saved.status_code == 303
    page = visitor.get("/raccordements").text
    assert "est souscrite à Chorus Pro : Structures, Chorus Pro : Factures" in page
    assert _ticked(page, api.client_id) == ["structures", "factures"]
    assert api.get(ORGANISATIONS).status_code == 403
    assert api.call(RECHERCHER, {})["codeRetour"] == 0
    # nothing ticked: no API; then every API ticked: back to all
    nothing = visitor.http.post(visitor.url(action), data=chosen[:1], timeout=30)
    assert "est souscrite à aucune API" in html.unescape(nothing.text)
    assert api.get(HEALTH).status_code == 403
    visitor.http.post(visitor.url(action), data=chosen[:1] + [("apis", a) for a in ALL],
                      timeout=30)
    assert _apis(base_url, api.client_id).json()["allApis"] is True
    assert api.get(ORGANISATIONS).status_code == 200


def test_the_raccordements_form_refuses_without_csrf_an_unknown_api_and_others_apps(
        base_url, application, db_session):
    api, login, password = application
    visitor = PortalClient(base_url)
    assert visitor.login(login, password).status_code == 303
    action = visitor.url(f"/raccordements/{api.client_id}/api")
    visitor.http.post(action, data={"apis": "factures"}, timeout=30)  # no CSRF token
    token = find_form(visitor.get("/raccordements").text, "/api").fields["csrf_token"]
    answer = visitor.http.post(action, data=[("csrf_token", token), ("apis", "nope")],
                               timeout=30)
    assert "Une des API choisies n'existe pas" in html.unescape(answer.text)
    assert _apis(base_url, api.client_id).json()["allApis"] is True  # nothing changed
    someone_else = make_client(db_session)
    db_session.commit()
    other = visitor.http.post(visitor.url(f"/raccordements/{someone_else.client_id}/api"),
                              data=[("csrf_token", token), ("apis", "factures")], timeout=30)
    assert other.status_code == 404
    assert "Application introuvable" in other.text
    assert _apis(base_url, someone_else.client_id).json()["allApis"] is True


def test_the_pytest_plugins_client_sets_the_apis(chorus_sandbox, application):
    api, *_ = application
    chorus = SandboxClient(chorus_sandbox.url, chorus_sandbox.mailpit_url)
    assert chorus.set_apis(api.client_id, ["factures"])["apis"] == ["factures"]
    assert api.get(HEALTH).status_code == 403
    assert chorus.set_apis(api.client_id, None)["allApis"] is True
    assert api.get(HEALTH).status_code == 200
