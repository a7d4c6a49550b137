"""The operation registry and the dispatcher of every ``/cpro/...`` call.

Each operation declares its method, path, request and response models and
handler (``@operation``); the dispatcher runs the gateway checks in PISTE's
order, validates the body against the request model, calls the handler and
renders its dict. The same registry produces ``/openapi.json``.

Order of checks: bearer token (401) -> subscribed API (403, empty body) -> known
route (403) -> cpro-account (401) -> JSON content type (415) -> well-formed JSON
(400) -> schema (400) -> the business answer (HTTP 200, ``codeRetour``/``libelle``).

The Référentiel des Organisations (``sandbox/organisations/``) declares its REST
operations in the same registry and has its own dispatcher, which shares the gateway
steps and answers below (``LazyReader``, ``unknown_route``, ``gateway_answer``,
``json_response``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import orjson
from flask import Flask, Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from sandbox import db
from sandbox.config import Settings
from sandbox.cpro import errors
from sandbox.piste.gateway import (
    Caller,
    GatewayError,
    check_account,
    check_bearer,
    check_subscription,
)
from sandbox.registry import Registry


@dataclass
class Context:
    """What a handler gets: the request's session, the caller and the settings."""

    s: Session
    caller: Caller
    settings: Settings


# The API's operations (``sandbox.registry``, the same mechanism as the control plane's).
# ``@operation`` declares into REGISTRY when the handler modules are imported (like a
# blueprint's routes); ``install(app)`` puts it on the app, where the dispatcher and
# /openapi.json read it (``registry()``), as Flask keeps its extensions.
# ``read_only=True`` (kept in ``Operation.extra``): the handler never writes; it then
# gets ``db.read_session()`` (no BEGIN, no ROLLBACK), which refuses any flush.
REGISTRY = Registry()
OPERATIONS = REGISTRY.operations
operation = REGISTRY.operation
EXTENSION = "sandbox.cpro.operations"


def install(app: Flask) -> None:
    """Put the declared operations on ``app``."""
    app.extensions[EXTENSION] = REGISTRY


def registry() -> Registry:
    """The current app's operations."""
    return current_app.extensions[EXTENSION]


class RequestError(Exception):
    """A body the API cannot read (HTTP 400/415)."""

    def __init__(self, status: int, code: int, libelle: str, erreurs: list | None = None) -> None:
        super().__init__(libelle)
        self.status = status
        self.body = {"codeRetour": code, "libelle": libelle, "erreurs": erreurs or []}


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(corps)"


def parse_body(model: type[BaseModel]) -> BaseModel:
    """Validate the request body against ``model`` or raise ``RequestError``."""
    if not request.is_json:
        raise RequestError(
            415,
            errors.CODE_FORMAT_NON_SUPPORTE,
            "Format de la requête non supporté : le corps doit être du JSON "
            f"(Content-Type: application/json), reçu {request.mimetype or 'aucun Content-Type'}.",
        )
    raw = request.get_data(cache=False)
    if raw.strip() == b"[]":
        raw = b"{}"  # PHP clients (Guzzle 'json' => []) send an empty array for "no parameter"
    if not raw.strip():
        raw = b"{}"  # empty-parameter operations: an empty body means {}
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_context=False, include_input=False)
        if any(p["type"] == "json_invalid" for p in problems):
            detail = problems[0]["msg"]
            raise RequestError(
                400, errors.CODE_JSON_MALFORME, f"Requête mal formulée : JSON invalide ({detail})."
            ) from None
        erreurs = [{"champ": _location(p["loc"]), "message": p["msg"]} for p in problems]
        first = erreurs[0]
        raise RequestError(
            400,
            errors.CODE_SCHEMA,
            f"Requête mal formulée : {first['champ']} : {first['message']}",
            erreurs,
        ) from None


def unknown_route(path: str) -> GatewayError:
    methods = registry().methods(path.rstrip("/"))
    if methods:
        allowed = ", ".join(sorted(methods))
        return GatewayError(
            403,
            "route_inconnue",
            f"Route inconnue : {request.method} {path}. This path only answers {allowed}.",
        )
    return GatewayError(
        403,
        "route_inconnue",
        f"Route inconnue : {request.method} {path} is not a route of this API (or not "
        "subscribed). The routes are listed in /openapi.json and on /docs/api.",
    )


_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # dates as Flask writes them (its default)


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    """The answer, encoded by orjson (4× faster than the stdlib here; UTF-8, field order
    kept); what orjson does not know goes to the app's JSON provider's ``default``."""
    try:
        # resilience.init_app made the app's provider a DefaultJSONProvider (SafeJSONProvider).
        provider = cast(DefaultJSONProvider, current_app.json)
        data = orjson.dumps(body, default=provider.default, option=_JSON_OPTIONS)
    except TypeError:  # what orjson refuses (an integer past 64 bits echoed back): the stdlib
        data = current_app.json.dumps(body).encode()
    return Response(data, status=status, headers=headers, mimetype="application/json")


class LazyReader:
    """``db.read_session()`` opened on first use: a call the gateway's caches answer and
    whose operation needs no database (health-check) opens none."""

    def __init__(self) -> None:
        self._session: Session | None = None

    def __getattr__(self, name: str) -> Any:
        if self._session is None:
            self._session = db.read_session()
        return getattr(self._session, name)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def gateway_answer(error: GatewayError) -> Response:
    """The gateway's refusal: its JSON body (401 with ``WWW-Authenticate``), or an empty
    body with the reason in ``X-Sandbox-Reason`` where the real gateway sends nothing."""
    if error.empty:
        return Response(b"", status=error.status, headers={"X-Sandbox-Reason": error.description})
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = (
            f'Bearer realm="PISTE", error="{error.error}"'
            if error.error in ("invalid_token",)
            else 'Bearer realm="PISTE"'
        )
    return json_response(error.body(), error.status, headers)


def dispatch(_rest: str = "") -> Response:
    """Answer one ``/cpro/...`` call.

    The gateway's lookups (mostly answered from its caches) and read-only operations
    run on a session that opens no transaction; other operations get the request's
    session.
    """
    reader: Any = LazyReader()
    try:
        application = check_bearer(reader, request.headers.get("Authorization"))
        check_subscription(application, request.path)
        op = registry().find(request.method, request.path.rstrip("/"))
        if op is None:
            raise unknown_route(request.path)
        caller = check_account(reader, request.headers.get("cpro-account"))
        payload = parse_body(op.request_model) if op.request_model is not None else None
        if op.extra.get("read_only"):
            s = reader
        else:
            s, caller = db.session(), caller.for_writes()
        body = op.handler(Context(s, caller, current_app.config["SANDBOX"]), payload)
    except GatewayError as error:
        return gateway_answer(error)
    except RequestError as error:
        return json_response(error.body, error.status)
    except errors.BusinessError as error:
        return json_response(error.body())
    finally:
        reader.close()
    return json_response(body)
