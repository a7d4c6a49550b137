"""The portal's Factures pages over HTTP against the session's stack: the seeded
gestionnaire deposits a file through "Déposer une facture", sees its flux and invoice in
"Factures émises" once the clock has moved; a user of the recipient structure rejects it
from "Factures reçues" (motif required); bad uploads get a French error and store nothing.

The one set-up done in the database: the recipient user's rattachement to the permanent
recipient structure (as its gestionnaire would validate it)."""

from __future__ import annotations

import re
import uuid

import pytest
from api_factories import attach
from sqlalchemy import select

from sandbox import db
from sandbox.models import Structure, User
from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT
from sandbox.stack import wait_until
from sandbox.testing.portal import PortalClient, find_form


def _csrf(visitor: PortalClient, page: str) -> str:
    answer = visitor.get(page)
    assert answer.status_code == 200, answer.text[:300]
    return find_form(answer.text, page).fields["csrf_token"]


def _upload(visitor: PortalClient, content: bytes, name: str, syntaxe: str):  # noqa: ANN202
    return visitor.http.post(
        visitor.url("/factures/deposer"),
        data={"csrf_token": _csrf(visitor, "/factures/deposer"), "syntaxe": syntaxe},
        files={"fichier": (name, content, "application/xml")},
        allow_redirects=False,
        timeout=30,
    )


def _row(html: str, numero: str) -> str:
    match = re.search(rf'<tr data-numero="{re.escape(numero)}" data-statut="([A-Z_]+)"', html)
    return match.group(1) if match else ""


@pytest.fixture
def supplier(chorus) -> PortalClient:  # noqa: ANN001
    gp = chorus.credentials()["gestionnaire"]
    visitor = chorus.portal()
    assert visitor.login(gp["login"], gp["password"]).status_code == 303
    return visitor


def test_deposit_follow_and_reject_through_the_portal(chorus, supplier):  # noqa: ANN001
    numero = f"PRT-{uuid.uuid4().hex[:10].upper()}"
    siret = chorus.credentials()["structure"]["identifiant"]
    content = ex.cii(
        ex.Example(numero, siret, ETAT, service="SFACETAT", destinataire_nom="Destinataire Etat")
    )
    menu = supplier.get("/mon-compte").text
    assert "Factures émises" in menu and "Factures reçues" in menu
    answer = _upload(supplier, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/factures/emises")
    page = supplier.get("/factures/emises").text
    assert "déposé" in page and "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP" in page
    chorus.set_clock(advance=f"{chorus.factures_delay() + 1:g}s")
    wait_until(
        lambda: _row(supplier.get("/factures/emises").text, numero) == "MISE_A_DISPOSITION",
        30,
        "the deposited invoice is integrated",
        interval=0.3,
    )
    assert "Mise à disposition" in supplier.get("/factures/emises").text

    recipient_account = chorus.signup()
    with db.new_session() as s:
        user = s.scalar(select(User).where(User.login == recipient_account.login))
        etat = s.scalars(select(Structure).where(Structure.identifiant == ETAT)).first()
        attach(s, user, etat)
        s.commit()
    recipient = chorus.portal()
    assert recipient.login(recipient_account.login, recipient_account.password).status_code == 303
    received = recipient.get("/factures/recues").text
    assert _row(received, numero) == "MISE_A_DISPOSITION"
    action = re.search(rf'data-numero="{numero}".*?action="([^"]+/traiter)"', received, re.S)
    assert action, "a traiter form for the invoice"
    no_motif = recipient.post(action.group(1), {"nouveau_statut": "REJETEE", "motif": ""})
    assert no_motif.status_code == 303
    page = recipient.get("/factures/recues").text
    assert "motif est obligatoire" in page and _row(page, numero) == "MISE_A_DISPOSITION"
    forbidden = recipient.post(action.group(1), {"nouveau_statut": "DEPOSEE", "motif": "x"})
    assert forbidden.status_code == 303
    assert "pas autorisé" in recipient.get("/factures/recues").text
    rejected = recipient.post(
        action.group(1), {"nouveau_statut": "REJETEE", "motif": "Bon de commande absent"}
    )
    assert rejected.status_code == 303
    assert _row(recipient.get("/factures/recues").text, numero) == "REJETEE"
    emises = supplier.get("/factures/emises").text
    assert _row(emises, numero) == "REJETEE" and "Bon de commande absent" in emises


@pytest.mark.parametrize(
    ("content", "name", "syntaxe", "expected"),
    [
        (b"", "vide.xml", "IN_DP_E1_UBL_INVOICE", "est vide"),
        (b"<x/>", "sans-extension", "IN_DP_E1_UBL_INVOICE", "nom"),
        (b"<x/>", "f.xml", "PAS_UNE_SYNTAXE", "Syntaxe inconnue"),
    ],
)
def test_bad_uploads_are_refused_in_french(supplier, content, name, syntaxe, expected):  # noqa: ANN001
    before = supplier.get("/factures/emises").text.count("data-flux=")
    answer = _upload(supplier, content, name, syntaxe)
    assert answer.status_code == 400
    assert expected.lower() in answer.text.lower()
    assert supplier.get("/factures/emises").text.count("data-flux=") == before


def test_pages_need_a_login_and_a_csrf_token(chorus, supplier):  # noqa: ANN001
    anonymous = chorus.portal()
    for page in ("/factures/emises", "/factures/deposer", "/factures/recues"):
        assert anonymous.get(page, allow_redirects=False).status_code in (302, 303)
    stale = supplier.http.post(
        supplier.url("/factures/deposer"),
        data={"syntaxe": "IN_DP_E1_CII_16B"},
        files={"fichier": ("f.xml", b"<x/>")},
        allow_redirects=False,
        timeout=30,
    )
    assert stale.status_code == 400


def test_a_rejected_deposit_is_explained_on_the_portal(chorus, supplier):  # noqa: ANN001
    """Beyond the real CR: the rule, the element with its line and column, why, how to fix,
    in French, on "Factures émises"."""
    numero = f"PRX-{uuid.uuid4().hex[:10].upper()}"
    siret = chorus.credentials()["structure"]["identifiant"]
    content = ex.cii(ex.Example(numero, siret, ETAT, service="SFACETAT", prix_brut="sans-remise",
                                destinataire_nom="Destinataire Etat"))
    answer = _upload(supplier, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    assert answer.status_code == 303
    chorus.set_clock(advance=f"{chorus.factures_delay() + 1:g}s")
    flux = re.compile(r'<tr data-flux="(\w+)" data-etat="IN_REJETE">(?:(?!</tr>).)*'
                      + re.escape(f"{numero}.xml") + r"(?:(?!</tr>).)*</tr>", re.S)
    wait_until(lambda: flux.search(supplier.get("/factures/emises").text) is not None, 30,
               "the deposit is rejected", interval=0.3)
    row = flux.search(supplier.get("/factures/emises").text).group(0)
    assert "AppliedTradeAllowanceCharge.ActualAmount.value) est obligatoire si" in row
    assert row.count('data-regle="GES-16"') == 2  # one per line with a gross price
    assert "Pourquoi : Cette ligne donne un prix brut" in row
    assert "Comment corriger : Ajoutez AppliedTradeAllowanceCharge" in row
    assert re.search(r"ligne 2, colonne \d+ du fichier", row)  # after the XML declaration
