"""The sandbox's surfaces on one origin, and who renders each one's error bodies.

One table says which URL prefix belongs to which surface (portal, API, the Référentiel
des Organisations, control plane, health, the API documentation's static files) and
whether it is a machine surface (JSON bodies) or a human one (HTML); ``is_piste`` says
which paths are behind the PISTE gateway (the two API surfaces). ``sandbox.web`` (HTTP
errors: 404, 405, 413...) and ``sandbox.resilience`` (database unavailable, value
refused) both ask it, so a new prefix is added once.

Each surface's renderer of HTTP errors is registered on the app
(``register_error_renderer(app, surface, render)``, kept in ``app.extensions``), never
in a module global: two apps in one process (tests) do not share them. A surface with
no renderer keeps Werkzeug's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

ErrorRenderer = Callable[[HTTPException], "Response | HTTPException"]
EXTENSION = "sandbox.error_renderers"


@dataclass(frozen=True)
class Surface:
    """One surface: its name, its URL prefixes and its wire format."""

    name: str
    prefixes: tuple[str, ...]
    json: bool

    def owns(self, path: str) -> bool:
        return path.startswith(self.prefixes)


# The Référentiel des Organisations is a REST API with its own error bodies, behind the
# same PISTE gateway: its own surface, listed before the API whose prefix contains it.
ORGANISATIONS = Surface("organisations", ("/cpro/organisations/",), json=True)
API = Surface("api", ("/cpro", "/api/", "/openapi.json"), json=True)
CONTROL = Surface("control", ("/_sandbox",), json=True)
HEALTH = Surface("health", ("/health",), json=True)
DOCS = Surface("docs", ("/docs/api",), json=False)  # Swagger UI's page and files
PORTAL = Surface("portal", (), json=False)  # every other path
SURFACES = (ORGANISATIONS, API, CONTROL, HEALTH, DOCS)
# The surfaces behind the PISTE gateway (bearer token, cpro-account, subscriptions).
PISTE = frozenset({API, ORGANISATIONS})


def surface_of(path: str) -> Surface:
    """The surface that serves ``path``."""
    for surface in SURFACES:
        if surface.owns(path):
            return surface
    return PORTAL


def is_piste(path: str) -> bool:
    """Tell whether ``path`` is served behind the PISTE gateway (an API, not the portal)."""
    return surface_of(path) in PISTE


def current() -> Surface:
    """The surface of the request being answered."""
    return surface_of(request.path)


def register_error_renderer(app: Flask, surface: Surface, render: ErrorRenderer) -> None:
    """Let ``render`` answer the HTTP errors of ``surface`` on ``app``."""
    app.extensions.setdefault(EXTENSION, {})[surface.name] = render


def error_renderer(app: Flask, surface: Surface) -> ErrorRenderer | None:
    """The renderer registered for ``surface`` on ``app``, if any."""
    return app.extensions.get(EXTENSION, {}).get(surface.name)
