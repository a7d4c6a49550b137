"""Zero values of typed clients mean "no criterion": the same search, the same answer.

go-choruspro sends every field of its option structs (``""``, ``0``, ``false``, ``null``);
the plain body (OCA, chorus-api) sends only what it sets. Both must find the same rows.
"""

from __future__ import annotations

import pytest
from api_factories import ApiClient

S = "/cpro/structures/v1"
T = "/cpro/transverses/v1"

GO_EMPTY_CRITERIA = {  # structures_recherches.go CriteresRechercheStructures{} marshalled
    "adresseCodePays": "", "adresseCodePostal": "", "adresseVille": "", "estMOA": False,
    "estMOAUniquement": False, "identifiantStructure": "", "libelleStructure": "",
    "nomStructure": "", "prenomStructure": "", "raisonSocialeStructure": "",
    "statutStructure": "", "typeIdentifiantStructure": "", "typeStructure": "",
}


@pytest.fixture(scope="module")
def tech(base_url, chorus_credentials) -> ApiClient:  # noqa: ANN001
    c = chorus_credentials
    return ApiClient(base_url, c["oauth_client"]["client_id"], c["oauth_client"]["client_secret"],
                     c["technical_account"]["login"], c["technical_account"]["password"])


@pytest.fixture(scope="module")
def siret(chorus_credentials) -> str:  # noqa: ANN001
    return chorus_credentials["technical_account"]["login"].split("_")[2].split("@")[0]


def test_siret_search_same_with_go_body_and_plain_body(tech, siret):
    plain = tech.call(f"{S}/rechercher", {"structure": {"identifiantStructure": siret,
                                                        "typeIdentifiantStructure": "SIRET"}})
    go = tech.call(f"{S}/rechercher", {
        "parametres": None, "restreindreStructuresPrivees": False,
        "structure": {**GO_EMPTY_CRITERIA, "identifiantStructure": siret,
                      "typeIdentifiantStructure": "SIRET"}})
    assert plain["parametresRetour"]["total"] == 1
    assert go == plain


def test_public_search_same_with_go_body_and_plain_body(tech):
    plain = tech.call(f"{S}/rechercher", {"structure": {"typeStructure": "PUBLIQUE"},
                                          "parametres": {"nbResultatsParPage": 50}})
    go = tech.call(f"{S}/rechercher", {
        "parametres": {"nbResultatsParPage": 50, "pageResultatDemandee": 0, "triSense": ""},
        "restreindreStructuresPrivees": False,
        "structure": {**GO_EMPTY_CRITERIA, "typeStructure": "PUBLIQUE"}})
    assert plain["parametresRetour"]["total"] > 1
    assert go == plain


def test_null_empty_and_zero_are_the_same_as_absent(tech, siret):
    base = {"structure": {"identifiantStructure": siret}}
    expected = tech.call(f"{S}/rechercher", base)
    for blank in (None, "", "  "):
        for field in ("typeStructure", "statutStructure", "adresseVille", "raisonSocialeStructure"):
            body = {"structure": {"identifiantStructure": siret, field: blank}}
            assert tech.call(f"{S}/rechercher", body) == expected, (field, blank)
    for flag in ("estMOA", "estMOAUniquement"):
        body = {"structure": {"identifiantStructure": siret, flag: False}}
        assert tech.call(f"{S}/rechercher", body) == expected, flag
    # A real criterion still filters.
    other = tech.call(f"{S}/rechercher", {"structure": {"identifiantStructure": siret,
                                                        "typeStructure": "PUBLIQUE"}})
    assert other["parametresRetour"]["total"] == 0


def test_code_langue_any_case_and_empty(tech):
    fr = tech.call(f"{T}/recuperer/pays", {"codeLangue": "FR"})
    for value in ("", "fr", "Fr", None, " FR "):
        assert tech.call(f"{T}/recuperer/pays", {"codeLangue": value}) == fr, value
    en = tech.call(f"{T}/recuperer/pays", {"codeLangue": "en"})
    assert en != fr


@pytest.mark.parametrize(
    ("path", "body", "name"),
    [
        ("consulter", {}, "idStructureCPP"),
        ("consulter", {"idStructureCPP": 0, "codeLangue": ""}, "idStructureCPP"),
        ("consulter", {"idStructureCPP": None}, "idStructureCPP"),
        ("rechercher/services", {"idUtilisateurCourant": 0, "idStructure": 0}, "idStructure"),
        ("consulter/service", {"codeLangue": "FR", "idService": 0, "idStructure": 0},
         "idStructure"),
        ("rechercher/espaces", {}, "idStructure"),
    ],
)
def test_a_missing_id_is_a_business_answer(tech, path, body, name):
    """The Swagger marks no request field required: the real API answers in codeRetour."""
    answer = tech.post(f"{S}/{path}", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["codeRetour"] == 20103
    assert name in answer.json()["libelle"]


def test_consulter_service_missing_service_is_a_business_answer(tech, siret):
    found = tech.call(f"{S}/rechercher", {"structure": {"identifiantStructure": siret}})
    id_structure = found["listeStructures"][0]["idStructureCPP"]
    answer = tech.call(f"{S}/consulter/service", {"idStructure": id_structure, "idService": 0})
    assert answer == {"codeRetour": 20103,
                      "libelle": "Paramètre obligatoire manquant : idService."}


def test_openapi_requires_no_request_field(base_url):
    import requests

    doc = requests.get(f"{base_url}/openapi.json", timeout=30).json()
    schemas = doc["components"]["schemas"]
    for name in ("ConsulterStructureParam", "RechercherServicesStructureParam",
                 "ConsulterServiceStructureParam", "RechercherEspacesParam"):
        assert not schemas[name].get("required"), name
    code_langue = schemas["ConsulterStructureParam"]["properties"]["codeLangue"]
    assert "enum" not in json_text(code_langue)
    info = schemas["InformationGenerales"]["properties"]["dateExpirationMotPasseCompteTech"]
    assert "date-time" in json_text(info)
    dates = schemas["RattachementServiceResume"]["properties"]["dateDebut"]
    assert "date-time" in json_text(dates)


def json_text(value) -> str:  # noqa: ANN001
    import json

    return json.dumps(value)
