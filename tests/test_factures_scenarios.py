"""Scenario recipients and flux markers (issue #22.2), for clients that cannot call the
control plane: a flux deposited to each scenario recipient reaches its scripted end with
only the clock moved (advanced, or running), a works invoice to the works recipient goes
MOE -> MOA -> paid; markers in a file name or an invoice number
select the flux's outcome. Each test starts from a reset (the scripts are seeded lifecycle
policies; other tests remove every policy)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
import requests
from factures_support import SOUMETTRE_LINES
from sqlalchemy import select

from sandbox.factures.rules.scenarios import SCENARIOS
from sandbox.models import Structure
from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT
from sandbox.stack import wait_until
from sandbox.testing.portal import find_form

BY_KEY = {s.key: s for s in SCENARIOS}


@pytest.fixture
def api(chorus_reset):
    yield chorus_reset.technical_client()
    chorus_reset.set_clock(0, rate=1)


def _deposit(chorus, api, destinataire: str, service: str | None, *, numero: str | None = None,
             nom: str | None = None) -> tuple[str, dict]:
    numero = numero or f"SCN-{uuid.uuid4().hex[:10].upper()}"
    supplier = chorus.credentials()["structure"]["identifiant"]
    xml = ex.cii(ex.Example(numero, supplier, destinataire, service=service))
    flux = chorus.deposit_invoice(api, xml, nom or f"{numero}.xml", "IN_DP_E1_CII_16B")
    return numero, chorus.wait_flux(api, flux)


def _facture(chorus, numero: str) -> dict:
    answer = requests.get(f"{chorus.url}/_sandbox/factures/factures",
                          params={"numeroFacture": numero}, timeout=10)
    assert answer.status_code == 200, answer.text
    (facture,) = answer.json()["factures"]
    return facture


def _reaches(chorus, numero: str, statut: str, *, advance: str | None = "1h1m") -> None:
    if advance:
        chorus.set_clock(advance=advance)
    wait_until(lambda: _facture(chorus, numero)["statut"] == statut, 30,
               f"{numero} {statut}", interval=0.2)


def _received(chorus, api, key: str) -> str:
    scenario = BY_KEY[key]
    numero, cr = _deposit(chorus, api, scenario.identifiant, scenario.service[0])
    assert cr["etatCourantDepotFlux"] == "IN_INTEGRE", cr
    _reaches(chorus, numero, "MISE_A_DISPOSITION", advance=None)
    return numero


def test_suspended_then_completed_then_paid_as_the_clock_advances(chorus_reset, api):
    chorus = chorus_reset
    numero = _received(chorus, api, "suspendue")
    chorus.set_clock(advance="50m")
    assert _facture(chorus, numero)["statut"] == "MISE_A_DISPOSITION"  # not due yet
    _reaches(chorus, numero, "SUSPENDUE", advance="11m")
    _reaches(chorus, numero, "COMPLETEE")
    _reaches(chorus, numero, "MISE_EN_PAIEMENT")
    history = _facture(chorus, numero)["historique"]
    assert [h["statut"] for h in history][-4:] == [
        "MISE_A_DISPOSITION", "SUSPENDUE", "COMPLETEE", "MISE_EN_PAIEMENT"]
    assert "bon de livraison" in history[-3]["commentaire"]


def test_rejected_with_its_motif(chorus_reset, api):
    chorus = chorus_reset
    numero = _received(chorus, api, "rejetee")
    _reaches(chorus, numero, "REJETEE")
    last = _facture(chorus, numero)["historique"][-1]
    assert last["statut"] == "REJETEE" and "engagement inconnu" in last["commentaire"]
    chorus.set_clock(advance="30d")  # the end of the script: nothing moves it further
    assert _facture(chorus, numero)["statut"] == "REJETEE"


def test_paid_on_a_running_clock_with_no_other_move(chorus_reset, api):
    chorus = chorus_reset
    numero = _received(chorus, api, "payee")
    chorus.set_clock(rate=3600)  # an hour each real second: the two steps in ~2 s
    _reaches(chorus, numero, "MISE_EN_PAIEMENT", advance=None)
    statuts = [h["statut"] for h in _facture(chorus, numero)["historique"]]
    assert statuts[-3:] == ["MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT"]


def test_refused_by_its_validator(chorus_reset, api, db_session):
    """An A9 invoice keyed in through soumettre (the validator: a structure of a signup)."""
    chorus = chorus_reset
    scenario = BY_KEY["refus-valideur"]
    own = chorus.credentials()["structure"]["identifiant"]
    supplier_id = db_session.scalar(select(Structure.id).where(Structure.identifiant == own))
    validator = chorus.signup()
    numero = f"SCV{uuid.uuid4().hex[:10].upper()}"
    answer = api.post("/cpro/factures/v1/soumettre", json={
        "modeDepot": "SAISIE_API", "numeroFactureSaisi": numero, "dateFacture": "2026-11-30",
        "destinataire": {"codeDestinataire": scenario.identifiant,
                         "codeServiceExecutant": scenario.service[0]},
        "fournisseur": {"idFournisseur": supplier_id},
        "cadreDeFacturation": {"codeCadreFacturation": "A9_FACTURE_SOUSTRAITANT",
                               "codeStructureValideur": validator.identifiant},
        **SOUMETTRE_LINES,
    })
    assert answer.status_code == 200 and answer.json()["codeRetour"] == 0, answer.text
    _reaches(chorus, numero, "A_VALIDER_1", advance=None)
    _reaches(chorus, numero, "REFUSEE_1")
    last = _facture(chorus, numero)["historique"][-1]
    assert last["statut"] == "REFUSEE_1" and "non conformes" in last["commentaire"]


def test_a_flux_to_the_incident_recipient_ends_in_incident(chorus_reset, api):
    scenario = BY_KEY["incident"]
    _, cr = _deposit(chorus_reset, api, scenario.identifiant, scenario.service[0])
    assert cr["etatCourantDepotFlux"] == "IN_INCIDENTE", cr


@pytest.mark.parametrize(("numero", "nom", "etat"), [
    ("SCN-{u}-SBX-INCIDENT", None, "IN_INCIDENTE"),
    ("SCN-{u}", "facture-sbx-rejet-{u}.xml", "IN_REJETE"),
    ("SCN-{u}-SBX-REJET", "facture-SBX-INCIDENT-{u}.xml", "IN_INCIDENTE"),  # incident wins
    ("SCN-{u}", None, "IN_INTEGRE"),  # no marker: judged as usual
])
def test_markers_select_the_flux_outcome(chorus_reset, api, numero, nom, etat):
    u = uuid.uuid4().hex[:8].upper()
    _, cr = _deposit(chorus_reset, api, ETAT, "SFACETAT", numero=numero.format(u=u),
                     nom=nom.format(u=u) if nom else None)
    assert cr["etatCourantDepotFlux"] == etat, cr


def test_the_scenario_recipients_are_listed_for_the_client(chorus_reset, base_url):
    credentials = requests.get(f"{base_url}/_sandbox/credentials", timeout=10).json()
    listed = {r["identifiant"]: r for r in credentials["scenario_recipients"]
              if "identifiant" in r}
    assert set(listed) == {s.identifiant for s in SCENARIOS}
    assert listed[BY_KEY["rejetee"].identifiant]["fin"] == "REJETEE"
    works = listed[BY_KEY["travaux"].identifiant]
    assert works["fin"] == "MISE_EN_PAIEMENT" and works["code_service"] == "SCENARIO_TRAVAUX"
    assert ("A_ASSOCIER_MOE", "ASSOCIEE") in {
        (e["statutDepart"], e["statutArrivee"]) for e in works["etapes"]}
    assert credentials["flux_markers"] == {"SBX-INCIDENT": "IN_INCIDENTE",
                                           "SBX-REJET": "IN_REJETE"}
    visitor = chorus_reset.portal()
    gestionnaire = credentials["gestionnaire"]
    assert visitor.login(gestionnaire["login"], gestionnaire["password"]).status_code == 303
    page = visitor.get("/qualification/jeu-de-donnees")
    assert page.status_code == 200
    for scenario in SCENARIOS:
        assert f'data-siret="{scenario.identifiant}"' in page.text
        assert scenario.service[0] in page.text
    assert "SBX-INCIDENT" in page.text and "travaux" in page.text


# --- the works recipient: MOE -> MOA -> paid, on its script's policies alone ---------------

TRA = "/cpro/facturesTravaux/v1"


def _works_row(page: str, numero: str) -> str:
    match = re.search(rf'<tr data-numero="{re.escape(numero)}" data-statut="([A-Z_]+)"', page)
    return match.group(1) if match else ""


def _next_document(chorus, numero: str, role: str) -> str:
    """The number of the document the sandbox deposited as ``role`` to associate ``numero``."""
    return f"SBX-{role}-{_facture(chorus, numero)['idFacture']}"


def test_a_works_invoice_goes_moe_then_moa_then_paid_as_the_clock_advances(
        chorus_reset, api, db_session):
    """An A4 keyed in through facturesTravaux/v1/soumettre, naming the scenario structure as
    MOA and as MOE: the sandbox plays the MOE (its état d'acompte A15), then the MOA (its
    état d'acompte validé A19), which is then paid."""
    chorus = chorus_reset
    scenario = BY_KEY["travaux"]
    own = chorus.credentials()["structure"]["identifiant"]
    supplier_id = db_session.scalar(select(Structure.id).where(Structure.identifiant == own))
    numero = f"SCT{uuid.uuid4().hex[:10].upper()}"
    answer = api.post(f"{TRA}/soumettre", json={
        "cadreDeFacturation": {"codeCadreFacturation": "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"},
        "numeroFactureTravaux": numero,
        "fournisseur": {"idFournisseur": supplier_id},
        "destinataire": {"codeDestinataire": scenario.identifiant,
                         "codeServiceExecutant": scenario.service[0]},
        "identifiantStructureMoe": scenario.identifiant,
        "montantTotal": {"montantHtTotal": 1000, "montantTVA": 200, "montantTtcTotal": 1200}})
    assert answer.status_code == 200 and answer.json()["codeRetour"] == 0, answer.text
    assert answer.json()["statutFactureTravaux"] == "A_ASSOCIER_MOE"

    chorus.set_clock(advance="50m")
    assert _facture(chorus, numero)["statut"] == "A_ASSOCIER_MOE"  # not due yet
    _reaches(chorus, numero, "ASSOCIEE", advance="11m")
    moe = _next_document(chorus, numero, "MOE")
    etat = _facture(chorus, moe)
    assert etat["statut"] == "A_ASSOCIER_MOA"
    assert etat["cadreFacturation"] == "A15_ETAT_ACOMPTE_MOE"
    assert Decimal(etat["montantTTC"]) == Decimal(_facture(chorus, numero)["montantTTC"]) == 1200
    _reaches(chorus, moe, "ASSOCIEE")
    moa = _next_document(chorus, moe, "MOA")
    assert _facture(chorus, moa)["cadreFacturation"] == "A19_ETAT_ACOMPTE_VALIDE_MOA"
    assert _facture(chorus, moa)["statut"] == "MISE_A_DISPOSITION"
    _reaches(chorus, moa, "MANDATEE")
    _reaches(chorus, moa, "MISE_EN_PAIEMENT")
    statuts = [h["statut"] for h in _facture(chorus, moa)["historique"]]
    assert statuts[-3:] == ["MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT"]
    # The dossier, as the titulaire reads it over the API: its projet, the MOE's, the MOA's.
    fresh = chorus.technical_client()  # the first token expired while the clock moved
    dossier = fresh.post(f"{TRA}/consulter/dossierfacturation",
                       json={"idFactureTravaux": answer.json()["idFactureTravaux"]})
    assert dossier.status_code == 200 and dossier.json()["codeRetour"] == 0, dossier.text
    assert [(d["numeroFactureTravaux"], d["statutFactureTravaux"])
            for d in dossier.json()["listeFactureTravaux"]] == [
        (numero, "ASSOCIEE"), (moe, "ASSOCIEE"), (moa, "MISE_EN_PAIEMENT")]
    chorus.set_clock(advance="30d")  # the end of the script: nothing moves it further
    assert _facture(chorus, moa)["statut"] == "MISE_EN_PAIEMENT"
    assert _facture(chorus, numero)["statut"] == "ASSOCIEE"


def test_a_works_flux_deposited_through_the_portal_is_paid_on_a_running_clock(chorus_reset):
    """An A5 (the titulaire's état d'acompte: no MOE) in a flux uploaded on the portal by
    the seeded gestionnaire; a running clock only: the MOA's A19 is paid, as the
    titulaire's "Factures de travaux" page shows."""
    chorus = chorus_reset
    scenario = BY_KEY["travaux"]
    credentials = chorus.credentials()
    numero = f"SCP-{uuid.uuid4().hex[:10].upper()}"
    content = ex.cii(ex.Example(numero, credentials["structure"]["identifiant"],
                                scenario.identifiant, service=scenario.service[0], cadre="A5"))
    supplier = chorus.portal()
    gestionnaire = credentials["gestionnaire"]
    assert supplier.login(gestionnaire["login"], gestionnaire["password"]).status_code == 303
    form = find_form(supplier.get("/factures/deposer").text, "/factures/deposer")
    uploaded = supplier.http.post(
        supplier.url("/factures/deposer"),
        data={"csrf_token": form.fields["csrf_token"], "syntaxe": "IN_DP_E1_CII_16B"},
        files={"fichier": (f"{numero}.xml", content, "application/xml")},
        allow_redirects=False, timeout=30)
    assert uploaded.status_code == 303, uploaded.text[:300]
    try:
        chorus.set_clock(rate=3600)  # an hour each real second: the flux, then 3 steps
        wait_until(lambda: _works_row(supplier.get("/factures/travaux").text, numero)
                   == "ASSOCIEE", 60, f"{numero} associated by the MOA", interval=0.3)
        moa = _next_document(chorus, numero, "MOA")
        wait_until(lambda: _works_row(supplier.get("/factures/travaux").text, moa)
                   == "MISE_EN_PAIEMENT", 60, f"{moa} paid", interval=0.3)
    finally:
        chorus.set_clock(0, rate=1)
    assert _facture(chorus, moa)["cadreFacturation"] == "A19_ETAT_ACOMPTE_VALIDE_MOA"
    statuts = [h["statut"] for h in _facture(chorus, numero)["historique"]]
    assert statuts[-2:] == ["A_ASSOCIER_MOA", "ASSOCIEE"]
