"""Decisions on demandes de rattachement: the gestionnaire principal validates or refuses.

A demande is decided once: the decision is a conditional UPDATE from
``EN_COURS_DE_VALIDATION``, so of two concurrent decisions one wins and the other
gets ``RattachementAlreadyDecidedError``. The requester is mailed the decision (and,
while his account is pending, how to get a new activation link).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts import rights, validation
from sandbox.accounts.errors import (
    NotGestionnaireError,
    RattachementAlreadyDecidedError,
    RattachementNotFoundError,
    ValidationErrors,
)
from sandbox.accounts.users import session_user
from sandbox.config import Settings
from sandbox.mail.senders import send_rattachement_decision_email
from sandbox.models import Rattachement, Structure, User
from sandbox.vocabulary import StatutRattachement

__all__ = ["COMMENTAIRE_MAX", "DECISIONS", "decide_rattachement"]

DECISIONS = (StatutRattachement.VALIDEE, StatutRattachement.REFUSEE)
COMMENTAIRE_MAX = 1000


def _clean_commentaire(commentaire: str | None) -> str | None:
    commentaire = validation.text(commentaire) or None
    if commentaire and len(commentaire) > COMMENTAIRE_MAX:
        raise ValidationErrors(
            {"commentaire": f"Le commentaire ne doit pas dépasser {COMMENTAIRE_MAX} caractères."}
        )
    if commentaire and validation.has_forbidden_characters(
        commentaire.replace("\n", "").replace("\r", "").replace("\t", "")
    ):
        raise ValidationErrors(
            {"commentaire": "Le commentaire contient des caractères non autorisés."}
        )
    return commentaire


def decide_rattachement(
    s: Session,
    settings: Settings,
    rattachement_id: int,
    decision: str,
    commentaire: str | None = None,
    decided_by: User | int | None = None,
) -> Rattachement:
    """Validate or refuse a pending demande de rattachement and mail the requester.

    Only one decision wins (conditional update from ``EN_COURS_DE_VALIDATION``);
    a later one raises ``RattachementAlreadyDecidedError``. When ``decided_by`` is
    given it must be the structure's gestionnaire principal.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {tuple(str(d) for d in DECISIONS)}")
    commentaire = _clean_commentaire(commentaire)
    if not validation.valid_id(rattachement_id):
        raise RattachementNotFoundError()
    with db.unit_of_work(s):
        rattachement = s.get(Rattachement, int(rattachement_id))
        if rattachement is None:
            raise RattachementNotFoundError()
        s.refresh(rattachement)
        decider_id = None
        if decided_by is not None:
            decider_id = session_user(s, decided_by).id
            gp_id = rights.gestionnaire_principal_id(
                s, rattachement.structure_id, validated=False
            )
            if gp_id != decider_id:
                raise NotGestionnaireError()
        won = db.changed_rows(
            s,
            update(Rattachement)
            .where(
                Rattachement.id == rattachement.id,
                Rattachement.statut == StatutRattachement.EN_COURS_DE_VALIDATION,
            )
            .values(
                statut=decision,
                commentaire=commentaire,
                decided_at=clock.utcnow_naive(),
                decided_by_id=decider_id,
            )
            .execution_options(synchronize_session=False),
        )
        if won != 1:
            raise RattachementAlreadyDecidedError()
        s.refresh(rattachement)
        user = s.get(User, rattachement.user_id)
        structure = s.get(Structure, rattachement.structure_id)
        if user is None or structure is None:
            # Deleting either deletes the rattachement (FK cascade): the UPDATE above would
            # have matched no row.
            raise RattachementNotFoundError()
        send_rattachement_decision_email(s, settings, user, structure, decision, commentaire)
        return rattachement
