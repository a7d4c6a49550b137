"""The second login factor (``two_factor`` setting): a 6-digit code sent by e-mail.

A code lives ``SECOND_FACTOR_MINUTES``, is used once (conditional UPDATE), and a new
one revokes the previous. Only a hash bound to the user and the code's creation
time is stored. A wrong code counts as a failed login (same lock-out as passwords).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sandbox import clock, db, security
from sandbox.accounts import validation
from sandbox.accounts.errors import AccountLockedError, InvalidCodeError
from sandbox.accounts.login import lock_until
from sandbox.accounts.tokens import revoke_live_tokens
from sandbox.accounts.users import session_user
from sandbox.config import Settings
from sandbox.formatting import paris_time
from sandbox.mail.senders import send_second_factor_email
from sandbox.models import ActionToken, User
from sandbox.vocabulary import TokenPurpose

__all__ = ["SECOND_FACTOR_MINUTES", "start_second_factor", "verify_second_factor"]

SECOND_FACTOR_MINUTES = 10  # lifetime of an e-mailed login code


def _code_hash(user_id: int, created_at: datetime, code: str) -> str:
    return security.token_hash(f"second-factor:{user_id}:{created_at.isoformat()}:{code}")


def start_second_factor(s: Session, settings: Settings, user: User | int) -> None:
    """E-mail a 6-digit login code to the user (previous codes stop working)."""
    with db.unit_of_work(s):
        user = session_user(s, user)
        now = clock.utcnow_naive()
        revoke_live_tokens(s, user.id, TokenPurpose.SECOND_FACTOR, now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        s.add(
            ActionToken(
                token_hash=_code_hash(user.id, now, code),
                purpose=TokenPurpose.SECOND_FACTOR,
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(minutes=SECOND_FACTOR_MINUTES),
            )
        )
        send_second_factor_email(s, settings, user, code, SECOND_FACTOR_MINUTES)


def _use_code(s: Session, user: User, code: str, now: datetime) -> bool:
    """Whether ``code`` is the user's live code; if so it is used now (no commit)."""
    row = s.scalar(
        select(ActionToken)
        .where(
            ActionToken.user_id == user.id,
            ActionToken.purpose == TokenPurpose.SECOND_FACTOR,
            ActionToken.used_at.is_(None),
            ActionToken.revoked_at.is_(None),
        )
        .order_by(ActionToken.id.desc())
    )
    if (
        row is None
        or row.expires_at <= now
        or not security.constant_time_equals(
            row.token_hash, _code_hash(user.id, row.created_at, code)
        )
    ):
        return False
    won = db.changed_rows(
        s,
        update(ActionToken)
        .where(ActionToken.id == row.id, ActionToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    )
    return won == 1


def verify_second_factor(s: Session, settings: Settings, user: User | int, code: str) -> User:
    """Check an e-mailed login code (single use); a wrong one counts as a failed login."""
    code = validation.text(code).replace(" ", "")
    if validation.has_forbidden_characters(code):
        code = ""  # never a valid code (and not encodable)
    locked: datetime | None = None
    with db.unit_of_work(s):
        user = session_user(s, user)
        s.refresh(user)
        now = clock.utcnow_naive()
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLockedError(paris_time(user.locked_until))
        good = _use_code(s, user, code, now)
        if good:
            user.failed_logins = 0
        else:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= settings.login_max_failures:
                user.failed_logins = 0
                user.locked_until = locked = lock_until(settings, now)
    if good:
        return user
    if locked is not None:
        raise AccountLockedError(paris_time(locked))
    raise InvalidCodeError()
