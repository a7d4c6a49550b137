"""Transverses API over HTTP: reference lists, recipients, directory ZIP, SIRET lookup."""

from __future__ import annotations

import base64
import csv
import io
import zipfile

import pytest
from api_factories import ApiClient, build_world, make_structure, tech_client, user_client

from sandbox import db
from sandbox.cpro import schemas as sc
from sandbox.testing.harness import start_stack

T = "/cpro/transverses/v1"


@pytest.fixture
def tech(base_url, world) -> ApiClient:
    return tech_client(base_url, world)


def test_type_identifiant_in_real_order(tech):
    answer = tech.call(f"{T}/recuperer/typeidentifiant/structure", {})
    sc.RecupererTypeIdentifiantRetour.model_validate(answer)
    assert answer == {
        "codeRetour": 0,
        "libelle": "TRA_MSG_00.000",
        "listeTypeIdentifiant": [
            {"typeIdentifiantStructure": t}
            for t in (
                "SIRET",
                "UE_HORS_FRANCE",
                "HORS_UE",
                "RIDET",
                "TAHITI",
                "AUTRE",
                "PARTICULIER",
            )
        ],
    }


def test_pays_in_french_and_english(tech):
    fr = tech.call(f"{T}/recuperer/pays", {"codeLangue": "FR"})
    sc.RecupererPaysRetour.model_validate(fr)
    assert fr["codeRetour"] == 0
    pays = {p["codePays"]: p["libellePays"] for p in fr["listePays"]}
    assert len(pays) == 249
    assert pays["DE"] == "Allemagne"
    assert pays["FR"] == "France"
    en = tech.call(f"{T}/recuperer/pays", {"codeLangue": "en"})
    assert {p["codePays"]: p["libellePays"] for p in en["listePays"]}["DE"] == "Germany"
    default = tech.call(f"{T}/recuperer/pays", {})
    assert default["listePays"] == fr["listePays"]


def test_devises_in_french_and_english(tech):
    fr = tech.call(f"{T}/recuperer/devises", {"codeLangue": "FR"})
    sc.RecupererDevisesRetour.model_validate(fr)
    devises = {d["codeDevise"]: d["libelleDevise"] for d in fr["listeDevises"]}
    assert devises["EUR"] == "Euro"
    assert devises["CHF"] == "Franc suisse"
    assert devises["USD"].startswith("Dollar")
    assert len(devises) > 150
    en = tech.call(f"{T}/recuperer/devises", {"codeLangue": "EN"})
    assert {d["codeDevise"]: d["libelleDevise"] for d in en["listeDevises"]}["USD"] == "US Dollar"


def test_rechercher_destinataire(tech, world):
    path = f"{T}/rechercher/destinataire"
    answer = tech.call(path, {"identifiant": world.public.identifiant})
    sc.RechercherDestinataireRetour.model_validate(answer)
    assert answer["codeRetour"] == 0
    assert answer["listeDestinataires"] == [
        {
            "idStructureCPP": world.public.id,
            "siret": world.public.identifiant,
            "nomDestinataire": world.public.raison_sociale,
            "adresseCodePostal": world.public.code_postal,
            "adresseVille": world.public.ville,
        }
    ]
    assert answer["parametresRetour"]["total"] == 1
    by_city = tech.call(
        path, {"nomVilleCodePostal": world.public.ville, "typeStructure": "PUBLIQUE"}
    )
    assert [d["idStructureCPP"] for d in by_city["listeDestinataires"]] == [world.public.id]
    by_name = tech.call(path, {"nomVilleCodePostal": f"Destinataire {world.tag}"})
    assert [d["idStructureCPP"] for d in by_name["listeDestinataires"]] == [world.public.id]
    by_postcode = tech.call(
        path,
        {
            "nomVilleCodePostal": world.public.code_postal,
            "parametresRecherche": {"triColonne": "Siret"},
        },
    )
    assert world.public.id in [d["idStructureCPP"] for d in by_postcode["listeDestinataires"]]
    hidden = tech.call(path, {"identifiant": world.foreign.identifiant})
    assert hidden["listeDestinataires"] == []


def test_telecharger_annuaire_is_a_real_zip(tech, world, db_session):
    inactive = make_structure(db_session, type_structure="PUBLIQUE", statut="INACTIF")
    db_session.commit()
    answer = tech.call(f"{T}/telecharger/annuaire/destinataire", {})
    sc.TelechargerAnnuaireRetour.model_validate(answer)
    assert answer["codeRetour"] == 0
    assert answer["libelle"] == "GCU_MSG_01_000"
    assert answer["fichierResultat"].startswith("UEsDB")
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(answer["fichierResultat"])))
    assert archive.namelist() == ["annuaire_destinataires.csv"]
    rows = list(
        csv.reader(io.StringIO(archive.read("annuaire_destinataires.csv").decode()), delimiter=";")
    )
    assert rows[0][:3] == ["IDENTIFIANT", "TYPE_IDENTIFIANT", "RAISON_SOCIALE"]
    by_id = {r[0]: r for r in rows[1:]}
    line = by_id[world.public.identifiant]
    assert line[1:3] == ["SIRET", world.public.raison_sociale]
    assert line[-1] == "1"  # gestion_numero_ej_ou_code_service
    assert world.own.identifiant not in by_id  # private
    assert inactive.identifiant not in by_id  # inactive


def test_consulter_information_siret_fails_like_qualification(tech, world):
    answer = tech.call(
        f"{T}/consulter/information/siret", {"siretStructure": world.public.identifiant}
    )
    assert answer["codeRetour"] == 20200
    assert "qualification" in answer["libelle"]
    assert set(answer) == {"codeRetour", "libelle"}


def test_structures_actives(tech, base_url, world):
    fournisseur = tech.call(f"{T}/recuperer/structures/actives/fournisseur", {})
    sc.RecupererStructuresActivesRetour.model_validate(fournisseur)
    # own has "Factures émises" (code 1); other_own only "Factures reçues" (code 2)
    assert fournisseur["listeStructures"] == [
        {
            "idStructureCPP": world.own.id,
            "identifiant": world.own.identifiant,
            "designationStructure": world.own.raison_sociale,
        }
    ]
    destinataire = tech.call(f"{T}/recuperer/structures/actives/destinataire", {})
    assert [s["idStructureCPP"] for s in destinataire["listeStructures"]] == [world.other_own.id]
    user = user_client(base_url, world)
    assert user.call(f"{T}/recuperer/structures/actives/destinataire", {})["listeStructures"] == []


def test_siret_lookup_answers_when_the_setting_is_off(tmp_path, chorus_sandbox):
    """A second, small stack with the lookup on (the setting is read at start)."""
    stack = start_stack(
        tmp_path,
        settings={"qualification_siret_lookup_fails": "false", "seed_on_start": "false"},
        workers=1,
        threads=2,
    )
    try:
        db.init_engine(stack.database_url)
        with db.new_session() as s:
            world = build_world(s)
        api = tech_client(stack.url, world)
        answer = api.call(
            f"{T}/consulter/information/siret", {"siretStructure": world.public.identifiant}
        )
        sc.ConsulterInformationSiretRetour.model_validate(answer)
        assert answer["codeRetour"] == 0
        assert answer["siret"] == world.public.identifiant
        assert answer["siren"] == world.public.identifiant[:9]
        assert answer["raisonSociale"] == world.public.raison_sociale
        assert answer["estActif"] is True
        unknown = api.call(f"{T}/consulter/information/siret", {"siretStructure": "00000000000000"})
        assert unknown["codeRetour"] == 20201
    finally:
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)  # back to the session's stack
