"""Structures and Utilisateurs APIs over HTTP: shapes, paging, sorting, access rules."""

from __future__ import annotations

import re

import pytest
from api_factories import (
    ApiClient,
    make_structure,
    make_user,
    tag,
    tech_client,
    user_client,
)

from sandbox import db
from sandbox.cpro import schemas as sc

S = "/cpro/structures/v1"
MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def many(chorus_sandbox) -> tuple[str, list]:
    db.init_engine(chorus_sandbox.database_url)
    """23 public structures whose raison sociale starts with one unique prefix."""
    prefix = f"Mairie {tag()}"
    with db.new_session() as s:
        made = [
            make_structure(s, type_structure="PUBLIQUE", raison_sociale=f"{prefix} {i:02d}")
            for i in range(23)
        ]
        s.commit()
        return prefix, [(m.id, m.identifiant, m.raison_sociale) for m in made]


@pytest.fixture
def tech(base_url, world) -> ApiClient:
    return tech_client(base_url, world)


@pytest.fixture
def user(base_url, world) -> ApiClient:
    return user_client(base_url, world)


def _search(api: ApiClient, **criteria) -> dict:
    parametres = criteria.pop("parametres", None)
    body = {"structure": criteria}
    if parametres is not None:
        body["parametres"] = parametres
    answer = api.call(f"{S}/rechercher", body)
    sc.RechercherStructureRetour.model_validate(answer)
    return answer


def test_rechercher_by_identifier_shape(tech, world):
    answer = _search(
        tech, identifiantStructure=world.own.identifiant, typeIdentifiantStructure="SIRET"
    )
    assert answer["codeRetour"] == 0
    assert answer["libelle"] == "TRA_MSG_00.000"
    assert answer["listeStructures"] == [
        {
            "idStructureCPP": world.own.id,
            "identifiantStructure": world.own.identifiant,
            "designationStructure": world.own.raison_sociale,
            "typeIdentifiantStructure": "SIRET",
            "statut": "ACTIVE",
        }
    ]
    assert answer["parametresRetour"] == {
        "pageCourante": 1,
        "pages": 1,
        "nbResultatsParPage": 10,
        "total": 1,
    }


def test_rechercher_status_in_actif_out_active(tech, db_session):
    inactive = make_structure(db_session, type_structure="PUBLIQUE", statut="INACTIF")
    db_session.commit()
    hit = _search(tech, identifiantStructure=inactive.identifiant, statutStructure="INACTIF")
    assert [s["statut"] for s in hit["listeStructures"]] == ["INACTIVE"]
    miss = _search(tech, identifiantStructure=inactive.identifiant, statutStructure="ACTIF")
    assert miss["listeStructures"] == []
    assert miss["parametresRetour"]["total"] == 0
    assert miss["codeRetour"] == 0


def test_rechercher_visibility(tech, user, world):
    def found(api: ApiClient, structure) -> bool:
        return (
            _search(api, identifiantStructure=structure.identifiant)["parametresRetour"]["total"]
            == 1
        )

    # technical account: the GP's structures (own, other_own) and public ones
    assert found(tech, world.own) and found(tech, world.other_own) and found(tech, world.public)
    assert not found(tech, world.foreign)
    # a simple user: only what he is attached to, and public ones
    assert found(user, world.own) and found(user, world.public)
    assert not found(user, world.other_own) and not found(user, world.foreign)
    # restreindreStructuresPrivees false: private structures match whoever asks (issue 21.5;
    # every case in tests/test_api_structures_privees.py)
    answer = tech.call(
        f"{S}/rechercher",
        {
            "structure": {"identifiantStructure": world.foreign.identifiant},
            "restreindreStructuresPrivees": False,
        },
    )
    assert [s["idStructureCPP"] for s in answer["listeStructures"]] == [world.foreign.id]


