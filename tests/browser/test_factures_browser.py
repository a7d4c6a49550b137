"""Browser journey of the Factures pages (Chromium, Debian's binary, no JavaScript
needed): the seeded gestionnaire deposits an invoice, the clock moves through the
control plane, the invoice is "Mise à disposition" in Factures émises; a user of the
recipient rejects it with a motif in Factures reçues; the supplier sees it rejected."""

from __future__ import annotations

import uuid

import pytest
import requests
from api_factories import attach
from sqlalchemy import select
from test_portal_browser import browser, page_factory  # noqa: F401 (fixtures)

from sandbox import db
from sandbox.models import Structure, User
from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT
from sandbox.stack import wait_until

pytestmark = pytest.mark.browser


def _login(page, login: str, password: str) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.fill("#login", login)
    page.fill("#password", password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mon-compte")


def test_deposit_then_reject_in_chromium(chorus, page_factory, base_url, tmp_path):  # noqa: ANN001, F811
    numero = f"BRW-{uuid.uuid4().hex[:10].upper()}"
    credentials = chorus.credentials()
    xml = tmp_path / f"{numero}.xml"
    xml.write_bytes(ex.cii(ex.Example(numero, credentials["structure"]["identifiant"], ETAT,
                                      service="SFACETAT", destinataire_nom="Destinataire Etat")))
    supplier = page_factory(javascript=False)
    _login(supplier, credentials["gestionnaire"]["login"], credentials["gestionnaire"]["password"])
    supplier.get_by_role("link", name="Déposer une facture").first.click()
    supplier.set_input_files("#fichier", str(xml))
    supplier.select_option("#syntaxe", "IN_DP_E1_CII_16B")
    supplier.get_by_role("button", name="Déposer").click()
    supplier.wait_for_url("**/factures/emises")
    assert "en attente de traitement" in supplier.content()
    advance = requests.put(f"{base_url}/_sandbox/clock",
                           json={"advance": f"{chorus.factures_delay() + 1:g}s"}, timeout=10)
    assert advance.status_code == 200
    row = supplier.locator(f'tr[data-numero="{numero}"] td.statut')

    def shown() -> bool:
        supplier.reload()
        return row.count() == 1 and row.inner_text() == "Mise à disposition"

    wait_until(shown, 30, "the invoice is shown Mise à disposition", interval=0.5)

    account = chorus.signup()
    with db.new_session() as s:
        user = s.scalar(select(User).where(User.login == account.login))
        attach(s, user, s.scalars(select(Structure).where(Structure.identifiant == ETAT)).first())
        s.commit()
    recipient = page_factory(javascript=False)
    _login(recipient, account.login, account.password)
    recipient.get_by_role("link", name="Factures reçues").first.click()
    line = recipient.locator(f'tr[data-numero="{numero}"]')
    line.locator("select[name=nouveau_statut]").select_option("REJETEE")
    line.locator("input[name=motif]").fill("Bon de commande absent")
    line.get_by_role("button", name="Traiter").click()
    recipient.wait_for_url("**/factures/recues")
    assert "Rejetée" in recipient.locator(f'tr[data-numero="{numero}"] td.statut').inner_text()

    supplier.reload()
    assert row.inner_text() == "Rejetée"
