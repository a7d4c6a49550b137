"""One function per mail the sandbox sends: it owns the mail's kind and its context.

A rule that mails someone calls ``send_<mail>_email`` here, never ``enqueue`` with a
kind string (warehouse's ``send_*_email``): the template ``templates/<kind>.txt`` /
``.html`` and the names it expects are then read in one place. Each function
enqueues in the caller's transaction (``sandbox.mail.outbox``): the mail leaves
only if the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from sandbox.config import Settings
from sandbox.formatting import duration_text, utc_date_text
from sandbox.mail.outbox import enqueue
from sandbox.models import OutboxMail, Structure, User
from sandbox.vocabulary import StatutRattachement, StatutUtilisateur

__all__ = [
    "send_activation_email",
    "send_dataset_email",
    "send_rattachement_decision_email",
    "send_rattachement_request_email",
    "send_second_factor_email",
    "send_signup_summary_email",
    "send_technical_account_email",
]


def _portal(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/")


def _greeting(user: User, **extra: Any) -> dict[str, Any]:
    # Every template opens with "Bonjour {{ prenom }} {{ nom }}" and may show the login.
    return {"prenom": user.prenom, "nom": user.nom, "login": user.login, **extra}


def send_signup_summary_email(
    s: Session,
    settings: Settings,
    user: User,
    structure: Structure,
    *,
    created_structure: bool,
    gestionnaire_informed: bool,
    link_lifetime: timedelta,
    libelle_type_identifiant: str,
) -> OutboxMail:
    """The summary of a signup (what was created, what comes next) to the new user."""
    return enqueue(
        s,
        "inscription",
        user.login,
        _greeting(
            user,
            email_contact=user.email_contact,
            telephone=user.telephone or "",
            structure=structure.designation,
            type_identifiant=libelle_type_identifiant,
            identifiant=structure.identifiant,
            created_structure=created_structure,
            gestionnaire_informe=gestionnaire_informed,
            validity=duration_text(link_lifetime),
            portal_url=_portal(settings),
        ),
    )


def send_activation_email(
    s: Session, settings: Settings, user: User, link: str, lifetime: timedelta
) -> OutboxMail:
    """The activation link (valid ``lifetime``) to the pending user."""
    return enqueue(
        s,
        "activation",
        user.login,
        _greeting(user, link=link, validity=duration_text(lifetime)),
        link=link,
    )


def send_rattachement_request_email(
    s: Session, settings: Settings, gestionnaire: User, requester: User, structure: Structure
) -> OutboxMail:
    """A new demande de rattachement to the structure's gestionnaire principal."""
    link = f"{_portal(settings)}/gestionnaire/demandes"
    return enqueue(
        s,
        "rattachement_demande",
        gestionnaire.email_contact or gestionnaire.login,
        _greeting(
            gestionnaire,
            demandeur=f"{requester.prenom} {requester.nom}",
            demandeur_login=requester.login,
            structure=structure.designation,
            identifiant=structure.identifiant,
            link=link,
        ),
        link=link,
    )


def send_rattachement_decision_email(
    s: Session,
    settings: Settings,
    requester: User,
    structure: Structure,
    decision: StatutRattachement | str,
    commentaire: str | None,
) -> OutboxMail:
    """The gestionnaire's decision (``VALIDEE`` or ``REFUSEE``) to the requester."""
    kind = (
        "rattachement_validee"
        if decision == StatutRattachement.VALIDEE
        else "rattachement_refusee"
    )
    base = _portal(settings)
    return enqueue(
        s,
        kind,
        requester.login,
        _greeting(
            requester,
            structure=structure.designation,
            identifiant=structure.identifiant,
            commentaire=commentaire or "",
            pending=requester.statut == StatutUtilisateur.EN_ATTENTE_ACTIVATION,
            new_link_url=f"{base}/activation/nouveau-lien",
            login_url=f"{base}/connexion",
        ),
    )


def send_second_factor_email(
    s: Session, settings: Settings, user: User, code: str, minutes: int
) -> OutboxMail:
    """A login code (valid ``minutes``) to the user logging in."""
    return enqueue(
        s,
        "code_connexion",
        user.login,
        _greeting(user, code=code, validity=f"{minutes} minutes"),
    )


def send_technical_account_email(
    s: Session,
    settings: Settings,
    gestionnaire: User,
    account: User,
    structure: Structure,
    *,
    action: str,
    technical_login: str,
) -> OutboxMail:
    """A technical account ``created`` or ``reset`` (``action``) to its gestionnaire.

    ``technical_login`` is the login as displayed (``TECH_1_<identifiant>@cpro.fr``).
    """
    return enqueue(
        s,
        "technical_account",
        gestionnaire.login,
        _greeting(
            gestionnaire,
            action=action,
            login=technical_login,
            structure=structure.designation,
            identifiant=structure.identifiant,
            expiration=utc_date_text(account.password_expires_at),
        ),
    )


def send_dataset_email(
    s: Session,
    settings: Settings,
    requester: User,
    dataset_id: int,
    link: str,
    structures: Sequence[str],
) -> OutboxMail:
    """A qualification data set is ready (download ``link``) to whoever asked for it."""
    return enqueue(
        s,
        "jeu_de_donnees",
        requester.login,
        _greeting(requester, link=link, dataset_id=dataset_id, structures=list(structures)),
        link=link,
    )
