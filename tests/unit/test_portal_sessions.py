"""The portal's session cookies (serializer and signer built once) are Flask's own: each
reads the other's cookies, a cookie signed with another key is refused, a fallback key
still reads the cookies of before a key change."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from sandbox.portal import CookieSessions

SESSION = {"csrf_token": "a" * 40, "signup": {"login": "élodie@example.test", "mails": 2}}


def _app(key: str, fallbacks: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks or [])
    return app


def test_a_cookie_reads_back_both_ways_and_again():
    app = _app("clé")
    mine = CookieSessions().get_signing_serializer(app)
    flask = SecureCookieSessionInterface().get_signing_serializer(app)
    assert mine is not None and flask is not None
    assert flask.loads(mine.dumps(SESSION)) == SESSION
    assert mine.loads(flask.dumps(SESSION)) == SESSION
    assert mine.loads(flask.dumps(SESSION)) == SESSION  # the signer made once, used again


def test_a_cookie_of_another_key_is_refused_and_a_fallback_reads_the_old_ones():
    old = SecureCookieSessionInterface().get_signing_serializer(_app("ancienne"))
    assert old is not None
    cookie = old.dumps(SESSION)
    sessions = CookieSessions()
    with pytest.raises(BadSignature):
        sessions.get_signing_serializer(_app("nouvelle")).loads(cookie)
    rotated = sessions.get_signing_serializer(_app("nouvelle", ["ancienne"]))
    assert rotated is not None and rotated.loads(cookie) == SESSION
