"""Portal login and lock-out, and the account states tests may force.

``authenticate`` checks a login and password: after ``login_max_failures`` wrong
passwords in a row the account is locked for ``login_lock_minutes``; each failure is
committed before the error is raised, so concurrent attempts all count. Password
checking (slow by design) runs outside the write lock. Technical accounts never log
in to the portal. ``set_account_state`` is the control plane's shortcut to
``pending``, ``active`` or ``locked``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sandbox import clock, db, security
from sandbox.accounts import validation
from sandbox.accounts.errors import (
    AccountLockedError,
    AccountNotActivatedError,
    AuthenticationError,
    InvalidCredentialsError,
    TechnicalAccountLoginError,
)
from sandbox.accounts.users import session_user
from sandbox.config import Settings
from sandbox.formatting import paris_time
from sandbox.models import User
from sandbox.vocabulary import StatutUtilisateur

__all__ = ["ACCOUNT_STATES", "authenticate", "lock_until", "set_account_state"]

ACCOUNT_STATES = ("pending", "active", "locked")


def lock_until(settings: Settings, now: datetime) -> datetime:
    """When an account locked at ``now`` opens again."""
    return now + timedelta(minutes=settings.login_lock_minutes)


def set_account_state(
    s: Session,
    settings: Settings,
    user: User | int,
    state: str,
    password: str | None = None,
) -> User:
    """Force an account's state: ``pending``, ``active`` or ``locked``.

    ``pending`` forgets the password (a new activation is needed); ``active``
    clears any lock (and sets ``password`` if given); ``locked`` locks the
    account as ``login_max_failures`` wrong passwords would.
    """
    if state not in ACCOUNT_STATES:
        raise ValueError("state must be one of pending, active, locked")
    password_hash = (
        security.hash_password(password, settings.password_hash_method) if password else None
    )
    with db.unit_of_work(s):
        user = session_user(s, user)
        s.refresh(user)
        now = clock.utcnow_naive()
        if state == "pending":
            user.statut = StatutUtilisateur.EN_ATTENTE_ACTIVATION
            user.password_hash = None
            user.activated_at = None
            user.failed_logins = 0
            user.locked_until = None
        elif state == "active":
            user.statut = StatutUtilisateur.ACTIF
            user.activated_at = user.activated_at or now
            user.failed_logins = 0
            user.locked_until = None
            if password_hash:
                user.password_hash = password_hash
        else:
            user.failed_logins = 0
            user.locked_until = lock_until(settings, now)
        return user


def _loginable(s: Session, login: str) -> User:
    """The account ``login`` if it may try a password now, else the reason (read only)."""
    user = s.scalar(select(User).where(User.login == login)) if login else None
    if user is None:
        raise InvalidCredentialsError()
    s.refresh(user)
    if user.is_technical:
        raise TechnicalAccountLoginError()
    if user.locked_until is not None and user.locked_until > clock.utcnow_naive():
        raise AccountLockedError(paris_time(user.locked_until))
    if user.statut == StatutUtilisateur.EN_ATTENTE_ACTIVATION or not user.password_hash:
        raise AccountNotActivatedError()
    if user.statut != StatutUtilisateur.ACTIF:
        raise AuthenticationError("Ce compte est désactivé.")
    return user


def authenticate(s: Session, settings: Settings, login: str, password: str) -> User:
    """Check a login and password; count failures and lock the account at the limit.

    Raises ``InvalidCredentialsError``, ``AccountLockedError``,
    ``AccountNotActivatedError``, ``TechnicalAccountLoginError``. A failed attempt is
    committed before the error is raised.
    """
    login = validation.text(login).lower()
    if validation.has_forbidden_characters(login) or len(login) > 254:
        login = ""  # no account has such a login
    try:
        user = _loginable(s, login)
    finally:
        s.rollback()
    password = password or ""
    ok = not validation.has_forbidden_characters(password) and security.verify_password(
        user.password_hash, password
    )
    locked: datetime | None = None
    with db.unit_of_work(s):
        if ok:
            s.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=0, locked_until=None)
                .execution_options(synchronize_session=False)
            )
        else:
            failures = s.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins)
                .execution_options(synchronize_session=False)
            ).scalar_one()
            if failures >= settings.login_max_failures:
                locked = lock_until(settings, clock.utcnow_naive())
                s.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(failed_logins=0, locked_until=locked)
                    .execution_options(synchronize_session=False)
                )
    if ok:
        s.refresh(user)
        s.commit()
        return user
    if locked is not None:
        raise AccountLockedError(paris_time(locked))
    left = settings.login_max_failures - failures
    raise InvalidCredentialsError(
        InvalidCredentialsError.message
        + f" Après {left} nouvelle{'s' if left > 1 else ''} erreur{'s' if left > 1 else ''},"
        " votre compte sera bloqué."
    )
