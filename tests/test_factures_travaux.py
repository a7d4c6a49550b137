"""Factures travaux over HTTP (/cpro/facturesTravaux/v1): a works dossier from the
titulaire's deposit to MISE_EN_PAIEMENT driven by the API alone (titulaire -> MOE -> MOA
-> payment), each actor's moves and refusals, the deposit of works cadres through
factures/v1/soumettre and deposer/flux, and the control plane moving a works invoice.

Pastell's search body (CPPWrapper::rechercheFactureTravaux) is used as Pastell sends it;
its end-of-results and paging reads are asserted (reference §2.3).
"""

from __future__ import annotations

import pytest
import requests
from api_factories import ApiClient, make_engagement, unique_digits
from factures_flux import deposit_and_integrate
from factures_support import build_scene, make_party, structure_of
from sqlalchemy import func, select

from sandbox import db
from sandbox.config import load_settings
from sandbox.factures.models import Facture, FactureStatut
from sandbox.seeding import invoice_examples as ex

TRA = "/cpro/facturesTravaux/v1"
FAC = "/cpro/factures/v1"
EMPTY = (20007, "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat")


@pytest.fixture(scope="module")
def scene(stack_db):
    with db.new_session() as s:
        scene = build_scene(s)
        scene.moe = make_party(s, public=False)  # a private maîtrise d'œuvre
        s.commit()
        return scene


@pytest.fixture(scope="module")
def apis(base_url, scene):
    return {
        "supplier": scene.api(base_url, scene.supplier),
        "moe": scene.api(base_url, scene.moe),
        "moa": scene.api(base_url, scene.recipient),
        "outsider": scene.api(base_url, scene.outsider),
    }


def pastell(role: str, page: int = 1, **optional) -> dict:
    """CPPWrapper::rechercheFactureTravaux's body, verbatim keys (reference §2.3)."""
    return {"roleUtilisateur": role,
            "rechercheFactureTravaux": {"nbResultatsParPage": 1000, "pageResultatDemandee": page},
            **optional}


def pastell_ids(api, role: str, **optional) -> list[int]:
    """Pastell's loop: 20007 ends it; otherwise parametresRetour must hold pageCourante and
    pages, or Pastell throws "Réponse de rechercheFactureTravaux inattendue"."""
    ids, page = [], 1
    while True:
        answer = api.call(f"{TRA}/rechercher", pastell(role, page, **optional))
        if answer["codeRetour"] == 20007:
            break
        assert answer["codeRetour"] == 0, answer
        retour = answer["parametresRetour"]
        ids += [int(x["idFactureTravaux"]) for x in answer["listeFacturesTravaux"]]
        for item in answer["listeFacturesTravaux"]:  # what getListeFacturesTravaux reads
            for key in ("identifiantFournisseur", "idDestinataire", "identifiantDestinataire",
                        "typeIdentifiantFournisseur", "designationFournisseur",
                        "numeroFactureTravaux", "montantTTC", "statutFactureTravaux"):
                assert item[key] is not None, key
        if retour["pageCourante"] >= retour["pages"]:
            break
        page += 1
    return ids


