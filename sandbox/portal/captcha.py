"""The signup captcha: a 5-character challenge drawn by the ``captcha`` package.

A person reads the PNG; tests and load runs read the answer from the control
plane (``GET /_sandbox/captcha/<captcha_id>``) or switch it off
(``captcha_mode=off``). Each challenge is single use (conditional UPDATE) and
lives ``CAPTCHA_MINUTES``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache

from captcha.image import ImageCaptcha
from sqlalchemy import update
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.models import Captcha

# No look-alike characters (0/O, 1/I/L): the challenge is for a person.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 5
CAPTCHA_MINUTES = 30


@lru_cache(maxsize=1)
def _drawer() -> ImageCaptcha:
    return ImageCaptcha(width=200, height=70)


def new_challenge(s: Session) -> str:
    """Create a challenge and return its id (committed at once)."""
    db.begin_write(s)
    challenge = Captcha(
        id=secrets.token_hex(16),
        answer="".join(secrets.choice(ALPHABET) for _ in range(LENGTH)),
        created_at=clock.utcnow_naive(),
    )
    s.add(challenge)
    s.commit()
    return challenge.id


def image_png(s: Session, captcha_id: str) -> bytes | None:
    """The PNG of an unused, live challenge (None otherwise)."""
    challenge = s.get(Captcha, captcha_id)
    if challenge is None or challenge.used_at is not None or _expired(challenge):
        return None
    return _drawer().generate(challenge.answer).getvalue()


def _expired(challenge: Captcha) -> bool:
    return challenge.created_at < clock.utcnow_naive() - timedelta(minutes=CAPTCHA_MINUTES)


def check(s: Session, captcha_id: str, answer: str) -> bool:
    """Consume the challenge and say whether ``answer`` solves it (case-insensitive)."""
    if not captcha_id or len(captcha_id) > 32:
        return False
    db.begin_write(s)
    now = clock.utcnow_naive()
    won = s.execute(
        update(Captcha)
        .where(
            Captcha.id == captcha_id,
            Captcha.used_at.is_(None),
            Captcha.created_at >= now - timedelta(minutes=CAPTCHA_MINUTES),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    s.commit()
    if won != 1:
        return False
    challenge = s.get(Captcha, captcha_id)
    s.refresh(challenge)
    s.commit()
    given = "".join((answer or "").split()).upper()
    return secrets.compare_digest(given.encode(), challenge.answer.upper().encode())