def test_rechercher_filters(tech, world):
    t = world.tag
    assert [
        s["idStructureCPP"]
        for s in _search(tech, raisonSocialeStructure=f"Fournisseur {t}")["listeStructures"]
    ] == [world.own.id]
    by_city = _search(tech, adresseVille=world.public.ville, typeStructure="PUBLIQUE")
    assert [s["idStructureCPP"] for s in by_city["listeStructures"]] == [world.public.id]
    assert (
        _search(tech, adresseVille=world.public.ville, typeStructure="PRIVEE")["listeStructures"]
        == []
    )
    moa = _search(tech, identifiantStructure=world.own.identifiant, estMOA=True)
    assert moa["parametresRetour"]["total"] == 1
    # estMOA false is a typed client's zero value: no criterion (issue 12, docs/decisions.md).
    assert (
        _search(tech, identifiantStructure=world.own.identifiant, estMOA=False)["parametresRetour"][
            "total"
        ]
        == 1
    )
    assert (
        _search(tech, identifiantStructure=world.own.identifiant, typeIdentifiantStructure="RIDET")[
            "parametresRetour"
        ]["total"]
        == 0
    )
    assert _search(tech, libelleStructure=f"Libellé {t}")["parametresRetour"]["total"] == 1
    assert (
        _search(
            tech, adresseCodePostal=world.public.code_postal, raisonSocialeStructure="Destinataire"
        )["parametresRetour"]["total"]
        == 1
    )


def test_rechercher_paging_default_ten(tech, many):
    prefix, made = many
    first = _search(tech, raisonSocialeStructure=prefix)
    assert len(first["listeStructures"]) == 10
    assert first["parametresRetour"] == {
        "pageCourante": 1,
        "pages": 3,
        "nbResultatsParPage": 10,
        "total": 23,
    }
    third = _search(tech, raisonSocialeStructure=prefix, parametres={"pageResultatDemandee": 3})
    assert len(third["listeStructures"]) == 3
    assert third["parametresRetour"]["pageCourante"] == 3
    beyond = _search(tech, raisonSocialeStructure=prefix, parametres={"pageResultatDemandee": 4})
    assert beyond["listeStructures"] == []
    assert beyond["parametresRetour"]["total"] == 23
    seen = [
        s["idStructureCPP"]
        for page in (1, 2, 3)
        for s in _search(
            tech, raisonSocialeStructure=prefix, parametres={"pageResultatDemandee": page}
        )["listeStructures"]
    ]
    assert sorted(seen) == sorted(m[0] for m in made)
    five = _search(tech, raisonSocialeStructure=prefix, parametres={"nbResultatsParPage": 5})
    assert five["parametresRetour"] == {
        "pageCourante": 1,
        "pages": 5,
        "nbResultatsParPage": 5,
        "total": 23,
    }


def test_rechercher_sorting(tech, many):
    prefix, made = many
    by_name = sorted(made, key=lambda m: m[2])
    desc = _search(
        tech,
        raisonSocialeStructure=prefix,
        parametres={
            "triColonne": "DesignationStructure",
            "triSens": "Descendant",
            "nbResultatsParPage": 30,
        },
    )
    assert [s["designationStructure"] for s in desc["listeStructures"]] == [
        m[2] for m in reversed(by_name)
    ]
    by_id = sorted(made, key=lambda m: m[1])
    # the Go client's bugs: "triSense" and a trailing space
    asc = _search(
        tech,
        raisonSocialeStructure=prefix,
        parametres={
            "triColonne": "IdentifiantStructure",
            "triSense": "Ascendant ",
            "nbResultatsParPage": 4,
            "pageResultatDemandee": 2,
        },
    )
    assert [s["identifiantStructure"] for s in asc["listeStructures"]] == [m[1] for m in by_id[4:8]]


