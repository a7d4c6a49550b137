"""Answer 503 while the database cannot be reached, and recover without a restart;
refuse JSON nested too deeply as invalid JSON (400), values the database refuses
(400) and ids beyond 64 bits in URLs (404), never with a 500.

A database that is restarting, unreachable or (SQLite) locked for too long
raises SQLAlchemy's ``OperationalError`` / ``InterfaceError`` (or a pool
``TimeoutError``) somewhere in a request. Instead of a 500 page, the client gets
a 503 with ``Retry-After``: a JSON body on machine paths (API, control plane,
health), a short French page on the portal (``sandbox.surfaces`` says which path is
which). Nothing else is needed to recover: the request's session is closed at
teardown, and PostgreSQL connections are checked before reuse (``pool_pre_ping``), so
the next request after the database is back reconnects by itself.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import BadRequest, HTTPException, ServiceUnavailable
from werkzeug.routing import IntegerConverter

from sandbox import surfaces
from sandbox.vocabulary import INT64_MAX

log = logging.getLogger("sandbox.resilience")

RETRY_AFTER_SECONDS = 5
MESSAGE = (
    "Service temporairement indisponible : la base de données ne répond pas. "
    "Réessayez dans quelques secondes."
)

_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Service indisponible - Chorus Pro</title></head>
<body><h1>Service temporairement indisponible</h1>
<p>La base de données ne répond pas. Réessayez dans quelques secondes.</p></body></html>
"""


