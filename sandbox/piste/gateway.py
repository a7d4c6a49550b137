"""The PISTE gateway checks made on every ``/cpro/...`` call.

1. ``Authorization: Bearer <token>``: missing, unknown or expired -> 401.
1b. the application is subscribed to the API the path belongs to
   (``sandbox/piste/subscriptions.py``) -> else 403 with an **empty body**, as the real
   gateway (the reason in an ``X-Sandbox-Reason`` header).
2. ``cpro-account: base64(login:password)``: missing, undecodable, unknown
   login, locked account (the same answer whatever the password), wrong password
   (counted like a portal failure, locking at the limit), inactive account or
   expired technical password -> 401.

Verifying a password hash costs up to ~100 ms (scrypt), far too much per call;
a successful verification is therefore remembered per process, keyed by the
login and a SHA-256 of the password, and only trusted while the stored hash is
still the one it was verified against (a reset invalidates it at once).

The read path is lean: the bearer token -> client and ``cpro-account`` -> caller
lookups are cached per process, tagged with ``state.generation()`` and dropped as
soon as the database changed (``sandbox/state.py``: any commit, from any process),
so a revoked token, a changed password, a lock or a reset is seen by the next call
of every worker. Only successes are cached: a wrong password is checked and counted
every time. Time-bound facts (token expiry, technical password expiry) are checked
against the sandbox clock on every hit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from flask import current_app, g
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from sandbox import clock, db, security, state
from sandbox.accounts import rights
from sandbox.accounts.validation import has_forbidden_characters
from sandbox.config import Settings
from sandbox.models import AccessToken, OAuthClient, PisteSubscription, User
from sandbox.piste import subscriptions
from sandbox.vocabulary import ApiPiste

V = TypeVar("V")  # what a _Cache holds

_CACHE_MAX = 10_000
_verified: dict[tuple[str, str], str] = {}
_verified_lock = threading.Lock()


class GatewayError(Exception):
    """A refusal by the gateway: HTTP status, error code and description for the developer.

    ``empty``: the real gateway answers with an empty body (an API the application is not
    subscribed to); the description then goes in the ``X-Sandbox-Reason`` header.
    """

    def __init__(self, status: int, error: str, description: str, *, empty: bool = False) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.empty = empty

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Account:
    """What the gateway and the handlers read of the ``users`` row named by ``cpro-account``."""

    id: int
    login: str
    statut: str
    is_technical: bool
    technical_structure_id: int | None
    password_hash: str | None
    password_expires_at: datetime | None
    failed_logins: int
    locked_until: datetime | None
    # Its rights, once the gateway resolved them (``_resolve``, in the generation the
    # Caller is cached for): ``accounts.rights`` answers from them instead of asking the
    # database again on every call (issue #24). None: not resolved yet.
    resolved: rights.Resolved | None = None


# Account's columns in the order of its fields (``Account(*row)``; mypy checks each type).
_ACCOUNT_COLUMNS = (
    User.id,
    User.login,
    User.statut,
    User.is_technical,
    User.technical_structure_id,
    User.password_hash,
    User.password_expires_at,
    User.failed_logins,
    User.locked_until,
)


class _Cache(Generic[V]):
    """A per-process map whose entries die when the database changes (``state.generation``)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[int, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        found = self._items.get(key)
        if found is None or found[0] != state.generation():
            return None
        return found[1]

    def put(self, key: str, generation: int, value: V) -> None:
        with self._lock:
            if len(self._items) >= _CACHE_MAX:
                self._items.clear()
            self._items[key] = (generation, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class Application:
    """The PISTE application (OAuth client) a bearer token was issued to."""

    client_id: str
    apis: frozenset[ApiPiste] | None  # its subscriptions; None: every API


# token hash -> (Application, created_at, expires_at)
_bearers: _Cache[tuple[Application, datetime, datetime]] = _Cache()
_callers: _Cache[Caller] = _Cache()  # digest of the cpro-account header -> Caller


def check_bearer(s: Session, authorization: str | None) -> Application:
    """Refuse the call unless it carries a known, unexpired bearer token; return the
    application the token was issued to (its subscriptions read in the same query)."""
    if not authorization:
        raise GatewayError(
            401, "invalid_request", "Missing header Authorization: Bearer <access_token>."
        )
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise GatewayError(
            401, "invalid_request", "The Authorization header must be 'Bearer <access_token>'."
        )
    key = security.token_hash(token)
    found = _bearers.get(key)
    if found is None:
        generation = state.generation()
        row = s.execute(
            select(AccessToken.created_at, AccessToken.expires_at, OAuthClient.client_id,
                   PisteSubscription.apis)
            .join(OAuthClient, OAuthClient.id == AccessToken.client_id)
            .outerjoin(PisteSubscription, PisteSubscription.client_id == OAuthClient.id)
            .where(AccessToken.token_hash == key)
        ).first()
        if row is None:
            raise GatewayError(401, "invalid_token", "Unknown access token.")
        apis = None if row.apis is None else subscriptions.parse(row.apis)
        found = (Application(row.client_id, apis), row.created_at, row.expires_at)
        _bearers.put(key, generation, found)
    application, created_at, expires_at = found
    g.piste_client_id = application.client_id  # the control plane's journal shows it
    now = clock.utcnow_naive()
    if created_at > now:
        # Minted while the sandbox clock was ahead, then the clock went back (issue #23
        # §7): a token issued in the sandbox's future never existed at its present.
        raise GatewayError(
            401,
            "invalid_token",
            f"The access token was issued at {created_at.isoformat(timespec='seconds')}Z, "
            "after the sandbox clock's present (the clock was moved back); ask "
            "/api/oauth/token for a new one.",
        )
    if expires_at <= now:
        raise GatewayError(
            401,
            "invalid_token",
            f"The access token expired at {expires_at.isoformat(timespec='seconds')}Z; "
            "ask /api/oauth/token for a new one.",
        )
    return application


def check_subscription(application: Application, path: str) -> None:
    """Refuse a call to an API the application is not subscribed to: 403 with an empty
    body, as PISTE answers (OCA issue #410); a path of no API passes (the route check
    that follows answers it)."""
    api = subscriptions.api_of(path)
    if api is None or application.apis is None or api in application.apis:
        return
    raise GatewayError(
        403,
        "api_non_souscrite",
        f"application {application.client_id} is not subscribed to the {api.value} API "
        "(portal: Raccordements; control plane: PUT /_sandbox/piste/applications/"
        f"{application.client_id}/apis)",
        empty=True,
    )


@dataclass(frozen=True)
class Caller:
    """The account named by ``cpro-account``, and its rights: ``user.resolved``, the one
    place they are held (``accounts.rights`` answers from it too).

    The rights are the user whose rights the account has (itself for a portal user, the
    structure's gestionnaire principal for a technical account: ``rights_user_id``) and the
    structures they reach (``structure_ids``). Read once, then cached with the account (see
    the module's docstring): a Caller holds no session and is shared. A writing
    operation's caller (``for_writes``) has none: they are read in its own session.
    """

    user: Account

    @property
    def is_technical(self) -> bool:
        return self.user.is_technical

    def rights(self, s: Session) -> rights.Resolved:
        """The caller's rights: as cached with it, or read in ``s`` (``for_writes``)."""
        return rights.resolve(s, self.user)

    def rights_user_id(self, s: Session) -> int | None:
        """The user whose rights the caller has (None: a technical account whose structure
        has no gestionnaire principal)."""
        return self.rights(s).rights_user_id

    def structure_ids(self, s: Session) -> frozenset[int]:
        """Ids of the structures the caller may act for (validated rattachements)."""
        return self.rights(s).usable

    def is_attached(self, s: Session, structure_id: int) -> bool:
        return structure_id in self.structure_ids(s)

    def for_writes(self) -> Caller:
        """This caller for an operation that writes: its account without the rights read
        with the cache, so that they are read again in the operation's own transaction
        (what a concurrent commit changed is seen there)."""
        if self.user.resolved is None:
            return self
        return Caller(user=replace(self.user, resolved=None))


def _resolve(s: Session, account: Account) -> Caller:
    return Caller(user=replace(account, resolved=rights.resolve(s, account)))


def _decode_account(header: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(header.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise GatewayError(
            401,
            "invalid_cpro_account",
            "The cpro-account header is not base64 of 'login:password'.",
        ) from None
    login, sep, password = raw.partition(":")
    if not sep or not login or not password:
        raise GatewayError(
            401,
            "invalid_cpro_account",
            "The cpro-account header must be base64 of 'login:password'.",
        )
    if has_forbidden_characters(login):
        # No account has such a login (the signup refuses control characters; PostgreSQL
        # would even refuse a NUL in the query).
        raise GatewayError(
            401, "invalid_cpro_account", "The login of the cpro-account header is not valid."
        )
    return login.strip().lower(), password


def _password_ok(user: Account, login: str, password: str) -> bool:
    key = (login, hashlib.sha256(password.encode()).hexdigest())
    if user.password_hash and _verified.get(key) == user.password_hash:
        return True
    if not security.verify_password(user.password_hash, password):
        return False
    with _verified_lock:
        if len(_verified) >= _CACHE_MAX:
            _verified.clear()
        _verified[key] = user.password_hash or ""
    return True


def _locked(login: str) -> GatewayError:
    """The one answer of a locked account, whatever the password sent (no oracle)."""
    return GatewayError(
        401,
        "locked_cpro_account",
        f"The Chorus Pro account {login} is locked after too many wrong passwords; "
        "try again later.",
    )


def _not_locked(now: datetime):
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def count_failure(settings: Settings, user_id: int) -> datetime | None:
    """Count one wrong password; lock the account at the limit. One conditional UPDATE.

    The same counter and lock as the portal (``failed_logins``, ``locked_until``;
    ``login_max_failures``, ``login_lock_minutes``): the count restarts after an
    expired lock, and reaching the limit locks and restarts it, as the portal does.
    Returns the lock's end when the account is (or already was) locked, else None.
    Concurrent wrong passwords cannot exceed the limit: each UPDATE reads the count it
    writes, and an account locked meanwhile no longer matches the WHERE clause.
    """
    now = clock.utcnow_naive()
    expired = and_(User.locked_until.is_not(None), User.locked_until <= now)
    count = case((expired, 1), else_=User.failed_logins + 1)
    reaches = count >= settings.login_max_failures
    until = now + timedelta(minutes=settings.login_lock_minutes)
    with db.transaction() as w:
        row = w.execute(
            update(User)
            .where(User.id == user_id, _not_locked(now))
            .values(
                failed_logins=case((reaches, 0), else_=count),
                locked_until=case((reaches, until), (expired, None), else_=User.locked_until),
            )
            .returning(User.locked_until)
            .execution_options(synchronize_session=False)
        ).first()
    if row is None:  # locked by another request meanwhile
        return until
    return row.locked_until


def clear_failures(user_id: int) -> bool:
    """Forget past failures after a right password; False if the account got locked meanwhile."""
    now = clock.utcnow_naive()
    with db.transaction() as w:
        done = db.changed_rows(
            w,
            update(User)
            .where(User.id == user_id, _not_locked(now))
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False),
        )
    return done == 1


def check_account(s: Session, header: str | None) -> Caller:
    """Return the caller named by a valid ``cpro-account`` header, or refuse (401).

    Order: unknown login -> locked (the same answer whatever the password: it is not
    even checked) -> wrong password (counted, see ``count_failure``) -> inactive ->
    expired technical password.
    """
    if not header:
        raise GatewayError(
            401,
            "missing_cpro_account",
            "Missing header cpro-account: base64 of 'login:password' of a Chorus Pro "
            "technical account.",
        )
    key = hashlib.sha256(header.strip().encode("utf-8", "surrogatepass")).hexdigest()
    caller = _callers.get(key)
    now: datetime = clock.utcnow_naive()
    if isinstance(caller, Caller):
        g.cpro_login = caller.user.login  # the control plane's journal shows it
        expires = caller.user.password_expires_at
        if not (caller.user.is_technical and expires is not None and expires <= now):
            return caller
    generation = state.generation()
    login, password = _decode_account(header)
    g.cpro_login = login
    values = s.execute(select(*_ACCOUNT_COLUMNS).where(User.login == login)).first()
    if values is None:
        raise _wrong_account()
    user = Account(*values)
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(login)
    if not _password_ok(user, login, password):
        if count_failure(current_app.config["SANDBOX"], user.id) is not None:
            raise _locked(login)
        raise _wrong_account()
    if user.failed_logins or user.locked_until is not None:
        if not clear_failures(user.id):
            raise _locked(login)
        user = replace(user, failed_logins=0, locked_until=None)
    if user.statut != "ACTIF":
        raise GatewayError(
            401,
            "inactive_cpro_account",
            f"The Chorus Pro account {login} is not active (statut {user.statut}).",
        )
    if user.is_technical:
        if user.password_expires_at is not None and user.password_expires_at <= now:
            raise GatewayError(
                401,
                "expired_password",
                "The password of the technical account "
                f"{login} expired on {user.password_expires_at.date().isoformat()}; the "
                "structure's gestionnaire principal must reset it on the portal "
                "(Gestionnaire > Structures > Compte technique).",
            )
    caller = _resolve(s, user)
    _callers.put(key, generation, caller)
    return caller


def _wrong_account() -> GatewayError:
    return GatewayError(
        401, "invalid_cpro_account", "Wrong login or password in the cpro-account header."
    )
