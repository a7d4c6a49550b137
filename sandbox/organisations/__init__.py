"""The Référentiel des Organisations (``/cpro/organisations/v1``), a REST API of Chorus Pro
behind the PISTE gateway with its own paths, methods, uuids and error bodies (issue #21.4).

Its rooms (docs/architecture.md says what each may import):

* ``uuids.py`` — the uuids (derived from the seed, stored nowhere);
* ``objects.py`` — the ``Structure``, ``Service`` and ``PieceJointeStructure`` objects:
  each field, how it is written and which column a search reads;
* ``search.py`` — the ``{"op", "val"}`` search syntax, ``_sort``, ``_desc``, ``_fields``;
* ``rules.py`` — what a reference names, who sees what, the EDI parameters, a new service;
* ``errors.py`` — the error arrays (``ParamsInvalidUuidStructures``, ``NotFoundReference``…);
* ``schemas.py`` — the pydantic models (bodies, answers, ``/openapi.json``);
* ``api.py`` — the operations (in the cpro registry) and their dispatcher.

The first five know no HTTP.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import PathConverter

from sandbox import surfaces
from sandbox.organisations import api

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class AnyPath(PathConverter):
    """Werkzeug's ``path``, line breaks included: a reference holding a control character
    is the API's to refuse (its error array), not a 404 of the router."""

    regex = r"[^/][\s\S]*?"


def init_app(app: Flask) -> None:
    """Route ``/cpro/organisations/v1/...`` to this API's dispatcher (a more specific rule
    than the other APIs' ``/cpro/<path>``) and render the surface's HTTP errors."""
    app.url_map.converters["any_path"] = AnyPath
    app.add_url_rule(api.BASE, "organisations_root", api.dispatch, methods=METHODS)
    app.add_url_rule(f"{api.BASE}/<any_path:_rest>", "organisations", api.dispatch,
                     methods=METHODS)
    surfaces.register_error_renderer(app, surfaces.ORGANISATIONS, api.render_http_error)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # API clients send no CSRF token (the portal's CSRFProtect)
        csrf.exempt(api.dispatch)
