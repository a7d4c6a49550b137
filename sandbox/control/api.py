"""The control plane's operation registry and the view that runs each operation.

Built like the PISTE API (``sandbox/cpro/api.py``), on the same ``sandbox.registry``:
each operation declares its method, Flask rule, request (body) and query models,
answer model and status; ``@operation`` registers it in ``CONTROL`` (which
generates ``/_sandbox/openapi.json``) and adds its Flask route to ``bp``. The view
validates the body and the query string against the models, calls the handler
and renders what it returns (a dict as JSON, ``None`` as 204, a ``Response`` as is).

A bad input answers ``400 {"error": "<field>: <why>"}`` and the handler never runs;
a handler refuses with ``raise ControlError(message, status, **extra)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel, ValidationError

from sandbox.registry import Operation, Registry

bp = Blueprint(
    "control", __name__, url_prefix="/_sandbox", template_folder="templates",
    static_folder="static",
)
CONTROL = Registry()
_RULE_VARIABLE = re.compile(r"<(?:(?P<converter>[^:<>]+):)?(?P<name>[^<>]+)>")


class ControlError(Exception):
    """A refusal of the control plane: ``{"error": message, **extra}`` with ``status``."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.extra = extra


def error(message: str, status: int = 400, **extra: Any) -> tuple[Response, int]:
    """A control-plane error answer."""
    return jsonify({"error": message, **extra}), status


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """``/accounts/<path:login>`` -> (``/accounts/{login}``, its path parameters)."""
    parameters = [
        {"name": m["name"], "in": "path", "required": True,
         "schema": {"type": "integer" if m["converter"] == "int" else "string"}}
        for m in _RULE_VARIABLE.finditer(rule)
    ]
    return _RULE_VARIABLE.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def describe(problem: ValidationError) -> str:
    """The first problem of a validation error as ``field: why``."""
    first = problem.errors(include_url=False, include_context=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "model_type" and not where:
        return "expected a JSON object"
    why = first["msg"].removeprefix("Value error, ")
    return f"{where}: {why}" if where else why


def _body() -> Any:
    """The request body as JSON (an empty body is ``{}``)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise ControlError("the body must be JSON (Content-Type: application/json)")
    try:
        return current_app.json.loads(raw)
    except ValueError as problem:  # also invalid UTF-8 and documents nested too deeply
        raise ControlError(f"the body is not valid JSON ({problem})"[:300]) from None


def _validate(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as problem:
        raise ControlError(describe(problem)) from None


def _render(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    answer = jsonify(result)
    answer.status_code = status
    return answer


def _view(op: Operation) -> Callable[..., Response]:
    query_model = op.extra.get("query_model")

    @wraps(op.handler)
    def view(**path_args: Any) -> Response:
        try:
            if op.request_model is not None:
                path_args["body"] = _validate(op.request_model, _body())
            if query_model is not None:
                path_args["query"] = _validate(query_model, request.args.to_dict())
            return _render(op.handler(**path_args), op.extra.get("status", 200))
        except ControlError as refusal:
            answer, status = error(refusal.message, refusal.status, **refusal.extra)
            answer.status_code = status
            return answer

    return view


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    answer: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    html: bool = False,
) -> Callable[[Callable], Callable]:
    """Register the decorated handler as ``method /_sandbox<rule>`` (a Flask rule)."""

    def register(handler: Callable) -> Callable:
        path, parameters = openapi_path(rule)
        op = Operation(
            method=method, path=path, operation_id=handler.__name__, summary=summary, tag=tag,
            request_model=body, response_model=answer, handler=handler,
            description=(handler.__doc__ or "").strip(),
            extra={"query_model": query, "status": status, "errors": errors, "html": html,
                   "parameters": parameters},
        )
        CONTROL.add(op)
        bp.add_url_rule(rule, endpoint=handler.__name__, view_func=_view(op), methods=[method])
        return handler

    return register
