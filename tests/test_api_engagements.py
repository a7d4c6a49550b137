"""Engagements juridiques (``/cpro/engagementsJuridiques/v1``) over real HTTP: OCA's EJ
check, the search's criteria, paging and visibility, ``consulterDetail``, the control
plane's EJs, and the invoice rule that reads them (GES-19) through ``soumettre``
(issue #21.3; factures-rules-and-apis-reference.md §3)."""

from __future__ import annotations

import pytest
import requests
from api_factories import make_engagement, unique_digits
from factures_support import build_scene, make_facture, make_party, structure_of
from sqlalchemy import select

from sandbox import db
from sandbox.engagements.schemas import (
    ConsulterDetailEngagementJuridiqueRetour,
    RechercherEngagementJuridiqueRetour,
)
from sandbox.models import EngagementJuridique

EJ = "/cpro/engagementsJuridiques/v1"
FAC = "/cpro/factures/v1"


@pytest.fixture(scope="module")
def scene(stack_db):
    """A supplier, a public buyer that requires EJs with three EJs given to the supplier
    (one A_TRAITER), one given to another supplier, and an invoice citing the first."""
    with db.new_session() as s:
        scene = build_scene(s)
        scene.buyer = make_party(s, public=True, numero_ej_doit_etre_renseigne=True)
        buyer, supplier = structure_of(s, scene.buyer), structure_of(s, scene.supplier)
        other = make_party(s, public=False)
        scene.ejs = [
            make_engagement(s, buyer, recepteur=supplier, postes=(1000.0, 250.5)).numero,
            make_engagement(s, buyer, recepteur=supplier).numero,
            make_engagement(s, buyer, recepteur=supplier, etat="A_TRAITER").numero,
        ]
        scene.foreign_ej = make_engagement(s, buyer, recepteur=structure_of(s, other)).numero
        scene.facture = make_facture(s, scene.supplier, scene.buyer,
                                     numero_engagement=scene.ejs[0]).id
        s.commit()
        return scene


def rechercher(api, **body) -> dict:
    answer = api.call(f"{EJ}/rechercher", body)
    RechercherEngagementJuridiqueRetour.model_validate(answer)
    return answer


def test_oca_s_check_finds_the_supplier_s_ej(base_url, scene):
    """OCA's body: the supplier's own idStructureCPP as a string, the number, COMMANDE; it
    reads a non-empty listeEngagementJuridique."""
    api = scene.api(base_url, scene.supplier)
    answer = rechercher(api, structureReceptriceEngagementJuridique=str(
        scene.supplier.structure_id), numeroEngagementJuridique=scene.ejs[0],
        etatCourantEngagementJuridique="COMMANDE")
    assert answer["codeRetour"] == 0 and answer["libelle"] == "TRA_MSG_00.000"
    [item] = answer["listeEngagementJuridique"]
    assert item["numeroEngagementJuridique"] == scene.ejs[0]
    assert item["libelleTypeEngagementJuridique"] == "BON_DE_COMMANDE"
    assert item["libelleEtatCourantEJ"] == "COMMANDE"
    assert item["montantTotalTtc"] == 1250.5
    assert item["identifiantStructureReceptrice"] == scene.supplier.identifiant
    assert answer["parametresRetour"] == {"pageCourante": 1, "pages": 1,
                                          "nbResultatsParPage": 10, "total": 1}


def test_the_state_and_the_siret_are_criteria_too(base_url, scene):
    api = scene.api(base_url, scene.supplier)
    # A_TRAITER is not COMMANDE: OCA's query does not find it (reference §3)
    answer = rechercher(api, numeroEngagementJuridique=scene.ejs[2],
                        etatCourantEngagementJuridique="COMMANDE")
    assert answer["codeRetour"] == 20000 and answer["listeEngagementJuridique"] == []
    assert answer["libelle"].startswith("TRA_MSG_00.015")
    by_siret = rechercher(api, structureReceptriceEngagementJuridique=scene.supplier.identifiant)
    assert sorted(i["numeroEngagementJuridique"] for i in by_siret["listeEngagementJuridique"]) \
        == sorted(scene.ejs)