def test_consulter_own_private_structure_field_by_field(tech, world):
    answer = tech.call(f"{S}/consulter", {"idStructureCPP": world.own.id, "codeLangue": "fr"})
    sc.ConsulterStructureRetour.model_validate(answer)
    assert answer["codeRetour"] == 0
    assert answer["libelle"] == "GCU_MSG_01_000"
    assert answer["adressePostaleDuSiege"] == {
        "adresse": "1 rue de la Paix",
        "codePostal": "75002",
        "complementAdresse1": None,
        "complementAdresse2": None,
        "fax": None,
        "indicatifFax": None,
        "indicatifTelephone": "+33",
        "pays": "FR",
        "telephone": "0102030405",
        "ville": "PARIS",
    }
    info = answer["informationGenerales"]
    assert "informationsGenerales" not in answer
    assert ISO.match(info.pop("dateExpirationMotPasseCompteTech"))
    copies = info.pop("listeStructureDupliquees")
    assert len(copies) == 1 and set(copies[0]) == {"structureDupliquee"}
    assert info == {
        "emailStructure": world.own.email,
        "estValideurDeleguee": False,
        "idStructureCPP": world.own.id,
        "idStructureOrigine": None,
        "identifiantStructure": world.own.identifiant,
        "libelleStructure": world.own.libelle,
        "nomStructure": None,
        "numeroRcsStructure": "RCS Paris B 123 456 789",
        "numeroTVA": world.own.numero_tva,
        "prenomStructure": None,
        "raisonSocialeStructure": world.own.raison_sociale,
        "structurePriveePublique": "PRIVEE",
        "typeIdentifiantStructure": "SIRET",
    }
    assert answer["parametres"] == {
        "codeServiceDoitEtreRenseigne": True,
        "connexionEDI": False,
        "estMoaUniquement": False,
        "estValideurDelegue": False,
        "gestionNumeroEJOuCodeService": False,
        "getaMoa": True,
        "nonDiffusibleInsee": False,
        "numeroEJDoitEtreRenseigne": False,
        "recevoirDonneesViaEDI": False,
        "statutMiseEnPaiementNestPasRemonte": False,
    }


def test_consulter_access_rules(tech, user, world):
    public = tech.call(f"{S}/consulter", {"idStructureCPP": world.public.id})
    assert public["codeRetour"] == 0
    assert public["informationGenerales"]["structurePriveePublique"] == "PUBLIQUE"
    assert public["informationGenerales"]["dateExpirationMotPasseCompteTech"] is None
    assert public["parametres"]["gestionNumeroEJOuCodeService"] is True
    foreign = tech.call(f"{S}/consulter", {"idStructureCPP": world.foreign.id})
    assert foreign["codeRetour"] == 20101
    assert set(foreign) == {"codeRetour", "libelle"}
    assert "habilitations" in foreign["libelle"]
    assert (
        user.call(f"{S}/consulter", {"idStructureCPP": world.other_own.id})["codeRetour"] == 20101
    )
    assert tech.call(f"{S}/consulter", {"idStructureCPP": world.other_own.id})["codeRetour"] == 0
    unknown = tech.call(f"{S}/consulter", {"idStructureCPP": 2**62})
    assert unknown == {"codeRetour": 20100, "libelle": "La structure n'existe pas."}


def test_rechercher_services_shape_sort_and_paging(tech, world):
    answer = tech.call(f"{S}/rechercher/services", {"idStructure": world.own.id})
    sc.RechercherServicesStructureRetour.model_validate(answer)
    assert answer["codeRetour"] == 0 and answer["libelle"] == "TRA_MSG_00.000"
    services = answer["listeServices"]
    assert [s["idService"] for s in services] == [s.id for s in world.services]
    first = services[0]
    assert set(first) == {
        "idService",
        "codeService",
        "libelleService",
        "estActif",
        "statutService",
        "dateDbtService",
        "dateFinService",
    }
    assert first["codeService"] == world.services[0].code
    assert first["libelleService"] == "Achats"
    assert MINUTE.match(first["dateDbtService"]) and MINUTE.match(first["dateFinService"])
    assert [(s["estActif"], s["statutService"]) for s in services] == [
        (True, "ACTIF"),
        (True, "ACTIF"),
        (False, "INACTIF"),
    ]
    assert answer["parametresRetour"] == {
        "pageCourante": 1,
        "pages": 1,
        "nbResultatsParPage": 10,
        "total": 3,
    }
    by_label = tech.call(
        f"{S}/rechercher/services",
        {
            "idStructure": world.own.id,
            "parametresRechercherServicesStructure": {
                "triColonne": "LibelleService",
                "triSens": "Descendant",
                "nbResultatsParPage": 2,
            },
        },
    )
    assert [s["libelleService"] for s in by_label["listeServices"]] == ["Comptabilité", "Budget"]
    assert by_label["parametresRetour"]["pages"] == 2
    foreign = tech.call(f"{S}/rechercher/services", {"idStructure": world.foreign.id})
    assert foreign["codeRetour"] == 20101


