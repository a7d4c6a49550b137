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
    if importlib.util.find_spec("sandbox.web") is not None:
        from sandbox import web

        web.register_error_renderer("/api/", _render_http_error)
    if importlib.util.find_spec("sandbox.portal") is not None:
        from sandbox.piste import views

        app.register_blueprint(views.bp)


def _render_http_error(error):  # noqa: ANN001, ANN202
    """HTTP errors under /api/ (e.g. 405 on GET /api/oauth/token) as OAuth2-style JSON."""
    from flask import jsonify

    answer = jsonify({"error": "invalid_request", "error_description": error.description})
    answer.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() == "allow":
            answer.headers["Allow"] = value
    return answer
