"""The automatic lifecycle policies (sandbox/factures/rules/policies.py), in-process on a
real SQLite database: which policies may be set (exactly the control plane's moves of the
lifecycle table, the validation stage's included), which one applies to a recipient, and
what a worker pass moves and when (into the validation stage: only the invoices that have a
validator).

tests/test_factures_lifecycle_policies.py keeps the control-plane routes over HTTP.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from factures_support import Party, Scene, build_scene, make_facture, make_party
from sqlalchemy import select

from sandbox import clock
from sandbox.factures.models import Facture, FactureStatut, LifecyclePolicy
from sandbox.factures.rules import policies
from sandbox.factures.rules.lifecycle import TRANSITIONS, TRAVAUX_TRANSITIONS
from sandbox.factures.rules.policies import (
    POLICY_MOTIF,
    PolicyError,
    apply_policies,
    delete_policy,
    list_policies,
    set_policy,
)
from sandbox.vocabulary import StatutFacture as F

T0 = datetime(2026, 3, 2, 9, 0)
DAY = 86_400


@pytest.mark.parametrize("current", list(F))
def test_a_policy_may_be_any_control_plane_move_and_nothing_else(
    rules_session, module_scene, current
):
    s = rules_session
    recipient = module_scene.recipient.structure_id
    # Any actor's move in the table, into the validation stage too, and along the works
    # circuit: a policy names no invoice, it applies to those the move is allowed for (see
    # the worker pass below).
    moves = {new for tables in (TRANSITIONS, *TRAVAUX_TRANSITIONS.values())
             for table in tables.values() for new in table.get(current, ())} - {current}
    for target in F:
        if target in moves:
            made = set_policy(s, destinataire_id=recipient, from_statut=current,
                              to_statut=target, delay_seconds=60)
            assert (made["statutDepart"], made["statutArrivee"], made["idDestinataire"]) == (
                current, target, recipient)
        else:
            with pytest.raises(PolicyError, match="not an allowed move"):
                set_policy(s, destinataire_id=recipient, from_statut=current, to_statut=target,
                           delay_seconds=60)
    # One policy per recipient and status: the last allowed one set, or none.
    rows = s.scalars(select(LifecyclePolicy).where(LifecyclePolicy.from_statut == current,
                                                   LifecyclePolicy.destinataire_id == recipient))
    assert [p.to_statut for p in rows] == ([max(moves, key=list(F).index)] if moves else [])


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"from_statut": "INCONNU"}, "Unknown invoice status"),
     ({"to_statut": "INCONNU"}, "Unknown invoice status"),
     ({"delay_seconds": -1}, "zero or positive"),
     ({"destinataire_id": 10**12}, "Unknown structure")],
)
def test_a_policy_that_cannot_be_is_refused_and_stores_nothing(rules_session, fields, message):
    s = rules_session
    values = {"destinataire_id": None, "from_statut": F.MISE_A_DISPOSITION,
              "to_statut": F.MANDATEE, "delay_seconds": 0, **fields}
    with pytest.raises(PolicyError, match=message):
        set_policy(s, **values)
    assert s.scalars(select(LifecyclePolicy)).all() == []


def test_a_recipient_sees_its_own_policies_and_the_star_ones_it_has_none_for(
    rules_session, module_scene
):
    s = rules_session
    own, other = module_scene.recipient.structure_id, module_scene.outsider.structure_id
    star_mad = set_policy(s, destinataire_id=None, from_statut=F.MISE_A_DISPOSITION,
                          to_statut=F.MANDATEE, delay_seconds=0)
    star_mandatee = set_policy(s, destinataire_id=None, from_statut=F.MANDATEE,
                               to_statut=F.MISE_EN_PAIEMENT, delay_seconds=0)
    own_mad = set_policy(s, destinataire_id=own, from_statut=F.MISE_A_DISPOSITION,
                         to_statut=F.SUSPENDUE, delay_seconds=DAY)
    assert list_policies(s, own) == [star_mandatee, own_mad]
    assert list_policies(s, other) == [star_mad, star_mandatee]
    assert list_policies(s) == [star_mad, star_mandatee, own_mad]
    assert delete_policy(s, own_mad["id"]) is True
    assert delete_policy(s, own_mad["id"]) is False
    assert list_policies(s, own) == [star_mad, star_mandatee]


# --- a worker pass (apply_policies): its own database, so that it moves only these invoices


@pytest.fixture
def scene(session) -> Scene:
    return build_scene(session)


def entered(s, scene: Scene, statut: str, *, recipient=None,
            validator: Party | None = None) -> Facture:
    facture = make_facture(s, scene.supplier, recipient or scene.recipient, statut,
                           validator=validator)
    facture.date_heure_etat_courant = T0
    s.commit()
    return facture


def history(s, facture: Facture) -> list[tuple[str, datetime, str | None]]:
    s.commit()  # a new snapshot: the pass committed in sessions of its own
    rows = s.scalars(select(FactureStatut).where(FactureStatut.facture_id == facture.id)
                     .order_by(FactureStatut.id)).all()
    return [(r.statut, r.date_passage, r.commentaire) for r in rows]


def test_an_invoice_moves_when_its_delay_is_over_dated_when_it_was_due(session, scene):
    s = session
    facture = entered(s, scene, F.MISE_A_DISPOSITION)
    set_policy(s, destinataire_id=scene.recipient.structure_id,
               from_statut=F.MISE_A_DISPOSITION, to_statut=F.MISE_EN_PAIEMENT,
               delay_seconds=2 * DAY)
    s.commit()
    before = history(s, facture)
    assert apply_policies(T0 + timedelta(seconds=2 * DAY - 1)) == 0
    assert history(s, facture) == before
    assert apply_policies(T0 + timedelta(days=5)) == 1
    assert history(s, facture) == [*before, (F.MISE_EN_PAIEMENT, T0 + timedelta(days=2), None)]
    assert s.scalar(select(Facture.statut).where(Facture.id == facture.id)) == F.MISE_EN_PAIEMENT
    assert apply_policies(T0 + timedelta(days=6)) == 0  # nothing due: nothing changes


def test_a_move_that_needs_a_motif_gets_the_policys_or_the_default_one(session, scene):
    s = session
    plain = entered(s, scene, F.MISE_A_DISPOSITION)
    own = entered(s, scene, F.MISE_A_DISPOSITION, recipient=scene.outsider)
    set_policy(s, destinataire_id=scene.recipient.structure_id,
               from_statut=F.MISE_A_DISPOSITION, to_statut=F.SUSPENDUE, delay_seconds=0)
    set_policy(s, destinataire_id=scene.outsider.structure_id,
               from_statut=F.MISE_A_DISPOSITION, to_statut=F.REJETEE, delay_seconds=0,
               motif="Pièce manquante")
    s.commit()
    assert apply_policies(T0) == 2
    assert history(s, plain)[-1] == (F.SUSPENDUE, T0, POLICY_MOTIF)
    assert history(s, own)[-1] == (F.REJETEE, T0, "Pièce manquante")


def test_a_recipients_own_policy_wins_over_the_star_one(session, scene):
    s = session
    own = entered(s, scene, F.MISE_A_DISPOSITION)
    other = entered(s, scene, F.MISE_A_DISPOSITION, recipient=scene.outsider)
    set_policy(s, destinataire_id=None, from_statut=F.MISE_A_DISPOSITION,
               to_statut=F.MANDATEE, delay_seconds=0)
    set_policy(s, destinataire_id=scene.recipient.structure_id,
               from_statut=F.MISE_A_DISPOSITION, to_statut=F.COMPTABILISEE, delay_seconds=DAY)
    s.commit()
    assert apply_policies(T0) == 1  # the star policy, for the other recipient only
    assert history(s, other)[-1][0] == F.MANDATEE
    assert history(s, own)[-1][0] == F.MISE_A_DISPOSITION
    assert apply_policies(T0 + timedelta(days=1)) == 1
    assert history(s, own)[-1] == (F.COMPTABILISEE, T0 + timedelta(days=1), None)


def test_chained_policies_without_delay_move_in_one_pass(session, scene):
    s = session
    facture = entered(s, scene, F.MISE_A_DISPOSITION)
    for start, end in ((F.MISE_A_DISPOSITION, F.MANDATEE), (F.MANDATEE, F.MISE_EN_PAIEMENT)):
        set_policy(s, destinataire_id=None, from_statut=start, to_statut=end, delay_seconds=0)
    s.commit()
    assert apply_policies(T0) == 2
    assert [row[:2] for row in history(s, facture)[-2:]] == [
        (F.MANDATEE, T0), (F.MISE_EN_PAIEMENT, T0)]


def test_a_policy_into_the_validation_stage_moves_only_the_invoices_with_a_validator(
    session, scene
):
    s = session
    titulaire = make_party(s, public=False)
    plain = entered(s, scene, F.DEPOSEE)
    a9 = entered(s, scene, F.DEPOSEE, validator=titulaire)
    set_policy(s, destinataire_id=None, from_statut=F.DEPOSEE, to_statut=F.A_VALIDER_1,
               delay_seconds=0)
    s.commit()
    before = history(s, plain)
    assert apply_policies(T0) == 1
    assert history(s, a9)[-1] == (F.A_VALIDER_1, T0, None)
    assert history(s, plain) == before
    assert apply_policies(T0 + timedelta(days=1)) == 0  # the plain one is never due


def test_invoices_a_policy_cannot_move_do_not_hold_back_those_it_can(session, scene):
    """More invoices without a validator in the policy's status than a pass reads at once
    (its batch): the invoice with a validator behind them still moves."""
    s = session
    titulaire = make_party(s, public=False)
    plain = [make_facture(s, scene.supplier, scene.recipient, F.DEPOSEE)
             for _ in range(policies.BATCH)]
    a9 = entered(s, scene, F.DEPOSEE, validator=titulaire)  # the highest id: read last
    set_policy(s, destinataire_id=None, from_statut=F.DEPOSEE, to_statut=F.A_VALIDER_1,
               delay_seconds=0)
    s.commit()
    assert apply_policies(clock.utcnow_naive()) == 1
    assert history(s, a9)[-1][0] == F.A_VALIDER_1
    assert set(s.scalars(select(Facture.statut).where(
        Facture.id.in_([f.id for f in plain])))) == {F.DEPOSEE}


def test_a_pass_tells_when_the_next_move_is_due_and_none_without_invoices(session, scene):
    s = session
    set_policy(s, destinataire_id=scene.recipient.structure_id,
               from_statut=F.MISE_A_DISPOSITION, to_statut=F.MISE_EN_PAIEMENT,
               delay_seconds=2 * DAY)
    s.commit()
    # No invoice in the status: nothing scheduled (the worker's loop sleeps until a change).
    assert policies.apply_and_schedule(T0) == (0, None)
    entered(s, scene, F.MISE_A_DISPOSITION)
    later = entered(s, scene, F.MISE_A_DISPOSITION)
    later.date_heure_etat_courant = T0 + timedelta(hours=5)
    s.commit()
    # Before the delay: no move, and the earliest invoice's due time.
    assert policies.apply_and_schedule(T0 + timedelta(days=1)) == (
        0, T0 + timedelta(days=2))
    # After the first is moved, the second one's.
    assert policies.apply_and_schedule(T0 + timedelta(days=2, hours=1)) == (
        1, T0 + timedelta(days=2, hours=5))
