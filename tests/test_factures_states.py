"""Intermediate flux states (issue #20.3), over HTTP: a flux (or a supplier's deposits) asked
to play the platform's other states shows them through ``consulterCR`` in the reference's
order, one per step of the sandbox clock; the default stays what qualification shows;
IN_RECU before a rejection only when asked for (it makes Tryton call the flux a success).
"""

from __future__ import annotations

import uuid

import pytest
import requests

from sandbox.config import load_settings
from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT
from sandbox.stack import wait_until

CR = "/cpro/transverses/v1/consulterCR"
TERMINAL = {"IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE", "IN_INCIDENTE"}
DEPOT = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
# SANDBOX_FACTURES_FLUX_STATE_SECONDS: each step lasts that long on the sandbox clock, which
# also moves with real time; far longer than a poll takes, so no state goes unseen.
STEP = load_settings().factures_flux_state_seconds
PIPELINE_OK = [DEPOT, "IN_RECU", "IN_TRAITE_SE_CPP", "IN_EN_ATTENTE_TRAITEMENT_CPP",
               "IN_EN_COURS_TRAITEMENT_CPP", "IN_INTEGRE"]


@pytest.fixture
def api(chorus):
    return chorus.technical_client()


def _file(chorus, **changes) -> tuple[str, bytes]:
    numero = f"ETA{uuid.uuid4().hex[:10].upper()}"
    siret = chorus.credentials()["structure"]["identifiant"]
    return numero, ex.cii(ex.Example(numero, siret, ETAT, service="SFACETAT", **changes))


def _state(api, numero: str) -> dict:
    body = api.post(CR, json={"numeroFluxDepot": numero}, timeout=30).json()
    assert body["codeRetour"] == 0, body
    return body


def _play(chorus, api, numero: str) -> list[str]:
    """Move the clock one step at a time until the flux ends; return the states it played
    (the control plane's ``etatsVus``, after its first state). Every state ``consulterCR``
    showed on the way is one of them, in that order (a poll may miss a state only if the
    box stalls for a whole step of real time)."""
    seen = [_state(api, numero)["etatCourantFlux"]]
    step = chorus.factures_delay() + 1
    while seen[-1] not in TERMINAL:
        assert len(seen) < 10, seen
        chorus.set_clock(advance=f"{step:g}s")
        step = STEP + 1
        wait_until(lambda: _state(api, numero)["etatCourantFlux"] != seen[-1], 30,
                   f"flux {numero} leaves {seen[-1]}", interval=0.2)
        seen.append(_state(api, numero)["etatCourantFlux"])
    played = [e["etat"] for e in requests.get(
        f"{chorus.url}/_sandbox/factures/flux", timeout=30,
        params={"numeroFluxDepot": numero}).json()["flux"][0]["etatsVus"]]
    remaining = iter(played)
    assert all(state in remaining for state in seen[1:]), (seen, played)
    return [seen[0], *played[len(played) - _after(played, seen[0]):]]


def _after(played: list[str], first: str) -> int:
    """How many states were played after ``first`` (the state the flux was in when the
    caller started watching it)."""
    return len(played) - (played.index(first) + 1) if first in played else len(played)


def _detail(api, numero: str) -> dict:
    return api.post("/cpro/transverses/v1/consulterCRDetaille", json={"numeroFluxDepot": numero},
                    timeout=30).json()


def test_the_default_is_what_qualification_shows(chorus, api):
    numero, content = _file(chorus)
    flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    assert _play(chorus, api, flux) == [DEPOT, "IN_INTEGRE"]


def test_a_flux_plays_the_pipeline_in_the_reference_order(chorus, api):
    numero, content = _file(chorus)
    flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    chorus.set_flux_states(flux, "pipeline")
    assert _play(chorus, api, flux) == PIPELINE_OK
    listed = requests.get(f"{chorus.url}/_sandbox/factures/flux",
                          params={"numeroFluxDepot": flux}, timeout=30).json()["flux"][0]
    assert [e["etat"] for e in listed["etatsVus"]] == PIPELINE_OK[1:]
    assert listed["modeEtats"] == "pipeline"


def test_a_rejection_never_shows_recu_unless_asked(chorus, api):
    numero, content = _file(chorus, codes_tva=False)
    flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    chorus.set_flux_states(flux, "pipeline")
    seen = [_state(api, flux)["etatCourantFlux"]]
    chorus.set_clock(advance=f"{chorus.factures_delay() + 1:g}s")
    wait_until(lambda: _state(api, flux)["etatCourantFlux"] != DEPOT, 30, "first step")
    # No CR error before the end.
    assert _detail(api, flux)["listeErreurDP"] == []
    seen += _play(chorus, api, flux)
    assert seen == [DEPOT, "IN_EN_ATTENTE_TRAITEMENT_CPP", "IN_EN_COURS_TRAITEMENT_CPP",
                    "IN_REJETE"]
    assert "TypeCode.value est obligatoire" in _detail(api, flux)["listeErreurDP"][0][
        "libelleErreurDP"]

    numero, content = _file(chorus, codes_tva=False)
    flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    chorus.set_flux_states(flux, "recu-avant-rejet")
    assert _play(chorus, api, flux) == [
        DEPOT, "IN_RECU", "IN_TRAITE_SE_CPP", "IN_EN_ATTENTE_TRAITEMENT_CPP",
        "IN_EN_COURS_TRAITEMENT_CPP", "IN_REJETE"]


def test_a_supplier_option_applies_to_its_deposits(chorus, api):
    siret = chorus.credentials()["structure"]["identifiant"]
    chorus.set_supplier_options(siret, etats_flux="retraitement")
    try:
        numero, content = _file(chorus)
        flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
        assert _play(chorus, api, flux) == [
            DEPOT, "IN_EN_ATTENTE_TRAITEMENT_CPP", "IN_EN_COURS_TRAITEMENT_CPP",
            "IN_EN_ATTENTE_RETRAITEMENT_CPP", "IN_EN_COURS_TRAITEMENT_CPP", "IN_INTEGRE"]
        shown = requests.get(f"{chorus.url}/_sandbox/factures/options/{siret}", timeout=30)
        assert shown.json() == {"fournisseur": siret, "etatsFlux": "retraitement",
                                "strict": None}
    finally:
        requests.delete(f"{chorus.url}/_sandbox/factures/options/{siret}", timeout=30)
    assert requests.get(f"{chorus.url}/_sandbox/factures/options/{siret}",
                        timeout=30).json()["etatsFlux"] is None


def test_bad_requests_change_nothing(chorus, api):
    numero, content = _file(chorus)
    flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    base = f"{chorus.url}/_sandbox/factures"
    for body in ({"mode": "tout"}, {"mode": None}, {}, {"mode": "pipeline", "x": 1}):
        answer = requests.put(f"{base}/flux/{flux}/etats", json=body, timeout=30)
        assert answer.status_code == 400 and "error" in answer.json(), answer.text
    assert requests.put(f"{base}/flux/CPP0000/etats", json={"mode": "pipeline"},
                        timeout=30).status_code == 404
    assert requests.put(f"{base}/options/00000000000000", json={"etatsFlux": "pipeline"},
                        timeout=30).status_code == 404
    assert requests.put(f"{base}/options/{chorus.credentials()['structure']['identifiant']}",
                        json={"etatsFlux": "jamais"}, timeout=30).status_code == 400
    assert _play(chorus, api, flux) == [DEPOT, "IN_INTEGRE"]
    late = requests.put(f"{base}/flux/{flux}/etats", json={"mode": "pipeline"}, timeout=30)
    assert late.status_code == 409, late.text
