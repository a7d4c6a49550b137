"""App-level request hooks: maintenance, injected faults, overrides and the request journal.

They run right after the shared state is read (``g.sandbox_state``) and before
every other area's hooks, so a fault or the maintenance switch answers before
authentication or any view. The control plane and /health are never faulted nor
journaled.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from sqlalchemy import select

from sandbox import db, security, surfaces
from sandbox.control import faults, journal, matching, operations
from sandbox.cpro.api import registry as api_registry
from sandbox.models import AccessToken, OAuthClient

log = logging.getLogger("sandbox.control")

_SECRET_FIELDS = re.compile(r"((?:password|client_secret)[^=&]*=)[^&]*", re.IGNORECASE)

STATUS_TEXT = {
    429: "Trop de requêtes",
    500: "Erreur interne du serveur",
    502: "Passerelle incorrecte",
    503: "Service indisponible",
    504: "Délai d'attente de la passerelle dépassé",
}


def is_api(path: str) -> bool:
    """Tell whether ``path`` belongs to a PISTE API (JSON) rather than the portal."""
    return surfaces.is_piste(path)  # the one table of prefixes


def refusal(status: int, title: str, message: str, error: str) -> Response:
    """A refusal before any view: JSON on the API, a French page on the portal."""
    if is_api(request.path):
        response = jsonify({"error": error, "error_description": message})
        response.status_code = status
        return response
    try:  # the portal's own error page (its layout and stylesheet)
        html = render_template("web/error.html", code=status, title=title, message=message)
    except Exception:
        html = render_template("control/unavailable.html", status=status, title=title,
                               message=message)
    return Response(html, status=status, mimetype="text/html")


def unavailable(status: int, maintenance: bool) -> Response:
    """The answer of a faulted call: JSON on the API, a French page on the portal."""
    text = STATUS_TEXT.get(status, "Erreur")
    if maintenance:
        message = (
            "Chorus Pro est momentanément indisponible pour cause de maintenance. "
            "Veuillez réessayer ultérieurement."
        )
    else:
        message = f"{text}. Veuillez réessayer ultérieurement."
    title = "Site en maintenance" if maintenance else text
    response = refusal(status, title, message,
                       "service_unavailable" if status == 503 else "server_error")
    if status == 503:
        response.headers["Retry-After"] = "60"
    return response


# A response head that hyper (granian's HTTP layer) refuses to encode: a streamed body
# (length unknown) with a Content-Length that is no number. hyper then writes nothing,
# not even the status line, and closes the connection (docs/decisions.md).
_UNENCODABLE_LENGTH = "connection-dropped"


def _nothing() -> Iterator[bytes]:
    yield b""  # a generator: granian streams it, so hyper checks the head's Content-Length


def _drop_connection() -> Response:
    """Close the connection without a byte of an answer (the client sees an empty reply).

    gunicorn (and werkzeug's server) hand the app the client socket: shut it down, the
    server's write then fails (EPIPE), which it ignores quietly. granian gives the app no
    socket: its HTTP layer (hyper) closes the connection without writing anything when a
    streamed answer's head cannot be encoded, which is what this answer is."""
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return Response(b"", status=500)
    if str(request.environ.get("SERVER_SOFTWARE", "")).startswith("Granian"):
        response = Response(_nothing(), status=500)
        response.headers["Content-Length"] = _UNENCODABLE_LENGTH
        return response
    # No connection to cut (e.g. Flask's test client): the nearest visible failure.
    return Response("connection dropped (no socket under this server)", status=502)


_bearer_clients: dict[str, str | None] = {}


def _client_id() -> str | None:
    """The OAuth client of the call: set by the API in ``g``, else read from the call."""
    known = g.get("piste_client_id")
    if known:
        return known
    if request.path == "/api/oauth/token":
        if request.authorization is not None and request.authorization.username:
            return request.authorization.username
        return request.form.get("client_id") or None
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not request.path.startswith("/cpro/"):
        return None
    digest = security.token_hash(header[7:].strip())
    if digest not in _bearer_clients:
        if len(_bearer_clients) > 10_000:
            _bearer_clients.clear()
        _bearer_clients[digest] = db.session().scalar(
            select(OAuthClient.client_id).join(AccessToken, AccessToken.client_id == OAuthClient.id)
            .where(AccessToken.token_hash == digest)
        )
    return _bearer_clients[digest]


def _account() -> str | None:
    """The cpro-account login of the call (set by the API in ``g``, else decoded)."""
    known = g.get("cpro_login")
    if known:
        return known
    header = request.headers.get("cpro-account")
    if not header:
        return None
    try:
        login, _, _ = base64.b64decode(header, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return login or None


def _scrub(data: bytes) -> str:
    text = data[:2000].decode("utf-8", "replace")
    return _SECRET_FIELDS.sub(r"\1***", text)


def _parsed_body() -> Any:
    """The request body as JSON (``request.is_json``) or form fields; None otherwise or
    when it is not readable. Parsed once per request."""
    if "control_body" not in g:
        value: Any = None
        if request.is_json:
            try:
                value = json.loads(request.get_data(cache=True))
            except (ValueError, RecursionError):
                value = None
        elif request.mimetype == "application/x-www-form-urlencoded":
            value = request.form.to_dict(flat=True)
        g.control_body = value
    return g.control_body


def _body_entry(settings: Any) -> dict:
    """What the journal keeps of the body for verification: ``body`` or ``bodyOmitted``."""
    size = request.content_length or 0
    if not size:
        return {}
    if size > settings.journal_match_bytes:
        return {"bodyOmitted": f"{size} bytes, over SANDBOX_JOURNAL_MATCH_BYTES"}
    value = _parsed_body()
    if value is None:
        return {"bodyOmitted": f"not JSON nor a form ({request.mimetype or 'no type'})"}
    return {"body": matching.mask_body(value)}


def _unmatched() -> bool:
    """No route answered: Flask found none (404/405), or the API has no such operation."""
    if g.get("control_override"):
        return False
    if request.url_rule is None:
        return True
    if surfaces.is_piste(request.path) and request.path.startswith("/cpro"):
        return api_registry().match(request.method, request.path.rstrip("/")) is None
    return False


def _record(status: int | None, response: Response | None = None) -> None:
    settings = current_app.config["SANDBOX"]
    started = g.get("control_started")
    if settings.journal_size <= 0 or started is None:
        return
    entry = {
        "t": time.time(),
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode("latin-1") or None,
        "status": status,
        "durationMs": round((time.perf_counter() - started) * 1000, 2),
        "clientId": _client_id(),
        "account": _account(),
        "remoteAddr": request.remote_addr,
        "fault": g.get("control_fault"),
        "headers": matching.mask_headers(request.headers),
    }
    if settings.journal_match_bytes > 0:
        entry.update(_body_entry(settings))
    if _unmatched():
        entry["unmatched"] = True
    if g.get("control_override"):
        entry["override"] = g.control_override
    if settings.journal_bodies:
        entry["requestBody"] = _scrub(request.get_data(cache=True))
        if response is not None and not response.direct_passthrough and not response.is_streamed:
            entry["responseBody"] = _scrub(response.get_data())
    journal.record(current_app.config["SANDBOX_JOURNAL_DIR"], settings.journal_size, entry)


def _exempt(path: str) -> bool:
    return path.startswith(faults.EXEMPT_PREFIXES)


def before_request() -> Response | None:
    """Apply maintenance and faults; start the journal's timer."""
    path = request.path
    if _exempt(path):
        return None
    g.control_started = time.perf_counter()
    settings = current_app.config["SANDBOX"]
    if settings.journal_size > 0 and (
            settings.journal_bodies
            or 0 < (request.content_length or 0) <= settings.journal_match_bytes):
        request.get_data(cache=True)  # keep the body readable after the view
    state = g.get("sandbox_state")
    if state is None:
        return None
    if state.maintenance:
        g.control_fault = "maintenance"
        return unavailable(503, maintenance=True)
    outcome = faults.decide(state.faults, request.method, path, body=_parsed_body,
                            consume=operations.consume_use)
    if outcome is None:
        return None
    g.control_fault = outcome.label
    if outcome.latency_ms:
        time.sleep(outcome.latency_ms / 1000)  # the injected latency itself
    if outcome.drop:
        _record(None)
        g.control_recorded = True
        return _drop_connection()
    if outcome.status:
        return unavailable(outcome.status, maintenance=False)
    if outcome.response is not None:
        g.control_override = outcome.override
        return overridden(outcome.response, outcome.override or "")
    return None


def overridden(answer: dict, label: str) -> Response:
    """The answer of an override rule: its status, JSON body and headers, marked with
    ``X-Sandbox-Override`` (as WireMock's ``Matched-Stub-Id``)."""
    body = answer.get("body")
    data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    response = Response(data, status=answer["status"],
                        mimetype="application/json" if body is not None else None)
    if body is None:
        response.headers.pop("Content-Type", None)
    for name, value in (answer.get("headers") or {}).items():
        response.headers[name] = value
    response.headers["X-Sandbox-Override"] = label
    return response


def after_request(response: Response) -> Response:
    """Journal the request."""
    if not g.get("control_recorded") and not _exempt(request.path):
        try:
            _record(response.status_code, response)
        except Exception:  # the journal must never break an answer
            log.exception("request journal not written")
    return response


def init_app(app: Flask) -> None:
    """Install the hooks first in line, right after the shared state is read."""
    folder = journal.directory(app.config["SANDBOX"].database_url)
    app.config["SANDBOX_JOURNAL_DIR"] = folder
    journal.prune(folder)
    hooks = app.before_request_funcs.setdefault(None, [])
    position = next(
        (i + 1 for i, f in enumerate(hooks) if f.__name__ == "_refresh_state"), 0
    )
    hooks.insert(position, before_request)
    app.after_request_funcs.setdefault(None, []).append(after_request)
