"""Browser journey of "Factures de travaux" (Chromium, Debian's binary, no JavaScript
needed): the titulaire's projet de décompte (deposited over the API) waits for the MOE; a
MOE user opens the page from the menu, associates its état d'acompte with the form of that
row, and sees the projet "Associée" and its own document waiting for the MOA."""

from __future__ import annotations

import pytest
from api_factories import attach, unique_digits
from factures_support import build_scene, make_party
from sqlalchemy import select
from test_portal_browser import browser, page_factory  # noqa: F401 (fixtures)

from sandbox import db
from sandbox.models import Structure, User

pytestmark = pytest.mark.browser


def test_the_moe_associates_its_document_in_chromium(chorus, page_factory, base_url, stack_db):  # noqa: ANN001, F811
    with db.new_session() as s:
        scene = build_scene(s)
        moe_party = make_party(s, public=False)
        s.commit()
    numero = f"BT{unique_digits(10)}"
    deposited = scene.api(base_url, scene.supplier).call(
        "/cpro/facturesTravaux/v1/soumettre", {
            "cadreDeFacturation": {
                "codeCadreFacturation": "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"},
            "numeroFactureTravaux": numero,
            "fournisseur": {"idFournisseur": scene.supplier.structure_id},
            "destinataire": {"codeDestinataire": scene.recipient.identifiant,
                             "codeServiceExecutant": scene.recipient.service_codes[0]},
            "idStructureMoe": moe_party.structure_id,
            "montantTotal": {"montantHtTotal": 800, "montantTVA": 160}})
    assert deposited["codeRetour"] == 0, deposited
    account = chorus.signup()
    with db.new_session() as s:
        user = s.scalar(select(User).where(User.login == account.login))
        attach(s, user, s.get(Structure, moe_party.structure_id))
        s.commit()

    page = page_factory(javascript=False)
    page.goto("/connexion")
    page.fill("#login", account.login)
    page.fill("#password", account.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mon-compte")
    page.get_by_role("link", name="Factures de travaux").first.click()
    page.wait_for_url("**/factures/travaux")
    row = page.locator(f'tr[data-numero="{numero}"]')
    assert row.locator("td.statut").inner_text() == "À associer par la MOE"
    form = row.locator("form.associer")
    form.locator("select[name=cadre]").select_option("A15_ETAT_ACOMPTE_MOE")
    etat = f"EA{unique_digits(8)}"
    form.locator("input[name=numero]").fill(etat)
    form.locator("input[name=montant_ht]").fill("720,00")
    form.locator("input[name=montant_tva]").fill("144,00")
    form.get_by_role("button", name="Associer").click()
    page.wait_for_url("**/factures/travaux")
    assert "est déposé" in page.content()
    assert page.locator(f'tr[data-numero="{numero}"] td.statut').inner_text() == "Associée"
    assert page.locator(f'tr[data-numero="{etat}"]').get_attribute("data-statut") == \
        "A_ASSOCIER_MOA"
