"""The Chorus Pro APIs under ``/cpro/...``: Structures, Utilisateurs, Transverses.

Each ``/cpro/...`` call goes through one dispatcher (``api.dispatch``): gateway
checks, body validation against the operation's pydantic model, handler. The
same registry produces ``/openapi.json`` and the ``/docs/api`` page.
"""

from __future__ import annotations

from flask import Flask

from sandbox.cpro import (  # noqa: F401 (declare)
    openapi,
    referentiels,
    referentiels_structures,
    structures,
    transverses,
    utilisateurs,
)
from sandbox.cpro.api import dispatch, install

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def init_app(app: Flask) -> None:
    """Register the /cpro routes, /openapi.json and /docs/api."""
    install(app)
    app.add_url_rule("/cpro", "cpro_root", dispatch, methods=METHODS)
    app.add_url_rule("/cpro/<path:_rest>", "cpro", dispatch, methods=METHODS)
    openapi.init_app(app)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # API clients send no CSRF token (the portal's CSRFProtect)
        csrf.exempt(dispatch)
