"""The portal: French HTML pages (accueil, créer un compte, activation, connexion,
mon compte, gestionnaire), built on the account rules (sandbox/accounts/)."""

from __future__ import annotations

from functools import lru_cache

import flask_wtf.csrf
from flask import Flask, Request, current_app, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

from sandbox import surfaces
from sandbox.portal import auth
from sandbox.portal.views import bp


class _OnceDerivedSigner(TimestampSigner):
    """itsdangerous' timestamp signer deriving each key once: it derives it (an HMAC of the
    secret and the salt) on every sign and every check."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = None if secret_key is None else want_bytes(secret_key)
        derived = self._derived.get(key)
        if derived is None:
            derived = self._derived[key] = super().derive_key(secret_key)
        return derived


class _SessionSerializer(URLSafeTimedSerializer):
    """Flask's session serializer, its signer made once per salt (itsdangerous makes one
    per sign and per check); signers keep no state between calls."""

    default_signer = _OnceDerivedSigner

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        signers: dict = self.__dict__.setdefault("_signers", {})
        signer = signers.get(salt)
        if signer is None:
            signer = signers[salt] = super().make_signer(salt)
        return signer


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the same cookie, its serializer and signer built once
    per key rather than on every request (the signing was ~14 % of a signup flow's CPU over
    HTTP, docs/performance.md). A changed key or fallback builds new ones."""

    def __init__(self) -> None:
        self._built: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != key:
            stock = super().get_signing_serializer(app)  # Flask's settings, then ours
            serializer = None if stock is None else _SessionSerializer(
                stock.secret_keys, salt=stock.salt, serializer=stock.serializer,
                signer_kwargs=stock.signer_kwargs)
            built = self._built = (key, serializer)
        return built[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The cookie's session, but for the PISTE APIs (``surfaces.is_piste``), which never
        read it: a new empty one, without parsing the cookies (~5 % of an API call's CPU,
        issue #24). Nothing changes for the client: an unchanged session is never saved,
        whichever it is."""
        if surfaces.is_piste(request.path):
            return self.session_class()
        return super().open_session(app, request)


@lru_cache(maxsize=16)  # one per (secret key, salt): a process has one or two
def csrf_serializer(secret_key: str | bytes, salt: str = "wtf-csrf-token"
                    ) -> URLSafeTimedSerializer:
    """The serializer Flask-WTF signs and checks CSRF tokens with, built once per key: its
    ``generate_csrf`` and ``validate_csrf`` build a ``URLSafeTimedSerializer`` on every
    call, whose signer derives its key (an HMAC) on every sign and check. The same
    tokens (``tests/unit/test_portal_sessions.py``); Flask-WTF's checks and messages are
    its own, unchanged."""
    return _SessionSerializer(secret_key, salt=salt)


# Flask-WTF looks the class up in its module at each call: every FlaskForm of every area
# (portal, PISTE pages, factures pages) and the templates' ``csrf_token()`` use it.
flask_wtf.csrf.URLSafeTimedSerializer = csrf_serializer


def init_app(app: Flask) -> None:
    """Register the portal's pages and what its templates need."""
    app.session_interface = CookieSessions()
    app.register_blueprint(bp)

    def _safe_current_user():
        # Error pages render this template too, maybe while the database is down.
        try:
            return auth.current_user()
        except Exception:
            return None

    def portal_url(endpoint: str, **values) -> str | None:
        # Links to other areas' pages only when those areas are installed.
        if endpoint not in current_app.view_functions:
            return None
        return url_for(endpoint, **values)

    @app.context_processor
    def _portal_globals() -> dict:
        return {
            "portal_url": portal_url,
            "portal_user": _safe_current_user,
            "csrf_token": generate_csrf,
            "sandbox_settings": app.config["SANDBOX"],
        }
