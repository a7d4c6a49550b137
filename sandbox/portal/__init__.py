"""The portal: French HTML pages (accueil, créer un compte, activation, connexion,
mon compte, gestionnaire), built on the account rules (sandbox/accounts/)."""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask_wtf.csrf import generate_csrf

from sandbox.portal import auth
from sandbox.portal.views import bp


def init_app(app: Flask) -> None:
    """Register the portal's pages and what its templates need."""
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