def test_consulter_service_shape_and_errors(tech, world):
    sv = world.services[1]
    answer = tech.call(
        f"{S}/consulter/service",
        {"idStructure": world.own.id, "idService": sv.id, "codeLangue": "FR"},
    )
    sc.ConsulterServiceStructureRetour.model_validate(answer)
    assert answer["codeRetour"] == 0 and answer["libelle"] == "GCU_MSG_01_000"
    assert "informationGenerales" not in answer
    assert answer["informationsGenerales"] == {
        "codeService": sv.code,
        "descriptionService": "Service de test",
        "nomService": "Budget",
    }
    params = answer["parametres"]
    for key in ("dateCreation", "dateDebutValidite", "dateFinValidite", "dateModification"):
        assert ISO.match(params[key]), key
    assert params["numeroEngagement"] is True and params["miseEnPaiement"] is False
    assert set(answer["adressePostale"]) == set(sc.AdressePostale.model_fields)
    wrong = tech.call(
        f"{S}/consulter/service", {"idStructure": world.public.id, "idService": sv.id}
    )
    assert wrong["codeRetour"] == 20102
    hidden = tech.call(
        f"{S}/consulter/service", {"idStructure": world.foreign.id, "idService": sv.id}
    )
    assert hidden["codeRetour"] == 20101


def test_chain_rechercher_consulter_services_service(tech, world):
    found = _search(
        tech, identifiantStructure=world.public.identifiant, typeIdentifiantStructure="SIRET"
    )
    assert found["parametresRetour"]["total"] == 1
    id_structure = found["listeStructures"][0]["idStructureCPP"]
    detail = tech.call(f"{S}/consulter", {"idStructureCPP": id_structure, "codeLangue": "FR"})
    assert detail["parametres"]["gestionNumeroEJOuCodeService"] is True
    services = tech.call(
        f"{S}/rechercher/services",
        {
            "idStructure": id_structure,
            "parametresRechercherServicesStructure": {"triColonne": "CodeService"},
        },
    )
    codes = [s["codeService"] for s in services["listeServices"] if s["estActif"]]
    assert codes == sorted(s.code for s in world.public_services)
    chosen = next(s for s in services["listeServices"] if s["codeService"] != "FACTURES_PUBLIQUES")
    service = tech.call(
        f"{S}/consulter/service", {"idStructure": id_structure, "idService": chosen["idService"]}
    )
    assert service["codeRetour"] == 0
    assert service["informationsGenerales"]["codeService"] == chosen["codeService"]
    assert service["parametres"]["miseEnPaiement"] is True


def test_lister_rattachements_utilisateur(tech, user, world, db_session):
    body = {
        "idStructure": world.own.id,
        "adresseEmailConnexionUtilisateur": world.user.login.upper(),
    }
    answer = tech.call(f"{S}/lister/rattachementsutilisateur", body)
    sc.ListerRattachementsStructureUtilisateurRetour.model_validate(answer)
    assert answer["codeRetour"] == 0
    assert answer["idStructure"] == world.own.id
    assert answer["identifiantStructure"] == world.own.identifiant
    assert answer["designationStructure"] == world.own.raison_sociale
    assert answer["premierService"] is False
    assert [
        (r["idRattachement"], r["idService"], r["statutRattachement"], r["commentaire"])
        for r in answer["listeServices"]
    ] == [
        (world.user_rs[0].id, world.services[1].id, "VALIDEE", "ok"),
        (world.user_rs[1].id, world.services[0].id, "EN_COURS_DE_VALIDATION", None),
    ]
    assert answer["listeServices"][0]["nomService"] == "Budget"
    by_code = tech.call(
        f"{S}/lister/rattachementsutilisateur",
        {
            "identifiantStructure": world.own.identifiant,
            "typeIdentifiantStructure": "SIRET",
            "idUtilisateur": world.user.id,
            "parametresListerRattachementsStructureUtilisateur": {"triColonne": "CodeService"},
        },
    )
    assert [r["codeService"] for r in by_code["listeServices"]] == [
        world.services[0].code,
        world.services[1].code,
    ]
    # a simple user is no gestionnaire
    assert user.call(f"{S}/lister/rattachementsutilisateur", body)["codeRetour"] == 20105
    # the GP's technical account is no gestionnaire of other_own (gp is a simple user there)
    assert (
        tech.call(
            f"{S}/lister/rattachementsutilisateur",
            {"idStructure": world.other_own.id, "idUtilisateur": world.gp.id},
        )["codeRetour"]
        == 20105
    )
    unknown = tech.call(
        f"{S}/lister/rattachementsutilisateur",
        {"idStructure": world.own.id, "adresseEmailConnexionUtilisateur": "nobody@example.com"},
    )
    assert unknown["codeRetour"] == 20104
    missing = tech.call(f"{S}/lister/rattachementsutilisateur", {"idStructure": world.own.id})
    assert missing["codeRetour"] == 20103
    stranger, _ = make_user(db_session)
    db_session.commit()
    not_attached = tech.call(
        f"{S}/lister/rattachementsutilisateur",
        {"idStructure": world.own.id, "idUtilisateur": stranger.id},
    )
    assert not_attached["codeRetour"] == 20106


