"""The invoice lifecycle: who may move an invoice from which status to which, as data.

factures-reference.md §6.3-6.4. Three actors move invoices on the real platform:

* the **platform**: ``DEPOSEE`` -> ``EN_COURS_ACHEMINEMENT`` -> ``MISE_A_DISPOSITION``;
* the **recipient** (``traiter/recue``): from ``MISE_A_DISPOSITION`` to the targets the
  official ``recuperer/etats/traitement`` sample lists, plus ``SERVICE_FAIT`` (Pastell
  offers it); from the optional statuses onwards (docs/decisions.md: what the reference
  leaves open);
* the **supplier**: ``completer`` (``SUSPENDUE`` -> ``COMPLETEE``), ``recycler``
  (``A_RECYCLER`` -> ``DEPOSEE``, then the platform routes it again).

``REJETEE`` and ``MISE_EN_PAIEMENT`` are final. A motif is required to reject or
suspend. ``transition`` is the one function that changes a status: it refuses a
forbidden move with a business error, changes the row with a conditional UPDATE (two
concurrent moves cannot both win) and appends the history (``models.append_status``).
The control plane (and the automatic policies of ``policies.py``) may go further in one
call, but only along these transitions (``path_to``).

A rules module: no Flask, no registry, no request context; the caller gives the session
and owns the transaction.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts.rights import Account
from sandbox.factures import errors
from sandbox.factures.models import Facture, FactureAction, append_status, user_row
from sandbox.factures.rules import travaux_cycle
from sandbox.vocabulary import StatutFacture as F


class Actor(StrEnum):
    """Who asks for a move."""

    PLATFORM = "PLATFORM"
    RECIPIENT = "RECIPIENT"
    SUPPLIER = "SUPPLIER"
    CONTROL = "CONTROL"  # the control plane and the automatic policies
    MOE = "MOE"  # works invoices: the maîtrise d'œuvre (travaux_cycle.py)
    MOA = "MOA"  # works invoices: the maître d'ouvrage


PLATFORM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    F.DEPOSEE: (F.EN_COURS_ACHEMINEMENT,),
    F.EN_COURS_ACHEMINEMENT: (F.MISE_A_DISPOSITION,),
}

# The official recuperer/etats/traitement answer for MISE_A_DISPOSITION, in its order,
# then SERVICE_FAIT (a target in Pastell's model, absent from that sample).
_FROM_MISE_A_DISPOSITION = (
    F.MISE_A_DISPOSITION,
    F.SUSPENDUE,
    F.REJETEE,
    F.MANDATEE,
    F.MISE_EN_PAIEMENT,
    F.COMPTABILISEE,
    F.MISE_A_DISPOSITION_COMPTABLE,
    F.A_RECYCLER,
    F.SERVICE_FAIT,
)

RECIPIENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    F.MISE_A_DISPOSITION: _FROM_MISE_A_DISPOSITION,
    # Completed by the supplier: back in the recipient's hands, as on arrival.
    F.COMPLETEE: _FROM_MISE_A_DISPOSITION,
    # After the optional steps the invoice only goes forward, or is rejected.
    F.SERVICE_FAIT: (
        F.SUSPENDUE,
        F.REJETEE,
        F.MANDATEE,
        F.MISE_EN_PAIEMENT,
        F.COMPTABILISEE,
        F.MISE_A_DISPOSITION_COMPTABLE,
    ),
    F.MANDATEE: (F.REJETEE, F.MISE_EN_PAIEMENT, F.COMPTABILISEE, F.MISE_A_DISPOSITION_COMPTABLE),
    F.MISE_A_DISPOSITION_COMPTABLE: (F.REJETEE, F.MISE_EN_PAIEMENT, F.COMPTABILISEE),
    F.COMPTABILISEE: (F.MISE_EN_PAIEMENT,),
}

SUPPLIER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    F.SUSPENDUE: (F.COMPLETEE,),
    F.A_RECYCLER: (F.DEPOSEE,),
}

TRANSITIONS: dict[Actor, dict[str, tuple[str, ...]]] = {
    Actor.PLATFORM: PLATFORM_TRANSITIONS,
    Actor.RECIPIENT: RECIPIENT_TRANSITIONS,
    Actor.SUPPLIER: SUPPLIER_TRANSITIONS,
}

# Works invoices (factures de travaux): their own circuit up to MISE_A_DISPOSITION, then
# the recipient's plain lifecycle (travaux_cycle.py); the platform routes each cadre to
# its own first status.
TRAVAUX_TRANSITIONS: dict[str, dict[Actor, dict[str, tuple[str, ...]]]] = {
    cadre: {
        Actor.PLATFORM: {F.DEPOSEE: (F.EN_COURS_ACHEMINEMENT,),
                         F.EN_COURS_ACHEMINEMENT: (travaux_cycle.first_status(cadre),)},
        Actor.RECIPIENT: RECIPIENT_TRANSITIONS,
        Actor.SUPPLIER: {**SUPPLIER_TRANSITIONS, **travaux_cycle.SUPPLIER},
        Actor.MOE: travaux_cycle.MOE,
        Actor.MOA: travaux_cycle.MOA,
    }
    for cadre in travaux_cycle.CADRES_TRAVAUX
}

MOTIF_REQUIRED = frozenset({F.REJETEE, F.SUSPENDUE}) | travaux_cycle.MOTIF_REQUIRED
FINAL = frozenset({F.REJETEE, F.MISE_EN_PAIEMENT})
# Statuses in which the recipient sees the invoice (it has been made available once).
NOT_YET_RECEIVED = frozenset({F.BROUILLON, F.DEPOSEE, F.EN_COURS_ACHEMINEMENT, F.INTERPRETEE_OCR})
CONTROL_MOTIF = "Changement de statut par le plan de contrôle du bac à sable"


def tables(cadre: str | None) -> dict[Actor, dict[str, tuple[str, ...]]]:
    """The transition tables of an invoice of ``cadre`` (works frameworks: their own)."""
    return TRAVAUX_TRANSITIONS.get(cadre or "", TRANSITIONS)


def allowed_targets(actor: Actor, statut: str, cadre: str | None = None) -> tuple[str, ...]:
    """The statuses ``actor`` may move an invoice of ``cadre`` in ``statut`` to (the
    control plane: whatever any actor may)."""
    table = tables(cadre)
    if actor is Actor.CONTROL:
        seen: list[str] = []
        for moves in table.values():
            seen += [t for t in moves.get(statut, ()) if t not in seen]
        return tuple(seen)
    return table.get(actor, {}).get(statut, ())


def is_allowed(actor: Actor, current: str, new: str, cadre: str | None = None) -> bool:
    return new in allowed_targets(actor, current, cadre)


def path_to(current: str, target: str, cadre: str | None = None) -> list[str] | None:
    """The shortest chain of allowed moves (any actor) from ``current`` to ``target``,
    excluding ``current``; ``[]`` if already there, None if unreachable."""
    if current == target:
        return []
    previous: dict[str, str] = {current: current}
    queue = deque([current])
    while queue:
        statut = queue.popleft()
        for nxt in allowed_targets(Actor.CONTROL, statut, cadre):
            if nxt in previous:
                continue
            previous[nxt] = statut
            if nxt == target:
                chain = [nxt]
                while previous[chain[-1]] != current:
                    chain.append(previous[chain[-1]])
                return chain[::-1]
            queue.append(nxt)
    return None


def transition(
    s: Session,
    facture: Facture,
    new_status: str,
    *,
    actor: Actor,
    motif: str | None = None,
    user: Account | None = None,
    at: datetime | None = None,
) -> None:
    """Move ``facture`` to ``new_status`` for ``actor`` and append the history row.

    Raises ``TransitionInterdite`` for a move the table does not allow (or when
    another request moved the invoice meanwhile) and ``MotifObligatoire`` when
    rejecting or suspending without a motif. The caller owns the (writing) transaction.
    """
    current = facture.statut
    if not is_allowed(actor, current, new_status, facture.cadre_facturation):
        raise errors.TransitionInterdite(
            refusal(actor, current, new_status, facture.cadre_facturation))
    motif = (motif or "").strip() or None
    if new_status in MOTIF_REQUIRED and motif is None:
        raise errors.MotifObligatoire(
            f"Le motif est obligatoire pour passer une facture au statut {new_status}."
        )
    at = at or clock.utcnow_naive()
    won = db.changed_rows(
        s,
        update(Facture)
        .where(Facture.id == facture.id, Facture.statut == current)
        .values(statut=str(new_status), date_heure_etat_courant=at)
        .execution_options(synchronize_session=False),
    )
    if won != 1:
        s.refresh(facture)
        raise errors.TransitionInterdite(
            f"La facture a changé de statut entre-temps (statut courant {facture.statut})."
        )
    append_status(s, facture, new_status, at=at, commentaire=motif, user=user)


def record_action(
    s: Session, facture: Facture, code: str, user: Account, *, at: datetime | None = None
) -> FactureAction:
    """Append a user action (historiquesDesActionsUtilisateurs): TELECHARGEMENT_FACTURE...
    The names are the ``users`` row's (none if the account was deleted meanwhile)."""
    who = user_row(s, user)
    action = FactureAction(
        facture_id=facture.id,
        code=code,
        date_heure=at or clock.utcnow_naive(),
        user_id=user.id,
        user_nom=who.nom if who is not None else None,
        user_prenom=who.prenom if who is not None else None,
        user_email=(who.email_contact or who.login) if who is not None else None,
    )
    s.add(action)
    return action


