"""Technical accounts ("comptes techniques"): the credentials an IS puts in ``cpro-account``.

One per structure, created (and reset) by the structure's gestionnaire principal.
Such an account cannot log in to the portal; on the API it has the rights of the
structure's gestionnaire principal (every structure the GP is attached to); its
password expires after ``tech_password_days`` (424 days on the real platform).

These functions are the contract other areas use (portal page, seeding, control
plane): see docs/architecture.md. They live with the accounts, not in the gateway
package: creating an account is an accounts rule; the gateway only reads them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sandbox import clock, db, security
from sandbox.accounts import rights
from sandbox.config import Settings
from sandbox.mail.senders import send_technical_account_email
from sandbox.models import Structure, User
from sandbox.vocabulary import StatutUtilisateur

TECH_LOGIN_PREFIX = "TECH_1_"
TECH_LOGIN_DOMAIN = "@cpro.fr"


class TechnicalAccountRuleError(Exception):
    """A technical account cannot be created or reset (message in French).

    Not to be confused with ``accounts.errors.TechnicalAccountLoginError``: a technical
    account trying to log in to the portal."""


def technical_login(structure: Structure) -> str:
    """The login of ``structure``'s technical account, as displayed: ``TECH_1_<id>@cpro.fr``."""
    return f"{TECH_LOGIN_PREFIX}{structure.identifiant}{TECH_LOGIN_DOMAIN}"


def find_technical_account(s: Session, structure_id: int) -> User | None:
    """Return the technical account created on structure ``structure_id``, if any."""
    return s.scalars(
        select(User).where(User.technical_structure_id == structure_id, User.is_technical)
    ).first()


def _check_gestionnaire(s: Session, structure: Structure, gestionnaire: User) -> None:
    if gestionnaire.is_technical:
        raise TechnicalAccountRuleError(
            "Un compte technique ne peut pas gérer de compte technique."
        )
    if not rights.is_gestionnaire_principal(s, gestionnaire.id, structure.id):
        raise TechnicalAccountRuleError(
            "Seul le gestionnaire principal de la structure peut gérer son compte technique."
        )


def _notify(
    s: Session,
    settings: Settings,
    structure: Structure,
    gestionnaire: User,
    user: User,
    action: str,
) -> None:
    send_technical_account_email(
        s,
        settings,
        gestionnaire,
        user,
        structure,
        action=action,
        technical_login=technical_login(structure),
    )


def create_technical_account(
    s: Session,
    settings: Settings,
    structure: Structure,
    gestionnaire: User,
    *,
    password: str | None = None,
    hash_method: str | None = None,
    notify: bool = True,
) -> tuple[User, str]:
    """Create ``structure``'s technical account; return it and its clear password.

    ``gestionnaire`` must be the structure's gestionnaire principal; he is mailed
    (unless ``notify`` is false). ``password`` and ``hash_method`` let seeding make
    reproducible, cheap accounts. The caller commits ``s``.
    Raises ``TechnicalAccountRuleError`` (French message) when not allowed.
    """
    password = password or security.generate_password(16)
    password_hash = security.hash_password(password, hash_method or settings.password_hash_method)
    db.begin_write(s)
    _check_gestionnaire(s, structure, gestionnaire)
    if find_technical_account(s, structure.id) is not None:
        raise TechnicalAccountRuleError(
            "Un compte technique existe déjà pour cette structure : réinitialisez son mot de passe."
        )
    login = technical_login(structure).lower()
    if s.scalar(select(User.id).where(User.login == login)) is not None:
        raise TechnicalAccountRuleError(f"L'identifiant de connexion {login} est déjà utilisé.")
    now = clock.utcnow_naive()
    user = User(
        login=login,
        prenom="Compte",
        nom="technique",
        email_contact=gestionnaire.email_contact or gestionnaire.login,
        password_hash=password_hash,
        statut=StatutUtilisateur.ACTIF,
        is_technical=True,
        technical_structure_id=structure.id,
        password_expires_at=now + timedelta(days=settings.tech_password_days),
        failed_logins=0,
        created_at=now,
        activated_at=now,
    )
    s.add(user)
    s.flush()
    if notify:
        _notify(s, settings, structure, gestionnaire, user, "created")
    return user, password


def reset_technical_password(
    s: Session,
    settings: Settings,
    structure: Structure,
    gestionnaire: User,
    *,
    notify: bool = True,
) -> tuple[User, str]:
    """Give ``structure``'s technical account a new password (and a new expiry date).

    Returns the account and its clear password. The caller commits ``s``.

    Two resets at once (issue #23 §6) must not both answer a password when only the
    last one written works: the password in place when the request arrived is read
    before the (slow) hashing, and the new one is written only if it is still the one
    in place (a conditional UPDATE, under the write lock). The loser is refused with
    ``TechnicalAccountRuleError``; one reset after another both succeed.
    """
    current = find_technical_account(s, structure.id)
    previous = current.password_hash if current is not None else None
    password = security.generate_password(16)
    password_hash = security.hash_password(password, settings.password_hash_method)
    db.begin_write(s)
    _check_gestionnaire(s, structure, gestionnaire)
    user = find_technical_account(s, structure.id)
    if user is None:
        raise TechnicalAccountRuleError("Cette structure n'a pas encore de compte technique.")
    expires = clock.utcnow_naive() + timedelta(days=settings.tech_password_days)
    won = db.changed_rows(s, update(User).where(
        User.id == user.id, User.password_hash == previous).values(
        password_hash=password_hash, password_expires_at=expires,
        statut=StatutUtilisateur.ACTIF))
    if won != 1:
        raise TechnicalAccountRuleError(
            "Le mot de passe de ce compte technique vient d'être réinitialisé par une autre "
            "demande : seul le mot de passe de cette autre demande est valable."
        )
    s.refresh(user)
    if notify:
        _notify(s, settings, structure, gestionnaire, user, "reset")
    return user, password
