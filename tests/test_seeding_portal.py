"""The data-set page of the portal: a logged-in user clicks, downloads, is mailed."""

from __future__ import annotations

import re
import uuid

import pytest
from seeding_support import check_dataset_csv

from sandbox.config import load_settings
from sandbox.seeding import load_fixture
from sandbox.testing.portal import PortalClient

PASSWORD = "Jeu-De-Donnees-2024!"


@pytest.fixture
def portal_user(chorus_sandbox, stack_db, tmp_path) -> str:
    """A unique active user of the session's stack, created by a scenario fixture."""
    login = f"jdd-{uuid.uuid4().hex[:12]}@example.com"
    path = tmp_path / "user.yaml"
    path.write_text(
        f"description: un utilisateur du test\nusers:\n"
        f"  - {{login: {login}, prenom: Jade, nom: Testeuse, password: {PASSWORD}}}\n"
    )
    settings = load_settings({"database_url": chorus_sandbox.database_url})
    assert load_fixture(path, settings=settings)["created"] == 1
    return login


def _logged_in(base_url: str, login: str) -> PortalClient:
    client = PortalClient(base_url)
    assert client.login(login, PASSWORD).status_code == 303
    return client


def test_generate_download_and_mail(base_url, portal_user, mailpit):
    client = _logged_in(base_url, portal_user)
    page = client.get("/qualification/jeu-de-donnees")
    assert page.status_code == 200
    assert "Générer un jeu de données" in page.text

    answer = client.submit("/qualification/jeu-de-donnees", {})
    assert answer.status_code == 303
    shown = client.get(answer.headers["Location"])
    assert shown.status_code == 200
    assert "Votre jeu de données a été généré" in shown.text
    csv_path = re.search(r'href="(/qualification/jeu-de-donnees/\d+\.csv)"', shown.text)[1]

    download = client.get(csv_path)
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in download.headers["Content-Disposition"]
    content = check_dataset_csv(download.content.decode("utf-8"))
    # The page lists the same accounts as the file.
    assert content["Fournisseur"]["Login compte GP"] in shown.text

    mail = mailpit.wait_for_message(recipient=portal_user)
    assert mail.subject == "Chorus Pro - Votre jeu de données de qualification est disponible"
    assert f"{base_url}{csv_path}" in mail.text
    assert f"Fournisseur {content['Fournisseur']['SIRET Structure']}" in mail.text

    # The user's page lists it; nobody else may download it.
    assert csv_path in client.get("/qualification/jeu-de-donnees").text
    anonymous = PortalClient(base_url).get(csv_path, allow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert "/connexion" in anonymous.headers["Location"]


def test_another_user_cannot_download(base_url, portal_user, chorus_sandbox, stack_db,
                                      tmp_path):
    owner = _logged_in(base_url, portal_user)
    answer = owner.submit("/qualification/jeu-de-donnees", {})
    dataset_path = answer.headers["Location"]
    other_login = f"jdd-autre-{uuid.uuid4().hex[:12]}@example.com"
    path = tmp_path / "other.yaml"
    path.write_text(f"description: d\nusers:\n  - {{login: {other_login}, password: {PASSWORD}}}\n")
    load_fixture(path, settings=load_settings({"database_url": chorus_sandbox.database_url}))
    other = _logged_in(base_url, other_login)
    assert other.get(dataset_path).status_code == 404
    assert other.get(dataset_path + ".csv").status_code == 404


def test_generation_needs_the_csrf_token(base_url, portal_user):
    client = _logged_in(base_url, portal_user)
    answer = client.http.post(f"{base_url}/qualification/jeu-de-donnees", data={},
                              allow_redirects=False, timeout=30)
    assert answer.status_code == 400


@pytest.mark.browser
def test_a_person_clicks_the_button_in_chromium(base_url, portal_user, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(accept_downloads=True)
            page.goto(f"{base_url}/qualification/jeu-de-donnees")
            assert "/connexion" in page.url  # login first, then back here
            page.fill("input[name=login]", portal_user)
            page.fill("input[name=password]", PASSWORD)
            page.locator("form[action*='/connexion'] [type=submit]").click()
            page.goto(f"{base_url}/qualification/jeu-de-donnees")
            page.get_by_role("button", name="Générer un jeu de données").click()
            page.wait_for_url(re.compile(r".*/qualification/jeu-de-donnees/\d+$"))
            assert page.get_by_role("status").first.is_visible()
            with page.expect_download() as info:
                page.get_by_role("link", name="Télécharger le jeu de données (CSV)").click()
            target = tmp_path / info.value.suggested_filename
            info.value.save_as(target)
            assert target.name.startswith("jeu_de_donnees_") and target.suffix == ".csv"
            check_dataset_csv(target.read_text(encoding="utf-8"))
        finally:
            browser.close()
