"""PISTE: the OAuth2 token endpoint, the gateway checks, technical accounts and
the portal pages about API access (Raccordements, compte technique)."""

from __future__ import annotations

from flask import Flask

from sandbox.piste import oauth, views


def init_app(app: Flask) -> None:
    """Register the token endpoint and the portal pages (Raccordements, compte technique)."""
    app.register_blueprint(oauth.bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # API clients send no CSRF token (the portal's CSRFProtect)
        csrf.exempt(oauth.bp)
    app.register_blueprint(views.bp)

