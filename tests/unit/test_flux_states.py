"""A flux's states (sandbox/factures/rules/flux.py), in-process on a real SQLite database:
the intermediate states each mode plays for each way a flux ends (iterating over
``SEQUENCES``), how a flux ends, and what the control plane forces.

tests/test_factures_states.py keeps what crosses HTTP (the worker's pace, the CR read back
through consulterCR).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from factures_support import make_facture
from sqlalchemy import select

from sandbox.factures.models import Facture, Flux
from sandbox.factures.rules.flux import (
    FORCED_REJECTION,
    INCIDENT,
    KINDS,
    MODES,
    NOT_TERMINAL,
    OBSERVE,
    SEQUENCES,
    TERMINAL,
    WAITING,
    Outcome,
    end,
    force,
    forced_outcome,
    incident,
    next_step,
    plan,
    rapport,
    start_plan,
)
from sandbox.vocabulary import EtatFlux

AT = datetime(2026, 3, 2, 9, 0)
STEP = 30.0
ERREUR_DP = {"identifiantDestinataire": "1", "identifiantFournisseur": "2",
             "libelleErreurDP": "L'element (x) est obligatoire.", "numeroDP": "F1"}
ERREUR_XSD = {"codeErreur": "ERR_XSD_001", "libelleErreur": "ligne 1", "natureErreur": "BLOQUANTE"}
# One outcome per way a flux ends, and the kind the worker reads from it.
OUTCOMES = {
    "integre": Outcome(EtatFlux.IN_INTEGRE),
    "rejete": Outcome(EtatFlux.IN_REJETE, erreurs_dp=[ERREUR_DP]),
    "irrecevable": Outcome(EtatFlux.IN_REJETE, erreurs_techniques=[ERREUR_XSD]),
    "incident": incident(),
}


def new_flux(s, etat: str = WAITING) -> Flux:
    flux = Flux(numero_flux_depot=f"T{uuid.uuid4().hex[:20]}", syntaxe_flux="IN_DP_E1_UBL_INVOICE",
                nom_fichier="f.xml", etat=etat, date_depot=AT, date_etat_courant=AT,
                content=b"<Invoice/>", integrate_after=AT)
    s.add(flux)
    s.flush()
    return flux


def test_every_mode_says_what_it_plays_for_every_ending():
    assert OBSERVE in MODES
    for mode, sequences in SEQUENCES.items():
        assert set(sequences) == set(KINDS), mode
        for kind, states in sequences.items():
            assert set(states) <= set(NOT_TERMINAL) - {WAITING}, (mode, kind)
    assert all(states == () for states in SEQUENCES[OBSERVE].values())  # qualification's
    assert set(NOT_TERMINAL) | TERMINAL == set(EtatFlux)
    assert not set(NOT_TERMINAL) & TERMINAL


def test_an_unknown_mode_plays_what_qualification_shows():
    for kind in KINDS:
        assert plan("no-such-mode", kind) == list(SEQUENCES[OBSERVE][kind])


@pytest.mark.parametrize("kind", KINDS)
def test_each_outcome_is_read_as_its_kind(kind):
    assert OUTCOMES[kind].kind == kind
    assert OUTCOMES[kind].etat in TERMINAL


def test_a_partly_integrated_flux_is_integrated_and_a_mixed_rejection_is_rejected():
    assert Outcome(EtatFlux.IN_INTEGRE_PARTIEL, erreurs_dp=[ERREUR_DP]).kind == "integre"
    assert Outcome(EtatFlux.IN_REJETE, erreurs_dp=[ERREUR_DP],
                   erreurs_techniques=[ERREUR_XSD]).kind == "rejete"


@pytest.mark.parametrize(("mode", "kind"), [(m, k) for m in MODES for k in KINDS])
def test_a_flux_plays_its_plan_one_step_at_a_time_then_ends(rules_session, mode, kind):
    s = rules_session
    flux = new_flux(s)
    report = rapport(s, flux)
    states = plan(mode, kind)
    at = AT
    shown = []
    if states:
        flux.claimed_by, flux.attempts = "worker-1", 2
        start_plan(flux, report, states, at, STEP)
        while True:
            shown.append(flux.etat)
            # Each step comes back STEP seconds later, for any worker, as no failed attempt.
            assert (flux.date_etat_courant, flux.integrate_after) == (
                at, at + timedelta(seconds=STEP))
            assert (flux.claimed_by, flux.lease_until, flux.attempts) == (None, None, 0)
            at += timedelta(seconds=STEP)
            if not next_step(flux, report, at, STEP):
                break
    assert shown == states
    assert next_step(flux, report, at, STEP) is False  # nothing left: integrate now
    outcome = OUTCOMES[kind]
    end(flux, outcome, at, report)
    s.flush()
    s.refresh(flux)
    assert flux.etat == outcome.etat
    assert (flux.erreurs_dp, flux.erreurs_techniques) == (
        outcome.erreurs_dp, outcome.erreurs_techniques)
    assert (flux.date_etat_courant, flux.integrated_at, flux.lease_until) == (at, at, None)
    assert [e["etat"] for e in rapport(s, flux).etats] == [*states, outcome.etat]
    assert rapport(s, flux).plan == []


def test_forcing_an_unknown_flux_finds_nothing(rules_session):
    assert force(rules_session, "CPP-NO-SUCH-FLUX", EtatFlux.IN_INCIDENTE) is None


@pytest.mark.parametrize(
    ("etat", "erreurs_dp", "erreurs_techniques", "expected"),
    [(EtatFlux.IN_INCIDENTE, None, None, ([], [INCIDENT])),
     (EtatFlux.IN_REJETE, None, None, ([], [FORCED_REJECTION])),
     (EtatFlux.IN_REJETE, [ERREUR_DP], None, ([ERREUR_DP], [])),
     (EtatFlux.IN_REJETE, None, [ERREUR_XSD], ([], [ERREUR_XSD]))],
)
def test_a_waiting_flux_keeps_the_forced_outcome_for_the_worker(
    rules_session, etat, erreurs_dp, erreurs_techniques, expected
):
    s = rules_session
    flux = new_flux(s)
    assert force(s, flux.numero_flux_depot, etat, erreurs_dp=erreurs_dp,
                 erreurs_techniques=erreurs_techniques) is flux
    assert flux.etat == WAITING  # the worker applies it instead of the checks
    outcome = forced_outcome(flux)
    assert outcome is not None
    assert (outcome.etat, outcome.erreurs_dp, outcome.erreurs_techniques) == (etat, *expected)


def test_no_forced_outcome_lets_the_checks_judge(rules_session):
    assert forced_outcome(new_flux(rules_session)) is None


@pytest.mark.parametrize("etat", [EtatFlux.IN_INCIDENTE, EtatFlux.IN_REJETE])
def test_forcing_an_ended_flux_rewrites_its_cr_and_withdraws_its_invoices(
    rules_session, module_scene, etat
):
    s = rules_session
    flux = new_flux(s)
    facture = make_facture(s, module_scene.supplier, module_scene.recipient, flux_id=flux.id)
    other = make_facture(s, module_scene.supplier, module_scene.recipient)
    report = rapport(s, flux)
    end(flux, Outcome(EtatFlux.IN_INTEGRE, explications=[{"regle": "GES-01"}]), AT, report)
    s.flush()
    force(s, flux.numero_flux_depot, etat)
    assert flux.etat == etat
    assert flux.erreurs_techniques == ([INCIDENT] if etat == EtatFlux.IN_INCIDENTE
                                       else [FORCED_REJECTION])
    assert (report.explications, report.notes) == ([], [])
    left = s.scalars(select(Facture.id).where(Facture.id.in_([facture.id, other.id]))).all()
    assert left == [other.id]  # only the flux's own invoices are withdrawn
