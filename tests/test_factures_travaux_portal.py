"""The portal's "Factures de travaux" page over HTTP: a MOE user and a MOA user (portal
accounts attached to their structures) each associate their own document to the one that
waits for them, from the page; a refused move gets a French message and changes nothing.

Set-up in the database: the parties (structures with technical accounts) and the two users'
rattachements, as their gestionnaires would validate them; the titulaire's deposit goes
over the API."""

from __future__ import annotations

import html
import re

import pytest
from api_factories import attach, unique_digits
from factures_support import build_scene, make_party
from sqlalchemy import select

from sandbox import db
from sandbox.models import Structure, User
from sandbox.testing.portal import PortalClient

TRA = "/cpro/facturesTravaux/v1"


@pytest.fixture(scope="module")
def scene(stack_db):
    with db.new_session() as s:
        scene = build_scene(s)
        scene.moe = make_party(s, public=False)
        s.commit()
        return scene


def _visitor(chorus, structure_id: int) -> PortalClient:  # noqa: ANN001
    account = chorus.signup()
    with db.new_session() as s:
        user = s.scalar(select(User).where(User.login == account.login))
        attach(s, user, s.get(Structure, structure_id))
        s.commit()
    visitor = chorus.portal()
    assert visitor.login(account.login, account.password).status_code == 303
    return visitor


def _row(html: str, numero: str) -> str:
    match = re.search(rf'<tr data-numero="{re.escape(numero)}" data-statut="([A-Z_]+)"', html)
    return match.group(1) if match else ""


def _id(html: str, numero: str) -> int:
    match = re.search(rf'<tr data-numero="{re.escape(numero)}" data-statut="[A-Z_]+" '
                      r'data-id="(\d+)"', html)
    assert match, f"{numero} is on the page"
    return int(match.group(1))


def test_moe_and_moa_associate_their_documents_from_the_page(chorus, scene, base_url):  # noqa: ANN001
    numero = f"PT{unique_digits(10)}"
    supplier = scene.api(base_url, scene.supplier)
    deposited = supplier.call(f"{TRA}/soumettre", {
        "cadreDeFacturation": {"codeCadreFacturation": "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"},
        "numeroFactureTravaux": numero,
        "fournisseur": {"idFournisseur": scene.supplier.structure_id},
        "destinataire": {"codeDestinataire": scene.recipient.identifiant,
                         "codeServiceExecutant": scene.recipient.service_codes[0]},
        "idStructureMoe": scene.moe.structure_id,
        "montantTotal": {"montantHtTotal": 500, "montantTVA": 100, "montantTtcTotal": 600}})
    assert deposited["codeRetour"] == 0, deposited

    moe = _visitor(chorus, scene.moe.structure_id)
    assert "Factures de travaux" in moe.get("/mon-compte").text
    page = moe.get("/factures/travaux").text
    assert _row(page, numero) == "A_ASSOCIER_MOE"
    assert "Maîtrise d'œuvre (MOE)" in html.unescape(page)
    a4 = _id(page, numero)
    # A wrong amount: a French message, nothing deposited, nothing moved.
    bad = moe.post(f"/factures/travaux/{a4}/associer", {
        "cadre": "A15_ETAT_ACOMPTE_MOE", "numero": f"EA{unique_digits(8)}",
        "montant_ht": "beaucoup", "montant_tva": "0"})
    assert bad.status_code == 303
    page = moe.get("/factures/travaux").text
    assert "n'est pas un nombre" in html.unescape(page) and _row(page, numero) == "A_ASSOCIER_MOE"
    # The MOE's état d'acompte, associated from the page.
    etat = f"EA{unique_digits(8)}"
    done = moe.post(f"/factures/travaux/{a4}/associer", {
        "cadre": "A15_ETAT_ACOMPTE_MOE", "numero": etat, "montant_ht": "450,50",
        "montant_tva": "90,10"})
    assert done.status_code == 303
    page = moe.get("/factures/travaux").text
    assert "est déposé" in page
    assert _row(page, numero) == "ASSOCIEE" and _row(page, etat) == "A_ASSOCIER_MOA"

    moa = _visitor(chorus, scene.recipient.structure_id)
    page = moa.get("/factures/travaux").text
    assert _row(page, etat) == "A_ASSOCIER_MOA"
    assert _row(page, numero) == "ASSOCIEE"  # the MOE stage is over: the MOA sees it
    # The MOA may not take the MOE's move (prendre en compte): refused in French.
    refused = moa.post(f"/factures/travaux/{_id(page, etat)}/prendre", {})
    assert refused.status_code == 303
    page = moa.get("/factures/travaux").text
    assert "revient à" in page and _row(page, etat) == "A_ASSOCIER_MOA"
    valide = f"EV{unique_digits(8)}"
    moa.post(f"/factures/travaux/{_id(page, etat)}/associer", {
        "cadre": "A19_ETAT_ACOMPTE_VALIDE_MOA", "numero": valide, "montant_ht": "450.50",
        "montant_tva": "90.10"})
    page = moa.get("/factures/travaux").text
    assert _row(page, etat) == "ASSOCIEE" and _row(page, valide) == "MISE_A_DISPOSITION"
    # ... and pays it from "Factures reçues", as any invoice.
    assert _row(moa.get("/factures/recues").text, valide) == "MISE_A_DISPOSITION"


def test_the_page_needs_a_login(chorus):  # noqa: ANN001
    answer = chorus.portal().get("/factures/travaux", allow_redirects=False)
    assert answer.status_code in (302, 303) and "/connexion" in answer.headers["Location"]