def test_each_side_sees_its_own_ejs_only(base_url, scene):
    """The buyer sees every EJ it issued; the supplier the ones given to it; a third
    structure none (even by number)."""
    buyer = rechercher(scene.api(base_url, scene.buyer))
    assert {i["numeroEngagementJuridique"] for i in buyer["listeEngagementJuridique"]} == {
        *scene.ejs, scene.foreign_ej}
    supplier = rechercher(scene.api(base_url, scene.supplier))
    assert {i["numeroEngagementJuridique"] for i in supplier["listeEngagementJuridique"]} == set(
        scene.ejs)
    outsider = rechercher(scene.api(base_url, scene.outsider),
                          numeroEngagementJuridique=scene.ejs[0])
    assert outsider["codeRetour"] == 20000 and outsider["listeEngagementJuridique"] == []


def test_paging_and_sorting(base_url, scene):
    api = scene.api(base_url, scene.supplier)
    pages = [rechercher(api, parametresRecherche={
        "pageResultatDemandee": page, "nbResultatsParPage": 2, "triSens": "Descendant",
        "triColonne": "NumeroEngagementJuridique"}) for page in (1, 2)]
    assert [p["parametresRetour"]["total"] for p in pages] == [3, 3]
    assert [p["parametresRetour"]["pages"] for p in pages] == [2, 2]
    seen = [i["numeroEngagementJuridique"] for p in pages for i in p["listeEngagementJuridique"]]
    assert seen == sorted(scene.ejs, reverse=True)


@pytest.mark.parametrize("body", [
    {"etatCourantEngagementJuridique": "INCONNU"},
    {"parametresRecherche": {"triColonne": "Nimporte"}},
    {"montantTTCMin": "beaucoup"},
])
def test_a_malformed_search_is_a_400(base_url, scene, body):
    answer = scene.api(base_url, scene.supplier).post(f"{EJ}/rechercher", body)
    assert answer.status_code == 400 and answer.json()["codeRetour"] == 10002


def test_amounts_and_dates_narrow_the_search(base_url, scene):
    api = scene.api(base_url, scene.supplier)
    answer = rechercher(api, montantTTCMin=1250, periodeDateNotificationEJDu="2000-01-01",
                        periodeDateNotificationEJAu="2999-12-31")
    assert [i["numeroEngagementJuridique"] for i in answer["listeEngagementJuridique"]] == [
        scene.ejs[0]]
    bad = rechercher(api, periodeDateNotificationEJDu="31/12/2020")
    assert bad["codeRetour"] == 20601


def test_consulter_detail(base_url, scene):
    answer = scene.api(base_url, scene.supplier).call(
        f"{EJ}/consulterDetail", {"numeroEngagementJuridique": scene.ejs[0]})
    ConsulterDetailEngagementJuridiqueRetour.model_validate(answer)
    assert answer["codeRetour"] == 0
    assert answer["numeroEngagementJuridique"] == scene.ejs[0]
    assert answer["etatCourantEngagement"] == "COMMANDE"
    assert answer["emetteur"]["identifiantStructureEmettrice"] == scene.buyer.identifiant
    assert answer["recepteur"]["identifiantStructureReceptrice"] == scene.supplier.identifiant
    assert answer["recepteur"]["adresseStructureReceptrice"]["LibellePays"] == "France"
    assert [(p["numeroDePoste"], p["montantTtcPoste"]) for p in answer["lignePoste"]] == [
        (1, 1000.0), (2, 250.5)]
    [demande] = answer["demandePaiement"]
    assert demande["idDemandePaiement"] == scene.facture
    assert demande["typeDemandePaiement"] == "FACTURE"
    assert demande["etatCourantDemandePaiement"] == "MISE_A_DISPOSITION"


def test_consulter_detail_refusals(base_url, scene):
    outsider = scene.api(base_url, scene.outsider)
    assert outsider.call(f"{EJ}/consulterDetail",
                         {"numeroEngagementJuridique": scene.ejs[0]})["codeRetour"] == 20600
    supplier = scene.api(base_url, scene.supplier)
    assert supplier.call(f"{EJ}/consulterDetail",
                         {"numeroEngagementJuridique": scene.foreign_ej})["codeRetour"] == 20600
    assert supplier.call(f"{EJ}/consulterDetail", {})["codeRetour"] == 20601


# --- the control plane's EJs and GES-19 through soumettre -----------------------------


