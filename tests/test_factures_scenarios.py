"""Scenario recipients and flux markers (issue #22.2), for clients that cannot call the
control plane: a flux deposited to each scenario recipient reaches its scripted end with
only the clock moved (advanced, or running); markers in a file name or an invoice number
select the flux's outcome. Each test starts from a reset (the scripts are seeded lifecycle
policies; other tests remove every policy)."""

from __future__ import annotations

import uuid

import pytest
import requests
from factures_support import SOUMETTRE_LINES
from sqlalchemy import select

from sandbox.factures.rules.scenarios import SCENARIOS
from sandbox.models import Structure
from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT
from sandbox.stack import wait_until

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
    assert credentials["flux_markers"] == {"SBX-INCIDENT": "IN_INCIDENTE",
                                           "SBX-REJET": "IN_REJETE"}
    assert any("travaux" in r["scenario"] for r in credentials["scenario_recipients"])
    visitor = chorus_reset.portal()
    gestionnaire = credentials["gestionnaire"]
    assert visitor.login(gestionnaire["login"], gestionnaire["password"]).status_code == 303
    page = visitor.get("/qualification/jeu-de-donnees")
    assert page.status_code == 200
    for scenario in SCENARIOS:
        assert f'data-siret="{scenario.identifiant}"' in page.text
        assert scenario.service[0] in page.text
    assert "SBX-INCIDENT" in page.text and "travaux" in page.text
