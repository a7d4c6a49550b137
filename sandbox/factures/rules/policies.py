"""Automatic lifecycle policies: "better than the real thing" (issue #11 §5).

The qualification environment has no buyer who ever moves an invoice on. A policy says,
for one recipient structure (or ``*``: every recipient without a policy of its own for
that status), "an invoice in status A moves to status B once it has been in A for D
seconds of the sandbox clock" — e.g. ``MISE_A_DISPOSITION`` -> ``MISE_EN_PAIEMENT`` after
2 days, so a client's polling loop can be tested end to end by advancing the clock.

* Only allowed moves (``lifecycle.allowed_targets(Actor.CONTROL, A, cadre, validator=...)``):
  one step per policy; chains of policies follow each other. A policy reads each invoice's
  cadre and validator: it applies only to the invoices its move is allowed for (the
  others are not even read): a move into the validation stage to those with a validator,
  a works move (``travaux_cycle``) to works invoices.
* **Works steps**: a policy to ``ASSOCIEE`` (from ``A_ASSOCIER_MOE``,
  ``MISE_A_DISPOSITION_MOE``, ``PRISE_EN_COMPTE_MOE``, ``A_ASSOCIER_MOA`` or
  ``A_ASSOCIER_FOURNISSEUR``) is the follow-up action of the actor the document waits for:
  the sandbox plays that MOE, MOA or titulaire, who deposits its next document of the
  dossier (``travaux.play_next_actor``), so a works invoice goes MOE -> MOA -> paid on
  policies alone (the works scenario recipient, ``scenarios.py``).
* ``apply_policies`` is run by the factures worker on each pass (every process): the move
  itself is ``lifecycle.transition``'s conditional UPDATE, so two workers never move one
  invoice twice, and a pass that finds nothing due changes nothing (idempotent). The
  history row is dated when the move was due (entered A + D), not when the pass ran.

Python contract for the control plane: ``set_policy``, ``delete_policy``,
``list_policies`` here, ``lifecycle.move_invoice`` (docs/architecture.md).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    false,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session

from sandbox import clock, db, state
from sandbox.factures import errors
from sandbox.factures.models import ANY, Facture, LifecyclePolicy
from sandbox.factures.rules import travaux
from sandbox.factures.rules.lifecycle import (
    MOTIF_REQUIRED,
    ROUTE_AFTER,
    Actor,
    allowed_targets,
    route,
    transition,
)
from sandbox.factures.rules.travaux_cycle import ASSOCIABLE, CADRES_TRAVAUX, FOLLOW_UP, depositor
from sandbox.models import Structure
from sandbox.vocabulary import StatutFacture

log = logging.getLogger("sandbox.factures.policies")

POLICY_MOTIF = "Politique automatique de cycle de vie du bac à sable"
BATCH = 200
MAX_ROUNDS = 20  # chained policies with zero delays: bounded work per pass


class PolicyError(ValueError):
    """A policy that cannot be: unknown structure or status, a move not allowed."""


def _as_dict(p: LifecyclePolicy) -> dict:
    return {
        "id": p.id,
        "destinataire": p.scope,
        "idDestinataire": p.destinataire_id,
        "statutDepart": p.from_statut,
        "statutArrivee": p.to_statut,
        "delaiSecondes": p.delay_seconds,
        "motif": p.motif,
    }


def set_policy(
    s: Session,
    *,
    destinataire_id: int | None,
    from_statut: str,
    to_statut: str,
    delay_seconds: float,
    motif: str | None = None,
) -> dict:
    """Create or replace the policy of ``destinataire_id`` (None: ``*``) for ``from_statut``.

    Raises ``PolicyError``. The caller commits."""
    known = {x.value for x in StatutFacture}
    for statut in (from_statut, to_statut):
        if statut not in known:
            raise PolicyError(f"Unknown invoice status {statut!r}.")
    targets = policy_targets(from_statut)
    if to_statut == from_statut or to_statut not in targets:
        possible = ", ".join(t for t in targets if t != from_statut)
        raise PolicyError(
            f"{from_statut} -> {to_statut} is not an allowed move (from {from_statut}: "
            f"{possible or 'none'})."
        )
    if delay_seconds < 0:
        raise PolicyError("The delay must be zero or positive.")
    if destinataire_id is not None and s.get(Structure, destinataire_id) is None:
        raise PolicyError(f"Unknown structure {destinataire_id}.")
    scope = ANY if destinataire_id is None else str(destinataire_id)
    policy = s.scalars(
        select(LifecyclePolicy).where(
            LifecyclePolicy.scope == scope, LifecyclePolicy.from_statut == from_statut
        )
    ).first()
    if policy is None:
        policy = LifecyclePolicy(
            scope=scope, destinataire_id=destinataire_id, from_statut=from_statut
        )
        s.add(policy)
    policy.to_statut = to_statut
    policy.delay_seconds = float(delay_seconds)
    policy.motif = motif
    policy.created_at = clock.utcnow_naive()
    s.flush()
    return _as_dict(policy)


def policy_targets(from_statut: str) -> tuple[str, ...]:
    """The moves a policy may make from ``from_statut``: a plain invoice's, with a
    validator or without, and a works invoice's. A policy names no invoice: it applies to
    those its move is allowed for (``eligible``)."""
    moves = allowed_targets(Actor.CONTROL, from_statut, validator=False) + allowed_targets(
        Actor.CONTROL, from_statut, validator=True)
    for cadre in CADRES_TRAVAUX:
        moves += allowed_targets(Actor.CONTROL, from_statut, cadre)
    return tuple(dict.fromkeys(moves))


def works_cadres(from_statut: str, to_statut: str) -> tuple[str, ...]:
    """The works cadres whose invoices a policy ``from_statut -> to_statut`` moves (to
    ``ASSOCIEE``: those whose next document the actor waited for in ``from_statut``
    deposits, ``travaux_cycle.FOLLOW_UP``)."""
    if to_statut == StatutFacture.ASSOCIEE:
        return tuple(c for c, nxt in FOLLOW_UP.items()
                     if from_statut in ASSOCIABLE[depositor(nxt)])
    return tuple(c for c in CADRES_TRAVAUX
                 if to_statut in allowed_targets(Actor.CONTROL, from_statut, c))


def eligible(from_statut: str, to_statut: str) -> ColumnElement[bool] | None:
    """The invoices a policy's move is allowed for, by cadre and validator (None: all)."""
    without = to_statut in allowed_targets(Actor.CONTROL, from_statut, validator=False)
    with_validator = to_statut in allowed_targets(Actor.CONTROL, from_statut, validator=True)
    works = works_cadres(from_statut, to_statut)
    if without and with_validator and len(works) == len(CADRES_TRAVAUX):
        return None
    plain = or_(Facture.cadre_facturation.is_(None),
                Facture.cadre_facturation.not_in(CADRES_TRAVAUX))
    clauses = []
    if without and with_validator:
        clauses.append(plain)
    elif with_validator:  # into the validation stage
        clauses.append(and_(plain, Facture.valideur_structure_id.is_not(None)))
    elif without:  # around it (VALIDATION_FIRST)
        clauses.append(and_(plain, Facture.valideur_structure_id.is_(None)))
    if works:
        clauses.append(Facture.cadre_facturation.in_(works))
    return or_(*clauses) if clauses else false()