def depot(scene, cadre: str, **over) -> dict:
    body = {
        "cadreDeFacturation": {"codeCadreFacturation": cadre},
        "numeroFactureTravaux": f"T{unique_digits(12)}",
        "dateFactureTravaux": "2026-11-30",
        "fournisseur": {"idFournisseur": scene.supplier.structure_id},
        "destinataire": {"codeDestinataire": scene.recipient.identifiant,
                         "codeServiceExecutant": scene.recipient.service_codes[0]},
        "idStructureMoe": scene.moe.structure_id,
        "references": {"numeroMarche": "M-2026-01"},
        "montantTotal": {"montantHtTotal": 1000, "montantTVA": 200, "montantTtcTotal": 1200},
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def submit(api, body: dict) -> dict:
    answer = api.call(f"{TRA}/soumettre", body)
    assert answer["codeRetour"] == 0, answer
    return answer


def statut(api, facture_id: int) -> str:
    answer = api.call(f"{TRA}/consulter", {"idFactureTravaux": facture_id})
    assert answer["codeRetour"] == 0, answer
    return answer["factureTravaux"]["statutFactureTravaux"]


def history_count(facture_id: int) -> int:
    with db.new_session() as s:
        return s.scalar(select(func.count()).select_from(FactureStatut)
                        .where(FactureStatut.facture_id == facture_id))


def test_a_dossier_goes_from_deposit_to_payment_through_the_api(scene, apis):
    supplier, moe, moa = apis["supplier"], apis["moe"], apis["moa"]
    # 1. The titulaire deposits its projet de décompte mensuel (A4), naming the MOE.
    a4 = submit(supplier, depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"))
    assert a4["statutFactureTravaux"] == "A_ASSOCIER_MOE"
    assert a4["idDossierFacturation"] == a4["idFactureTravaux"]
    # The MOE finds it with Pastell's polling; the MOA does not see it yet.
    assert a4["idFactureTravaux"] in pastell_ids(moe, "MOE")
    assert a4["idFactureTravaux"] not in pastell_ids(moa, "MOA")
    early = moa.call(f"{FAC}/rechercher/recipiendaire", {
        "typeDemandePaiement": "FACTURE_TRAVAUX", "numeroFacture": a4["numeroFactureTravaux"]})
    assert early["codeRetour"] == 20000, early  # not received while in the MOE's hands
    # 2. The MOE answers with its état d'acompte (A15), associating the projet.
    a15 = submit(moe, {
        "cadreDeFacturation": {"codeCadreFacturation": "A15_ETAT_ACOMPTE_MOE"},
        "numeroFactureTravaux": f"EA{unique_digits(10)}",
        "idFactureTravauxPrecedente": a4["idFactureTravaux"],
        "montantTotal": {"montantHtTotal": 900, "montantTVA": 180, "montantTtcTotal": 1080},
    })
    assert a15["statutFactureTravaux"] == "A_ASSOCIER_MOA"
    assert a15["idDossierFacturation"] == a4["idFactureTravaux"]
    assert statut(supplier, a4["idFactureTravaux"]) == "ASSOCIEE"
    # 3. The MOA finds the état d'acompte (Pastell, role MOA) and validates it (A19).
    assert a15["idFactureTravaux"] in pastell_ids(moa, "MOA")
    a19 = submit(moa, {
        "cadreDeFacturation": {"codeCadreFacturation": "A19_ETAT_ACOMPTE_VALIDE_MOA"},
        "numeroFactureTravaux": f"EV{unique_digits(10)}",
        "idFactureTravauxPrecedente": a15["idFactureTravaux"],
        "montantTotal": {"montantHtTotal": 900, "montantTVA": 180, "montantTtcTotal": 1080},
    })
    assert a19["statutFactureTravaux"] == "MISE_A_DISPOSITION"
    assert statut(moe, a15["idFactureTravaux"]) == "ASSOCIEE"
    # Pastell's recipient loop (typeDemandePaiement FACTURE_TRAVAUX) sees it too.
    received = moa.call(f"{FAC}/rechercher/recipiendaire",
                        {"typeDemandePaiement": "FACTURE_TRAVAUX"})
    items = {x["idFacture"]: x for x in received["listeFactures"]}
    assert items[a19["idFactureTravaux"]]["typeDemandePaiement"] == "FACTURE_TRAVAUX"
    plain = moa.call(f"{FAC}/rechercher/recipiendaire", {"typeDemandePaiement": "FACTURE"})
    assert a19["idFactureTravaux"] not in {x["idFacture"] for x in plain.get("listeFactures", [])}
    # 4. The MOA's financial side pays it with traiter/recue, as for any invoice.
    paid = moa.call(f"{FAC}/traiter/recue", {"idFacture": a19["idFactureTravaux"],
                                             "nouveauStatut": "MISE_EN_PAIEMENT"})
    assert paid["codeRetour"] == 0, paid
    # The dossier: three documents, and the supplier follows the payment.
    dossier = supplier.call(f"{TRA}/consulter/dossierfacturation",
                            {"idFactureTravaux": a19["idFactureTravaux"]})
    assert dossier["idDossierFacturation"] == a4["idFactureTravaux"]
    assert [(x["cadreFacturation"][:3], x["statutFactureTravaux"])
            for x in dossier["listeFactureTravaux"]] == [
        ("A4_", "ASSOCIEE"), ("A15", "ASSOCIEE"), ("A19", "MISE_EN_PAIEMENT")]
    steps = [h["histoStatutCode"] for h in dossier["historiqueDemandePaiement"]
             if h["idFactureTravaux"] == a19["idFactureTravaux"]]
    assert steps == ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION",
                     "MISE_EN_PAIEMENT"]
    assert statut(supplier, a19["idFactureTravaux"]) == "MISE_EN_PAIEMENT"
    listed = supplier.call(f"{FAC}/rechercher/fournisseur",
                           {"numeroFacture": a19["numeroFactureTravaux"]})
    [item] = listed["listeFactures"]
    assert (item["typeDemandePaiement"], item["statut"]) == ("FACTURE_TRAVAUX", "MISE_EN_PAIEMENT")


def test_each_actor_refuses_asks_and_corrects(scene, apis):
    supplier, moe, outsider = apis["supplier"], apis["moe"], apis["outsider"]
    # A wrong MOE refuses for MAUVAISE_MOE: an error the titulaire corrects (completermoe).
    wrong = submit(supplier, depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
                                   idStructureMoe=scene.outsider.structure_id))
    fid = wrong["idFactureTravaux"]
    motifs = outsider.call(f"{TRA}/recuperer/motifs/refus",
                           {"codeCadreFacturationTravaux": "A15_ETAT_ACOMPTE_MOE"})
    assert {m["codeMotif"] for m in motifs["listeMotifRefusFactureTravaux"]} == {
        "AUTRE", "MAUVAIS_VALIDEUR", "MAUVAISE_MOE", "MAUVAISE_MOA", "REF_FAC_TRAVAUX"}
    refused = outsider.call(f"{TRA}/refuser", {"idFactureTravaux": fid,
                                               "motifRefus": "MAUVAISE_MOE"})
    assert refused["statutFactureTravaux"] == "ERREUR_DE_MOE", refused
    fixed = supplier.call(f"{TRA}/completermoe", {"idFactureTravaux": fid,
                                                  "idStructureMoe": scene.moe.structure_id})
    assert fixed["statutFactureTravaux"] == "A_ASSOCIER_MOE", fixed
    assert fid not in pastell_ids(outsider, "MOE") and fid in pastell_ids(moe, "MOE")
    # The MOE asks for a completion; the titulaire completes; back where it was.
    asked = moe.call(f"{TRA}/suspendre/demander/completer/factureTravaux",
                     {"idFactureTravaux": fid, "commentaire": "Joindre le métré"})
    assert asked["statutFactureTravaux"] == "A_COMPLETER"
    todo = supplier.call(f"{TRA}/rechercher/atraiter", {"roleUtilisateur": "FOURNISSEUR"})
    assert fid in {x["idFactureTravaux"] for x in todo["listeFacturesTravaux"]}
    done = supplier.call(f"{TRA}/completer", {"idFactureTravaux": fid, "commentaire": "Joint"})
    assert done["statutFactureTravaux"] == "A_ASSOCIER_MOE"
    # The MOE sends it back for its routing data; the titulaire recycles it (the official
    # answer carries the status it was recycled from).
    back = moe.call(f"{TRA}/demander/recyclage", {"idFactureTravaux": fid,
                                                  "commentaire": "Service erroné"})
    assert back["statutFactureTravaux"] == "A_RECYCLER"
    recycled = supplier.call(f"{TRA}/recycler", {
        "idFactureTravaux": fid, "identifiantDestinataire": scene.recipient.identifiant,
        "codeServiceExecutant": scene.recipient.service_codes[0]})
    assert (recycled["codeRetour"], recycled["statutFactureTravaux"]) == (0, "A_RECYCLER")
    assert statut(supplier, fid) == "A_ASSOCIER_MOE"
    # Finally the MOE refuses it: final; any further move is refused and changes nothing.
    final = moe.call(f"{TRA}/refuser", {"idFactureTravaux": fid, "motifRefus": "AUTRE",
                                        "commentaire": "Travaux non réalisés"})
    assert final["statutFactureTravaux"] == "REFUSEE_MOE"
    rows = history_count(fid)
    again = moe.call(f"{TRA}/refuser", {"idFactureTravaux": fid, "motifRefus": "AUTRE"})
    assert again["codeRetour"] == 20500
    assert history_count(fid) == rows and statut(supplier, fid) == "REFUSEE_MOE"


