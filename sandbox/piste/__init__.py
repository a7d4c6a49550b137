"""PISTE: the OAuth2 token endpoint, the gateway checks, technical accounts and
the portal pages about API access (Raccordements, compte technique)."""

from __future__ import annotations

import importlib.util

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the token endpoint, and the portal pages when the portal is there."""
    from sandbox.piste import oauth

    app.register_blueprint(oauth.bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # API clients send no CSRF token (the portal's CSRFProtect)
        csrf.exempt(oauth.bp)
    if importlib.util.find_spec("sandbox.portal") is not None:
        from sandbox.piste import views

        app.register_blueprint(views.bp)

