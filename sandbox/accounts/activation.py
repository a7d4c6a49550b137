"""Activation links: issue, reissue, request, check, and activate an account with one.

A pending account (``EN_ATTENTE_ACTIVATION``) becomes active when its owner follows
the latest link mailed to him and chooses a password. One live link per account:
issuing a new one revokes the others. Using a link is a conditional UPDATE (one
activation wins a race). Password hashing is done before the write lock is taken.
An account whose only rattachement is pending or refused cannot be activated.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from sandbox import clock, db, security
from sandbox.accounts import validation
from sandbox.accounts.errors import (
    AlreadyActiveError,
    ExpiredLinkError,
    RattachementPendingError,
    RattachementRefusedError,
    RevokedLinkError,
    UnknownLinkError,
    UsedLinkError,
    WeakPasswordError,
)
from sandbox.accounts.tokens import revoke_live_tokens
from sandbox.accounts.users import session_user
from sandbox.config import Settings
from sandbox.mail.senders import send_activation_email
from sandbox.models import ActionToken, Rattachement, User
from sandbox.vocabulary import StatutRattachement, StatutUtilisateur, TokenPurpose

__all__ = [
    "activate",
    "activation_url",
    "check_activation_link",
    "check_rattachements",
    "issue_activation_link",
    "link_lifetime",
    "new_activation_link",
    "password_policy",
    "reissue_activation_link",
    "request_new_activation_link",
]


def link_lifetime(settings: Settings, lifetime: timedelta | float | None = None) -> timedelta:
    """How long a new link lives: ``lifetime`` (a timedelta or seconds) or the setting."""
    if lifetime is None:
        return timedelta(hours=settings.activation_link_hours)
    if isinstance(lifetime, timedelta):
        return lifetime
    return timedelta(seconds=float(lifetime))


def activation_url(settings: Settings, token: str) -> str:
    """The activation link of ``token``."""
    return f"{settings.public_base_url.rstrip('/')}/activation/{token}"


def password_policy(settings: Settings) -> list[str]:
    """The password rules shown on the activation page."""
    return validation.password_rules(settings.password_min_length)


def new_activation_link(
    s: Session, settings: Settings, user: User, lifetime: timedelta, *, first: bool = False
) -> str:
    """Revoke the user's live activation links, create one and mail it (no commit).

    ``first``: the user was created in this transaction, so has no link to revoke."""
    now = clock.utcnow_naive()
    if not first:
        revoke_live_tokens(s, user.id, TokenPurpose.ACTIVATION, now)
    token = security.token_urlsafe(32)
    s.add(
        ActionToken(
            token_hash=security.token_hash(token),
            purpose=TokenPurpose.ACTIVATION,
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    link = activation_url(settings, token)
    send_activation_email(s, settings, user, link, lifetime)
    return link


def issue_activation_link(
    s: Session,
    settings: Settings,
    user: User | int,
    lifetime: timedelta | float | None = None,
) -> str:
    """Send a new activation link (URL returned); the previous ones stop working.

    ``lifetime``: a timedelta or seconds (default: ``activation_link_hours``).
    Raises ``AlreadyActiveError`` for an account already activated.
    """
    with db.unit_of_work(s):
        user = session_user(s, user)
        s.refresh(user)
        if user.statut != StatutUtilisateur.EN_ATTENTE_ACTIVATION:
            raise AlreadyActiveError()
        return new_activation_link(s, settings, user, link_lifetime(settings, lifetime))


def reissue_activation_link(s: Session, settings: Settings, token: str) -> str:
    """Send a new link to the owner of ``token`` (expired, superseded or live).

    Raises ``UnknownLinkError`` for a token never issued and ``AlreadyActiveError``
    once the account is active.
    """
    user_id = s.scalar(
        select(ActionToken.user_id).where(
            ActionToken.token_hash == security.token_hash(token),
            ActionToken.purpose == TokenPurpose.ACTIVATION,
        )
    )
    s.rollback()
    if user_id is None:
        raise UnknownLinkError()
    return issue_activation_link(s, settings, user_id)


def request_new_activation_link(s: Session, settings: Settings, login: str) -> bool:
    """Send a new link to the pending account ``login``; False if there is none.

    The portal answers the same either way (no account enumeration).
    """
    login = validation.text(login).lower()
    if validation.has_forbidden_characters(login) or len(login) > 254:
        return False
    user_id = s.scalar(select(User.id).where(User.login == login, User.is_technical.is_(False)))
    s.rollback()
    if user_id is None:
        return False
    try:  # the state is decided under the write lock (an activation may race us)
        issue_activation_link(s, settings, user_id)
    except AlreadyActiveError:
        return False
    return True


def _usable(row: ActionToken | None) -> ActionToken:
    if row is None:
        raise UnknownLinkError()
    if row.revoked_at is not None:
        raise RevokedLinkError(row.user_id)
    if row.used_at is not None:
        raise UsedLinkError(row.user_id)
    if row.expires_at <= clock.utcnow_naive():
        raise ExpiredLinkError(row.user_id)
    return row


# The reads of an activation, built once (values bound at each run). The rattachements'
# statuts are read as table rows (Core, no ORM entity): ``db.core``.
# The link and its user in one statement (the user was a second one).
_ACTIVATION_LINK = (
    select(ActionToken, User)
    .outerjoin(User, User.id == ActionToken.user_id)
    .where(
        ActionToken.token_hash == bindparam("link_hash"),
        ActionToken.purpose == TokenPurpose.ACTIVATION,
    )
)
_RATTACHEMENTS = Rattachement.__table__.c
_STATUTS = (
    select(_RATTACHEMENTS.statut, _RATTACHEMENTS.commentaire)
    .where(_RATTACHEMENTS.user_id == bindparam("user_id"))
    .order_by(_RATTACHEMENTS.id)
)


def check_activation_link(s: Session, token: str) -> User:
    """The user of a usable activation link, or the link's error (read only)."""
    found = s.execute(_ACTIVATION_LINK, {"link_hash": security.token_hash(token)}).first()
    if found is None:
        raise UnknownLinkError()
    _usable(found[0])
    user: User | None = found[1]
    if user is None:  # no user, no link: deleting a user deletes its links (FK cascade)
        raise UnknownLinkError()
    if user.statut != StatutUtilisateur.EN_ATTENTE_ACTIVATION:
        raise UsedLinkError(user.id)
    return user


