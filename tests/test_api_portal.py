"""Portal pages of the PISTE area, driven like a person over HTTP: Raccordements
(PISTE applications) and the gestionnaire's technical account (create, reset, mail)."""

from __future__ import annotations

import html
import re

import pytest
import requests
from api_factories import ApiClient, attach, make_structure, make_user

from sandbox.testing.portal import PortalClient

HEALTH = "/cpro/transverses/v1/health-check"


@pytest.fixture
def gestionnaire(db_session):
    """A fresh structure, its gestionnaire principal (logged in) and a simple user."""
    gp, gp_password = make_user(db_session, prenom="Gisèle", nom="Gestion")
    simple, simple_password = make_user(db_session)
    structure = make_structure(db_session)
    attach(db_session, gp, structure, role="GESTIONNAIRE_PRINCIPAL")
    attach(db_session, simple, structure)
    db_session.commit()
    return gp, gp_password, simple, simple_password, structure


def _portal(base_url: str, login: str, password: str) -> PortalClient:
    visitor = PortalClient(base_url)
    answer = visitor.login(login, password)
    assert answer.status_code == 303, answer.text[:500]
    return visitor


def _code(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]+)<', page)
    assert found, f"#{element_id} not in the page"
    return html.unescape(found.group(1))


def _applications(page: str) -> list[tuple[str, str]]:
    ids = re.findall(r'<code class="client-id">([^<]+)</code>', page)
    secrets = re.findall(r'<code class="client-secret">([^<]+)</code>', page)
    return [(html.unescape(i), html.unescape(s)) for i, s in zip(ids, secrets, strict=True)]


def test_raccordements_needs_login(base_url):
    answer = requests.get(f"{base_url}/raccordements", allow_redirects=False, timeout=30)
    assert answer.status_code in (302, 303)
    assert "/connexion" in answer.headers["Location"]


def test_raccordements_creates_an_application_whose_credentials_work(base_url, gestionnaire):
    gp, gp_password, _, _, structure = gestionnaire
    visitor = _portal(base_url, gp.login, gp_password)
    page = visitor.get("/raccordements")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Vous n'avez encore créé aucune application." in page.text
    assert _code(page.text, "token-url").endswith("/api/oauth/token")
    created = visitor.submit("/raccordements", {"nom": "Mon logiciel de facturation"})
    assert created.status_code == 303
    page = visitor.get("/raccordements")
    assert "Mon logiciel de facturation" in page.text
    assert "a été créée" in page.text
    [(client_id, client_secret)] = _applications(page.text)
    assert re.fullmatch(r"[0-9a-f-]{36}", client_id)
    token = requests.post(
        f"{base_url}/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "openid",
        },
        timeout=30,
    )
    assert token.status_code == 200
    # a second one, default name; each user sees only his own
    visitor.submit("/raccordements", {"nom": ""})
    assert len(_applications(visitor.get("/raccordements").text)) == 2
    assert f"APP_SANDBOX_{gp.login}" in visitor.get("/raccordements").text
    # the managed structure links to its technical-account page
    assert f"/gestionnaire/structures/{structure.id}/compte-technique" in page.text


def test_raccordements_refuses_a_post_without_csrf(base_url, gestionnaire):
    gp, gp_password, *_ = gestionnaire
    visitor = _portal(base_url, gp.login, gp_password)
    answer = visitor.http.post(f"{base_url}/raccordements", data={"nom": "x"}, timeout=30)
    assert answer.status_code == 400
    assert _applications(visitor.get("/raccordements").text) == []


def test_technical_account_create_use_reset(base_url, gestionnaire, mailpit, db_session):
    gp, gp_password, _, _, structure = gestionnaire
    visitor = _portal(base_url, gp.login, gp_password)
    path = f"/gestionnaire/structures/{structure.id}/compte-technique"
    page = visitor.get(path)
    assert page.status_code == 200
    assert "pas encore de compte technique" in page.text
    created = visitor.submit(path, {}, action_contains="/creer")
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    login = _code(created.text, "tech-login")
    password = _code(created.text, "tech-password")
    assert login == f"TECH_1_{structure.identifiant}@cpro.fr"
    assert "affiché qu'une seule fois" in created.text
    # shown once: the page does not show it again
    again = visitor.get(path)
    assert password not in again.text and login in again.text
    mail = mailpit.wait_for_message(recipient=gp.login)
    assert "Création du compte technique" in mail.subject
    assert login in mail.text and password not in mail.text
    # the account works on the API with the gestionnaire's rights
    client = _make_app(visitor, base_url)
    api = ApiClient(base_url, *client, login, password)
    assert api.get(HEALTH).status_code == 200
    consulted = api.call("/cpro/structures/v1/consulter", {"idStructureCPP": structure.id})
    assert consulted["codeRetour"] == 0
    assert consulted["informationGenerales"]["dateExpirationMotPasseCompteTech"]
    # it cannot log in to the portal
    assert PortalClient(base_url).login(login, password).status_code != 303
    # creating twice is refused with a message
    twice = visitor.post(path + "/creer", {})
    assert twice.status_code == 303
    assert "existe déjà" in visitor.get(path).text
    # reset: new password shown once, old one refused by the gateway, mail sent
    reset = visitor.submit(path, {}, action_contains="/reinitialiser")
    assert reset.status_code == 200
    new_password = _code(reset.text, "tech-password")
    assert new_password != password
    assert api.get(HEALTH).status_code == 401
    api.password = new_password
    assert api.get(HEALTH).status_code == 200
    reset_mail = mailpit.wait_for_message(recipient=gp.login, subject="Réinitialisation")
    assert login in reset_mail.text and new_password not in reset_mail.text


def _make_app(visitor: PortalClient, base_url: str) -> tuple[str, str]:
    visitor.submit("/raccordements", {"nom": "Appli"})
    [(client_id, client_secret)] = _applications(visitor.get("/raccordements").text)[-1:]
    return client_id, client_secret


def test_technical_account_page_only_for_the_gestionnaire(base_url, gestionnaire):
    _, _, simple, simple_password, structure = gestionnaire
    visitor = _portal(base_url, simple.login, simple_password)
    path = f"/gestionnaire/structures/{structure.id}/compte-technique"
    assert visitor.get(path).status_code == 403
    refused = visitor.post(path + "/creer", {})
    assert refused.status_code == 403
    assert visitor.get("/gestionnaire/structures/999999999/compte-technique").status_code == 404
