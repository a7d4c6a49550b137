"""``/openapi.json`` built from the operation registry and its pydantic models,
and ``/docs/api/``, a Swagger UI page whose files come from the ``flask-swagger-ui``
wheel (Swagger UI 5 ships inside it: no CDN, works offline). The page is ours,
with an external initialiser script, because the sandbox's Content-Security-Policy
forbids inline scripts."""

from __future__ import annotations

import copy
import os
from functools import lru_cache

import flask_swagger_ui
from flask import Blueprint, Flask, jsonify, render_template, request, send_from_directory

from sandbox.cpro import schemas as sc
from sandbox.cpro.api import registry
from sandbox.registry import Registry
from sandbox.version import __version__

bp = Blueprint("cpro_openapi", __name__)
docs = Blueprint(
    "cpro_docs",
    __name__,
    url_prefix="/docs/api",
    template_folder="templates",
    static_folder="static",
    static_url_path="/sandbox",
)

REF = "#/components/schemas/{model}"

DESCRIPTION = """\
Local simulator of the Chorus Pro **qualification** APIs behind PISTE.

1. Get a token: `POST /api/oauth/token` (form-encoded `grant_type=client_credentials`,
   `client_id`, `client_secret`, `scope=openid`).
2. Call `/cpro/...` with `Authorization: Bearer <token>` and
   `cpro-account: base64(login:password)` of a technical account.

Gateway errors: 401 (token or cpro-account), 403 (API not subscribed: empty body;
unknown route), 415 (not JSON), 400 (malformed JSON or schema violation). Business
answers are HTTP 200 with `codeRetour` (0 = success) and `libelle`. The Référentiel des
Organisations (`/cpro/organisations/v1`) is REST: objects and arrays, errors as arrays
`[{"error", "message"}]`. See docs/api.md for the error codes.
"""


def _ref(model: type) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _json_content(model: type, example: dict | None = None) -> dict:
    content = {"schema": _ref(model)}
    if example is not None:
        content["example"] = example
    return {"application/json": content}


@lru_cache(maxsize=4)  # per registry (one per app in practice)
def _components(operations: Registry) -> dict:
    return operations.json_schemas(REF, sc.ErreurRequete, sc.ErreurPasserelle, sc.ErreurMetier)


def _operation_doc(op) -> dict:
    own = op.extra.get("openapi")
    if own is not None:  # a surface with its own wire format (the Référentiel des
        # Organisations) documents its answers and path parameters itself
        doc = {"operationId": op.operation_id, "summary": op.summary,
               "description": op.description, "tags": [op.tag],
               "security": [{"pisteOAuth2": ["openid"], "cproAccount": []}], **own}
        if op.request_model is not None:
            doc["requestBody"] = {"required": True, "content": _json_content(op.request_model)}
        return doc
    responses = {
        "200": {
            "description": "Success (codeRetour 0) or business error (codeRetour ≠ 0, "
            "body ErreurMetier)",
            "content": {"application/json": {"schema": {
                "anyOf": [_ref(op.response_model), _ref(sc.ErreurMetier)]}}},
        },
        "401": {
            "description": "Missing, unknown or expired bearer token; missing or wrong "
            "cpro-account; expired technical-account password",
            "content": _json_content(sc.ErreurPasserelle),
        },
        "403": {
            "description": "Unknown route (route inconnue)",
            "content": _json_content(sc.ErreurPasserelle),
        },
    }
    doc = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": op.description,
        "tags": [op.tag],
        "security": [{"pisteOAuth2": ["openid"], "cproAccount": []}],
        "responses": responses,
    }
    if op.request_model is not None:
        doc["requestBody"] = {"required": True, "content": _json_content(op.request_model)}
        responses["400"] = {
            "description": "Malformed JSON (codeRetour 10001) or schema violation (10002)",
            "content": _json_content(sc.ErreurRequete),
        }
        responses["415"] = {
            "description": "The body is not JSON (codeRetour 10003)",
            "content": _json_content(sc.ErreurRequete),
        }
    return doc


TOKEN_PATH = {
    "post": {
        "operationId": "token",
        "summary": "OAuth2 token (client_credentials)",
        "tags": ["PISTE OAuth"],
        "security": [],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "client_id", "client_secret"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "scope": {"type": "string", "default": "openid"},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "A bearer token valid expires_in seconds",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "access_token": {"type": "string"},
                                "token_type": {"type": "string", "enum": ["Bearer"]},
                                "expires_in": {"type": "integer", "example": 3600},
                                "scope": {"type": "string", "example": "openid"},
                            },
                        }
                    }
                },
            },
            "400": {
                "description": "invalid_client, invalid_request, unsupported_grant_type, "
                "invalid_scope",
                "content": _json_content(sc.ErreurPasserelle),
            },
        },
    }
}


@lru_cache(maxsize=4)  # per registry (one per app in practice)
def _document_template(operations: Registry) -> dict:
    paths: dict = {"/api/oauth/token": TOKEN_PATH}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_doc(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chorus Pro Sandbox — PISTE APIs (Structures, Utilisateurs, Transverses, "
            "Factures, Référentiel des Organisations)",
            "version": __version__,
            "description": DESCRIPTION,
        },
        "servers": [],
        "tags": [
            {"name": "PISTE OAuth"},
            {"name": "Structures", "description": "/cpro/structures/v1"},
            {"name": "Utilisateurs", "description": "/cpro/utilisateurs/v1"},
            {"name": "Transverses", "description": "/cpro/transverses/v1"},
            {"name": "Factures travaux", "description": "/cpro/facturesTravaux/v1 (works "
             "invoices: titulaire, MOE, MOA)"},
            {"name": "Référentiel des Organisations",
             "description": "/cpro/organisations/v1 (REST: GET/PATCH/POST, uuids, error "
             "arrays)"},
        ],
        "paths": paths,
        "components": {
            "schemas": _components(operations),
            "securitySchemes": {
                "pisteOAuth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "/api/oauth/token",
                            "scopes": {"openid": "Chorus Pro APIs"},
                        }
                    },
                },
                "cproAccount": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "cpro-account",
                    "description": "base64 of 'login:password' of a technical account, "
                    "e.g. bG9naW46cGFzc3dvcmQ=",
                },
            },
        },
    }


def document(server_url: str) -> dict:
    """The OpenAPI 3.1 document, its server being ``server_url``."""
    doc = copy.copy(_document_template(registry()))
    doc["servers"] = [{"url": server_url.rstrip("/"), "description": "This sandbox"}]
    return doc


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document."""
    return jsonify(document(request.host_url))


def _swagger_dist() -> str:
    return os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")


@docs.get("/")
def page():
    """The browsable documentation (Swagger UI on /openapi.json)."""
    return render_template("cpro/docs.html")


@docs.get("/<path:filename>")
def asset(filename: str):
    """Swagger UI's own files, from the flask-swagger-ui wheel."""
    return send_from_directory(_swagger_dist(), filename, max_age=3600)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(docs)
