"""The Référentiel des Organisations (``/cpro/organisations/v1``) over real HTTP: its REST
paths and methods, its uuids, its ``{"op", "val"}`` searches, its own error bodies, and
hostile input that must get those bodies, never a 500 (issue #21.4).

Every uuid is found through the API, as an integrator finds it (``structures/recherche``
by SIRET); the expected messages are the ones piste-gouv-fr's live tests assert against
the real qualification environment.
"""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
import requests
from api_factories import (
    ApiClient,
    World,
    build_world,
    cpro_account,
    make_service,
    make_structure,
    tech_client,
)

from sandbox import db
from sandbox.config import load_settings
from sandbox.organisations.uuids import Codec, Kind

BASE = "/cpro/organisations/v1"
INVALID_REF = ("L'identifiant passé en paramètre n'est ni un UUID, ni un SIRET, ni un numéro "
               "de TVA Intracommunautaire.")
UUID = re.compile(r"^[0-9a-f]{32}$")
# piste-gouv-fr's first date-time layout (Y-m-d\TH:i:s.vp).
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")


@pytest.fixture
def api(base_url, world) -> ApiClient:
    return tech_client(base_url, world)


def search(api: ApiClient, body, what: str = "structures") -> requests.Response:  # noqa: ANN001
    return api.send("POST", f"{BASE}/{what}/recherche", body)


def uuid_of(api: ApiClient, siret: str) -> str:
    answer = search(api, {"identifiant": {"op": "=", "val": siret}, "_fields": ["uuid"]})
    assert answer.status_code == 200, answer.text
    [item] = answer.json()
    return item["uuid"]


