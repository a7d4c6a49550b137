"""Browser tests: a person in Chromium (headless, Debian's binary) goes through the
guide — signup, both e-mails in the real Mailpit, activation, login, Mon compte —
and the rattachement path with its gestionnaire. Kept few: they are slow."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
from portal_support import PASSWORD, new_siret

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    import os

    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_factory(browser, base_url) -> Iterator:
    """New pages, each in its own context (own cookies); closed after the test."""
    contexts = []

    def new_page(javascript: bool = True):
        context = browser.new_context(base_url=base_url, java_script_enabled=javascript,
                                      locale="fr-FR")
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield new_page
    finally:
        for context in contexts:
            context.close()


def _solve_captcha(page, base_url: str) -> None:
    """Answer the captcha the documented way: the control plane reveals it."""
    captcha_id = page.locator("input[name=captcha_id]").input_value()
    answer = requests.get(f"{base_url}/_sandbox/captcha/{captcha_id}", timeout=10)
    answer.raise_for_status()
    page.fill("#captcha", answer.json()["answer"])


def _fill_signup(page, base_url: str, login: str, siret: str, raison_sociale: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").first.click()
    page.wait_for_url("**/creer-un-compte")
    page.fill("#login_email", login)
    page.fill("#prenom", "Inès")
    page.fill("#nom", "Da Silva")
    page.fill("#telephone", "06 12 34 56 78")
    page.select_option("#type_identifiant", "SIRET")
    page.fill("#identifiant", siret)
    page.select_option("#type_structure", "PRIVEE")
    page.fill("#raison_sociale", raison_sociale)
    page.fill("#adresse", "3 place du Marché")
    page.fill("#code_postal", "33000")
    page.fill("#ville", "Bordeaux")
    page.select_option("#pays", "FR")
    page.check("#accepte_conditions")
    _solve_captcha(page, base_url)


def _activate_and_login(page, mailpit, login: str) -> None:
    mail = mailpit.wait_for_message(recipient=login, subject="Activation")
    link = mail.link(contains="/activation/")
    page.goto(link)
    assert page.get_by_role("heading", name="Activez votre compte").is_visible()
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url("**/connexion**")
    assert "Votre compte est activé" in page.content()
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mon-compte")


def test_new_user_goes_through_the_guide_in_a_browser(page_factory, base_url, mailpit):
    page = page_factory()
    login = f"navigateur-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/")
    assert page.locator(".qualif-mark").is_visible()
    for tile in ("Marché", "Commande", "Facturation", "Organisation", "Raccords", "Outils"):
        assert page.get_by_role("heading", name=tile).is_visible()

    page.goto("/creer-un-compte")
    # JavaScript shows the structure fields once the identifier is given, and
    # pre-fills the contact address with the login address.
    assert not page.locator("#adresse").is_visible()
    page.fill("#login_email", login)
    assert page.locator("#email_contact").input_value() == login
    _fill_signup(page, base_url, login, new_siret(), "Menuiserie Da Silva")
    assert page.locator("#adresse").is_visible()
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url("**/creer-un-compte/confirmation")
    text = page.locator("main").inner_text()
    assert "lien d'activation" in text and login in text

    summary = mailpit.wait_for_message(recipient=login, subject="Création de votre compte")
    assert "Menuiserie Da Silva" in summary.text
    _activate_and_login(page, mailpit, login)
    main = page.locator("main").inner_text()
    assert login in main
    assert "Menuiserie Da Silva" in main and "Gestionnaire principal" in main
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(base_url + "/")
    assert page.get_by_role("link", name="Se connecter").first.is_visible()


def test_rattachement_validated_by_the_gestionnaire_in_a_browser(page_factory, base_url,
                                                                  mailpit):
    siret = new_siret()
    gp_login = f"gp-{uuid.uuid4().hex[:10]}@example.com"
    gp = page_factory()
    _fill_signup(gp, base_url, gp_login, siret, "Boulangerie Rattachée")
    gp.get_by_role("button", name="Créer mon compte").click()
    gp.wait_for_url("**/confirmation")
    _activate_and_login(gp, mailpit, gp_login)

    # The requester's browser has JavaScript off: the portal works without it.
    requester_login = f"demandeur-{uuid.uuid4().hex[:10]}@example.com"
    requester = page_factory(javascript=False)
    _fill_signup(requester, base_url, requester_login, siret, "")
    requester.get_by_role("button", name="Créer mon compte").click()
    requester.wait_for_url("**/confirmation")
    assert "demande de rattachement" in requester.locator("main").inner_text()
    mailpit.wait_for_message(recipient=gp_login, subject="demande de rattachement")
    link = mailpit.wait_for_message(recipient=requester_login,
                                    subject="Activation").link(contains="/activation/")
    requester.goto(link)
    assert "en cours de validation" in requester.locator("main").inner_text()

    gp.get_by_role("navigation").get_by_role("link", name="Demandes de rattachement").click()
    row = gp.locator("tr", has_text=requester_login)
    row.locator("textarea").first.fill("Bienvenue dans l'équipe")
    row.get_by_role("button", name="Valider").click()
    gp.wait_for_url("**/gestionnaire/demandes")
    assert "a été validée" in gp.locator("main").inner_text()
    validated = mailpit.wait_for_message(recipient=requester_login, subject="validée")
    assert "Bienvenue dans l'équipe" in validated.text

    _activate_and_login(requester, mailpit, requester_login)
    main = requester.locator("main").inner_text()
    assert "Boulangerie Rattachée" in main and "Utilisateur" in main and "Validée" in main