def test_rechercher_espaces(tech, world):
    answer = tech.call(f"{S}/rechercher/espaces", {"structure": {"idStructure": world.own.id}})
    sc.RechercherEspacesRetour.model_validate(answer)
    assert answer["codeRetour"] == 0
    assert answer["listeEspace"] == [
        {
            "idEspaceFo": world.espaces[0].id,
            "codeEspace": 1,
            "libelleEspace": "Factures émises",
            "idService": None,
            "codeService": None,
            "libelleService": None,
            "etatCourant": "ACTIVE",
            "typeHabilitation": "MODIFICATION",
        },
        {
            "idEspaceFo": world.espaces[1].id,
            "codeEspace": 4,
            "libelleEspace": "Sollicitations émises",
            "idService": world.services[0].id,
            "codeService": world.services[0].code,
            "libelleService": "Achats",
            "etatCourant": "ACTIVE",
            "typeHabilitation": "CONSULTATION_UNIQUEMENT",
        },
    ]
    only_service = tech.call(
        f"{S}/rechercher/espaces",
        {
            "structure": {"identifiantStructure": world.own.identifiant},
            "idService": world.services[0].id,
            "parametresRechercherEspaces": {"triColonne": "CodeEspace", "triSens": "Descendant"},
        },
    )
    assert [e["idEspaceFo"] for e in only_service["listeEspace"]] == [world.espaces[1].id]
    hidden = tech.call(f"{S}/rechercher/espaces", {"structure": {"idStructure": world.foreign.id}})
    assert hidden["codeRetour"] == 20101
    assert tech.call(f"{S}/rechercher/espaces", {"structure": {}})["codeRetour"] == 20103


def test_mon_compte_rattachements(tech, user, world):
    path = "/cpro/utilisateurs/v1/monCompte/recuperer/rattachements"
    mine = user.call(
        path,
        {
            "parametresRecherche": {
                "nbResultatsParPage": 100,
                "pageResultatDemandee": 1,
                "triColonne": "IdStructure",
                "triSens": "Descendant",
            }
        },
    )
    sc.RecupererRattachementsRetour.model_validate(mine)
    assert mine["codeRetour"] == 0
    [entry] = mine["listeStructureRattachement"]
    assert entry["idRattachementStructure"] == world.user_ratt.id
    assert entry["idStructure"] == world.own.id
    assert entry["identifiantStructure"] == world.own.identifiant
    assert entry["designationStructure"] == world.own.raison_sociale
    assert entry["typeIdentifiantStructure"] == "SIRET"
    assert entry["roleUtilisateur"] == "UTILISATEUR"
    assert entry["statutUtilisateur"] == "ACTIF"
    assert entry["statutRattachementStructure"] == "VALIDEE"
    services = entry["listeServicesRattache"]
    assert [
        (s["idRattachementService"], s["idService"], s["statutRattachementService"])
        for s in services
    ] == [
        (world.user_rs[0].id, world.services[1].id, "VALIDEE"),
        (world.user_rs[1].id, world.services[0].id, "EN_COURS_DE_VALIDATION"),
    ]
    assert services[0]["estActif"] is True and MINUTE.match(services[0]["dateDbtService"])
    assert mine["parametresRetour"]["total"] == 1
    # the technical account has its gestionnaire's attachments
    theirs = tech.call(path, {"parametresRecherche": {"triColonne": "IdStructure"}})
    assert [
        (e["idStructure"], e["roleUtilisateur"]) for e in theirs["listeStructureRattachement"]
    ] == [(world.own.id, "GESTIONNAIRE_PRINCIPAL"), (world.other_own.id, "UTILISATEUR")]