def soumettre(scene, destinataire: str, service: str, ej: str) -> dict:
    return {
        "modeDepot": "SAISIE_API",
        "numeroFactureSaisi": f"EJ{unique_digits(10)}",
        "dateFacture": "2026-11-30",
        "destinataire": {"codeDestinataire": destinataire, "codeServiceExecutant": service},
        "fournisseur": {"idFournisseur": scene.supplier.structure_id},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": {"deviseFacture": "EUR", "typeFacture": "FACTURE",
                       "typeTva": "TVA_SUR_DEBIT", "modePaiement": "VIREMENT",
                       "numeroBonCommande": ej},
        "lignePoste": [{"lignePosteNumero": 1, "lignePosteDenomination": "Conseil",
                        "lignePosteQuantite": 1.0, "lignePosteMontantUnitaireHT": 100.0,
                        "lignePosteTauxTva": "TVA20"}],
        "ligneTva": [{"ligneTvaTaux": "TVA20", "ligneTvaMontantBaseHtParTaux": 100.0,
                      "ligneTvaMontantTvaParTaux": 20.0}],
        "montantTotal": {"montantHtTotal": 100.0, "montantTVA": 20.0, "montantTtcTotal": 120.0,
                         "montantAPayer": 120.0},
    }


def test_a_control_plane_ej_is_what_an_invoice_cites(base_url, scene):
    """POST /_sandbox/engagements: an EJ of the seeded recipient that requires one, given
    to the scene's supplier: its search finds it and soumettre accepts it; an EJ of
    another recipient does not do (GES-19, 20530)."""
    created = requests.post(f"{base_url}/_sandbox/engagements", json={
        "destinataire": "12345678200036", "fournisseur": scene.supplier.identifiant,
        "postes": [100.0, 20.0]}, timeout=30)
    assert created.status_code == 201, created.text
    ej = created.json()
    assert len(ej["numeroEngagementJuridique"]) == 10 and ej["montantTTC"] == 120.0
    api = scene.api(base_url, scene.supplier)
    found = rechercher(api, numeroEngagementJuridique=ej["numeroEngagementJuridique"])
    assert found["listeEngagementJuridique"][0]["structureReceptrice"]
    ok = api.call(f"{FAC}/soumettre",
                  soumettre(scene, "12345678200036", "", ej["numeroEngagementJuridique"]))
    assert ok["codeRetour"] == 0, ok
    refused = api.call(f"{FAC}/soumettre", soumettre(scene, "12345678200036", "", scene.ejs[0]))
    assert refused["codeRetour"] == 20530
    listed = requests.get(f"{base_url}/_sandbox/engagements",
                          params={"fournisseur": scene.supplier.identifiant}, timeout=30).json()
    assert ej["numeroEngagementJuridique"] in {
        e["numeroEngagementJuridique"] for e in listed["engagements"]}


@pytest.mark.parametrize(("body", "status"), [
    ({"destinataire": "00000000000000"}, 404),
    ({"destinataire": "12345678200036", "numeroEngagementJuridique": "12345"}, 400),
    ({"destinataire": "12345678200036", "numeroEngagementJuridique": "0000048295"}, 409),
    ({"destinataire": "12345678200036", "codeServiceExecutant": "NOPE"}, 400),
    ({"destinataire": "12345678200036", "etat": "CLOTURE"}, 400),
    ({"destinataire": "12345678200036", "montantTTC": "12"}, 400),
])
def test_the_control_plane_refuses_a_bad_ej_and_writes_nothing(base_url, body, status):
    with db.new_session() as s:
        before = len(s.scalars(select(EngagementJuridique.id)).all())
    answer = requests.post(f"{base_url}/_sandbox/engagements", json=body, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]
    with db.new_session() as s:
        assert len(s.scalars(select(EngagementJuridique.id)).all()) == before


def test_the_seeded_ejs_cover_the_example_invoices(db_session):
    """The example flux of fixtures/factures cite 0000048295 for 12345678200036; the
    official sample's 0000012219 is Destinataire Etat's."""
    rows = {ej.numero: ej for ej in db_session.scalars(select(EngagementJuridique).where(
        EngagementJuridique.numero.in_(["0000048295", "0000012219"])))}
    assert set(rows) == {"0000048295", "0000012219"}
    assert rows["0000048295"].etat == "A_TRAITER"


# --- rechercher/demandePaiement: as on qualification -------------------------------------


def test_rechercher_demande_paiement_fails_as_on_qualification(base_url, scene):
    api = scene.api(base_url, scene.supplier)
    answer = api.call(f"{FAC}/rechercher/demandePaiement",
                      {"roleUtilisateur": "FOURNISSEUR", "dpOuDpArchive": "DEMANDE_PAIEMENT"})
    assert answer["codeRetour"] == 20540
    assert "qualification" in answer["libelle"]
    assert "listeDemandePaiement" not in answer
    malformed = api.post(f"{FAC}/rechercher/demandePaiement", {"montantHTMax": "cher"})
    assert malformed.status_code == 400

