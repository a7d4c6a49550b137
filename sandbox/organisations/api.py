"""The Référentiel des Organisations, ``/cpro/organisations/v1``: its dispatcher and its
eleven operations (reference factures-rules-and-apis-reference.md §5; piste-gouv-fr's
``ReferentielDesOrganisations.php`` and live tests; facturation_electronique).

A REST API behind the same PISTE gateway as the other Chorus Pro APIs, with its own wire
format. Its operations are declared in the cpro registry (``sandbox.registry``: one
mechanism, ``/openapi.json`` lists them; their paths are templates such as
``structures/{uuid}``) and answered by this dispatcher:

1. bearer token -> the gateway's 401 (JSON, as every API);
2. the application's subscription to ``organisations`` -> 403, empty body;
3. the route (method + path template) -> the gateway's 403 ``route_inconnue``;
4. ``cpro-account`` (required here too: piste-gouv-fr's live tests get a 401 on
   ``healthcheck`` with a wrong login or password) -> **401**
   ``{"ErrorCode": "401", "Description": "[invalid field]"}`` whatever the cause (the
   sandbox's reason in ``X-Sandbox-Reason``);
5. the body (JSON, 415; its model, 400 ``ParamsInvalid``) -> the operation: 200 (an
   object or an array), 201, 204 or an error array ``[{"error", "message", "detail"?}]``.

No ``codeRetour`` ever (piste-gouv-fr throws on one that is not 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from sandbox import db
from sandbox.config import Settings
from sandbox.cpro.api import (
    LazyReader,
    gateway_answer,
    json_response,
    operation,
    registry,
    unknown_route,
)
from sandbox.cpro.schemas import ErreurPasserelle
from sandbox.models import Service as ServiceRow
from sandbox.models import Structure as StructureRow
from sandbox.organisations import errors, objects, rules
from sandbox.organisations import schemas as sc
from sandbox.organisations import search as searching
from sandbox.organisations.errors import OrganisationError
from sandbox.organisations.rules import Reader
from sandbox.organisations.uuids import Codec
from sandbox.piste.gateway import GatewayError, check_account, check_bearer, check_subscription
from sandbox.registry import Operation, path_parameters

BASE = "/cpro/organisations/v1"
TAG = "Référentiel des Organisations"
ACCOUNT_REFUSED = {"ErrorCode": "401", "Description": "[invalid field]"}


@dataclass
class Call:
    """What a handler gets: the request's session, who calls, the settings, the uuids."""

    s: Session
    reader: Reader
    settings: Settings
    codec: Codec


# --- the operations' documentation in /openapi.json ----------------------------------

_REF = "#/components/schemas/{model}"


def _content(model: type[BaseModel]) -> dict:
    return {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}


_ERRORS = {"description": "Error items: ParamsInvalidUuidStructures, NotFoundReference, "
           "ParamsMissing, ParamsInvalid", "content": _content(sc.ErreursOrganisation)}
def _one_of(*models: type[BaseModel]) -> dict:
    return {"application/json": {"schema": {"anyOf": [
        {"$ref": _REF.format(model=m.__name__)} for m in models]}}}


_GATEWAY = {
    "401": {"description": "Bearer token refused (the gateway's JSON body), or cpro-account "
            "refused: {\"ErrorCode\": \"401\", \"Description\": \"[invalid field]\"}",
            "content": _one_of(ErreurPasserelle, sc.ErreurAuthentification)},
    "403": {"description": "Application not subscribed to this API (empty body), unknown "
            "route (the gateway's route_inconnue), or a structure the caller does not manage "
            "(error array)", "content": _one_of(ErreurPasserelle, sc.ErreursOrganisation)},
}


def _doc(path: str, success: dict, *, body: bool = False) -> dict:
    responses = {**success, "400": _ERRORS, **_GATEWAY}
    if body:
        responses["415"] = {"description": "The body is not JSON", "content": _content(
            sc.ErreursOrganisation)}
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"},
                   "description": "uuid (32 hex digits), SIRET or intra-community VAT number"
                   if name == "uuid" else "uuid (32 hex digits)"}
                  for name in path_parameters(path)]
    return {"responses": responses, **({"parameters": parameters} if parameters else {})}


