"""Automatic lifecycle policies on the sandbox clock, applied by the stack's own factures
worker (every gunicorn process runs one), and the control plane's move_invoice.

The policies are set through the Python contract (the control-plane routes come from the
control area); the clock moves over HTTP (``PUT /_sandbox/clock``); the moves are seen
over HTTP (rechercher/recipiendaire) and in the history.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from factures_flux import advance_clock
from factures_support import build_scene, make_facture
from sqlalchemy import select

from sandbox import clock, db, state
from sandbox.factures import errors
from sandbox.factures.models import Facture, FactureStatut, LifecyclePolicy
from sandbox.factures.rules import lifecycle, policies

FAC = "/cpro/factures/v1"
DAY = 86400


@pytest.fixture(scope="module")
def scene(stack_db):
    with db.new_session() as s:
        return build_scene(s)


@pytest.fixture
def clean(scene):
    """No policy left behind, the clock put back, however the test ends."""
    previous = state.refresh().clock_offset_seconds
    try:
        yield
    finally:
        with db.transaction() as s:
            s.query(LifecyclePolicy).delete()
        state.set_clock_offset(previous)


def _invoice(scene, statut: str = "MISE_A_DISPOSITION", party=None) -> int:
    with db.new_session() as s:
        facture = make_facture(s, scene.supplier, party or scene.recipient, statut)
        s.commit()
        return facture.id


def _statut(facture_id: int) -> str:
    with db.new_session() as s:
        return s.get(Facture, facture_id).statut


def _wait_statut(facture_id: int, statut: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _statut(facture_id) != statut:
        assert time.monotonic() < deadline, f"invoice {facture_id} still {_statut(facture_id)}"
        time.sleep(0.1)


def _history(facture_id: int) -> list[FactureStatut]:
    with db.new_session() as s:
        return list(
            s.scalars(
                select(FactureStatut)
                .where(FactureStatut.facture_id == facture_id)
                .order_by(FactureStatut.id)
            )
        )


def _set(**kwargs) -> dict:
    with db.transaction() as s:
        return policies.set_policy(s, **kwargs)


def test_mise_en_paiement_two_days_after_mise_a_disposition(base_url, scene, clean):
    _set(
        destinataire_id=scene.recipient.structure_id,
        from_statut="MISE_A_DISPOSITION",
        to_statut="MISE_EN_PAIEMENT",
        delay_seconds=2 * DAY,
    )
    facture_id = _invoice(scene)
    entered = _history(facture_id)[-1].date_passage
    advance_clock(base_url, DAY)
    state.refresh()
    assert policies.apply_policies() == 0 and _statut(facture_id) == "MISE_A_DISPOSITION"
    advance_clock(base_url, 1.5 * DAY)
    _wait_statut(facture_id, "MISE_EN_PAIEMENT")  # the stack's worker moved it
    last = _history(facture_id)[-1]
    assert last.statut == "MISE_EN_PAIEMENT"
    assert abs((last.date_passage - entered) - timedelta(days=2)) < timedelta(seconds=1)
    api = scene.api(base_url, scene.recipient)
    found = api.call(f"{FAC}/rechercher/recipiendaire", {"statutCourant": "MISE_EN_PAIEMENT"})
    assert facture_id in [f["idFacture"] for f in found["listeFactures"]]
    assert policies.apply_policies() == 0  # idempotent: nothing more is due
    assert [h.statut for h in _history(facture_id)].count("MISE_EN_PAIEMENT") == 1


def test_chained_policies_follow_each_other(base_url, scene, clean):
    rid = scene.recipient.structure_id
    for src, dst in (
        ("MISE_A_DISPOSITION", "SERVICE_FAIT"),
        ("SERVICE_FAIT", "MANDATEE"),
        ("MANDATEE", "MISE_EN_PAIEMENT"),
    ):
        _set(destinataire_id=rid, from_statut=src, to_statut=dst, delay_seconds=3600)
    facture_id = _invoice(scene)
    entered = _history(facture_id)[-1].date_passage
    advance_clock(base_url, 5 * 3600)
    _wait_statut(facture_id, "MISE_EN_PAIEMENT")
    tail = _history(facture_id)[-3:]
    assert [h.statut for h in tail] == ["SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]
    for i, h in enumerate(tail, start=1):
        assert abs((h.date_passage - entered) - timedelta(hours=i)) < timedelta(seconds=1)


def test_star_policy_and_a_recipient_override(base_url, scene, clean):
    _set(
        destinataire_id=None,
        from_statut="MANDATEE",
        to_statut="MISE_EN_PAIEMENT",
        delay_seconds=DAY,
    )
    _set(
        destinataire_id=scene.recipient.structure_id,
        from_statut="MANDATEE",
        to_statut="COMPTABILISEE",
        delay_seconds=DAY,
        motif="Comptabilisée automatiquement",
    )
    own = _invoice(scene, "MANDATEE")
    other = _invoice(scene, "MANDATEE", party=scene.outsider)
    with db.new_session() as s:
        listed = policies.list_policies(s, scene.recipient.structure_id)
    assert [p["statutArrivee"] for p in listed] == ["COMPTABILISEE"]
    advance_clock(base_url, DAY + 60)
    _wait_statut(own, "COMPTABILISEE")
    _wait_statut(other, "MISE_EN_PAIEMENT")
    assert _history(own)[-1].commentaire == "Comptabilisée automatiquement"


def test_concurrent_passes_move_each_invoice_once(base_url, scene, clean):
    _set(
        destinataire_id=scene.recipient.structure_id,
        from_statut="MISE_A_DISPOSITION",
        to_statut="REJETEE",
        delay_seconds=DAY,
    )
    ids = [_invoice(scene) for _ in range(15)]
    # this process and the stack's workers
    state.set_clock_offset(state.refresh().clock_offset_seconds + DAY)
    moved: list[int] = []

    def run() -> None:
        moved.append(policies.apply_policies())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for facture_id in ids:
        _wait_statut(facture_id, "REJETEE")
        rows = [h for h in _history(facture_id) if h.statut == "REJETEE"]
        assert len(rows) == 1 and rows[0].commentaire == policies.POLICY_MOTIF
    assert sum(moved) <= len(ids)  # the stack's workers may have won some


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"from_statut": "MISE_A_DISPOSITION", "to_statut": "DEPOSEE"}, "not an allowed move"),
        ({"from_statut": "REJETEE", "to_statut": "MISE_EN_PAIEMENT"}, "not an allowed move"),
        (
            {"from_statut": "MISE_A_DISPOSITION", "to_statut": "MISE_A_DISPOSITION"},
            "not an allowed move",
        ),
        ({"from_statut": "PAYEE", "to_statut": "MANDATEE"}, "Unknown invoice status"),
        (
            {"from_statut": "MANDATEE", "to_statut": "MISE_EN_PAIEMENT", "delay_seconds": -1},
            "zero or positive",
        ),
        (
            {"from_statut": "MANDATEE", "to_statut": "MISE_EN_PAIEMENT", "destinataire_id": 2**62},
            "Unknown structure",
        ),
    ],
)
def test_set_policy_refuses_what_the_lifecycle_forbids(clean, kwargs, message):
    values = {"destinataire_id": None, "delay_seconds": 10, **kwargs}
    with pytest.raises(policies.PolicyError, match=message), db.transaction() as s:
        policies.set_policy(s, **values)


def test_set_policy_replaces_and_delete_removes(scene, clean):
    first = _set(
        destinataire_id=scene.recipient.structure_id,
        from_statut="MANDATEE",
        to_statut="MISE_EN_PAIEMENT",
        delay_seconds=10,
    )
    second = _set(
        destinataire_id=scene.recipient.structure_id,
        from_statut="MANDATEE",
        to_statut="COMPTABILISEE",
        delay_seconds=20,
    )
    assert first["id"] == second["id"] and second["statutArrivee"] == "COMPTABILISEE"
    with db.new_session() as s:  # (the seeded scenario recipients have policies of their own)
        assert [p["id"] for p in policies.list_policies(s)
                if p["idDestinataire"] == scene.recipient.structure_id] == [first["id"]]
    with db.transaction() as s:
        assert policies.delete_policy(s, second["id"]) is True
        assert policies.delete_policy(s, second["id"]) is False


def test_a_policy_deleted_during_a_pass_moves_nothing(scene, clean, monkeypatch):
    """A pass reads the policies, then moves in another transaction: a reset (or a DELETE)
    that commits in between, and puts invoices back under the same ids, voids the moves."""
    _set(
        destinataire_id=scene.recipient.structure_id,
        from_statut="MISE_A_DISPOSITION",
        to_statut="SERVICE_FAIT",
        delay_seconds=DAY,
    )
    facture_id = _invoice(scene)
    due = policies._due

    def due_then_deleted(s, policy, specific, now):  # noqa: ANN001, ANN202
        ids = due(s, policy, specific, now)
        with db.transaction() as other:  # what a reset commits meanwhile
            other.query(LifecyclePolicy).delete()
        return ids

    monkeypatch.setattr(policies, "_due", due_then_deleted)
    later = clock.utcnow_naive() + timedelta(days=2)  # not the shared clock: no worker moves it
    assert policies.apply_policies(now=later) == 0
    assert _statut(facture_id) == "MISE_A_DISPOSITION"


def test_move_invoice_along_allowed_transitions(scene):
    facture_id = _invoice(scene, "DEPOSEE")
    with db.transaction() as s:
        chain = lifecycle.move_invoice(s, facture_id, "MISE_EN_PAIEMENT")
    assert chain == ["EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT"]
    assert [h.statut for h in _history(facture_id)] == ["DEPOSEE", *chain]
    suspended = _invoice(scene, "SUSPENDUE")
    with db.transaction() as s:
        assert lifecycle.move_invoice(
            s, suspended, "MANDATEE", motif="via le plan de contrôle"
        ) == [
            "COMPLETEE",
            "MANDATEE",
        ]
    with db.transaction() as s, pytest.raises(errors.TransitionInterdite):
        lifecycle.move_invoice(s, facture_id, "MANDATEE")  # MISE_EN_PAIEMENT is final
    with db.transaction() as s, pytest.raises(errors.DemandePaiementInconnue):
        lifecycle.move_invoice(s, 2**62, "MANDATEE")
    rejected = _invoice(scene)
    with db.transaction() as s:
        lifecycle.move_invoice(s, rejected, "REJETEE")
    assert _history(rejected)[-1].commentaire == lifecycle.CONTROL_MOTIF
