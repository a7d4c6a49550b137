"""The control plane (/_sandbox/): reset, clock, faults, journal, mails, shortcuts.

Kept beside the simulated portal and API, like moto's /moto-api/ or WireMock's
/__admin/, for tests that drive the sandbox. See docs/control-plane.md.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the control plane's routes and the app-level fault and journal hooks."""
    from sandbox.control import dashboard, hooks, openapi, shortcuts, views  # noqa: F401

    # dashboard, openapi and shortcuts add their routes to views.bp on import.
    hooks.init_app(app)
    app.register_blueprint(views.bp)
    views.register_csrf_exemption(app)