def _ok(model: type[BaseModel], description: str, status: str = "200") -> dict:
    return {status: {"description": description, "content": _content(model)}}


def org_operation(method: str, path: str, *, operation_id: str, summary: str,
                  success: dict, request_model: type[BaseModel] | None = None,
                  status: int = 200, empty: bool = False, read_only: bool = True):  # noqa: ANN201
    """Declare an operation of this API in the cpro registry, with its documentation."""
    full = f"{BASE}/{path}"
    return operation(
        method, full, operation_id=operation_id, summary=summary, tag=TAG,
        request_model=request_model, wire="organisations", read_only=read_only,
        status=status, empty=empty, models=(*sc.MODELS, ErreurPasserelle),
        openapi=_doc(full, success, body=request_model is not None),
    )


# --- the operations ---------------------------------------------------------------------


@org_operation("GET", "healthcheck", operation_id="healthCheck",
               summary="Is the API up? (200, empty body)", empty=True,
               success={"200": {"description": "The API is up: an empty body"}})
def healthcheck(call: Call, _payload: None) -> None:
    """An empty body with HTTP 200 (piste-gouv-fr: `'' == response`); the gateway's checks
    and the cpro-account apply, as on the real API."""
    return None


@org_operation("GET", "structures/{uuid}", operation_id="consulterStructure",
               summary="A structure, by uuid, SIRET or VAT number",
               success=_ok(sc.Structure, "The structure"))
def consulter_structure(call: Call, _payload: None, uuid: str) -> dict:
    """400 `ParamsInvalidUuidStructures` for a reference that is neither a uuid, a SIRET
    nor a VAT number; 400 `NotFoundReference` for one that names no structure the caller
    may see (public, or a private one it is attached to)."""
    structure = rules.readable_structure(call.s, call.codec, call.reader, uuid)
    return rules.structure_object(call.s, call.codec, structure)


@org_operation("GET", "structures/{uuid}/services", operation_id="rechercherServicesStructure",
               summary="Every service of a structure (array)",
               success=_ok(sc.Services, "The services, active or not"))
def services_structure(call: Call, _payload: None, uuid: str) -> list[dict]:
    """A JSON array of `Service` (none: `[]`)."""
    structure = rules.readable_structure(call.s, call.codec, call.reader, uuid)
    return rules.services_of(call.s, call.codec, structure)


@org_operation("GET", "structures/{uuid}/pieces_jointes",
               operation_id="listerPiecesJointesStructure",
               summary="The attachments of a structure (array; none: 400 NotFoundReference)",
               success=_ok(sc.PiecesJointesStructure, "The attachments, without content"))
def pieces_jointes(call: Call, _payload: None, uuid: str) -> list[dict]:
    """The files the structure's technical account uploaded (`transverses/v1/ajouter/
    fichier`), for callers who may act for the structure. None: **400
    `NotFoundReference`**, as the real API (piste-gouv-fr maps it to an empty list)."""
    structure = rules.readable_structure(call.s, call.codec, call.reader, uuid)
    return rules.pieces_jointes(call.s, call.codec, call.reader, structure)


@org_operation("GET", "structures/{uuid}/pieces_jointes/{uuidPJ}",
               operation_id="recupererPieceJointeStructure",
               summary="One attachment of a structure, with its content (base64)",
               success=_ok(sc.PieceJointeStructure, "The attachment"))
def piece_jointe(call: Call, _payload: None, uuid: str, uuidPJ: str) -> dict:  # noqa: N803
    """`attachmentData` is the file in base64; 400 `NotFoundReference` for an unknown
    attachment or one of another structure."""
    structure = rules.readable_structure(call.s, call.codec, call.reader, uuid)
    return rules.piece_jointe(call.s, call.codec, call.reader, structure, uuidPJ)


@org_operation("PATCH", "structures/{uuid}/parametres-edi", operation_id="modifierStructure",
               summary="Change a structure's EDI parameters (204)", status=204, empty=True,
               read_only=False, request_model=sc.ParametresEdi,
               success={"204": {"description": "Changed (or nothing to change)"}})