def test_a_subcontractor_document_is_taken_in_hand_by_the_moe(scene, apis):
    a10 = submit(apis["supplier"], depot(scene, "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT"))
    assert a10["statutFactureTravaux"] == "MISE_A_DISPOSITION_MOE"
    taken = apis["moe"].call(f"{TRA}/prendreEnCompte",
                             {"idFactureTravaux": a10["idFactureTravaux"]})
    assert taken["statutFactureTravaux"] == "PRISE_EN_COMPTE_MOE"
    a16 = submit(apis["moe"], {
        "cadreDeFacturation": {"codeCadreFacturation": "A16_ETAT_ACOMPTE_VALIDE_MOE"},
        "numeroFactureTravaux": f"V{unique_digits(10)}",
        "idFactureTravauxPrecedente": a10["idFactureTravaux"],
        "montantTotal": {"montantHtTotal": 10, "montantTVA": 2, "montantTtcTotal": 12}})
    assert a16["statutFactureTravaux"] == "MISE_A_DISPOSITION"
    assert statut(apis["supplier"], a10["idFactureTravaux"]) == "ASSOCIEE"


@pytest.mark.parametrize(("who", "over", "code"), [
    ("supplier", {"idStructureMoe": None}, 20530),  # A4 goes through a MOE: required
    ("supplier", {"idStructureMoe": 999_999_999}, 20530),
    ("supplier", {"cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"}},
     20507),
    ("supplier", {"cadreDeFacturation": {"codeCadreFacturation": "A15_ETAT_ACOMPTE_MOE"}},
     20530),  # a MOE's document, from the titulaire
    ("supplier", {"idFactureTravauxPrecedente": 1}, 20000),
    ("outsider", {}, 20001),  # the titulaire is not the caller's
    ("supplier", {"numeroFactureTravaux": "X" * 21}, 20507),
    ("supplier", {"montantTotal": {"montantHtTotal": 10, "montantTVA": 2,
                                   "montantTtcTotal": 50}}, 20507),
])
def test_refused_deposits_change_nothing(scene, apis, who, over, code):
    with db.new_session() as s:
        before = s.scalar(select(func.count()).select_from(Facture))
    answer = apis[who].call(f"{TRA}/soumettre",
                            depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR", **over))
    assert answer["codeRetour"] == code, answer
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(Facture)) == before


