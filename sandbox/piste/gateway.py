"""The PISTE gateway checks made on every ``/cpro/...`` call.

1. ``Authorization: Bearer <token>``: missing, unknown or expired -> 401.
2. ``cpro-account: base64(login:password)``: missing, undecodable, unknown
   login, locked account (the same answer whatever the password), wrong password
   (counted like a portal failure, locking at the limit), inactive account or
   expired technical password -> 401.

Verifying a password hash costs up to ~100 ms (scrypt), far too much per call;
a successful verification is therefore remembered per process, keyed by the
login and a SHA-256 of the password, and only trusted while the stored hash is
still the one it was verified against (a reset invalidates it at once).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from sandbox import clock, db, security
from sandbox.config import Settings
from sandbox.models import AccessToken, OAuthClient, Rattachement, User
from sandbox.piste import technical

_CACHE_MAX = 10_000
_verified: dict[tuple[str, str], str] = {}
_verified_lock = threading.Lock()


class GatewayError(Exception):
    """A refusal by the gateway: HTTP status, error code and description for the developer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def check_bearer(s: Session, authorization: str | None) -> None:
    """Refuse the call unless it carries a known, unexpired bearer token."""
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
    row = s.execute(
        select(AccessToken.expires_at, OAuthClient.client_id)
        .join(OAuthClient, OAuthClient.id == AccessToken.client_id)
        .where(AccessToken.token_hash == security.token_hash(token))
    ).first()
    expires_at = row.expires_at if row is not None else None
    if row is not None:
        g.piste_client_id = row.client_id  # the control plane's journal shows it
    if expires_at is None:
        raise GatewayError(401, "invalid_token", "Unknown access token.")
    if expires_at <= clock.utcnow_naive():
        raise GatewayError(
            401,
            "invalid_token",
            f"The access token expired at {expires_at.isoformat(timespec='seconds')}Z; "
            "ask /api/oauth/token for a new one.",
        )


_UNRESOLVED = object()


@dataclass
class Caller:
    """The account named by ``cpro-account``, and the user whose rights it has.

    ``rights_user_id`` is the account itself for a portal user, and the
    structure's gestionnaire principal for a technical account (looked up on
    first use only: reading a public structure does not need it).
    """

    user: User
    s: Session = field(repr=False)
    _rights: object = field(default=_UNRESOLVED, repr=False)
    _structure_ids: set[int] | None = field(default=None, repr=False)

    @property
    def is_technical(self) -> bool:
        return self.user.is_technical

    @property
    def rights_user_id(self) -> int | None:
        if self._rights is _UNRESOLVED:
            if not self.user.is_technical:
                self._rights = self.user.id
            elif self.user.technical_structure_id is None:
                self._rights = None
            else:
                self._rights = technical.gestionnaire_principal_id(
                    self.s, self.user.technical_structure_id
                )
        return self._rights  # type: ignore[return-value]

    def structure_ids(self, s: Session) -> set[int]:
        """Ids of the structures the caller is attached to (validated rattachements)."""
        if self._structure_ids is None:
            ids: set[int] = set()
            if self.rights_user_id is not None:
                ids.update(
                    s.scalars(
                        select(Rattachement.structure_id).where(
                            Rattachement.user_id == self.rights_user_id,
                            Rattachement.statut == "VALIDEE",
                        )
                    )
                )
            if self.user.technical_structure_id is not None:
                ids.add(self.user.technical_structure_id)
            self._structure_ids = ids
        return self._structure_ids

    def is_attached(self, s: Session, structure_id: int) -> bool:
        return structure_id in self.structure_ids(s)


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
    return login.strip().lower(), password


def _password_ok(user: User, login: str, password: str) -> bool:
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


def _not_locked(now: datetime):  # noqa: ANN202
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def count_failure(s: Session, settings: Settings, user_id: int) -> datetime | None:
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
    db.begin_write(s)
    try:
        row = s.execute(
            update(User)
            .where(User.id == user_id, _not_locked(now))
            .values(
                failed_logins=case((reaches, 0), else_=count),
                locked_until=case((reaches, until), (expired, None), else_=User.locked_until),
            )
            .returning(User.locked_until)
            .execution_options(synchronize_session=False)
        ).first()
        s.commit()
    except BaseException:
        s.rollback()
        raise
    if row is None:  # locked by another request meanwhile
        return until
    return row.locked_until


def clear_failures(s: Session, user_id: int) -> bool:
    """Forget past failures after a right password; False if the account got locked meanwhile."""
    now = clock.utcnow_naive()
    db.begin_write(s)
    try:
        done = s.execute(
            update(User)
            .where(User.id == user_id, _not_locked(now))
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return done == 1


def check_account(s: Session, header: str | None) -> Caller:
    """Return the caller named by a valid ``cpro-account`` header, or refuse (401).

    Order: unknown login or wrong password (counted, see ``count_failure``) ->
    locked (the same answer whatever the password: it is not even checked) ->
    inactive -> expired technical password.
    """
    if not header:
        raise GatewayError(
            401,
            "missing_cpro_account",
            "Missing header cpro-account: base64 of 'login:password' of a Chorus Pro "
            "technical account.",
        )
    login, password = _decode_account(header)
    g.cpro_login = login  # the control plane's journal shows it
    user = s.scalars(select(User).where(User.login == login)).first()
    if user is None:
        raise _wrong_account()
    now: datetime = clock.utcnow_naive()
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(login)
    if not _password_ok(user, login, password):
        if count_failure(s, current_app.config["SANDBOX"], user.id) is not None:
            raise _locked(login)
        raise _wrong_account()
    if (user.failed_logins or user.locked_until is not None) and not clear_failures(s, user.id):
        raise _locked(login)
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
    return Caller(user=user, s=s)


def _wrong_account() -> GatewayError:
    return GatewayError(
        401, "invalid_cpro_account", "Wrong login or password in the cpro-account header."
    )