def parametres_edi(call: Call, payload: sc.ParametresEdi, uuid: str) -> None:
    """`reception_edi` and `connexion_edi`, each optional (`[]`: nothing). Only the
    structure's gestionnaire principal or its technical account: else **403** (attested,
    even with nothing to change). They are the Structures API's `recevoirDonneesViaEDI`
    and `connexionEDI` (here `recevoirCyclesViesEdi`, `emetteurFluxEdi`)."""
    with db.unit_of_work(call.s):
        structure = rules.structure_by_reference(call.s, call.codec, call.reader, uuid)
        rules.set_parametres_edi(call.s, call.reader, structure, payload.reception_edi,
                                 payload.connexion_edi)


def _search_body(payload: BaseModel) -> dict[str, Any]:
    return payload.model_dump(by_alias=True, exclude_unset=True)


@org_operation("POST", "structures/recherche", operation_id="rechercherStructures",
               summary="Search structures ({op, val} filters, _sort, _desc, _fields)",
               request_model=sc.StructureRechercheRequete,
               success=_ok(sc.Structures, f"At most {searching.MAX_RESULTS} structures"))
def rechercher_structures(call: Call, payload: BaseModel) -> list[dict]:
    """Filters keyed by field, each `{"op": "=|>|<|>=|<=|IN|CONTAINS", "val": …}`, at least
    one (else 400 `ParamsMissing`); `_fields` keeps those fields only. Public structures and
    the caller's private ones; no hit: `[]`. docs/api.md gives the rules."""
    search = searching.compile(_search_body(payload), objects.STRUCTURE_FIELDS, call.codec,
                               call.s.get_bind().dialect.name, StructureRow.id.asc())
    return rules.search_structures(call.s, call.codec, call.reader, search)


@org_operation("GET", "services/{uuid}", operation_id="consulterService",
               summary="A service, by uuid", success=_ok(sc.Service, "The service"))
def consulter_service(call: Call, _payload: None, uuid: str) -> dict:
    """400 `NotFoundReference` ("Aucun Services trouvé") for anything that names no
    service of a structure the caller may see."""
    service = rules.service_by_reference(call.s, call.codec, call.reader, uuid)
    return objects.service(service, call.codec)


@org_operation("POST", "services/recherche", operation_id="rechercherServiceOrganisation",
               summary="Search services ({op, val} filters, _sort, _desc, _fields)",
               request_model=sc.ServiceRechercheRequete,
               success=_ok(sc.Services, f"At most {searching.MAX_RESULTS} services"))
def rechercher_services(call: Call, payload: BaseModel) -> list[dict]:
    """As `structures/recherche`, over the services of the structures the caller may see
    (`rattachementOrganisation` is the structure's uuid)."""
    search = searching.compile(_search_body(payload), objects.SERVICE_FIELDS, call.codec,
                               call.s.get_bind().dialect.name, ServiceRow.id.asc())
    return rules.search_services(call.s, call.codec, call.reader, search)


@org_operation("POST", "services", operation_id="creerService",
               summary="Create a service on a structure the caller manages (201)",
               status=201, read_only=False, request_model=sc.CreerService,
               success={**_ok(sc.Service, "The service created", "201"),
                        "409": {"description": "AlreadyExists: the code is used on the "
                                "structure", "content": _content(sc.ErreursOrganisation)}})
def creer_service(call: Call, payload: sc.CreerService) -> dict:
    """The path is the sandbox's choice (no client calls it; REST convention). The
    structure (`rattachementOrganisation`: uuid, SIRET or VAT number) must be managed by
    the caller (403); a code already used on it: 409 `AlreadyExists`."""
    with db.unit_of_work(call.s):
        structure = rules.structure_by_reference(
            call.s, call.codec, call.reader, payload.rattachementOrganisation)
        service = rules.create_service(call.s, call.reader, structure,
                                       payload.model_dump(exclude_unset=True))
        answer = objects.service(service, call.codec)
    return answer


@org_operation("POST", "siren/recherche", operation_id="rechercherSiren",
               summary="SIREN search: inactive (400 NotFoundReference)",
               success={"400": _ERRORS})
def rechercher_siren(call: Call, _payload: None) -> None:
    """facturation_electronique's only source says "L'endpoint semble inactif ou déprécié":
    it answers the API's not-found error whatever the body (docs/decisions.md)."""
    raise OrganisationError(
        "NotFoundReference", "Aucun Siren trouvé",
        "La recherche par SIREN n'est pas disponible : utilisez structures/recherche "
        "(identifiant).")


