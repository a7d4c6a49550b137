"""Chorus Pro Sandbox: a local simulator of the Chorus Pro qualification environment."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

__version__ = "0.1.0"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Create the WSGI application: portal, PISTE API and control plane on one origin."""
    from sandbox import db, state
    from sandbox.config import load_settings

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
    db.create_schema()
    state.init_app(app)

    from sandbox import health, resilience

    app.register_blueprint(health.bp)
    resilience.init_app(app)
    _register_optional_blueprints(app)

    if settings.mail_dispatcher:
        from sandbox.mail import dispatcher

        dispatcher.start(settings)
    return app


def _register_optional_blueprints(app: Flask) -> None:
    """Register each area of the product (every area registers its own routes)."""
    import importlib

    for module_name in (
        "sandbox.web",
        "sandbox.portal",
        "sandbox.seeding",
        "sandbox.piste",
        "sandbox.cpro",
        "sandbox.factures",
        "sandbox.control",
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        module.init_app(app)