def refusal(actor: Actor, current: str, new: str, cadre: str | None = None) -> str:
    """The libellé of a refused move: what is allowed from ``current``."""
    targets = allowed_targets(actor, current, cadre)
    possible = ", ".join(targets) if targets else "aucun"
    return (
        f"Le passage du statut {current} au statut {new} n'est pas autorisé "
        f"(statuts possibles : {possible})."
    )


def route(s: Session, facture: Facture, *, at: datetime | None = None) -> None:
    """What the platform does with a ``DEPOSEE`` invoice, at once: ``EN_COURS_ACHEMINEMENT``
    then ``MISE_A_DISPOSITION`` (docs/decisions.md: routing is synchronous); a works
    invoice goes to its cadre's first status instead (``travaux_cycle.first_status``)."""
    at = at or clock.utcnow_naive()
    transition(s, facture, F.EN_COURS_ACHEMINEMENT, actor=Actor.PLATFORM, at=at)
    transition(s, facture, travaux_cycle.first_status(facture.cadre_facturation),
               actor=Actor.PLATFORM, at=at)


def enter_deposee_and_route(
    s: Session, facture: Facture, *, at: datetime, user: Account | None = None
) -> None:
    """A new invoice (a flux integration, a ``soumettre``): its first status, ``DEPOSEE``
    with its history row, then routed to the recipient at once (``route``)."""
    append_status(s, facture, F.DEPOSEE, at=at, user=user)
    route(s, facture, at=at)


def move_invoice(
    s: Session,
    facture_id: int,
    statut: str,
    *,
    motif: str | None = None,
    user: Account | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Control plane: move an invoice to ``statut`` along allowed transitions, one history
    row per step (``motif`` or a default one where a motif is required).

    Returns the statuses passed through. Raises ``DemandePaiementInconnue`` and
    ``TransitionInterdite`` (unreachable from the current status). The caller commits.
    """
    facture = s.get(Facture, facture_id)
    if facture is None:
        raise errors.DemandePaiementInconnue()
    chain = path_to(facture.statut, statut, facture.cadre_facturation)
    if chain is None:
        raise errors.TransitionInterdite(
            f"Le statut {statut} n'est pas atteignable depuis le statut {facture.statut} "
            "par des transitions autorisées."
        )
    at = at or clock.utcnow_naive()
    for step in chain:
        transition(
            s,
            facture,
            step,
            actor=Actor.CONTROL,
            motif=(motif or CONTROL_MOTIF) if step in MOTIF_REQUIRED else motif,
            user=user,
            at=at,
        )
    return chain