# --- the dispatcher --------------------------------------------------------------------


def _codec(settings: Settings) -> Codec:
    state = getattr(g, "sandbox_state", None)
    seed = state.seed if state is not None and state.seed is not None else settings.seed
    return Codec(seed)


def _body(model: type[BaseModel]) -> BaseModel:
    """The request body validated by ``model``, or the API's 415 / 400."""
    if not request.is_json:
        raise errors.unsupported_media_type(request.mimetype or "")
    raw = request.get_data(cache=False)
    if not raw.strip() or raw.strip() == b"[]":
        raw = b"{}"  # PHP's empty array (Guzzle 'json' => []) means "nothing"
    try:
        return model.model_validate_json(raw)
    except ValidationError as problem:
        first = problem.errors(include_url=False, include_context=False, include_input=False)[0]
        if first["type"] == "json_invalid":
            raise errors.params_invalid(
                f"Requête mal formulée : JSON invalide ({first['msg']}).") from None
        where = ".".join(str(part) for part in first["loc"]) or "(corps)"
        raise errors.params_invalid(f"Requête mal formulée : {where} : {first['msg']}") from None


def _account_refused(error: GatewayError) -> Response:
    """The API's answer to a refused cpro-account (attested body), the reason aside."""
    headers = {"WWW-Authenticate": 'Bearer realm="PISTE"', "X-Sandbox-Reason": error.description}
    return json_response(ACCOUNT_REFUSED, 401, headers)


def _run(op: Operation, params: dict[str, str], reader: Any) -> Response:
    caller = check_account(reader, request.headers.get("cpro-account"))
    payload = _body(op.request_model) if op.request_model is not None else None
    settings = current_app.config["SANDBOX"]
    s = reader if op.extra.get("read_only") else db.session()
    known = caller.rights(reader)  # as cached with the caller (a writer too: as before)
    call = Call(s, Reader(known.usable, known.rights_user_id), settings, _codec(settings))
    result = op.handler(call, payload, **params)
    status = op.extra.get("status", 200)
    if op.extra.get("empty"):
        return Response(b"", status=status)
    return json_response(result, status)


def dispatch(_rest: str = "") -> Response:
    """Answer one ``/cpro/organisations/...`` call (the module's docstring gives the order)."""
    reader: Any = LazyReader()
    try:
        application = check_bearer(reader, request.headers.get("Authorization"))
        check_subscription(application, request.path)
        found = registry().match(request.method, request.path.rstrip("/"))
        if found is None or found[0].extra.get("wire") != "organisations":
            raise unknown_route(request.path)
        op, params = found
    except GatewayError as error:
        reader.close()
        return gateway_answer(error)
    try:
        return _run(op, params, reader)
    except GatewayError as error:  # cpro-account
        return _account_refused(error)
    except OrganisationError as error:
        return json_response(error.body(), error.status)
    finally:
        reader.close()


# --- HTTP errors on this surface (413, 405, 500...) in the API's error shape ------------

HTTP_ERRORS = {
    400: ("BadRequest", "Requête mal formulée."),
    404: ("NotFound", "Ressource inconnue."),
    405: ("MethodNotAllowed", "Méthode non autorisée sur cette route."),
    413: ("PayloadTooLarge", "Requête trop volumineuse : le corps dépasse la taille maximale "
          "acceptée ({limit} octets)."),
    500: ("InternalServerError", "Erreur interne du serveur."),
    503: ("ServiceUnavailable", "Service temporairement indisponible. Réessayez dans quelques "
          "secondes."),
}


def render_http_error(error: HTTPException) -> Response:
    """An HTTP error raised before or around a handler, as an error array."""
    code = error.code or 500
    name, message = HTTP_ERRORS.get(code, (type(error).__name__, error.name))
    if code in (400, 503) and error.description and error.description != type(error).description:
        message = error.description  # the sandbox's own reason (resilience)
    if code == 413:
        message = message.format(limit=current_app.config["SANDBOX"].max_body_bytes)
    response = json_response([{"error": name, "message": message}], code)
    for header, value in error.get_headers():
        if header.lower() in {"allow", "retry-after"}:
            response.headers[header] = value
    return response
