"""Password hashing and random secrets.

Hashes use Werkzeug's formats (``scrypt:N:r:p$salt$hex``, ``pbkdf2:...``), so the
cost is part of each hash: the setting ``password_hash_method`` applies to new
hashes, and hashes made at another cost (seeded data, load profile) still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from werkzeug.security import check_password_hash, generate_password_hash

# Seeded accounts are hashed at a low, fixed cost so that seeding and reset stay
# fast; portal sign-ups use the configured (default: Werkzeug's) cost.
SEED_HASH_METHOD = "scrypt:1024:8:1"


def hash_password(password: str, method: str, salt: str | None = None) -> str:
    """Hash ``password`` with Werkzeug ``method``; ``salt`` only for reproducible seeds."""
    if salt is None:
        return generate_password_hash(password, method=method)
    if not method.startswith("scrypt"):
        raise ValueError("a fixed salt is supported for scrypt hashes only")
    _, *params = method.split(":")
    n, r, p = (int(x) for x in params) if params else (32768, 8, 1)
    digest = hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
    ).hex()
    return f"scrypt:{n}:{r}:{p}${salt}${digest}"


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against a stored hash (False when there is none)."""
    if not password_hash:
        return False
    return check_password_hash(password_hash, password)


def token_urlsafe(nbytes: int = 32) -> str:
    """A random URL-safe token."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """SHA-256 hex of a token (what the database stores instead of the token)."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    """Compare two secrets without leaking their common prefix length."""
    return hmac.compare_digest(a.encode(), b.encode())


_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_password(length: int = 16, rng: secrets.SystemRandom | None = None) -> str:
    """A password with upper, lower, digit and a symbol (technical accounts, data sets)."""
    rng = rng or secrets.SystemRandom()
    while True:
        core = [rng.choice(_PASSWORD_ALPHABET) for _ in range(length - 1)]
        candidate = "".join(core) + rng.choice("!*-_#@")
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            return candidate