def list_policies(s: Session, destinataire_id: int | None = None) -> list[dict]:
    """Every policy, or those that apply to one recipient (its own and the ``*`` ones it
    has no own policy for)."""
    rows = list(s.scalars(select(LifecyclePolicy).order_by(LifecyclePolicy.id)))
    if destinataire_id is not None:
        own = {p.from_statut for p in rows if p.destinataire_id == destinataire_id}
        rows = [
            p
            for p in rows
            if p.destinataire_id == destinataire_id or (p.scope == ANY and p.from_statut not in own)
        ]
    return [_as_dict(p) for p in rows]


def delete_policy(s: Session, policy_id: int) -> bool:
    """Remove one policy; tell whether it existed. The caller commits."""
    return db.changed_rows(s, delete(LifecyclePolicy).where(LifecyclePolicy.id == policy_id)) == 1


_DUE_SHAPES: dict[tuple[bool, bool, str, str], tuple[Select, Select]] = {}


def _due_statements(any_scope: bool, excluded: bool, from_statut: str, to_statut: str
                    ) -> tuple[Select, Select]:
    """The queries of one shape of policy (scope, excluded recipients, move), built once,
    values bound at run time (building a statement costs more CPU than running it;
    docs/performance.md): the date its earliest invoice entered the status, and the due
    invoices' ids."""
    key = (any_scope, excluded, from_statut, to_statut)
    statements = _DUE_SHAPES.get(key)
    if statements is None:
        where: list[ColumnElement[bool]] = [Facture.statut == bindparam("from_statut")]
        if not any_scope:
            where.append(Facture.destinataire_id == bindparam("destinataire"))
        elif excluded:
            where.append(not_(Facture.destinataire_id.in_(bindparam("own", expanding=True))))
        allowed = eligible(from_statut, to_statut)
        if allowed is not None:
            where.append(allowed)
        statements = _DUE_SHAPES[key] = (
            select(func.min(Facture.date_heure_etat_courant)).where(*where),
            select(Facture.id)
            .where(*where, Facture.date_heure_etat_courant <= bindparam("threshold"))
            .order_by(Facture.id)
            .limit(BATCH),
        )
    return statements


