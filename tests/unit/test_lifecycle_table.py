"""The invoice lifecycle table (sandbox/factures/rules/lifecycle.py), in-process on a real
SQLite database: every move the table allows is made (status, date, history row), every
other one is refused and changes nothing, whatever the table holds (the tests iterate over
it and over ``StatutFacture``; a status or a move added later is tested the same way).

Each rule is tested for an invoice with a validator (cadres A9, A12) and one without: the
table holds every move; for an invoice without a validator, the moves into the validation
stage (``VALIDATION``: pinned to the reference's statuses in
test_factures_validation_lifecycle.py) are refused, whoever asks.

The HTTP suites (tests/test_factures_lifecycle*.py, test_factures_valideur.py) keep what
crosses HTTP: who may call which operation, the answers' shapes and codes.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from factures_support import Party, Scene, make_facture, make_party
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import db
from sandbox.factures import errors
from sandbox.factures.models import Facture, FactureStatut
from sandbox.factures.rules.lifecycle import (
    CONTROL_MOTIF,
    FINAL,
    MOTIF_REQUIRED,
    NOT_YET_RECEIVED,
    TRANSITIONS,
    VALIDATION,
    VALIDATION_FIRST,
    Actor,
    allowed_targets,
    is_allowed,
    move_invoice,
    path_to,
    transition,
)
from sandbox.vocabulary import StatutFacture
from sandbox.vocabulary import StatutFacture as F

STATUSES = tuple(StatutFacture)
AT = datetime(2026, 3, 2, 9, 30)
MOTIF = "Motif du test"
KINDS = (pytest.param(True, id="with-validator"), pytest.param(False, id="without-validator"))


def allowed(actor: Actor, *, validator: bool) -> dict[str, set[str]]:
    """What ``actor`` may do, read from the table (the control plane: any actor's move);
    for an invoice without a validator, nothing into the validation stage."""
    tables = TRANSITIONS.values() if actor is Actor.CONTROL else [TRANSITIONS[actor]]
    moves: dict[str, set[str]] = {}
    for table in tables:
        for current, targets in table.items():
            moves.setdefault(current, set()).update(
                t for t in targets if validator or t not in VALIDATION)
    if validator:  # from DEPOSEE, only into the validation stage (never around it)
        for current in VALIDATION_FIRST & moves.keys():
            moves[current] &= VALIDATION
    return moves


ACTORS = (*TRANSITIONS, Actor.CONTROL)
ALLOWED = [
    pytest.param(actor, current, new, validator,
                 id=f"{actor}-{current}-{new}-{'with' if validator else 'without'}-validator")
    for validator in (True, False)
    for actor in TRANSITIONS
    for current, targets in allowed(actor, validator=validator).items()
    for new in sorted(targets)
]
# The table's moves into the validation stage: an invoice without a validator makes none.
INTO_VALIDATION = [
    pytest.param(actor, current, new, id=f"{actor}-{current}-{new}")
    for actor in ACTORS
    for current, targets in allowed(actor, validator=True).items()
    for new in sorted(targets)
    if new in VALIDATION
]


@pytest.fixture(scope="module")
def titulaire(module_database) -> Party:
    """The validator of the A9 invoices (a private structure other than the supplier)."""
    with db.new_session() as s:
        party = make_party(s, public=False)
        s.commit()
        return party


def invoice(s: Session, module_scene: Scene, statut: str, validator: Party | None) -> Facture:
    """An invoice in ``statut`` naming ``validator`` (an A9 invoice), or none."""
    return make_facture(s, module_scene.supplier, module_scene.recipient, statut,
                        validator=validator)


def stored(s: Session, facture: Facture) -> tuple[str, datetime, int]:
    """The invoice's status, its date and its history's length, as the database has them."""
    statut, date = s.execute(
        select(Facture.statut, Facture.date_heure_etat_courant).where(Facture.id == facture.id)
    ).one()
    count = s.scalar(select(func.count()).where(FactureStatut.facture_id == facture.id))
    return statut, date, count


def last_history(s: Session, facture: Facture) -> FactureStatut:
    return s.scalars(select(FactureStatut).where(FactureStatut.facture_id == facture.id)
                     .order_by(FactureStatut.id.desc())).first()


def test_the_table_names_known_statuses_only():
    known = set(STATUSES)
    for actor, table in TRANSITIONS.items():
        for current, targets in table.items():
            assert current in known, (actor, current)
            assert set(targets) <= known, (actor, current)
            assert len(set(targets)) == len(targets), (actor, current)  # no move twice
    assert MOTIF_REQUIRED | FINAL | NOT_YET_RECEIVED <= known


def test_a_final_status_has_no_way_out():
    for validator in (True, False):
        for actor in ACTORS:
            for final in FINAL:
                assert not allowed(actor, validator=validator).get(final), (actor, final)


def test_the_validation_stage_is_in_the_table_and_only_for_an_invoice_with_a_validator():
    """Not vacuous: the table moves invoices into the validation stage (so the tests with
    and without a validator differ), and a move out of it leads nowhere else for an invoice
    without a validator than for one with — except where an invoice with a validator must
    enter the stage (VALIDATION_FIRST): there the one without goes on to its recipient."""
    assert INTO_VALIDATION
    for actor in ACTORS:
        with_, without = allowed(actor, validator=True), allowed(actor, validator=False)
        for current in STATUSES:
            if current in VALIDATION_FIRST:
                assert with_.get(current, set()) <= VALIDATION
                continue
            assert without.get(current, set()) == with_.get(current, set()) - VALIDATION


@pytest.mark.parametrize("validator", KINDS)
def test_the_control_plane_may_make_any_actors_move_and_no_other(validator):
    for current in STATUSES:
        anyone = {new for table in TRANSITIONS.values() for new in table.get(current, ())
                  if validator or new not in VALIDATION}
        if validator and current in VALIDATION_FIRST:
            anyone &= VALIDATION
        assert {new for new in STATUSES
                if is_allowed(Actor.CONTROL, current, new, validator=validator)} == anyone


@pytest.mark.parametrize(("actor", "current", "new", "validator"), ALLOWED)
def test_every_allowed_move_is_made_with_its_history(
    rules_session, module_scene, titulaire, actor, current, new, validator
):
    s = rules_session
    facture = invoice(s, module_scene, current, titulaire if validator else None)
    _, _, before = stored(s, facture)
    transition(s, facture, new, actor=actor, motif=MOTIF, at=AT)
    assert stored(s, facture) == (new, AT, before + 1)
    row = last_history(s, facture)
    assert (row.statut, row.date_passage, row.commentaire) == (new, AT, MOTIF)


@pytest.mark.parametrize("validator", KINDS)
@pytest.mark.parametrize("actor", ACTORS)
def test_every_other_move_is_refused_and_changes_nothing(
    rules_session, module_scene, titulaire, actor, validator
):
    s = rules_session
    moves = allowed(actor, validator=validator)
    for current in STATUSES:
        facture = invoice(s, module_scene, current, titulaire if validator else None)
        before = stored(s, facture)
        refused = [new for new in STATUSES if new not in moves.get(current, set())]
        assert refused, current  # a move to BROUILLON at least is refused from anywhere
        for new in refused:
            with pytest.raises(errors.TransitionInterdite) as refusal:
                transition(s, facture, new, actor=actor, motif=MOTIF, at=AT)
            assert f"du statut {current} au statut {new}" in refusal.value.libelle
            assert facture.statut == current, new
        assert stored(s, facture) == before, current


@pytest.mark.parametrize(("actor", "current", "new"), INTO_VALIDATION)
def test_an_invoice_without_a_validator_never_enters_the_validation_stage(
    rules_session, module_scene, titulaire, actor, current, new
):
    """The table's move, refused for an invoice without a validator (its refusal lists
    what is possible: nothing of the stage), made for the same invoice naming one."""
    s = rules_session
    plain = invoice(s, module_scene, current, None)
    before = stored(s, plain)
    with pytest.raises(errors.TransitionInterdite) as refusal:
        transition(s, plain, new, actor=actor, motif=MOTIF, at=AT)
    assert f"du statut {current} au statut {new}" in refusal.value.libelle
    possible = refusal.value.libelle.split("statuts possibles : ")[1]
    assert not [statut for statut in VALIDATION if statut in possible], possible
    assert stored(s, plain) == before
    a9 = invoice(s, module_scene, current, titulaire)
    transition(s, a9, new, actor=actor, motif=MOTIF, at=AT)
    assert stored(s, a9)[0] == new


@pytest.mark.parametrize(("actor", "current", "new", "validator"),
                         [p for p in ALLOWED if p.values[2] in MOTIF_REQUIRED])
def test_a_move_that_needs_a_motif_is_refused_without_one(
    rules_session, module_scene, titulaire, actor, current, new, validator
):
    s = rules_session
    facture = invoice(s, module_scene, current, titulaire if validator else None)
    before = stored(s, facture)
    for motif in (None, "", "   "):
        with pytest.raises(errors.MotifObligatoire):
            transition(s, facture, new, actor=actor, motif=motif, at=AT)
    assert stored(s, facture) == before


def test_a_move_raced_by_another_request_is_refused(module_database, module_scene):
    """Two requests move one invoice: the second's conditional UPDATE finds it moved."""
    with db.new_session() as s:
        facture = invoice(s, module_scene, StatutFacture.MISE_A_DISPOSITION, None)
        s.commit()
        with db.new_session() as other:
            transition(other, other.get(Facture, facture.id), StatutFacture.MANDATEE,
                       actor=Actor.RECIPIENT, at=AT)
            other.commit()
        with pytest.raises(errors.TransitionInterdite, match="entre-temps"):
            transition(s, facture, StatutFacture.COMPTABILISEE, actor=Actor.RECIPIENT, at=AT)
        s.rollback()
        assert stored(s, facture)[0] == StatutFacture.MANDATEE