def check_rattachements(s: Session, user: User) -> None:
    """Raise if the user's rattachement is not validated (pending or refused)."""
    statuts = db.core(s, _STATUTS, {"user_id": user.id}).all()
    if not statuts or any(statut == StatutRattachement.VALIDEE for statut, _ in statuts):
        return
    if any(statut == StatutRattachement.EN_COURS_DE_VALIDATION for statut, _ in statuts):
        raise RattachementPendingError()
    refused = [comment for statut, comment in statuts if statut == StatutRattachement.REFUSEE]
    if refused:
        raise RattachementRefusedError(refused[-1])


@cache
def _activation_statements():  # noqa: ANN202
    """(use the link once, activate its pending user): built once, values bound at each
    run (building them cost more CPU than running them)."""
    now = bindparam("now", type_=ActionToken.__table__.c.expires_at.type)
    use_link = (
        update(ActionToken)
        .where(
            ActionToken.token_hash == bindparam("link_hash"),
            ActionToken.purpose == TokenPurpose.ACTIVATION,
            ActionToken.used_at.is_(None),
            ActionToken.revoked_at.is_(None),
            ActionToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    activate_user = (
        update(User)
        .where(User.id == bindparam("user_id", type_=Integer()),
               User.statut == StatutUtilisateur.EN_ATTENTE_ACTIVATION)
        .values(
            password_hash=bindparam("new_hash", type_=User.__table__.c.password_hash.type),
            statut=StatutUtilisateur.ACTIF,
            activated_at=now,
            failed_logins=0,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return use_link, activate_user


def activate(
    s: Session, settings: Settings, token: str, password: str, checked: User | None = None
) -> User:
    """Set the password and activate the account of a valid, unused activation link.

    Raises ``UnknownLinkError``, ``ExpiredLinkError``, ``UsedLinkError`` (its
    subclass ``RevokedLinkError`` for a superseded link), ``RattachementPendingError``
    / ``RattachementRefusedError`` and ``WeakPasswordError``. ``checked``: the user
    ``check_activation_link`` and ``check_rattachements`` just accepted for this token in
    ``s``'s open transaction (the page's own check), not read again. Under the write lock
    the link and the rattachements are checked again whatever the caller did.
    """
    try:
        user = checked
        if user is None:
            user = check_activation_link(s, token)
            check_rattachements(s, user)
        problems = validation.password_problems(
            password, user.login, settings.password_min_length
        )
        if problems:
            raise WeakPasswordError(problems)
    finally:
        s.commit()  # end the read transaction (nothing written; ``user`` stays loaded)
    password_hash = security.hash_password(password, settings.password_hash_method)
    use_link, activate_user = _activation_statements()
    with db.unit_of_work(s):
        now = clock.utcnow_naive()
        won = db.changed_rows(s, use_link, {"link_hash": security.token_hash(token), "now": now})
        if won != 1:
            s.rollback()
            check_activation_link(s, token)  # raises the precise error
            raise UsedLinkError(user.id)
        check_rattachements(s, user)  # a refusal may have raced us
        activated = db.changed_rows(
            s, activate_user, {"user_id": user.id, "new_hash": password_hash, "now": now}
        )
        if activated != 1:
            raise UsedLinkError(user.id)
    for name, value in (("password_hash", password_hash), ("statut", StatutUtilisateur.ACTIF),
                        ("activated_at", now), ("failed_logins", 0), ("locked_until", None)):
        set_committed_value(user, name, value)  # what the UPDATE wrote, without a re-read
    return user