def test_chain_on_seeded_data_with_the_default_accounts(base_url, chorus_credentials):
    """rechercher -> consulter -> rechercher/services -> consulter/service on the seeded
    permanent recipient "Destinataire Etat", with the seeded default credentials."""
    client = chorus_credentials["oauth_client"]
    tech = chorus_credentials["technical_account"]
    api = ApiClient(
        base_url, client["client_id"], client["client_secret"], tech["login"], tech["password"]
    )
    assert api.get("/cpro/transverses/v1/health-check").status_code == 200
    found = _search(api, identifiantStructure="11000201100044", typeIdentifiantStructure="SIRET")
    assert found["parametresRetour"]["total"] == 1
    [hit] = found["listeStructures"]
    assert hit["statut"] == "ACTIVE"
    detail = api.call(f"{S}/consulter", {"idStructureCPP": hit["idStructureCPP"]})
    sc.ConsulterStructureRetour.model_validate(detail)
    assert detail["informationGenerales"]["structurePriveePublique"] == "PUBLIQUE"
    services = api.call(f"{S}/rechercher/services", {"idStructure": hit["idStructureCPP"]})
    sc.RechercherServicesStructureRetour.model_validate(services)
    codes = {s["codeService"]: s for s in services["listeServices"]}
    assert "SFACETAT" in codes
    service = api.call(
        f"{S}/consulter/service",
        {"idStructure": hit["idStructureCPP"], "idService": codes["SFACETAT"]["idService"]},
    )
    sc.ConsulterServiceStructureRetour.model_validate(service)
    assert service["informationsGenerales"]["codeService"] == "SFACETAT"
    # the default technical account's own structures
    mine = api.call("/cpro/utilisateurs/v1/monCompte/recuperer/rattachements", {})
    assert mine["codeRetour"] == 0 and mine["listeStructureRattachement"]
    own_id = mine["listeStructureRattachement"][0]["idStructure"]
    assert api.call(f"{S}/consulter", {"idStructureCPP": own_id})["codeRetour"] == 0


def test_rechercher_by_type(tech, user, world):
    private = _search(tech, typeStructure="PRIVEE", parametres={"nbResultatsParPage": 100})
    assert {s["idStructureCPP"] for s in private["listeStructures"]} == {
        world.own.id,
        world.other_own.id,
    }
    assert private["parametresRetour"]["total"] == 2
    mine = _search(user, typeStructure="PRIVEE")
    assert [s["idStructureCPP"] for s in mine["listeStructures"]] == [world.own.id]
    public = _search(tech, typeStructure="PUBLIQUE", parametres={"nbResultatsParPage": 50})
    ids = {s["idStructureCPP"] for s in public["listeStructures"]}
    assert not ids & {world.own.id, world.other_own.id, world.foreign.id}
    assert public["parametresRetour"]["total"] >= 1
    everything = _search(tech)
    assert everything["parametresRetour"]["total"] >= public["parametresRetour"]["total"] + 2


def test_a_page_far_beyond_the_last_is_empty_not_an_error(base_url, world):
    """The page is read before the count (the count is skipped when the page tells it):
    an offset past any table, or past SQLite's integers, must still answer an empty page."""
    from api_factories import tech_client

    api = tech_client(base_url, world)
    for page in (10**6, 10**23):
        body = api.call("/cpro/structures/v1/rechercher", {
            "structure": {}, "parametres": {"pageResultatDemandee": page,
                                            "nbResultatsParPage": 10}})
        assert body["codeRetour"] == 0 and body["listeStructures"] == []
        assert body["parametresRetour"]["total"] > 0
        assert body["parametresRetour"]["pageCourante"] == page
