"""Transverses référentiels over HTTP (sandbox/cpro/referentiels*.py), on the default seed."""

from __future__ import annotations

import pytest
from api_factories import ApiClient

from sandbox.cpro import referentiels_schemas as rs
from sandbox.vocabulary import CadreFacturation, FormatFlux, ModeDepot, StatutFacture, SyntaxeFlux

T = "/cpro/transverses/v1"
S = "/cpro/structures/v1"


@pytest.fixture(scope="module")
def tech(base_url, chorus_credentials) -> ApiClient:  # noqa: ANN001
    c = chorus_credentials
    return ApiClient(base_url, c["oauth_client"]["client_id"], c["oauth_client"]["client_secret"],
                     c["technical_account"]["login"], c["technical_account"]["password"])


@pytest.fixture(scope="module")
def own_id(tech, chorus_credentials) -> int:  # noqa: ANN001
    siret = chorus_credentials["technical_account"]["login"].split("_")[2].split("@")[0]
    found = tech.call(f"{S}/rechercher", {"structure": {"identifiantStructure": siret}})
    return found["listeStructures"][0]["idStructureCPP"]


@pytest.fixture(scope="module")
def public_id(tech) -> int:  # noqa: ANN001
    found = tech.call(f"{S}/rechercher", {"structure": {"identifiantStructure": "11000201100044"}})
    return found["listeStructures"][0]["idStructureCPP"]


def test_cadres_by_type_of_demande(tech):
    every = tech.call(f"{T}/recuperer/cadrefacturation", {})
    rs.RecupererCadresFacturationRetour.model_validate(every)
    assert [c["codeCadreFacturation"] for c in every["listeCadreFacturation"]] == list(
        CadreFacturation
    )
    facture = tech.call(f"{T}/recuperer/cadrefacturation", {"typeDemandePaiement": "FACTURE"})
    assert [c["codeCadreFacturation"] for c in facture["listeCadreFacturation"]] == [
        "A1_FACTURE_FOURNISSEUR", "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
        "A9_FACTURE_SOUSTRAITANT", "A12_FACTURE_COTRAITANT",
    ]
    travaux = tech.call(f"{T}/recuperer/cadrefacturation",
                        {"typeDemandePaiement": "FACTURE_TRAVAUX"})
    codes = {c["codeCadreFacturation"] for c in travaux["listeCadreFacturation"]}
    assert "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR" in codes
    assert "A1_FACTURE_FOURNISSEUR" not in codes and "A21_DEMANDE_REMBOURSEMENT_TIC" not in codes
    # A typed client's "" is no criterion; an unknown value is a schema error.
    blank = tech.call(f"{T}/recuperer/cadrefacturation", {"typeDemandePaiement": ""})
    assert blank["listeCadreFacturation"] == every["listeCadreFacturation"]
    bad = tech.post(f"{T}/recuperer/cadrefacturation", {"typeDemandePaiement": "DEVIS"})
    assert bad.status_code == 400 and bad.json()["codeRetour"] == 10002


def test_syntaxes_by_format(tech):
    every = tech.call(f"{T}/recuperer/syntaxeflux", {})
    rs.RecupererSyntaxeFluxRetour.model_validate(every)
    assert {s["syntaxeFlux"] for s in every["listeSyntaxeFlux"]} == set(SyntaxeFlux)
    e1 = tech.call(f"{T}/recuperer/syntaxeflux", {"formatFlux": "IN_DP_E1_STRUCT"})
    assert {s["syntaxeFlux"] for s in e1["listeSyntaxeFlux"]} >= {"IN_DP_E1_UBL_INVOICE",
                                                                  "IN_DP_E1_CII_16B"}
    assert all("_E1_" in s["syntaxeFlux"] for s in e1["listeSyntaxeFlux"])
    facturx = tech.call(f"{T}/recuperer/syntaxeflux", {"formatFlux": "IN_DP_E2_FACTURX"})
    assert [s["syntaxeFlux"] for s in facturx["listeSyntaxeFlux"]] == ["IN_DP_E2_CII_FACTURX"]
    formats = tech.call(f"{T}/recuperer/formatflux", {})
    assert [f["formatFlux"] for f in formats["listeFormatFlux"]] == list(FormatFlux)
    assert formats["total"] == 3 and formats["pages"] == 1


def test_lists_and_languages(tech):
    depots = tech.call(f"{T}/recuperer/modedepot", {})
    assert [m["modeDepot"] for m in depots["listeModeDepot"]] == list(ModeDepot)
    etats = tech.call(f"{T}/recuperer/etat/typedp", {"typeDemandePaiement": "FACTURE"})
    assert etats["listeEtatDemandePaiement"][0] == {"etatDemandePaiement": "BROUILLON"}
    assert len(etats["listeEtatDemandePaiement"]) == len(StatutFacture)
    fr = tech.call(f"{T}/recuperer/tauxtva", {"codeLangue": ""})
    en = tech.call(f"{T}/recuperer/tauxtva", {"codeLangue": "en"})
    assert fr["listeTauxTva"][0] == {"codeTauxTva": "TVA1",
                                     "libelleTauxTva": "Art 293B(FranchiseEnBase)",
                                     "valeurTauxTva": 0.0}
    assert fr["listeTauxTva"][1]["valeurTauxTva"] == 20.0
    assert en["listeTauxTva"][1]["libelleTauxTva"] == "Standard rate 20%"
    assert tech.call(f"{T}/recuperer/tauxtva", {"codeLangue": "de"}) == fr  # unknown = default
    pj = tech.call(f"{T}/recuperer/typespj", {"typeObjet": "CB", "codeLangue": "EN"})
    assert pj["listeTypePieceJointe"] == [{"idTypePieceJointe": 7, "codeTypePieceJointe": "RIB",
                                           "libelleTypePieceJointe": "Bank details",
                                           "typeObjet": "CB"}]


