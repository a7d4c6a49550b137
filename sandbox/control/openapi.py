"""The control plane's own OpenAPI 3 document, at /_sandbox/openapi.json."""

from __future__ import annotations

from flask import jsonify

from sandbox import __version__
from sandbox.control.views import bp

_ERROR = {"description": "Bad input (nothing changed)",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(ref: str, description: str = "OK") -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _body(ref: str) -> dict:
    return {"required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def document() -> dict:
    """Build the document."""
    login = {"name": "login", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Chorus Pro Sandbox — control plane",
            "version": __version__,
            "description": "Drive the sandbox from tests: reset, clock, faults, journal, "
            "mails, captcha answers and state shortcuts. Loopback only unless an admin "
            "token is set (then send it in X-Sandbox-Token). See docs/control-plane.md.",
        },
        "servers": [{"url": "/_sandbox"}],
        "components": {
            "securitySchemes": {
                "sandboxToken": {"type": "apiKey", "in": "header", "name": "X-Sandbox-Token"}
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
                "Reset": {"type": "object", "properties": {
                    "seed": {"type": "integer", "description": "New seed (default: the settings')"},
                    "clearMailpit": {"type": "boolean", "default": False,
                                     "description": "Also delete every message in Mailpit"}}},
                "ResetReport": {"type": "object", "properties": {
                    "seed": {"type": "integer"}, "durationMs": {"type": "number"},
                    "mailpitCleared": {"type": "boolean"}, "seeding": {"type": "object"}}},
                "Clock": {"type": "object", "properties": {
                    "now": {"type": "string", "format": "date-time"},
                    "offsetSeconds": {"type": "number"},
                    "realNow": {"type": "string", "format": "date-time"}}},
                "ClockChange": {"type": "object", "description": "Exactly one field.",
                                "properties": {
                    "offsetSeconds": {"type": "number"},
                    "offset": {"type": "string", "example": "25h"},
                    "advance": {"type": "string", "example": "90m"},
                    "now": {"type": "string", "format": "date-time"}}},
                "FaultRule": {"type": "object", "properties": {
                    "method": {"oneOf": [{"type": "string"},
                                         {"type": "array", "items": {"type": "string"}}],
                               "description": "Method(s) targeted; absent or '*' = any"},
                    "path": {"type": "string", "example": "/cpro/structures/v1/*",
                             "description": "Glob on the path (fnmatch; '*' crosses '/')"},
                    "pathRegex": {"type": "string", "description": "Full-match regex (instead of path)"},
                    "probability": {"type": "number", "minimum": 0, "maximum": 1, "default": 1},
                    "latency": {"type": "object", "properties": {
                        "ms": {"type": "number"}, "minMs": {"type": "number"},
                        "maxMs": {"type": "number"}}},
                    "error": {"type": "object", "properties": {
                        "status": {"type": "integer", "minimum": 400, "maximum": 599},
                        "drop": {"type": "boolean"}}}}},
                "Faults": {"type": "object", "properties": {
                    "seed": {"type": "integer"},
                    "rules": {"type": "array", "items": {"$ref": "#/components/schemas/FaultRule"}},
                    "maintenance": {"type": "boolean"},
                    "revision": {"type": "string", "readOnly": True}}},
                "JournalEntry": {"type": "object", "properties": {
                    "id": {"type": "string"}, "t": {"type": "number", "description": "epoch s"},
                    "method": {"type": "string"}, "path": {"type": "string"},
                    "query": {"type": "string", "nullable": True},
                    "status": {"type": "integer", "nullable": True,
                               "description": "null: connection dropped"},
                    "durationMs": {"type": "number"},
                    "clientId": {"type": "string", "nullable": True},
                    "account": {"type": "string", "nullable": True},
                    "fault": {"type": "string", "nullable": True},
                    "requestBody": {"type": "string"}, "responseBody": {"type": "string"}}},
                "Mail": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string"},
                    "to": {"type": "string"}, "subject": {"type": "string"},
                    "state": {"type": "string", "enum": ["queued", "retrying", "delivered"]},
                    "attempts": {"type": "integer"},
                    "link": {"type": "string", "nullable": True},
                    "messageId": {"type": "string"},
                    "createdAt": {"type": "string"},
                    "deliveredAt": {"type": "string", "nullable": True},
                    "lastError": {"type": "string", "nullable": True}}},
                "Account": {"type": "object", "properties": {
                    "idUtilisateur": {"type": "integer"}, "login": {"type": "string"},
                    "statut": {"type": "string"}, "locked": {"type": "boolean"},
                    "lockedUntil": {"type": "string", "nullable": True},
                    "failedLogins": {"type": "integer"}, "technical": {"type": "boolean"},
                    "rattachements": {"type": "array", "items": {"type": "object", "properties": {
                        "idRattachementStructure": {"type": "integer"},
                        "idStructureCPP": {"type": "integer"},
                        "role": {"type": "string"}, "statut": {"type": "string"}}}}}},
            },
        },
        "security": [{}, {"sandboxToken": []}],
        "paths": {
            "/": {"get": {"summary": "Dashboard (HTML)", "responses": {"200": {"description": "HTML"}}}},
            "/ping": {"get": {"summary": "The cheapest answer (server benchmarks)",
                              "responses": {"200": {"description": '{"pong": true}'}}}},
            "/reset": {"post": {
                "summary": "Back to the seeded baseline; empties the outbox, clears clock, faults and journal",
                "requestBody": {"required": False, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Reset"}}}},
                "responses": {"200": _json("ResetReport"), "400": _ERROR}}},
            "/clock": {
                "get": {"summary": "The sandbox's time", "responses": {"200": _json("Clock")}},
                "put": {"summary": "Set an offset, advance, or jump to an instant",
                        "requestBody": _body("ClockChange"),
                        "responses": {"200": _json("Clock"), "400": _ERROR}}},
            "/faults": {
                "get": {"summary": "Faults in force", "responses": {"200": _json("Faults")}},
                "put": {"summary": "Replace the fault rules", "requestBody": _body("Faults"),
                        "responses": {"200": _json("Faults"), "400": _ERROR}},
                "delete": {"summary": "Clear every fault and maintenance",
                           "responses": {"204": {"description": "Cleared"}}}},
            "/maintenance": {"put": {
                "summary": "Switch maintenance mode (portal and API answer 503)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"enabled": {"type": "boolean"}}}}}},
                "responses": {"200": {"description": "Done"}, "400": _ERROR}}},
            "/requests": {
                "get": {"summary": "Journal of the last requests (oldest first)",
                        "parameters": [
                            {"name": n, "in": "query", "schema": {"type": "string"},
                             "description": d} for n, d in (
                                ("method", "HTTP method"), ("path", "glob on the path"),
                                ("status", "status code"), ("clientId", "OAuth client_id"),
                                ("account", "cpro-account login"),
                                ("fault", "'any': only faulted requests"),
                                ("limit", "newest N"))],
                        "responses": {"200": {"description": "Entries", "content": {
                            "application/json": {"schema": {"type": "object", "properties": {
                                "size": {"type": "integer"}, "count": {"type": "integer"},
                                "requests": {"type": "array", "items": {
                                    "$ref": "#/components/schemas/JournalEntry"}}}}}}}}},
                "delete": {"summary": "Clear the journal",
                           "responses": {"204": {"description": "Cleared"}}}},
            "/mails": {"get": {
                "summary": "Mails the sandbox sent (outbox), newest first",
                "parameters": [
                    {"name": "to", "in": "query", "schema": {"type": "string"}},
                    {"name": "kind", "in": "query", "schema": {"type": "string"}},
                    {"name": "state", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "Mails", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "count": {"type": "integer"},
                        "mails": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/Mail"}}}}}}}}}},
            "/captcha/{captchaId}": {"get": {
                "summary": "The answer of a captcha challenge",
                "parameters": [{"name": "captchaId", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Answer", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "captchaId": {"type": "string"}, "answer": {"type": "string"}}}}}},
                    "404": _ERROR}}},
            "/dataset": {"post": {
                "summary": "Generate a qualification data set (Fournisseur, Valideur, MOE, "
                "Destinataire, Destinataire 2, MOA); optional requester login is mailed",
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"requester": {"type": "string"}}}}}},
                "responses": {"201": {"description": "id, createdAt, entities "
                                      "(Entite -> Libelle -> Valeur) and the CSV"},
                              "400": _ERROR, "404": _ERROR}}},
            "/credentials": {"get": {
                "summary": "The seeded default accounts (gestionnaire, technical account, "
                "OAuth client), from sandbox.seeding.default_credentials()",
                "responses": {"200": {"description": "Credentials"}}}},
            "/accounts/{login}": {"get": {
                "summary": "An account's state", "parameters": [login],
                "responses": {"200": _json("Account"), "404": _ERROR}}},
            "/accounts/{login}/state": {"put": {
                "summary": "Put an account in a state", "parameters": [login],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"state": {
                        "type": "string", "enum": ["pending", "active", "locked"]}}}}}},
                "responses": {"200": _json("Account"), "400": _ERROR, "404": _ERROR}}},
            "/accounts/{login}/activation-link": {"post": {
                "summary": "Mint an activation link (optionally already expired)",
                "parameters": [login],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"expired": {"type": "boolean"},
                                                     "lifetimeSeconds": {"type": "number"}}}}}},
                "responses": {"201": {"description": "The link", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "login": {"type": "string"}, "link": {"type": "string"},
                        "expired": {"type": "boolean"}}}}}}, "404": _ERROR}}},
            "/accounts/{login}/technical-account": {"post": {
                "summary": "The gestionnaire principal creates (or renews) his structure's "
                "technical account; answers its login and clear password",
                "parameters": [login],
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"identifiant": {"type": "string"}}}}}},
                "responses": {"201": {"description": "Login and password", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "login": {"type": "string"}, "password": {"type": "string"},
                        "idStructureCPP": {"type": "integer"},
                        "identifiantStructure": {"type": "string"}}}}}},
                    "404": _ERROR, "409": _ERROR}}},
            "/rattachements/{id}/decision": {"post": {
                "summary": "Decide a demande de rattachement",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "decision": {"type": "string", "enum": ["VALIDEE", "REFUSEE"]},
                        "commentaire": {"type": "string"}}}}}},
                "responses": {"200": {"description": "Decided"}, "400": _ERROR,
                              "404": _ERROR, "409": _ERROR}}},
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    """The control plane's OpenAPI document."""
    return jsonify(document())
