"""The signup captcha: a 5-character challenge drawn by the ``captcha`` package.

A person reads the PNG; tests and load runs read the answer from the control
plane (``GET /_sandbox/captcha/<captcha_id>``) or switch it off
(``captcha_mode=off``).

Stateless: showing the form writes nothing. The challenge id is a token signed
with the secret key and stamped with the sandbox clock (itsdangerous); it carries a
random nonce, and the answer is an HMAC of that nonce (the token does not reveal
it). It lives ``CAPTCHA_MINUTES``. Single use costs one write on submit only: the
nonce goes into ``captchas`` (its primary key), and a nonce already there was used.
Rows older than a token's life are pruned now and then (such tokens are expired
anyway).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import lru_cache

from captcha.image import ImageCaptcha
from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.models import Captcha

# No look-alike characters (0/O, 1/I/L): the challenge is for a person.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 5
CAPTCHA_MINUTES = 30
MAX_ID_LENGTH = 200  # a longer id is not one of ours (checked before any work)
_PRUNE_ONE_IN = 64  # submits that also delete expired used-nonce rows


class _ClockSigner(TimestampSigner):
    """Timestamps from the sandbox clock: moving time expires challenges as it should."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _secret() -> str:
    return current_app.config["SANDBOX"].secret_key


@lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="sandbox-captcha", signer=_ClockSigner)


@lru_cache(maxsize=1)
def _drawer() -> ImageCaptcha:
    return ImageCaptcha(width=200, height=70)


def _answer(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"captcha-answer:{nonce}".encode(), hashlib.sha256)
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest.digest()[:LENGTH])


def _nonce(captcha_id: str) -> str | None:
    """The nonce of a genuine, live challenge id (None otherwise)."""
    if not captcha_id or len(captcha_id) > MAX_ID_LENGTH:
        return None
    try:
        nonce = _serializer(_secret()).loads(captcha_id, max_age=CAPTCHA_MINUTES * 60)
    except (BadData, UnicodeError):
        return None
    return nonce if isinstance(nonce, str) and len(nonce) <= 32 else None


def new_challenge(s: Session | None = None) -> str:
    """A new challenge id (nothing is written)."""
    return _serializer(_secret()).dumps(secrets.token_hex(12))


def answer_of(captcha_id: str) -> str | None:
    """The answer of a live challenge (the control plane reveals it to tests)."""
    nonce = _nonce(captcha_id)
    return None if nonce is None else _answer(_secret(), nonce)


def _used(s: Session, nonce: str) -> bool:
    return s.scalar(select(Captcha.id).where(Captcha.id == nonce)) is not None


def image_png(s: Session, captcha_id: str) -> bytes | None:
    """The PNG of an unused, live challenge (None otherwise)."""
    nonce = _nonce(captcha_id)
    if nonce is None or _used(s, nonce):
        return None
    return _drawer().generate(_answer(_secret(), nonce)).getvalue()


def check(s: Session, captcha_id: str, answer: str) -> bool:
    """Consume the challenge and say whether ``answer`` solves it (case-insensitive)."""
    nonce = _nonce(captcha_id)
    if nonce is None:
        return False
    expected = _answer(_secret(), nonce)
    now = clock.utcnow_naive()
    db.begin_write(s)
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    won = s.execute(  # RETURNING: psycopg's rowcount is -1 for this statement
        insert(Captcha)
        .values(id=nonce, answer=expected, created_at=now, used_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Captcha.id)
    ).first() is not None
    if secrets.randbelow(_PRUNE_ONE_IN) == 0:
        s.execute(delete(Captcha).where(
            Captcha.created_at < now - timedelta(minutes=2 * CAPTCHA_MINUTES)))
    s.commit()
    if not won:
        return False
    given = "".join((answer or "").split()).upper()
    return secrets.compare_digest(given.encode(), expected.encode())