def test_bank_details_need_an_attached_structure(tech, own_id, public_id):
    mine = tech.call(f"{T}/recuperer/coordbanc/valides", {"idStructure": own_id})
    rs.RecupererCoordonneesBancairesRetour.model_validate(mine)
    assert [c["idCoordonneeBancaire"] for c in mine["listeCoordonneeBancaire"]] == [own_id]
    assert mine["listeCoordonneeBancaire"][0]["nomCoordonneeBancaire"].startswith(
        "Compte principal ")
    refused = tech.call(f"{T}/recuperer/coordbanc/valides", {"idStructure": public_id})
    assert set(refused) == {"codeRetour", "libelle"} and refused["codeRetour"] == 20101
    assert tech.call(f"{T}/recuperer/coordbanc/valides",
                     {"idStructure": 2**62})["codeRetour"] == 20100
    for missing in ({}, {"idStructure": 0}, {"idStructure": None}):
        assert tech.call(f"{T}/recuperer/coordbanc/valides", missing)["codeRetour"] == 20103


def test_services_executants_of_a_destinataire(tech, public_id):
    url = f"{T}/rechercher/serviceexecutant"
    every = tech.call(url, {"idDestinataireCPP": public_id,
                            "parametresRecherche": {"nbResultatsParPage": 1000}})
    rs.RechercherServiceExecutantRetour.model_validate(every)
    services = every["listeServices"]
    assert services and every["parametresRetour"]["total"] == len(services)
    direct = tech.call(f"{S}/rechercher/services", {"idStructure": public_id,
                       "parametresRechercherServicesStructure": {"nbResultatsParPage": 1000}})
    assert {s["idServicesCPP"] for s in services} == {s["idService"]
                                                      for s in direct["listeServices"]}
    actifs = {s["idService"] for s in direct["listeServices"] if s["estActif"]}
    only = tech.call(url, {"idDestinataireCPP": public_id, "actif": True,
                           "parametresRecherche": {"nbResultatsParPage": 1000}})
    assert {s["idServicesCPP"] for s in only["listeServices"]} == actifs
    code = services[0]["codeServiceExecutant"]
    by_code = tech.call(url, {"idDestinataireCPP": public_id, "codeServiceExecutant": code})
    assert all(s["codeServiceExecutant"].startswith(code) for s in by_code["listeServices"])
    assert code in {s["codeServiceExecutant"] for s in by_code["listeServices"]}
    assert tech.call(url, {})["codeRetour"] == 20103
    assert tech.call(url, {"idDestinataireCPP": 2**62})["codeRetour"] == 20100


def test_structures_of_the_caller(tech, own_id):
    every = tech.call(f"{T}/recuperer/structuresPourUtilisateur", {})
    rs.RecupererStructuresPourUtilisateurRetour.model_validate(every)
    assert own_id in {s["idStructure"] for s in every["listeStructures"]}
    travaux = tech.call(f"{T}/recuperer/structures/actives/facturetravaux", {})
    by_espace = tech.call(f"{T}/recuperer/structuresPourUtilisateur", {"espaceFo": 3})
    assert {s["idStructureCPP"] for s in travaux["listeStructures"]} == {
        s["idStructure"] for s in by_espace["listeStructures"]}


def test_sollicitation_categories(tech):
    cats = tech.call(f"{T}/rechercher/categorieSollicitation", {"pagination": {
        "nbResultatsParPage": 2, "pageResultatDemandee": 1}})
    rs.RechercherCategoriesRetour.model_validate(cats)
    assert len(cats["listeCategories"]) == 2 and cats["parametresRetour"]["total"] == 4
    subs = tech.call(f"{T}/rechercher/sousCategorieSollicitation", {"idTechniqueCategorie": 2})
    rs.RechercherSousCategoriesRetour.model_validate(subs)
    [group] = subs["listeSousCategories"]
    assert group["categorie"][0]["codeCategorie"] == "RACCORDEMENT"
    assert {s["code"] for s in group["ssCategorie"]} == {"API", "EDI"}
    none = tech.call(f"{T}/rechercher/categorieSollicitation", {"estActif": False})
    assert none["listeCategories"] == [] and none["parametresRetour"]["total"] == 0


def test_openapi_lists_the_referentiels(base_url):
    import requests

    paths = requests.get(f"{base_url}/openapi.json", timeout=30).json()["paths"]
    for path in ("recuperer/tauxtva", "recuperer/syntaxeflux", "recuperer/coordbanc/valides",
                 "rechercher/serviceexecutant", "rechercher/sousCategorieSollicitation",
                 "recuperer/structures/actives/facturetravaux"):
        assert f"{T}/{path}" in paths