def shortest(current: str, target: str, *, validator: bool) -> int | None:
    """The number of moves from ``current`` to ``target`` (any actor), by relaxing
    distances until nothing changes (not the breadth-first search under test)."""
    moves = allowed(Actor.CONTROL, validator=validator)
    distance = {current: 0}
    changed = True
    while changed:
        changed = False
        for origin, targets in moves.items():
            if origin not in distance:
                continue
            for new in targets:
                if distance.get(new, 10**6) > distance[origin] + 1:
                    distance[new] = distance[origin] + 1
                    changed = True
    return distance.get(target)


@pytest.mark.parametrize("validator", KINDS)
@pytest.mark.parametrize("current", STATUSES)
def test_the_control_plane_path_is_a_shortest_chain_of_allowed_moves(current, validator):
    moves = allowed(Actor.CONTROL, validator=validator)
    for target in STATUSES:
        chain = path_to(current, target, validator=validator)
        expected = shortest(current, target, validator=validator)
        if expected is None:
            assert chain is None, (current, target)
            continue
        assert chain is not None and len(chain) == expected, (current, target, chain)
        for origin, new in zip([current, *chain], chain, strict=False):
            assert new in moves.get(origin, set()), (current, target, chain)
        if not validator:
            assert not set(chain) & VALIDATION, (current, target, chain)