def test_an_association_only_by_the_actor_the_document_waits_for(scene, apis):
    a4 = submit(apis["supplier"], depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"))
    by_moa = apis["moa"].call(f"{TRA}/soumettre", {
        "cadreDeFacturation": {"codeCadreFacturation": "A19_ETAT_ACOMPTE_VALIDE_MOA"},
        "numeroFactureTravaux": f"N{unique_digits(10)}",
        "idFactureTravauxPrecedente": a4["idFactureTravaux"]})
    assert by_moa["codeRetour"] == 20531, by_moa
    assert statut(apis["supplier"], a4["idFactureTravaux"]) == "A_ASSOCIER_MOE"
    seen = apis["outsider"].call(f"{TRA}/consulter", {"idFactureTravaux": a4["idFactureTravaux"]})
    assert seen["codeRetour"] == 20001
    unknown = apis["moe"].call(f"{TRA}/consulter", {"idFactureTravaux": 1})
    assert unknown["codeRetour"] == 20000


def test_no_hit_is_20007_and_paging_is_in_parametres_retour(scene, apis):
    outsider = apis["outsider"].call(f"{TRA}/rechercher", pastell("MOA"))
    assert (outsider["codeRetour"], outsider["libelle"]) == EMPTY
    for _ in range(3):
        submit(apis["supplier"], depot(scene, "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR"))
    body = {"roleUtilisateur": "FOURNISSEUR", "cadreFacturation":
            "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR",
            "rechercheFactureTravaux": {"nbResultatsParPage": 2, "pageResultatDemandee": 1,
                                        "triSens": "Descendant",
                                        "triColonne": "TypeDemandePaiement"}}
    first = apis["supplier"].call(f"{TRA}/rechercher", body)
    assert first["parametresRetour"]["pageCourante"] == 1
    assert first["parametresRetour"]["pages"] == 2 and first["parametresRetour"]["total"] == 3
    assert "pageCourante" not in first  # inside parametresRetour only (Pastell reads there)
    ids = [x["idFactureTravaux"] for x in first["listeFacturesTravaux"]]
    assert ids == sorted(ids, reverse=True)
    by_type = apis["supplier"].call(f"{TRA}/rechercher", {
        "roleUtilisateur": "FOURNISSEUR", "listeTypeFactureTravaux": ["PROJET_DECOMPTE_FINAL"],
        "listeStatutCourant": "A_ASSOCIER_MOE"})
    assert by_type["parametresRetour"]["total"] >= 3
    assert {x["typeFactureTravaux"] for x in by_type["listeFacturesTravaux"]} == {
        "PROJET_DECOMPTE_FINAL"}


def test_plain_soumettre_and_a_flux_carry_the_works_cadres_without_moe(scene, apis, base_url):
    supplier, moa = apis["supplier"], apis["moa"]
    answer = supplier.call(f"{FAC}/soumettre", {
        "modeDepot": "SAISIE_API", "numeroFactureSaisi": f"W{unique_digits(10)}",
        "cadreDeFacturation": {"codeCadreFacturation": "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR"},
        "fournisseur": {"idFournisseur": scene.supplier.structure_id},
        "destinataire": {"codeDestinataire": scene.recipient.identifiant,
                         "codeServiceExecutant": scene.recipient.service_codes[0]},
        "lignePoste": [{"lignePosteDenomination": "Lot 1", "lignePosteQuantite": 1,
                        "lignePosteMontantUnitaireHT": 100, "lignePosteTauxTva": "TVA20"}],
        "ligneTva": [{"ligneTvaMontantBaseHtParTaux": 100, "ligneTvaMontantTvaParTaux": 20,
                      "ligneTvaTauxRefCode": "TVA20"}]})
    assert answer["codeRetour"] == 0, answer
    assert statut(moa, answer["identifiantFactureCPP"]) == "MISE_A_DISPOSITION"
    # A flux whose BT-23 is A5 (état d'acompte of the titulaire): to the MOA to associate.
    example = ex.Example(f"FL{unique_digits(10)}", scene.supplier.identifiant,
                         scene.recipient.identifiant, service=scene.recipient.service_codes[0],
                         cadre="A5")
    _, cr = deposit_and_integrate(supplier, base_url, ex.ubl(example), f"{example.numero}.xml",
                                  "IN_DP_E1_UBL_INVOICE",
                                  load_settings().factures_integration_delay + 1)
    assert cr["etatCourantDepotFlux"] == "IN_INTEGRE", cr
    found = moa.call(f"{TRA}/rechercher", {"roleUtilisateur": "MOA",
                                           "numeroFactureTravaux": example.numero})
    [item] = found["listeFacturesTravaux"]
    assert (item["cadreFacturation"], item["statutFactureTravaux"], item["typeFactureTravaux"]) \
        == ("A5_ETAT_ACOMPTE_FOURNISSEUR", "A_ASSOCIER_MOA", "ETAT_ACOMPTE")


def test_the_control_plane_moves_a_works_invoice_along_its_circuit(scene, apis, base_url):
    a4 = submit(apis["supplier"], depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"))
    fid = a4["idFactureTravaux"]
    plain_only = requests.post(f"{base_url}/_sandbox/factures/{fid}/statut",
                               json={"statut": "MANDATEE"}, timeout=30)
    assert plain_only.status_code == 409, plain_only.text  # not on a works circuit
    assert statut(apis["supplier"], fid) == "A_ASSOCIER_MOE"
    moved = requests.post(f"{base_url}/_sandbox/factures/{fid}/statut",
                          json={"statut": "REFUSEE_MOE"}, timeout=30)
    assert moved.status_code == 200, moved.text
    assert moved.json()["etapes"] == ["REFUSEE_MOE"]
    assert statut(apis["supplier"], fid) == "REFUSEE_MOE"


def test_the_seed_has_works_dossiers_in_several_statuses(base_url, chorus_credentials):
    c = chorus_credentials
    default = ApiClient(base_url, c["oauth_client"]["client_id"],
                        c["oauth_client"]["client_secret"], c["technical_account"]["login"],
                        c["technical_account"]["password"])
    ids = pastell_ids(default, "FOURNISSEUR", numeroMarche="MARCHE-TRAVAUX-2023")
    found = default.call(f"{TRA}/rechercher", {
        "roleUtilisateur": "FOURNISSEUR", "numeroMarche": "MARCHE-TRAVAUX-2023",
        "rechercheFactureTravaux": {"nbResultatsParPage": 100}})
    by_number = {x["numeroFactureTravaux"]: x for x in found["listeFacturesTravaux"]}
    assert len(ids) == len(by_number) == 10
    assert {x["statutFactureTravaux"] for x in by_number.values()} == {
        "ASSOCIEE", "MISE_EN_PAIEMENT", "A_ASSOCIER_MOA", "A_ASSOCIER_MOE", "A_COMPLETER",
        "MISE_A_DISPOSITION_MOE", "REFUSEE_MOE", "A_ASSOCIER_FOURNISSEUR"}
    assert {x["identifiantMoe"] for x in by_number.values()} == {"12345678200051"}
    paid = by_number["QUAL_TRAV_0003"]
    assert paid["statutFactureTravaux"] == "MISE_EN_PAIEMENT"
    assert paid["idFactureTravaux"] > 4_879_045  # after every plain seeded invoice
    dossier = default.call(f"{TRA}/consulter/dossierfacturation",
                           {"idFactureTravaux": paid["idFactureTravaux"]})
    assert [x["numeroFactureTravaux"] for x in dossier["listeFactureTravaux"]] == [
        "QUAL_TRAV_0001", "QUAL_TRAV_0002", "QUAL_TRAV_0003"]


def test_every_works_operation_of_the_reference_is_in_openapi(base_url):
    """The 14 operations of the reference's catalogue (§2.2), by path suffix."""
    doc = requests.get(f"{base_url}/openapi.json", timeout=30).json()
    assert {p.removeprefix(f"{TRA}/") for p in doc["paths"] if p.startswith(TRA)} == {
        "rechercher", "rechercher/atraiter", "consulter", "consulter/dossierfacturation",
        "completer", "completermoe", "demander/recyclage", "recycler", "refuser",
        "suspendre/demander/completer/factureTravaux", "recuperer/motifs/refus", "soumettre",
        "corriger/valideur", "prendreEnCompte"}


def test_the_official_search_sample_is_understood(scene, apis):
    """COMM-TRAVAUX search-works-invoice's request, verbatim but for our ids (and
    SAISIE_API): amounts as strings, one status as a string, nulls, false, the sort."""
    a4 = submit(apis["supplier"], depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"))
    submit(apis["moe"], {
        "cadreDeFacturation": {"codeCadreFacturation": "A15_ETAT_ACOMPTE_MOE"},
        "numeroFactureTravaux": f"S{unique_digits(10)}",
        "idFactureTravauxPrecedente": a4["idFactureTravaux"]})
    sample = {
        "roleUtilisateur": "FOURNISSEUR", "idStructureFournisseur": scene.supplier.structure_id,
        "idServiceFournisseur": None, "idStructureMoe": scene.moe.structure_id,
        "idServiceMoe": None, "idStructureMoa": scene.recipient.structure_id,
        "idServiceMoa": scene.recipient.service_ids[0], "listeTypeFactureTravaux": None,
        "idDestinataire": scene.recipient.structure_id,
        "idServiceExecutant": scene.recipient.service_ids[0],
        "periodeDateDepotDu": "2017-01-12", "periodeDateDepotAu": "2099-02-27",
        "cadreFacturation": "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
        "listeStatutCourant": "ASSOCIEE", "idStructureValideur": None,
        "periodeDateFactureTravauxDu": "2010-10-01", "periodeDateFactureTravauxAu": "2099-02-27",
        "montantHTMin": "0", "montantHTMax": "1000000", "montantTTCMin": "0",
        "montantTTCMax": "1000000", "montantAPayerMin": "0", "montantAPayerMax": "1000000",
        "idCoordonneeBancaire": None, "numeroFactureTravaux": a4["numeroFactureTravaux"],
        "numeroMarche": None, "numeroBonCommande": None, "modeDepot": "SAISIE_API",
        "numeroFluxDepot": None, "uniquementSansPieceSuivante": False,
        "avecSansService": "AVEC_ET_SANS_SERVICE",
        "rechercheFactureTravaux": {"pageResultatDemandee": 1, "nbResultatsParPage": 10,
                                    "triSens": "Descendant", "triColonne": "TypeDemandePaiement"}}
    found = apis["supplier"].call(f"{TRA}/rechercher", sample)
    assert (found["codeRetour"], found["libelle"]) == (0, "TRA_MSG_00.000"), found
    [item] = found["listeFacturesTravaux"]
    assert item["idFactureTravaux"] == a4["idFactureTravaux"]
    assert item["codeServiceExecutant"] == scene.recipient.service_codes[0]
    assert item["codeServiceMoa"] == scene.recipient.service_codes[0]
    # The same with the sample's DEPOT_PDF_API and uniquementSansPieceSuivante: no hit.
    for over in ({"modeDepot": "DEPOT_PDF_API"}, {"uniquementSansPieceSuivante": True}):
        assert apis["supplier"].call(f"{TRA}/rechercher", {**sample, **over})["codeRetour"] \
            == 20007


def test_a_works_document_citing_an_ej_the_moa_never_issued_is_refused(scene, apis, base_url):
    """GES-19 on the works path too: an MOA that requires EJs refuses a works document
    whose numeroBonCommande is not one of its EJs (20530, nothing stored); one of its own
    EJs, given to the titulaire, passes."""
    with db.new_session() as s:
        moa = make_party(s, public=True, numero_ej_doit_etre_renseigne=True)
        ej = make_engagement(s, structure_of(s, moa),
                             recepteur=structure_of(s, scene.supplier)).numero
        s.commit()
    destinataire = {"codeDestinataire": moa.identifiant,
                    "codeServiceExecutant": moa.service_codes[0]}
    unknown = depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR", destinataire=destinataire,
                    references={"numeroMarche": "M-2026-01", "numeroBonCommande": "9999999999"})
    refused = apis["supplier"].call(f"{TRA}/soumettre", unknown)
    assert refused["codeRetour"] == 20530, refused
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(Facture).where(
            Facture.numero_facture == unknown["numeroFactureTravaux"])) == 0
    known = depot(scene, "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR", destinataire=destinataire,
                  references={"numeroMarche": "M-2026-01", "numeroBonCommande": ej})
    assert submit(apis["supplier"], known)["codeRetour"] == 0
