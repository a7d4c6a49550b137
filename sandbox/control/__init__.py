"""The control plane (/_sandbox/): reset, clock, faults, journal, mails, shortcuts.

Kept beside the simulated portal and API, like moto's /moto-api/ or WireMock's
/__admin/, for tests that drive the sandbox. See docs/control-plane.md.
"""

from __future__ import annotations

from flask import Flask

# dashboard, engagements, factures, piste, queues, shortcuts and views register their
# operations on api.bp when imported; guard adds the access check to it, openapi serves the
# document of the registry.
from sandbox.control import (  # noqa: F401
    dashboard,
    engagements,
    factures,
    guard,
    hooks,
    hosts,
    openapi,
    piste,
    queues,
    shortcuts,
    views,
)
from sandbox.control.api import bp


def init_app(app: Flask) -> None:
    """Register the control plane's routes and the app-level fault and journal hooks."""
    hooks.init_app(app)
    factures.init_app(app)  # the check's body limit (before any hook reads the body)
    hosts.init_app(app)  # first in line: before the shared state, the faults, any view
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # JSON routes carry no CSRF token
        csrf.exempt(bp)
