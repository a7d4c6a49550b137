"""Chorus Pro Sandbox: a local simulator of the Chorus Pro qualification environment."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from sandbox.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Create the WSGI application: portal, PISTE API and control plane on one origin.

    The areas are imported here, by name, as flaskr's factory does: importing the
    ``sandbox`` package (for its settings, say) loads no area, and a missing area is an
    ImportError at start, never a silent skip.
    """
    from sandbox import (
        control,
        cpro,
        db,
        engagements,
        factures,
        health,
        organisations,
        piste,
        portal,
        resilience,
        schema,
        seeding,
        state,
        web,
    )
    from sandbox.config import load_settings
    from sandbox.mail import dispatcher

    settings = load_settings(overrides)
    app = Flask(__name__)
    app.config["SANDBOX"] = settings
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings.public_base_url.startswith("https://")
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    json_provider = DefaultJSONProvider(app)  # Flask's own, with two options changed:
    json_provider.ensure_ascii = False  # French libellés stay readable
    json_provider.sort_keys = False  # keep the field order of the real API
    app.json = json_provider
    logging.getLogger("sandbox").setLevel(settings.log_level)

    db.init_app(app)
    schema.create_schema()
    state.init_app(app)
    app.register_blueprint(health.bp)
    resilience.init_app(app)
    # Each area registers its routes and hooks; the order is the hooks' order.
    for area in (web, portal, seeding, piste, cpro, factures, engagements, organisations,
                 control):
        area.init_app(app)

    if settings.mail_dispatcher:
        dispatcher.start(settings)
    return app
