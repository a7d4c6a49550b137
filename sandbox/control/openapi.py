"""The control plane's own OpenAPI document, at /_sandbox/openapi.json, built from the
operation registry (``control.api.CONTROL``) and its pydantic models."""

from __future__ import annotations

from functools import lru_cache

from flask import Response, jsonify
from pydantic import BaseModel

from sandbox.control import schemas as sc
from sandbox.control.api import CONTROL, bp
from sandbox.registry import Operation
from sandbox.version import __version__

REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "Drive the sandbox from tests: reset, clock, faults, journal, mails, captcha answers "
    "and state shortcuts. Loopback only unless an admin token is set (then send it in "
    "X-Sandbox-Token). Bad input answers 400 {\"error\": \"...\"} and changes nothing. "
    "See docs/control-plane.md."
)
STATUS_TEXT = {400: "Bad input (nothing changed)", 404: "Not found",
               409: "Refused by a business rule (nothing changed)"}


def _json(model: type, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}}


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    """Query parameters from a query model (absent, not null, when not given)."""
    parameters = []
    for name, prop in model.model_json_schema(ref_template=REF)["properties"].items():
        branches = [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]
        schema = {k: v for k, v in branches[0].items() if k != "title"}
        if prop.get("default") is not None:
            schema["default"] = prop["default"]
        parameter = {"name": name, "in": "query", "required": False, "schema": schema}
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


def _operation_doc(op: Operation) -> dict:
    status = op.extra["status"]
    if op.extra["html"]:
        success: dict = {"description": "HTML", "content": {"text/html": {"schema": {
            "type": "string"}}}}
    elif status == 204:
        success = {"description": "Done (no body)"}
    elif op.response_model is not None:
        success = _json(op.response_model, "OK")
    else:
        success = {"description": "OK", "content": {"application/json": {"schema": {
            "type": "object"}}}}
    responses = {str(status): success}
    for code in op.extra["errors"]:
        responses[str(code)] = _json(sc.ControlErrorBody, STATUS_TEXT[code])
    doc: dict = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": op.description,
        "tags": [op.tag],
        "responses": responses,
    }
    parameters = list(op.extra["parameters"])
    if op.extra["query_model"] is not None:
        parameters += _query_parameters(op.extra["query_model"])
    if parameters:
        doc["parameters"] = parameters
    if op.request_model is not None:
        required = any(f.is_required() for f in op.request_model.model_fields.values())
        doc["requestBody"] = {"required": required, "content": {"application/json": {
            "schema": {"$ref": REF.format(model=op.request_model.__name__)}}}}
    return doc


@lru_cache(maxsize=1)
def document() -> dict:
    """Build the document (once per process: the registry is fixed at import)."""
    paths: dict = {}
    for op in CONTROL:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_doc(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chorus Pro Sandbox — control plane", "version": __version__,
                 "description": DESCRIPTION},
        "servers": [{"url": "/_sandbox"}],
        "security": [{}, {"sandboxToken": []}],
        "paths": paths,
        "components": {
            "schemas": CONTROL.json_schemas(REF, sc.ControlErrorBody),
            "securitySchemes": {
                "sandboxToken": {"type": "apiKey", "in": "header", "name": "X-Sandbox-Token"}
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The control plane's OpenAPI document."""
    return jsonify(document())
