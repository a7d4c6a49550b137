"""deposer/flux -> consulterCR(Detaille) -> rechercher/fournisseur -> consulter/historique,
over HTTP against the session stack, with a real technical account.

Every example flux of ``fixtures/factures`` (rendered for this module's supplier) is
deposited, the sandbox clock is moved past the integration delay, and each flux must
reach the state its case says, with the expected error for the rejected ones.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from api_factories import tag, tech_client
from factures_flux import (
    CONSULTER,
    CR,
    CR_DETAILLE,
    DEPOSER,
    HISTORIQUE,
    RECHERCHER,
    advance_clock,
    deposit,
    invoices_of,
    wait_terminal,
)
from sqlalchemy import func, select

from sandbox.config import load_settings
from sandbox.factures.formats import read_flux
from sandbox.factures.models import Flux
from sandbox.seeding.invoice_cases import cases, write_fixtures
from sandbox.vocabulary import EtatFlux, StatutFacture

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "factures"
DELAY = load_settings().factures_integration_delay + 1


@pytest.fixture(scope="module")
def api(base_url, world):
    return tech_client(base_url, world)


@pytest.fixture(scope="module")
def outcomes(base_url, api, world):
    """Deposit every case (those with a prerequisite once it is integrated) and wait."""
    all_cases = cases(world.own.identifiant, prefix=tag())
    done: dict[str, tuple] = {}
    for phase in (False, True):
        batch = [c for c in all_cases if (c.after is not None) == phase]
        deposits = {c.name: deposit(api, c.content, c.fichier, c.syntaxe) for c in batch}
        advance_clock(base_url, DELAY)
        for c in batch:
            numero = deposits[c.name]["numeroFluxDepot"]
            done[c.name] = (c, deposits[c.name], wait_terminal(api, numero))
    return done


CASE_NAMES = [c.name for c in cases("00000000000000")]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_each_example_flux_reaches_its_state(name, outcomes, api):
    case, answer, cr = outcomes[name]
    assert answer["libelle"] == "GCU_MSG_01_000"
    assert answer["syntaxeFlux"] == case.syntaxe
    assert cr["etatCourantDepotFlux"] == case.etat, cr
    texts = [e["libelleErreurDP"] for e in cr["listeErreurDP"]]
    texts += [e["libelleErreur"] for e in cr["listeErreurTechnique"]]
    if case.erreur:
        assert any(case.erreur in text for text in texts), texts
    else:
        assert texts == []
    found = invoices_of(api, answer["numeroFluxDepot"])
    assert sorted(f["numeroFacture"] for f in found) == sorted(case.numeros)
    for facture in found:
        assert facture["statut"] == StatutFacture.MISE_A_DISPOSITION
        assert facture["numeroFluxDepot"] == answer["numeroFluxDepot"]


def test_a_rejected_invoice_names_its_parties_and_number(outcomes):
    case, _answer, cr = outcomes["reject-service-required"]
    (error,) = cr["listeErreurDP"]
    assert error["identifiantDestinataire"] == "12345678200028"
    assert error["numeroDP"].endswith("-SERV")
    assert error["libelleErreurDP"] == (
        "L'element FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement."
        "BuyerReference.value est obligatoire."
    )
    xsd = outcomes["reject-xsd"][2]["listeErreurTechnique"][0]
    assert xsd["codeErreur"] == "ERR_XSD_001"
    assert "'-1 324,60'" in xsd["libelleErreur"] and " - ligne: " in xsd["libelleErreur"]


def test_deposit_answer_has_the_real_shape(outcomes):
    _case, answer, cr = outcomes["ubl-invoice"]
    numero = answer["numeroFluxDepot"]
    assert len(numero) == 25 and numero.startswith("CPP0011100")
    assert set(answer) == {"codeRetour", "libelle", "numeroFluxDepot", "dateDepot", "syntaxeFlux"}
    assert len(answer["dateDepot"]) == 10 and answer["dateDepot"][4] == "-"
    assert cr["codeInterfaceDepotFlux"] == "FSO1100A"
    assert cr["nomFichier"] == f"FSO1100A_CPP001_{numero}"
    assert "numeroFluxDepot" not in cr
    facturx = outcomes["facturx"][1]["numeroFluxDepot"]
    assert facturx.startswith("CPP0011117")


def test_consulter_cr_gives_the_state_and_a_pdf(outcomes, api):
    numero = outcomes["partial"][1]["numeroFluxDepot"]
    # PHP's client sends a misspelt syntaxFluxType key: tolerated.
    body = api.call(CR, {"numeroFluxDepot": numero, "syntaxFluxType": "IN_DP_E1_CII_16B"})
    assert body["codeRetour"] == 0
    assert body["etatCourantFlux"] == EtatFlux.IN_INTEGRE_PARTIEL
    assert body["numeroFluxDepot"] == numero
    assert body["codeInterfaceFlux"] == "FSO1106A"
    assert body["nomFichierFlux"] == f"FSO1106A_CPP001_{numero}"
    assert body["dateDepotFlux"][10] == "T" and body["dateDepotFlux"][-6] in "+-"
    assert "." in body["dateHeureEtatCourantFlux"]  # milliseconds
    pdf = base64.b64decode(body["fichierCR"])
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_unknown_or_foreign_flux_is_introuvable(outcomes, base_url):
    numero = outcomes["ubl-invoice"][1]["numeroFluxDepot"]
    api = tech_client(base_url, _other_world())
    for path in (CR, CR_DETAILLE):
        for asked in ("CPP0011100999999999999999", numero):
            body = api.call(path, {"numeroFluxDepot": asked})
            assert body == {"codeRetour": 20001, "libelle": "POQ_MSG_01.003 - Flux introuvable."}


def _other_world():
    from api_factories import build_world

    from sandbox import db

    with db.new_session() as s:
        return build_world(s)


def test_history_lists_the_platform_statuses_most_recent_first(outcomes, api):
    numero = outcomes["ubl-invoice"][1]["numeroFluxDepot"]
    (facture,) = invoices_of(api, numero)
    body = api.call(HISTORIQUE, {"idFacture": facture["identifiantFactureCPP"]})
    assert body["codeRetour"] == 0
    assert body["idFacture"] == facture["identifiantFactureCPP"]
    assert body["statutCourantCode"] == StatutFacture.MISE_A_DISPOSITION
    codes = [h["histoStatutCode"] for h in body["historiquesDesStatuts"]["histoStatut"]]
    assert codes == ["MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT", "DEPOSEE"]
    detail = api.call(CONSULTER, {"identifiantFactureCPP": facture["identifiantFactureCPP"]})
    assert detail["codeRetour"] == 0
    assert detail["facture"]["numeroFacture"] == facture["numeroFacture"]


def _count_flux(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(Flux))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"fichierFlux": "pas du base64 !"}, 20400),
        ({"fichierFlux": "PD94bWw\nnPz4="}, 20400),  # line breaks: not strict base64
        ({"fichierFlux": ""}, 20401),
        ({"nomFichier": "facture"}, 20402),
        ({"nomFichier": "facture."}, 20402),
    ],
)
def test_a_refused_envelope_stores_nothing(api, db_session, change, code):
    before = _count_flux(db_session)
    body = {
        "fichierFlux": base64.b64encode(b"<Invoice/>").decode(),
        "nomFichier": "f.xml",
        "syntaxeFlux": "IN_DP_E1_UBL_INVOICE",
        **change,
    }
    answer = api.call(DEPOSER, body)
    assert answer["codeRetour"] == code, answer
    assert "numeroFluxDepot" not in answer
    assert _count_flux(db_session) == before


@pytest.mark.parametrize(
    "change",
    [
        {"syntaxeFlux": "IN_DP_E2_UBL_INVOICE"},
        {"nomFichier": "x" * 201 + ".xml"},
        {"nomFichier": None},
        {"fichierFlux": None},
    ],
)
def test_an_envelope_outside_the_schema_is_a_400(api, db_session, change):
    before = _count_flux(db_session)
    body = {
        "fichierFlux": "PEludm9pY2UvPg==",
        "nomFichier": "f.xml",
        "syntaxeFlux": "IN_DP_E1_UBL_INVOICE",
    }
    body.update(change)
    answer = api.post(DEPOSER, {k: v for k, v in body.items() if v is not None})
    assert answer.status_code == 400, answer.text
    assert answer.json()["codeRetour"] == 10002
    assert _count_flux(db_session) == before


def test_optional_fields_absent_or_zero_are_accepted(api):
    for extra in (
        {},
        {"idUtilisateurCourant": 0},
        {"idUtilisateurCourant": 0, "avecSignature": True},
    ):
        body = api.call(
            DEPOSER,
            {
                "fichierFlux": "PEludm9pY2UvPg==",
                "nomFichier": "f.xml",
                "syntaxeFlux": "IN_DP_E1_CII_16B",
                **extra,
            },
        )
        assert body["codeRetour"] == 0 and body["numeroFluxDepot"].startswith("CPP0011106")


def test_a_file_over_the_limit_is_refused_and_a_larger_body_is_413(api, db_session):
    limit = load_settings().factures_max_file_bytes
    before = _count_flux(db_session)
    big = base64.b64encode(b"<" * (limit + 1)).decode()
    answer = api.call(
        DEPOSER,
        {"fichierFlux": big, "nomFichier": "gros.xml", "syntaxeFlux": "IN_DP_E1_UBL_INVOICE"},
    )
    assert answer["codeRetour"] == 20403
    huge = api.post(
        DEPOSER,
        {
            "fichierFlux": big + "A" * (limit // 2),
            "nomFichier": "x.xml",
            "syntaxeFlux": "IN_DP_E1_UBL_INVOICE",
        },
    )
    assert huge.status_code == 413
    assert _count_flux(db_session) == before


def test_committed_fixtures_are_the_generator_output(tmp_path):
    """fixtures/factures is what example_cases renders for the default seed (the PDF's
    embedded XML is compared: its dates make the bytes differ)."""
    manifest = write_fixtures(tmp_path)
    committed = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
    assert committed["cas"] == manifest
    for entry in manifest:
        fresh, kept = (
            (tmp_path / entry["fichier"]).read_bytes(),
            (FIXTURES / entry["fichier"]).read_bytes(),
        )
        if entry["fichier"].endswith(".pdf"):
            a = read_flux(entry["syntaxeFlux"], entry["fichier"], fresh)
            b = read_flux(entry["syntaxeFlux"], entry["fichier"], kept)
            assert [i.xml for i in a.invoices] == [i.xml for i in b.invoices]
        else:
            assert fresh == kept, entry["fichier"]


def test_the_committed_example_integrates_as_is_for_the_default_account(chorus_reset):
    """fixtures/factures/cii-16b-facture.xml, unmodified, with the seeded technical account
    (the plugin's helpers: deposit_invoice, wait_flux), on the seeded baseline: a stack
    that already took this file from that account rejects it as a duplicate number (the
    docs' own example, docs/integrators.md, deposits it on the same shared stack)."""
    chorus = chorus_reset
    api = chorus.technical_client()
    content = (FIXTURES / "cii-16b-facture.xml").read_bytes()
    numero = chorus.deposit_invoice(api, content, "cii-16b-facture.xml", "IN_DP_E1_CII_16B")
    cr = chorus.wait_flux(api, numero)
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_INTEGRE, cr
    found = api.post(RECHERCHER, json={"numeroFluxDepot": numero}).json()["listeFactures"]
    assert [f["numeroFacture"] for f in found] == ["FX-CII1"]
