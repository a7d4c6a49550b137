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


def test_csrf_tokens_are_flask_wtf_s_own_and_checked_as_before():
    """Flask-WTF signs and checks its CSRF tokens with the serializer built once per key:
    its stock serializer reads our tokens and we read its; another key is refused."""
    import flask_wtf.csrf
    from flask import session
    from itsdangerous import URLSafeTimedSerializer
    from wtforms import ValidationError

    from sandbox.portal import csrf_serializer

    assert flask_wtf.csrf.URLSafeTimedSerializer is csrf_serializer
    stock = URLSafeTimedSerializer("clé", salt="wtf-csrf-token")
    ours = csrf_serializer("clé", "wtf-csrf-token")
    assert csrf_serializer("clé", "wtf-csrf-token") is ours  # built once
    assert stock.loads(ours.dumps("a" * 40)) == "a" * 40
    assert ours.loads(stock.dumps("b" * 40)) == "b" * 40
    with pytest.raises(BadSignature):
        csrf_serializer("autre clé", "wtf-csrf-token").loads(stock.dumps("c" * 40))
    app = _app("clé")
    with app.test_request_context("/"):
        token = flask_wtf.csrf.generate_csrf()
        assert stock.loads(token) == session["csrf_token"]
        flask_wtf.csrf.validate_csrf(token)  # accepted
        with pytest.raises(ValidationError, match="invalid"):
            flask_wtf.csrf.validate_csrf(URLSafeTimedSerializer(
                "autre clé", salt="wtf-csrf-token").dumps(session["csrf_token"]))
        with pytest.raises(ValidationError, match="do not match"):
            flask_wtf.csrf.validate_csrf(stock.dumps("d" * 40))
