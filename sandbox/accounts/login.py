"""Portal login and lock-out, and the account states tests may force.

``authenticate`` checks a login and password: after ``login_max_failures`` wrong
passwords in a row the account is locked for ``login_lock_minutes``; each failure is
committed before the error is raised, so concurrent attempts all count. Password
checking (slow by design) runs outside the write lock. Technical accounts never log
in to the portal. ``set_account_state`` is the control plane's shortcut to
``pending``, ``active`` or ``locked``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Integer, and_, bindparam, case, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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

__all__ = [
    "ACCOUNT_STATES",
    "authenticate",
    "lock_until",
    "reserve_attempt",
    "set_account_state",
    "settle_attempt",
]

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


# populate_existing: the row as it is now, even if already loaded (built once)
_ACCOUNT = (select(User).where(User.login == bindparam("login"))
            .execution_options(populate_existing=True))


def _loginable(s: Session, login: str) -> User:
    """The account ``login`` if it may try a password now, else the reason (read only)."""
    user = s.scalar(_ACCOUNT, {"login": login}) if login else None
    if user is None:
        raise InvalidCredentialsError()
    if user.is_technical:
        raise TechnicalAccountLoginError()
    if user.locked_until is not None and user.locked_until > clock.utcnow_naive():
        raise AccountLockedError(paris_time(user.locked_until))
    if user.statut == StatutUtilisateur.EN_ATTENTE_ACTIVATION or not user.password_hash:
        raise AccountNotActivatedError()
    if user.statut != StatutUtilisateur.ACTIF:
        raise AuthenticationError("Ce compte est désactivé.")
    return user


def _open(now):  # noqa: ANN001, ANN202
    """SQL: the account is not locked at ``now`` (a datetime or a bound parameter)."""
    return or_(User.locked_until.is_(None), User.locked_until <= now)


# The login's statements are built once, their values bound at each run: building the
# reservation's UPDATE cost more CPU than running it (docs/performance.md).
_NOW = bindparam("now", type_=User.__table__.c.locked_until.type)
_USER_ID = bindparam("user_id", type_=Integer())
_LIMIT = bindparam("limit", type_=Integer())


@cache
def _reserve_statement():  # noqa: ANN202
    expired = and_(User.locked_until.is_not(None), User.locked_until <= _NOW)
    return (
        update(User)
        .where(User.id == _USER_ID, _open(_NOW), or_(expired, User.failed_logins < _LIMIT))
        .values(failed_logins=case((expired, 1), else_=User.failed_logins + 1),
                locked_until=case((expired, None), else_=User.locked_until))
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    )


@cache
def _settle_statements():  # noqa: ANN202
    """(right password: restart the count, wrong one: lock at the limit)."""
    right = (update(User).where(User.id == _USER_ID, _open(_NOW))
             .values(failed_logins=0)
             .execution_options(synchronize_session=False))
    wrong = (update(User)
             .where(User.id == _USER_ID, _open(_NOW), User.failed_logins >= _LIMIT)
             .values(failed_logins=0, locked_until=bindparam("until", type_=_NOW.type))
             .execution_options(synchronize_session=False))
    return right, wrong


def reserve_attempt(s: Session, settings: Settings, user_id: int) -> int | None:
    """Reserve one password check for ``user_id``: one conditional UPDATE, before the check.

    The attempt is counted as a failure until ``release_attempt`` says it was right, so
    at most ``login_max_failures`` passwords are ever checked before the lock, however
    many arrive at once. Returns the attempt's number (1..limit), or None when the
    account is locked or all its attempts are taken (the caller answers "locked").
    An expired lock starts a new count. Shared by the portal and the API gateway.
    """
    values = {"now": clock.utcnow_naive(), "user_id": user_id,
              "limit": settings.login_max_failures}
    with db.unit_of_work(s):
        row = s.execute(_reserve_statement(), values).first()
    return None if row is None else row.failed_logins


def settle_attempt(
    s: Session,
    settings: Settings,
    user_id: int,
    ok: bool,
    then: Callable[[Session], None] | None = None,
) -> datetime | None:
    """After the check of a reserved attempt: a right password restarts the count unless
    the account got locked meanwhile (a success never clears a lock); a wrong one locks
    the account when the reserved count reached the limit. Returns the lock's end if the
    account is locked, else None. ``then`` runs in the same transaction after a success
    that settled (what a login writes besides: one write transaction, not two)."""
    now = clock.utcnow_naive()
    right, wrong = _settle_statements()
    with db.unit_of_work(s):
        if ok:
            result = s.execute(right, {"user_id": user_id, "now": now})
            done = result.rowcount  # type: ignore[attr-defined]  # a CursorResult
            if done == 1:
                if then is not None:
                    then(s)
                return None
        else:
            s.execute(wrong, {"user_id": user_id, "now": now, "until": lock_until(settings, now),
                              "limit": settings.login_max_failures})
        locked = s.scalar(select(User.locked_until).where(User.id == user_id))
    return locked if locked is not None and locked > now else None


def authenticate(
    s: Session,
    settings: Settings,
    login: str,
    password: str,
    on_success: Callable[[Session, User], None] | None = None,
) -> User:
    """Check a login and password; count failures and lock the account at the limit.

    Raises ``InvalidCredentialsError``, ``AccountLockedError``,
    ``AccountNotActivatedError``, ``TechnicalAccountLoginError``. An attempt is
    reserved before the password is checked (``reserve_attempt``) and settled after
    (``settle_attempt``). An unknown login costs one password hash too (a dummy one,
    same method) and gets the same words as a wrong password. ``on_success(s, user)``
    writes in the transaction that settles a right password (the portal's session row).
    """
    login = validation.text(login).lower()
    if validation.has_forbidden_characters(login) or len(login) > 254:
        login = ""  # no account has such a login
    password = password or ""
    try:
        user = _loginable(s, login)
    except InvalidCredentialsError:
        s.rollback()
        security.verify_password(_dummy_hash(settings), password)  # the same work
        raise _wrong(settings) from None
    finally:
        s.commit()  # end the read (nothing was written) and keep ``user`` loaded
    if reserve_attempt(s, settings, user.id) is None:
        raise AccountLockedError(paris_time(lock_until(settings, clock.utcnow_naive())))
    ok = not validation.has_forbidden_characters(password) and security.verify_password(
        user.password_hash, password
    )
    then = None if on_success is None else (lambda session: on_success(session, user))
    locked = settle_attempt(s, settings, user.id, ok, then)
    if locked is not None:
        raise AccountLockedError(paris_time(locked))
    if not ok:
        raise _wrong(settings)
    # What the reservation and the settlement wrote: the count restarted, no lock.
    set_committed_value(user, "failed_logins", 0)
    set_committed_value(user, "locked_until", None)
    return user


def _wrong(settings: Settings) -> InvalidCredentialsError:
    return InvalidCredentialsError(settings.login_max_failures, settings.login_lock_minutes)


_DUMMY: dict[str, str] = {}


def _dummy_hash(settings: Settings) -> str:
    """A hash of a random password with the accounts' method (made once per process)."""
    method = settings.password_hash_method
    if method not in _DUMMY:
        _DUMMY[method] = security.hash_password(security.token_urlsafe(16), method)
    return _DUMMY[method]