# Where each kind of invoice starts: with the recipient; or waiting for its validator.
STARTS = (pytest.param(StatutFacture.MISE_A_DISPOSITION, False, id="without-validator"),
          pytest.param(StatutFacture.A_VALIDER_1, True, id="with-validator"))


@pytest.mark.parametrize(("start", "validator"), STARTS)
@pytest.mark.parametrize("target", STATUSES)
def test_the_control_plane_moves_an_invoice_step_by_step(
    rules_session, module_scene, titulaire, target, start, validator
):
    s = rules_session
    facture = invoice(s, module_scene, start, titulaire if validator else None)
    before = stored(s, facture)
    chain = path_to(start, target, validator=validator)
    if chain is None:
        with pytest.raises(errors.TransitionInterdite, match="atteignable"):
            move_invoice(s, facture.id, target, at=AT)
        assert stored(s, facture) == before
        return
    assert move_invoice(s, facture.id, target, at=AT) == chain
    rows = s.scalars(select(FactureStatut).where(FactureStatut.facture_id == facture.id)
                     .order_by(FactureStatut.id)).all()[before[2]:]
    assert [r.statut for r in rows] == chain
    assert [r.commentaire for r in rows] == [
        CONTROL_MOTIF if step in MOTIF_REQUIRED else None for step in chain]
    assert stored(s, facture) == ((target, AT, before[2] + len(chain)) if chain else before)


def test_the_control_plane_cannot_move_an_unknown_invoice(rules_session):
    with pytest.raises(errors.DemandePaiementInconnue):
        move_invoice(rules_session, 10**12, StatutFacture.MANDATEE, at=AT)


def test_an_invoice_with_a_validator_never_goes_around_it() -> None:
    """From DEPOSEE an A9/A12 invoice may only enter the validation stage (any actor,
    the control plane included), and the control plane's path to the recipient goes
    through A_VALIDER_1; without a validator it goes straight on."""
    for actor in ACTORS:
        with_validator = set(allowed_targets(actor, F.DEPOSEE, validator=True))
        assert F.EN_COURS_ACHEMINEMENT not in with_validator, actor
        assert with_validator <= VALIDATION, actor
    assert path_to(F.DEPOSEE, F.MISE_A_DISPOSITION, validator=True)[0] == F.A_VALIDER_1
    assert path_to(F.DEPOSEE, F.MISE_A_DISPOSITION, validator=False) == [
        F.EN_COURS_ACHEMINEMENT, F.MISE_A_DISPOSITION]
