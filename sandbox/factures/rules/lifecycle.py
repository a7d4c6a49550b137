"""The invoice lifecycle: who may move an invoice from which status to which, as data.

factures-reference.md §6.3-6.4. Three actors move invoices on the real platform:

* the **platform**: ``DEPOSEE`` -> ``EN_COURS_ACHEMINEMENT`` -> ``MISE_A_DISPOSITION``;
* the **recipient** (``traiter/recue``): from ``MISE_A_DISPOSITION`` to the targets the
  official ``recuperer/etats/traitement`` sample lists, plus ``SERVICE_FAIT`` (Pastell
  offers it); from the optional statuses onwards (docs/decisions.md: what the reference
  leaves open);
* the **supplier**: ``completer`` (``SUSPENDUE`` -> ``COMPLETEE``), ``recycler``
  (``A_RECYCLER`` -> ``DEPOSEE``, then the platform routes it again),
  ``corriger/valideur/facture`` (``ERREUR_FOURNISSEUR_SUR_VALIDEUR`` -> ``A_VALIDER_1``);
* the **validator** of an invoice with one (cadres A9, A12: ``traiter/factureAValider``):
  ``A_VALIDER_1`` -> ``VALIDEE_1`` (the platform then routes it to the recipient),
  ``REFUSEE_1`` (back to the supplier, final) or ``ERREUR_FOURNISSEUR_SUR_VALIDEUR``
  (not the right validator: the supplier names another one). The platform moves an
  invoice left unvalidated to ``ABSENCE_VALIDATION_1_HORS_DELAI`` (the control plane or a
  policy plays the deadline) and routes it as validated. The validator's statuses are only
  for invoices that have a validator (``VALIDATION``); docs/decisions.md.

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
from dataclasses import dataclass
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
    VALIDATOR = "VALIDATOR"
    CONTROL = "CONTROL"  # the control plane and the automatic policies
    MOE = "MOE"  # works invoices: the maîtrise d'œuvre (travaux_cycle.py)
    MOA = "MOA"  # works invoices: the maître d'ouvrage


PLATFORM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    # To the recipient, or first to the validator (an invoice with one: VALIDATION).
    F.DEPOSEE: (F.EN_COURS_ACHEMINEMENT, F.A_VALIDER_1),
    F.EN_COURS_ACHEMINEMENT: (F.MISE_A_DISPOSITION,),
    # The validator's deadline passed: routed as if validated.
    F.A_VALIDER_1: (F.ABSENCE_VALIDATION_1_HORS_DELAI,),
    F.VALIDEE_1: (F.EN_COURS_ACHEMINEMENT,),
    F.ABSENCE_VALIDATION_1_HORS_DELAI: (F.EN_COURS_ACHEMINEMENT,),
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
    F.ERREUR_FOURNISSEUR_SUR_VALIDEUR: (F.A_VALIDER_1,),  # corriger/valideur/facture
}

VALIDATOR_TRANSITIONS: dict[str, tuple[str, ...]] = {
    F.A_VALIDER_1: (F.VALIDEE_1, F.REFUSEE_1, F.ERREUR_FOURNISSEUR_SUR_VALIDEUR),
}

# The validator first: the control plane's paths go through a validation, not the deadline.
TRANSITIONS: dict[Actor, dict[str, tuple[str, ...]]] = {
    Actor.VALIDATOR: VALIDATOR_TRANSITIONS,
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

# The statuses of the validation stage: only an invoice with a validator enters them.
VALIDATION = frozenset({
    F.A_VALIDER_1,
    F.VALIDEE_1,
    F.REFUSEE_1,
    F.ERREUR_FOURNISSEUR_SUR_VALIDEUR,
    F.ABSENCE_VALIDATION_1_HORS_DELAI,
})
# Transient: the platform routes a validated invoice to its recipient at once.
ROUTE_AFTER = frozenset({F.VALIDEE_1, F.ABSENCE_VALIDATION_1_HORS_DELAI})
# An invoice with a validator leaves these statuses only into the validation stage: it
# reaches its recipient through its validator (or the validator's deadline), never around
# (the plain circuit's entry rule: ``PLAIN``; the works circuits have no validation stage).
VALIDATION_FIRST = frozenset({F.DEPOSEE})
MOTIF_REQUIRED = frozenset(
    {F.REJETEE, F.SUSPENDUE, F.REFUSEE_1, F.ERREUR_FOURNISSEUR_SUR_VALIDEUR}
) | travaux_cycle.MOTIF_REQUIRED
FINAL = frozenset({F.REJETEE, F.MISE_EN_PAIEMENT, F.REFUSEE_1})
# Statuses in which the recipient does not see the invoice (not made available yet; or
# still with, or refused by, its validator; a works document still in the MOE's hands).
NOT_YET_RECEIVED = frozenset(
    {F.BROUILLON, F.DEPOSEE, F.EN_COURS_ACHEMINEMENT, F.INTERPRETEE_OCR} | VALIDATION
    | set(travaux_cycle.MOE_STAGE)
)
CONTROL_MOTIF = "Changement de statut par le plan de contrôle du bac à sable"


@dataclass(frozen=True)
class Circuit:
    """The lifecycle of an invoice of some cadre: who may move it from which status to
    which (``moves``), and the statuses an invoice with a validator leaves only into the
    validation stage (``validation_first``: none for a circuit without that stage)."""

    moves: dict[Actor, dict[str, tuple[str, ...]]]
    validation_first: frozenset[str] = frozenset()


PLAIN = Circuit(TRANSITIONS, VALIDATION_FIRST)
CIRCUITS: dict[str, Circuit] = {
    cadre: Circuit(moves) for cadre, moves in TRAVAUX_TRANSITIONS.items()
}


def circuit(cadre: str | None) -> Circuit:
    """The circuit of an invoice of ``cadre`` (works frameworks: their own)."""
    return CIRCUITS.get(cadre or "", PLAIN)


def allowed_targets(
    actor: Actor, statut: str, cadre: str | None = None, *, validator: bool = False
) -> tuple[str, ...]:
    """The statuses ``actor`` may move an invoice of ``cadre`` in ``statut`` to (the
    control plane: whatever any actor may); the validation stage only for an invoice with
    a validator; a works invoice along its own circuit."""
    lifecycle = circuit(cadre)
    table = lifecycle.moves
    if actor is Actor.CONTROL:
        seen: list[str] = []
        for moves in table.values():
            seen += [t for t in moves.get(statut, ()) if t not in seen]
        targets = tuple(seen)
    else:
        targets = table.get(actor, {}).get(statut, ())
    if validator:
        if statut in lifecycle.validation_first:
            return tuple(t for t in targets if t in VALIDATION)
        return targets
    return tuple(t for t in targets if t not in VALIDATION)


def targets_of(actor: Actor, facture: Facture) -> tuple[str, ...]:
    """``allowed_targets`` for this invoice (with or without a validator)."""
    return allowed_targets(actor, facture.statut, facture.cadre_facturation,
                           validator=has_validator(facture))


def has_validator(facture: Facture) -> bool:
    return facture.valideur_structure_id is not None


def is_allowed(
    actor: Actor, current: str, new: str, cadre: str | None = None, *, validator: bool = False
) -> bool:
    return new in allowed_targets(actor, current, cadre, validator=validator)


def path_to(
    current: str, target: str, cadre: str | None = None, *, validator: bool = False
) -> list[str] | None:
    """The shortest chain of allowed moves (any actor) from ``current`` to ``target``,
    excluding ``current``; ``[]`` if already there, None if unreachable (through the
    validation stage only when ``validator``)."""
    if current == target:
        return []
    previous: dict[str, str] = {current: current}
    queue = deque([current])
    while queue:
        statut = queue.popleft()
        for nxt in allowed_targets(Actor.CONTROL, statut, cadre, validator=validator):
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
    validator = has_validator(facture)
    cadre = facture.cadre_facturation
    if not is_allowed(actor, current, new_status, cadre, validator=validator):
        raise errors.TransitionInterdite(
            refusal(actor, current, new_status, cadre, validator=validator))
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


def refusal(
    actor: Actor, current: str, new: str, cadre: str | None = None, *, validator: bool = False
) -> str:
    """The libellé of a refused move: what is allowed from ``current``."""
    targets = allowed_targets(actor, current, cadre, validator=validator)
    possible = ", ".join(targets) if targets else "aucun"
    return (
        f"Le passage du statut {current} au statut {new} n'est pas autorisé "
        f"(statuts possibles : {possible})."
    )


def route(s: Session, facture: Facture, *, at: datetime | None = None) -> None:
    """What the platform does with a ``DEPOSEE`` (or validated) invoice, at once:
    ``EN_COURS_ACHEMINEMENT`` then ``MISE_A_DISPOSITION`` (docs/decisions.md: routing is
    synchronous); a works invoice goes to its cadre's first status instead
    (``travaux_cycle.first_status``)."""
    at = at or clock.utcnow_naive()
    transition(s, facture, F.EN_COURS_ACHEMINEMENT, actor=Actor.PLATFORM, at=at)
    transition(s, facture, travaux_cycle.first_status(facture.cadre_facturation),
               actor=Actor.PLATFORM, at=at)


def enter_deposee_and_route(
    s: Session, facture: Facture, *, at: datetime, user: Account | None = None
) -> None:
    """A new invoice (a flux integration, a ``soumettre``): its first status, ``DEPOSEE``
    with its history row, then routed to the recipient at once (``route``) — or, when it
    names a validator (cadres A9, A12), to its validator: ``A_VALIDER_1``."""
    append_status(s, facture, F.DEPOSEE, at=at, user=user)
    if has_validator(facture):
        transition(s, facture, F.A_VALIDER_1, actor=Actor.PLATFORM, at=at)
        return
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
    chain = path_to(facture.statut, statut, facture.cadre_facturation,
                    validator=has_validator(facture))
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