def database_unavailable(error: Exception) -> Response:
    """The 503 answer for a database that cannot be reached."""
    log.warning("database unavailable on %s %s: %s", request.method, request.path,
                str(error).splitlines()[0][:200])
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.invalidate()  # drop its connection: it may be dead
        except Exception:
            pass
    surface = surfaces.current()
    own = _own_answer(surface, ServiceUnavailable(MESSAGE))
    if surface is surfaces.HEALTH:
        response = jsonify({"status": "error", "libelle": MESSAGE,
                            "storage": {"status": "error", "error": str(error)[:200]}})
    elif own is not None:
        response = own
    elif surface.json:
        response = jsonify({"codeRetour": 503, "libelle": MESSAGE})
    else:
        response = Response(_PAGE, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_answer(surface: surfaces.Surface, error: HTTPException) -> Response | None:
    """The answer of a JSON surface with its own error bodies (the Référentiel des
    Organisations' arrays) to ``error``; None for the others (answered here)."""
    if surface is not surfaces.ORGANISATIONS:
        return None
    render = surfaces.error_renderer(current_app, surface)
    answer = render(error) if render is not None else None
    return answer if isinstance(answer, Response) else None


DATA_MESSAGE = (
    "Requête mal formulée : une valeur n'est pas acceptée par la base de données "
    "(caractère nul ou valeur trop longue)."
)


def reference_vanished(error: IntegrityError) -> Response:
    """A row a unit of work refers to was deleted under it (a foreign key refused): only a
    concurrent reset deletes what a request has just read (PostgreSQL checks the key when
    the reset commits). Nothing changed; the client is told to try again (503 with
    ``Retry-After``, as for a database away). Any other integrity error is a bug: a 500."""
    code = getattr(error.orig, "sqlstate", None)
    if code != "23503" and "FOREIGN KEY constraint failed" not in str(error.orig):
        raise error
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    return database_unavailable(error)


def value_refused(error: Exception) -> Response:
    """A 400 for a value the database refuses (PostgreSQL: a NUL character, a string
    longer than its column). The unit of work is rolled back: nothing changed.

    Each area should refuse such input itself; this is the net under them.
    """
    log.warning("value refused by the database on %s %s: %s", request.method, request.path,
                str(error).splitlines()[0][:200])
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
    surface = surfaces.current()
    own = _own_answer(surface, BadRequest(DATA_MESSAGE))
    if own is not None:
        response = own
    elif surface is surfaces.API:
        response = jsonify({"codeRetour": 400, "libelle": DATA_MESSAGE, "erreurs": []})
    elif surface is surfaces.CONTROL:
        response = jsonify({"error": "a value was refused by the database "
                                     "(NUL character or value too long)"})
    elif surface.json:
        response = jsonify({"codeRetour": 400, "libelle": DATA_MESSAGE})
    else:
        response = Response(_PAGE_400, mimetype="text/html")
    response.status_code = 400
    return response


_PAGE_400 = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Requête invalide - Chorus Pro</title></head>
<body><h1>Requête invalide</h1>
<p>Une valeur saisie n'est pas acceptée (caractère nul ou valeur trop longue).
Corrigez-la et réessayez.</p></body></html>
"""


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a document nested too deeply is invalid JSON.

    ``json.loads`` raises ``RecursionError`` on ``[[[[...]]]]`` some thousands deep;
    Flask only turns ``ValueError`` into a 400, so without this a hostile body
    became a 500.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Readable UTF-8 (``ensure_ascii`` off), except a document holding a lone
        surrogate (valid JSON text, not encodable UTF-8: a journaled body, issue #23 §8),
        written with ASCII escapes instead of failing the answer."""
        text = super().dumps(obj, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text


# HTTP errors raised before an API handler could answer (a body over the limit, a
# method the route does not take): JSON in the API's shape, not Werkzeug's HTML.
API_ERROR_MESSAGES = {
    404: "Ressource inconnue.",
    405: "Méthode non autorisée sur cette route.",
    413: "Requête trop volumineuse : le corps dépasse la taille maximale acceptée ({limit} "
         "octets).",
    500: "Erreur interne du serveur.",
    503: "Service temporairement indisponible. Réessayez dans quelques secondes.",
}
CONTROL_ERROR_MESSAGES = {
    413: "the request body is larger than the limit ({limit} bytes)",
}


def _limit() -> int:
    return current_app.config["SANDBOX"].max_body_bytes


def render_api_error(error: HTTPException) -> Response:
    """An HTTP error on /cpro or /api as the API's JSON error body."""
    code = error.code or 500
    message = API_ERROR_MESSAGES.get(code, error.description or "Erreur.")
    response = jsonify({"codeRetour": code, "libelle": message.format(limit=_limit()),
                        "erreurs": []})
    response.status_code = code
    for name, value in error.get_headers():
        if name.lower() in {"allow", "retry-after"}:
            response.headers[name] = value
    return response


def render_control_error(error: HTTPException) -> Response:
    """An HTTP error on the control plane as its JSON error body."""
    code = error.code or 500
    message = CONTROL_ERROR_MESSAGES.get(code, (error.description or error.name).strip())
    response = jsonify({"error": message.format(limit=_limit())})
    response.status_code = code
    for name, value in error.get_headers():
        if name.lower() in {"allow", "retry-after"}:
            response.headers[name] = value
    return response


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` in URLs, at most the largest id a database column holds.

    Beyond it SQLite raises OverflowError and PostgreSQL an out-of-range error:
    a URL naming such an id names nothing, so it is a 404 before any query.
    """

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, INT64_MAX if max is None else max, signed)


def init_app(app: Flask) -> None:
    """Register the 503 handlers, JSON error bodies on machine paths and the JSON
    reader that refuses deep nesting."""
    surfaces.register_error_renderer(app, surfaces.API, render_api_error)
    surfaces.register_error_renderer(app, surfaces.CONTROL, render_control_error)
    app.url_map.converters["int"] = BoundedIntegerConverter  # before the areas' routes
    for error_class in (OperationalError, InterfaceError, PoolTimeoutError):
        app.register_error_handler(error_class, database_unavailable)
    app.register_error_handler(DataError, value_refused)
    app.register_error_handler(IntegrityError, reference_vanished)
    previous = app.json
    app.json = SafeJSONProvider(app)
    for name in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
        setattr(app.json, name, getattr(previous, name))