def _due(
    s: Session, policy: LifecyclePolicy, specific: dict[str, set[int]], now: datetime
) -> tuple[list[int], datetime | None]:
    """The invoices ``policy`` moves now, or none and when its next move is due (None:
    no invoice it applies to)."""
    params: dict = {"from_statut": policy.from_statut}
    own = specific.get(policy.from_statut, set()) if policy.scope == ANY else set()
    if own:
        params["own"] = sorted(own)
    elif policy.scope != ANY:
        params["destinataire"] = policy.destinataire_id
    # Only the invoices the move is allowed for are due (the others would fill every batch
    # and hold these back).
    earliest, due = _due_statements(policy.scope == ANY, bool(own), policy.from_statut,
                                    policy.to_statut)
    entered = s.scalar(earliest, params)  # one aggregate: nothing due is the common case
    if entered is None:
        return [], None
    if entered + timedelta(seconds=policy.delay_seconds) > now:
        return [], entered + timedelta(seconds=policy.delay_seconds)
    params["threshold"] = now - timedelta(seconds=policy.delay_seconds)
    return list(s.scalars(due, params)), None


def apply_policies(now: datetime | None = None, epoch: int | None = None) -> int:
    """Move every invoice a policy makes due; return how many moves were made.

    ``epoch`` is the reset epoch read before anything else (read now if not given): a
    reset after it ends the pass without a move (``state.fence``), since the policies,
    the due invoices and ``now`` were read in the world before it (issue #23 §9)."""
    return apply_and_schedule(now, epoch)[0]


def apply_and_schedule(now: datetime | None = None, epoch: int | None = None,
                       ) -> tuple[int, datetime | None]:
    """``apply_policies``, and when the next move is due on the sandbox clock, as the data
    stands after the pass (None: no policy has an invoice to move): the worker's loop
    sleeps until then unless the database changes."""
    epoch = state.reset_epoch() if epoch is None else epoch
    moved = 0
    next_due: datetime | None = None
    settled = False  # a round found nothing due
    for _ in range(MAX_ROUNDS):
        now = now or clock.utcnow_naive()
        with db.new_session() as s:
            policies = list(s.scalars(select(LifecyclePolicy).order_by(LifecyclePolicy.id)))
            specific: dict[str, set[int]] = {}
            for p in policies:
                if p.destinataire_id is not None:  # a recipient's own (scope: its id, not ANY)
                    specific.setdefault(p.from_statut, set()).add(p.destinataire_id)
            work, next_due = [], None
            for p in policies:
                ids, later = _due(s, p, specific, now)
                if ids:
                    work.append((p, ids))
                elif later is not None and (next_due is None or later < next_due):
                    next_due = later
        if not work:
            settled = True
            break
        round_moves = 0
        with db.transaction() as s:
            if not state.fence(s, epoch):
                break
            for read, ids in work:
                # The policies were read before this transaction: one deleted since (a reset,
                # which also puts back the seeded invoices under the same ids) moves nothing,
                # and one replaced since moves as it says now. The row lock keeps it so until
                # the moves commit (PostgreSQL; SQLite's write transactions are serial).
                policy = s.get(LifecyclePolicy, read.id, with_for_update=True)
                if policy is None:
                    continue
                for facture_id in ids:
                    facture = s.get(Facture, facture_id)
                    if facture is None or facture.statut != policy.from_statut:
                        continue  # moved meanwhile
                    at = facture.date_heure_etat_courant + timedelta(seconds=policy.delay_seconds)
                    if at > now:
                        continue  # not due under the policy's delay as it is now
                    motif = policy.motif or (
                        POLICY_MOTIF if policy.to_statut in MOTIF_REQUIRED else None
                    )
                    try:
                        if policy.to_statut == StatutFacture.ASSOCIEE:  # a works step
                            travaux.play_next_actor(s, facture, at=min(at, now),
                                                    motif=policy.motif)
                        else:
                            transition(s, facture, policy.to_statut, actor=Actor.CONTROL,
                                       motif=motif, at=min(at, now))
                        if policy.to_statut in ROUTE_AFTER:  # validated: on to the recipient
                            route(s, facture, at=min(at, now))
                    except errors.TransitionInterdite:  # another worker won the race
                        continue
                    round_moves += 1
        moved += round_moves
        if round_moves == 0:
            break
    if not settled:  # moves left undone (raced, a reset, the rounds' bound): due now
        next_due = now
    if moved:
        log.info("lifecycle policies moved %d invoice(s)", moved)
    return moved, next_due