def error_of(answer: requests.Response, status: int = 400) -> dict:
    """The one item of an error array, after checking the status and the shape."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    body = answer.json()
    assert isinstance(body, list) and len(body) == 1, body
    assert "codeRetour" not in answer.text
    return body[0]


# --- healthcheck and the gateway ------------------------------------------------------


def test_healthcheck_answers_an_empty_body(api):
    answer = api.get(f"{BASE}/healthcheck")
    assert answer.status_code == 200
    assert answer.content == b""  # piste-gouv-fr: '' == response


@pytest.mark.parametrize("account", ["missing", "unknown login", "wrong password", "not base64"])
def test_a_refused_cpro_account_gets_the_attested_401_body(api, world, account):
    headers = {
        "missing": {"cpro-account": ""},
        "unknown login": {"cpro-account": cpro_account("bad_login", world.tech_password)},
        "wrong password": {"cpro-account": cpro_account(world.tech_login, "bad_password")},
        "not base64": {"cpro-account": "!!!"},
    }[account]
    answer = api.get(f"{BASE}/healthcheck", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"ErrorCode": "401", "Description": "[invalid field]"}
    assert answer.headers["X-Sandbox-Reason"]  # why, for the developer


def test_the_bearer_token_is_the_gateways_own_check(base_url):
    answer = requests.get(f"{base_url}{BASE}/healthcheck", timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/healthcheck"), ("GET", "/nothing/here"), ("PUT", "/structures/11000201100044"),
    ("GET", "/structures/recherche"), ("GET", "/structures//services"),
])
def test_an_unknown_route_is_the_gateways_route_inconnue(api, method, path):
    answer = api.send(method, f"{BASE}{path}")
    assert answer.status_code == 403
    assert answer.json()["error"] == "route_inconnue"


# --- structures -----------------------------------------------------------------------


def test_a_structure_by_siret_uuid_and_vat_number_is_the_same_object(api, world):
    by_siret = api.get(f"{BASE}/structures/{world.own.identifiant}")
    assert by_siret.status_code == 200, by_siret.text
    structure = by_siret.json()
    assert UUID.match(structure["uuid"])
    by_uuid = api.get(f"{BASE}/structures/{structure['uuid']}").json()
    by_vat = api.get(f"{BASE}/structures/{world.own.numero_tva}").json()
    assert by_uuid == structure == by_vat
    upper = api.get(f"{BASE}/structures/{structure['uuid'].upper()}").json()
    u = structure["uuid"]
    dashed = api.get(f"{BASE}/structures/{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}")
    assert upper == dashed.json() == structure


def test_a_structure_object_as_piste_gouv_fr_reads_it(api, world):
    own = api.get(f"{BASE}/structures/{world.own.identifiant}").json()
    assert list(own)[:3] == ["libelleOrganisation", "numeroTvaIntracommunautaire",
                             "typeOrganisation"]
    assert own["typeOrganisation"] == "private"
    assert own["status"] == "active"
    assert own["identifiant"] == world.own.identifiant
    assert own["typeIdentifiant"] == "0"  # SIRET, as the live test
    assert own["pays"] == "France"
    assert own["raisonSociale"] == world.own.raison_sociale
    assert own["libelleOrganisation"] == world.own.libelle
    assert own["numeroTvaIntracommunautaire"] == world.own.numero_tva
    assert own["avecMOA"] is True and own["codeServiceDoitEtreRenseigne"] is True
    assert own["numeroPacage"] == 0 and own["structureOrigine"] == 0
    assert own["organisationParent"] == ""
    assert UUID.match(own["contactPrincipal"])  # the gestionnaire principal's uuid
    assert DATE_TIME.match(own["derniereMaj"])
    assert "codeRetour" not in own
    public = api.get(f"{BASE}/structures/{world.public.identifiant}").json()
    assert public["typeOrganisation"] == "public"
    assert public["gestionNumeroEJOuCodeService"] is True
    assert public["contactPrincipal"] == ""  # nobody manages it


def test_a_copy_names_its_origin(api, world, db_session):
    copy = make_structure(db_session, type_structure="PUBLIQUE", id_structure_origine=world.own.id)
    db_session.commit()
    found = search(api, {"identifiant": {"op": "=", "val": copy.identifiant},
                         "_fields": ["organisationParent", "structureOrigine"]}).json()
    assert found == [{"organisationParent": uuid_of(api, world.own.identifiant),
                      "structureOrigine": world.own.id}]


@pytest.mark.parametrize("reference", [
    "no_exist_uuid", "12345", "123456789012345", "FR", "abc def", "%00", "x" * 3000,
    "%ED%A0%80", "%C3%28", "0" * 31, "g" * 32, "%0A", "11000201100044%0A", "%20" * 3,
    "%F1%9B%87%9A%17",
])
def test_a_reference_that_is_no_uuid_siret_or_vat_is_refused_verbatim(api, reference):
    for suffix in ("", "/services", "/pieces_jointes"):
        item = error_of(api.get(f"{BASE}/structures/{reference}{suffix}"))
        assert item == {"error": "ParamsInvalidUuidStructures", "message": INVALID_REF}


def test_a_well_formed_reference_naming_nothing_visible_is_not_found(api, world):
    services = api.get(f"{BASE}/structures/{world.own.identifiant}/services").json()
    own_uuid = uuid_of(api, world.own.identifiant)
    forged = "0" * 16 + own_uuid[16:]  # the right id, a wrong check part
    for reference in ("00000000000000", world.foreign.identifiant, services[0]["uuid"],
                      forged, "FR12345678901", "0" * 32):
        item = error_of(api.get(f"{BASE}/structures/{reference}"))
        assert item["error"] == "NotFoundReference"
        assert item["message"] == "Aucun Structures trouvé"
        assert item["detail"] == ("Aucune donnée de type Structures n'a pu être trouvée avec "
                                  f"la référence {reference}")


# --- services -------------------------------------------------------------------------


def test_the_services_of_a_structure_and_one_by_uuid(api, world):
    uuid = uuid_of(api, world.own.identifiant)
    answer = api.get(f"{BASE}/structures/{uuid}/services")
    assert answer.status_code == 200, answer.text
    services = answer.json()
    assert [s["codeService"] for s in services] == [s.code for s in world.services]
    assert [s["etatService"] for s in services] == ["ACTIF", "ACTIF", "INACTIF"]
    assert {s["rattachementOrganisation"] for s in services} == {uuid}
    assert [s["numeroEj"] for s in services] == [False, True, False]
    for service in services:
        assert UUID.match(service["uuid"])
        one = api.get(f"{BASE}/services/{service['uuid']}")
        assert one.status_code == 200 and one.json() == service
    public = api.get(f"{BASE}/structures/{world.public.identifiant}/services").json()
    assert "FACTURES_PUBLIQUES" in {s["codeService"] for s in public}


@pytest.mark.parametrize("reference", ["not_exist_service", "0" * 32, "%00", "y" * 3000,
                                       "Kc%C3%B2%25p%C3%80%0A", "%0D%0A"])
def test_an_unknown_service_is_not_found_with_the_attested_detail(api, reference):
    item = error_of(api.get(f"{BASE}/services/{reference}"))
    assert item["error"] == "NotFoundReference"
    assert item["message"] == "Aucun Services trouvé"
    assert item["detail"].startswith("Aucune donnée de type Services n'a pu être trouvée avec "
                                     "la référence ")
    if reference == "not_exist_service":  # piste-gouv-fr's live assertion
        assert item["detail"].endswith("la référence not_exist_service")


def test_a_private_structure_one_may_not_see_is_not_found_by_any_reference(
        base_url, api, world, db_session):
    # uuids an integrator could not have found, computed as the sandbox does (docs/api.md)
    seed = requests.get(f"{base_url}/_sandbox/credentials", timeout=30).json()["seed"]
    codec = Codec(seed)
    service = make_service(db_session, db_session.merge(world.foreign))
    db_session.commit()
    assert codec.decode(Kind.STRUCTURE, codec.encode(Kind.STRUCTURE, world.own.id)) == \
        world.own.id
    assert api.get(f"{BASE}/structures/{codec.encode(Kind.STRUCTURE, world.own.id)}").json()[
        "identifiant"] == world.own.identifiant  # the computed uuid is the API's
    for path, kind in ((f"structures/{world.foreign.identifiant}", "Structures"),
                       (f"structures/{codec.encode(Kind.STRUCTURE, world.foreign.id)}/services",
                        "Structures"),
                       (f"services/{codec.encode(Kind.SERVICE, service.id)}", "Services")):
        item = error_of(api.get(f"{BASE}/{path}"))
        assert (item["error"], item["message"]) == ("NotFoundReference", f"Aucun {kind} trouvé")
    found = search(api, {"identifiant": {"op": "=", "val": world.foreign.identifiant}})
    assert found.status_code == 200 and found.json() == []


# --- searches -------------------------------------------------------------------------


def test_a_search_by_siret_with_fields_finds_exactly_one_projected(api, world):
    body = {"identifiant": {"op": "=", "val": world.public.identifiant},
            "_fields": ["typeOrganisation", "raisonSociale", "numeroEjDoitEtreRenseigne"]}
    answer = search(api, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == [{"typeOrganisation": "public", "numeroEjDoitEtreRenseigne": False,
                              "raisonSociale": world.public.raison_sociale}]


def test_piste_gouv_fr_live_search_by_country_answers_uuids_only(api):
    body = {"pays": {"op": "=", "val": "France"}, "_sort": [], "_desc": [], "_fields": ["uuid"]}
    found = search(api, body).json()
    assert 0 < len(found) <= 1000
    assert all(list(item) == ["uuid"] and UUID.match(item["uuid"]) for item in found)


def test_contains_in_and_sorting(api, world):
    tag = world.tag
    body = {"raisonSociale": {"op": "CONTAINS", "val": tag.lower()},
            "_sort": ["raisonSociale"], "_fields": ["raisonSociale"]}
    names = [s["raisonSociale"] for s in search(api, body).json()]
    # "Etranger" and "Copie" are private and not the caller's: not listed.
    assert names == sorted([f"Destinataire {tag}", f"Fournisseur {tag}", f"Valideur {tag}"])
    body["_desc"] = ["raisonSociale"]
    assert [s["raisonSociale"] for s in search(api, body).json()] == names[::-1]
    body = {"identifiant": {"op": "IN", "val": [world.own.identifiant, world.public.identifiant,
                                                world.foreign.identifiant]},
            "_fields": ["identifiant"], "_sort": ["identifiant"]}
    assert [s["identifiant"] for s in search(api, body).json()] == sorted(
        [world.own.identifiant, world.public.identifiant])


def test_mapped_fields_take_the_apis_values(api, world):
    def count(body) -> int:  # noqa: ANN001
        body = {"raisonSociale": {"op": "CONTAINS", "val": world.tag}, **body}
        answer = search(api, body)
        assert answer.status_code == 200, answer.text
        return len(answer.json())

    # Visible to the caller: own, other_own (private, attached), public.
    assert count({"typeOrganisation": {"op": "=", "val": "public"}}) == 1
    assert count({"typeOrganisation": {"op": "=", "val": "private"}}) == 2
    assert count({"typeOrganisation": {"op": "=", "val": "PUBLIQUE"}}) == 0  # names nothing
    assert count({"status": {"op": "IN", "val": ["active", "inactive"]}}) == 3
    assert count({"typeIdentifiant": {"op": "=", "val": "0"}}) == 3
    assert count({"avecMOA": {"op": "=", "val": True}}) == 1
    assert count({"numeroPacage": {"op": "=", "val": 0}}) == 3
    assert count({"numeroPacage": {"op": ">", "val": 0}}) == 0
    assert count({"uuid": {"op": "=", "val": uuid_of(api, world.own.identifiant)}}) == 1
    assert count({"uuid": {"op": "=", "val": "not-a-uuid"}}) == 0
    assert count({"derniereMaj": {"op": ">=", "val": "2000-01-01T00:00:00+0100"}}) == 3
    assert count({"derniereMaj": {"op": "<", "val": "2000-01-01T00:00:00Z"}}) == 0


def test_services_search_by_structure_uuid(api, world):
    uuid = uuid_of(api, world.own.identifiant)
    body = {"rattachementOrganisation": {"op": "=", "val": uuid}, "_sort": [], "_desc": [],
            "_fields": ["uuid"]}
    answer = search(api, body, "services")
    assert answer.status_code == 200, answer.text
    assert len(answer.json()) == 3
    body["etatService"] = {"op": "=", "val": "INACTIF"}
    body["_fields"] = ["codeService", "etatService"]
    assert search(api, body, "services").json() == [
        {"codeService": world.services[2].code, "etatService": "INACTIF"}]


@pytest.mark.parametrize(("body", "error", "fragment"), [
    ({"_fields": ["raisonSociale"]}, "ParamsMissing", "Un attribut de la structure"),
    ([], "ParamsMissing", "Un attribut de la structure"),
    ({}, "ParamsMissing", "Un attribut de la structure"),
    ({"nope": {"op": "=", "val": "x"}}, "ParamsInvalid", "nope"),
    ({"pays": {"op": "LIKE", "val": "France"}}, "ParamsInvalid", "pays.op"),
    ({"pays": {"op": "=", "val": "France", "x": 1}}, "ParamsInvalid", "pays"),
    ({"pays": "France"}, "ParamsInvalid", "pays"),
    ({"numeroPacage": {"op": "=", "val": "0"}}, "ParamsInvalid", "entier"),
    ({"avecMOA": {"op": "=", "val": "true"}}, "ParamsInvalid", "booléen"),
    ({"avecMOA": {"op": "CONTAINS", "val": True}}, "ParamsInvalid", "texte"),
    # a boolean has no order (found by the fuzzing suite: a 500 before)
    ({"codeServiceDoitEtreRenseigne": {"op": "<", "val": True}}, "ParamsInvalid", "= et IN"),
    ({"gestionNumeroEJOuCodeService": {"op": "<=", "val": False}}, "ParamsInvalid", "= et IN"),
    ({"avecMOA": {"op": ">", "val": True}}, "ParamsInvalid", "= et IN"),
    ({"ville": {"op": "IN", "val": "Paris"}}, "ParamsInvalid", "IN"),
    ({"ville": {"op": "IN", "val": []}}, "ParamsInvalid", "IN"),
    ({"ville": {"op": "=", "val": ["Paris"]}}, "ParamsInvalid", "IN"),
    ({"typeOrganisation": {"op": ">", "val": "public"}}, "ParamsInvalid", "= et IN"),
    ({"derniereMaj": {"op": ">", "val": "hier"}}, "ParamsInvalid", "date"),
    ({"ville": {"op": "=", "val": "Pa\u0000ris"}}, "ParamsInvalid", "NUL"),
    ({"ville": {"op": "=", "val": "x"}, "_fields": ["nope"]}, "ParamsInvalid", "_fields"),
    ({"ville": {"op": "=", "val": "x"}, "_sort": "ville"}, "ParamsInvalid", "_sort"),
    ({"ville": {"op": "IN", "val": ["x"] * 1001}}, "ParamsInvalid", "1000"),
    ({"structureOrigine": {"op": "=", "val": 10**30}}, "ParamsInvalid", "64 bits"),
    ({"structureOrigine": {"op": "IN", "val": [1, -(10**20)]}}, "ParamsInvalid", "64 bits"),
    ({"derniereMaj": {"op": ">", "val": "0001-01-01T00:00:00+14:00"}}, "ParamsInvalid", "date"),
    ({"derniereMaj": {"op": "<", "val": "9999-12-31T23:59:59-14:00"}}, "ParamsInvalid", "date"),
    ([1, 2], "ParamsInvalid", "objet"),
])
def test_a_bad_search_gets_an_error_array(api, body, error, fragment):
    answer = search(api, body)
    item = error_of(answer)
    assert item["error"] == error, item
    if fragment == "objet":
        return  # pydantic's own words
    assert fragment in item["message"], item


@pytest.mark.parametrize("raw", [
    b'{"ville": {"op": "=", "val": "\\ud800"}}',  # a lone surrogate
    b'{"ville": ',  # truncated
    b"\xff\xfe",  # not UTF-8
    b"[" * 100_000 + b"]" * 100_000,  # nested beyond any parser's depth
    b'{"ville": {"op": "=", "val": 1e999}}',
])
def test_hostile_json_is_params_invalid(api, raw):
    item = error_of(api.send("POST", f"{BASE}/structures/recherche", data=raw))
    assert item["error"] == "ParamsInvalid"


def test_not_json_is_415_and_too_large_is_413_in_the_apis_shape(api):
    answer = api.send("POST", f"{BASE}/structures/recherche", data=b"pays=France",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(answer, 415)["error"] == "UnsupportedMediaType"
    limit = load_settings().max_body_bytes
    huge = b'{"ville": {"op": "=", "val": "' + b"x" * (limit + 10) + b'"}}'
    answer = api.send("POST", f"{BASE}/structures/recherche", data=huge)
    assert error_of(answer, 413)["error"] == "PayloadTooLarge"


# --- parametres-edi -------------------------------------------------------------------


def _parametres(api: ApiClient, structure_id: int) -> dict:
    return api.call("/cpro/structures/v1/consulter", {"idStructureCPP": structure_id})["parametres"]


def test_parametres_edi_changes_the_structure_of_its_gestionnaire(api, world):
    uuid = uuid_of(api, world.other_own.identifiant)  # gp is a simple user there: refused
    item = error_of(api.send("PATCH", f"{BASE}/structures/{uuid}/parametres-edi",
                             {"reception_edi": True}), 403)
    assert item["error"] == "Forbidden"
    path = f"{BASE}/structures/{world.own.identifiant}/parametres-edi"
    answer = api.send("PATCH", path, {"reception_edi": True, "connexion_edi": False})
    assert answer.status_code == 204 and answer.content == b""
    params = _parametres(api, world.own.id)
    assert params["recevoirDonneesViaEDI"] is True and params["connexionEDI"] is False
    org = api.get(f"{BASE}/structures/{world.own.identifiant}").json()
    assert org["recevoirCyclesViesEdi"] is True and org["emetteurFluxEdi"] is False
    answer = api.send("PATCH", path, {"connexion_edi": True})
    assert answer.status_code == 204
    params = _parametres(api, world.own.id)
    assert params["recevoirDonneesViaEDI"] is True and params["connexionEDI"] is True
    assert api.send("PATCH", path, data=b"[]").status_code == 204  # PHP: nothing to change
    assert _parametres(api, world.own.id) == params


@pytest.mark.parametrize("body", [{"reception_edi": "yes"}, {"reception_edi": 1},
                                  {"other": True}, [True]])
def test_parametres_edi_refuses_a_bad_body_and_changes_nothing(api, world, body):
    before = _parametres(api, world.own.id)
    path = f"{BASE}/structures/{world.own.identifiant}/parametres-edi"
    assert error_of(api.send("PATCH", path, body))["error"] == "ParamsInvalid"
    assert _parametres(api, world.own.id) == before


def test_parametres_edi_on_a_public_structure_is_403_even_with_nothing_to_change(api, world):
    path = f"{BASE}/structures/{world.public.identifiant}/parametres-edi"
    assert error_of(api.send("PATCH", path, data=b"[]"), 403)["error"] == "Forbidden"


# --- pièces jointes -------------------------------------------------------------------


def test_the_attachments_of_a_structure(api, world):
    uuid = uuid_of(api, world.public.identifiant)
    assert error_of(api.get(f"{BASE}/structures/{uuid}/pieces_jointes"))["error"] == \
        "NotFoundReference"  # none (and not the caller's): the client maps it to []
    content = b"%PDF-1.4 attachment of the structure"
    upload = api.call("/cpro/transverses/v1/ajouter/fichier", {
        "pieceJointeFichier": base64.b64encode(content).decode(), "pieceJointeNom": "rib.pdf",
        "pieceJointeTypeMime": "application/pdf", "pieceJointeExtension": "PDF"})
    assert upload["codeRetour"] == 0
    own = f"{BASE}/structures/{world.own.identifiant}/pieces_jointes"
    listed = api.get(own)
    assert listed.status_code == 200, listed.text
    [item] = [i for i in listed.json() if i["fileName"] == "rib.pdf"]
    assert item == {"sizeBytes": len(content), "fileName": "rib.pdf", "uuid": item["uuid"],
                    "contentType": "application/pdf"}
    one = api.get(f"{own}/{item['uuid']}")
    assert one.status_code == 200
    assert base64.b64decode(one.json()["attachmentData"]) == content
    other = f"{BASE}/structures/{world.public.identifiant}/pieces_jointes/{item['uuid']}"
    assert error_of(api.get(other))["error"] == "NotFoundReference"
    assert error_of(api.get(f"{own}/not_a_uuid"))["error"] == "NotFoundReference"


# --- creerService, siren/recherche ----------------------------------------------------


@pytest.fixture
def creating_world(stack_db) -> World:
    """A world of its own for the tests that create services: the module's world keeps
    exactly its three services, which other tests list and count (in any order)."""
    with db.new_session() as s:
        return build_world(s)


def test_creer_service_on_a_managed_structure(base_url, creating_world):
    world = creating_world
    api = tech_client(base_url, world)
    body = {"rattachementOrganisation": world.own.identifiant, "codeService": f"NEW_{world.tag}",
            "libelle": "Nouveau service", "pays": "France"}
    answer = api.send("POST", f"{BASE}/services", body)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["codeService"] == f"NEW_{world.tag}" and created["etatService"] == "ACTIF"
    assert created["rattachementOrganisation"] == uuid_of(api, world.own.identifiant)
    assert api.get(f"{BASE}/services/{created['uuid']}").json() == created
    assert error_of(api.send("POST", f"{BASE}/services", body), 409)["error"] == "AlreadyExists"
    public = {**body, "rattachementOrganisation": world.public.identifiant}
    assert error_of(api.send("POST", f"{BASE}/services", public), 403)["error"] == "Forbidden"
    for bad in ({**body, "codeService": ""}, {**body, "codeService": "   "},
                {**body, "pays": "Atlantide", "codeService": "Z"},
                {"libelle": "x"}, {**body, "numeroEj": "oui"}):
        assert error_of(api.send("POST", f"{BASE}/services", bad))["error"] == "ParamsInvalid"


def test_creer_service_twice_at_once_creates_one(base_url, creating_world):
    world = creating_world
    api = tech_client(base_url, world)
    body = {"rattachementOrganisation": world.own.identifiant, "codeService": f"RACE_{world.tag}",
            "libelle": "Course"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: tech_client(api.base_url, world).send(
            "POST", f"{BASE}/services", body), range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [
        a.text for a in answers]
    codes = [s["codeService"] for s in api.get(
        f"{BASE}/structures/{world.own.identifiant}/services").json()]
    assert codes.count(f"RACE_{world.tag}") == 1


def test_siren_search_is_inactive(api):
    item = error_of(api.send("POST", f"{BASE}/siren/recherche",
                             {"siren": {"op": "=", "val": "110002011"}}))
    assert item["error"] == "NotFoundReference"


# --- /openapi.json --------------------------------------------------------------------


def test_openapi_lists_the_eleven_operations_with_their_path_parameters(base_url):
    paths = requests.get(f"{base_url}/openapi.json", timeout=30).json()["paths"]
    ours = {(method.upper(), path): doc for path, ops in paths.items()
            for method, doc in ops.items() if path.startswith(BASE)}
    assert sorted(ours) == sorted([
        ("GET", f"{BASE}/healthcheck"), ("GET", f"{BASE}/structures/{{uuid}}"),
        ("GET", f"{BASE}/structures/{{uuid}}/services"),
        ("GET", f"{BASE}/structures/{{uuid}}/pieces_jointes"),
        ("GET", f"{BASE}/structures/{{uuid}}/pieces_jointes/{{uuidPJ}}"),
        ("PATCH", f"{BASE}/structures/{{uuid}}/parametres-edi"),
        ("POST", f"{BASE}/structures/recherche"), ("GET", f"{BASE}/services/{{uuid}}"),
        ("POST", f"{BASE}/services/recherche"), ("POST", f"{BASE}/services"),
        ("POST", f"{BASE}/siren/recherche")])
    doc = ours[("GET", f"{BASE}/structures/{{uuid}}/pieces_jointes/{{uuidPJ}}")]
    assert [p["name"] for p in doc["parameters"]] == ["uuid", "uuidPJ"]
    assert doc["tags"] == ["Référentiel des Organisations"]
    assert "codeRetour" not in str(doc["responses"]["200"])


def test_the_journal_knows_the_templates(base_url, api):
    """The control plane's unmatched requests: a reference a template matches is an
    operation (even when it names nothing), a path no template matches is not."""
    marker = f"{uuid4().int % 10**14:014d}"  # a SIRET nobody has
    assert api.get(f"{BASE}/structures/{marker}").status_code == 400  # NotFoundReference
    assert api.get(f"{BASE}/nothing/{marker}").status_code == 403  # route_inconnue
    rows = [r for r in requests.get(f"{base_url}/_sandbox/requests/unmatched",
                                    timeout=30).json()["requests"] if marker in r["path"]]
    assert [(r["method"], r["path"]) for r in rows] == [("GET", f"{BASE}/nothing/{marker}")]
