"""The portal: French HTML pages (accueil, créer un compte, activation, connexion,
mon compte, gestionnaire), built on the account rules (sandbox/accounts/)."""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

from sandbox.portal import auth
from sandbox.portal.views import bp


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the signing serializer built once per key rather than
    on every request (~2 % of a signup flow's CPU over HTTP, docs/performance.md). The
    serializer keeps no state between calls; a changed key or fallback builds a new one."""

    def __init__(self) -> None:
        self._built: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != key:
            built = self._built = (key, super().get_signing_serializer(app))
        return built[1]


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
