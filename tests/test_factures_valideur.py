"""Invoices with a validator (cadres A9, A12) over HTTP, driven by the API alone: the
sub-contractor submits, the titulaire validates or refuses with traiter/factureAValider,
the recipient sees only a validated invoice and processes it to MISE_EN_PAIEMENT; a
refusal goes back to the supplier with its reason; a wrong validator is corrected by the
supplier (corriger/valideur/facture)."""

from __future__ import annotations

import base64
import re

import pytest
import requests
from api_factories import ApiClient, attach, unique_digits
from factures_support import SOUMETTRE_LINES, build_scene, make_party
from sqlalchemy import select

from sandbox import db
from sandbox.factures.models import Facture
from sandbox.models import Structure, User
from sandbox.stack import wait_until

FAC = "/cpro/factures/v1"
TRA = "/cpro/transverses/v1"
SEARCH_EMPTY = 20000


@pytest.fixture(scope="module")
def scene(stack_db):
    """The supplier is the sub-contractor; ``titulaire`` validates; ``other`` is the
    validator an invoice is corrected to."""
    with db.new_session() as s:
        scene = build_scene(s)
        scene.titulaire = make_party(s, public=False)
        scene.other = make_party(s, public=False)
        s.commit()
        return scene


@pytest.fixture(scope="module")
def apis(base_url, scene) -> dict:
    return {name: scene.api(base_url, getattr(scene, name))
            for name in ("supplier", "recipient", "titulaire", "other", "outsider")}


def submit(scene, apis, *, cadre="A9_FACTURE_SOUSTRAITANT", valideur=None, **cadre_over) -> dict:
    """An A9 invoice keyed in by the sub-contractor, naming the titulaire as validator."""
    numero = f"ST{unique_digits(10)}"
    answer = apis["supplier"].call(f"{FAC}/soumettre", {
        "modeDepot": "SAISIE_API",
        "numeroFactureSaisi": numero,
        "dateFacture": "2026-11-30",
        "destinataire": {"codeDestinataire": scene.recipient.identifiant,
                         "codeServiceExecutant": scene.recipient.service_codes[0]},
        "fournisseur": {"idFournisseur": scene.supplier.structure_id},
        "cadreDeFacturation": {
            "codeCadreFacturation": cadre,
            "codeStructureValideur": valideur or scene.titulaire.identifiant,
            **cadre_over,
        },
        **SOUMETTRE_LINES,
    })
    return answer


def history(apis, facture_id: int) -> list[tuple[str, str | None]]:
    """The supplier's view of the history (consulter/historique), oldest first."""
    answer = apis["supplier"].call(f"{FAC}/consulter/historique", {"idFacture": facture_id})
    rows = answer["historiquesDesStatuts"]["histoStatut"]
    rows = sorted(rows, key=lambda r: r["histoStatutId"])
    return [(r["histoStatutCode"], r["histoStatutCommentaire"]) for r in rows]


def statut_fournisseur(apis, facture_id: int) -> str:
    answer = apis["supplier"].call(f"{FAC}/consulter/fournisseur",
                                   {"identifiantFactureCPP": facture_id})
    return answer["facture"]["statutFacture"]


def recipient_sees(apis, facture_id: int) -> bool:
    answer = apis["recipient"].call(f"{FAC}/consulter/recipiendaire", {"idFacture": facture_id})
    return answer["codeRetour"] == 0


def validator_search(api, numero: str) -> dict:
    return api.call(f"{FAC}/rechercher/valideur", {"numeroFacture": numero})


def traiter(api, facture_id: int, action: str, **more) -> dict:
    return api.call(f"{FAC}/traiter/factureAValider",
                    {"idFacture": facture_id, "action": action, **more})


def test_an_a9_invoice_goes_from_deposit_to_payment_through_its_validator(scene, apis):
    deposit = submit(scene, apis)
    assert deposit["codeRetour"] == 0, deposit
    fid, numero = deposit["identifiantFactureCPP"], deposit["numeroFacture"]
    # Waiting for the titulaire: the recipient does not see it.
    assert statut_fournisseur(apis, fid) == "A_VALIDER_1"
    assert not recipient_sees(apis, fid)
    found = apis["recipient"].call(f"{FAC}/rechercher/recipiendaire", {"numeroFacture": numero})
    assert found["codeRetour"] == SEARCH_EMPTY
    # The titulaire finds it among its invoices to validate, and reads it.
    found = validator_search(apis["titulaire"], numero)
    assert found["codeRetour"] == 0, found
    [item] = found["listeFactures"]
    assert item["idFacture"] == fid and item["statut"] == "A_VALIDER_1"
    assert item["idValideur"] == scene.titulaire.structure_id
    assert item["identifiantValideur"] == scene.titulaire.identifiant
    assert item["identifiantFournisseur"] == scene.supplier.identifiant
    assert found["parametresRetour"]["total"] == 1
    detail = apis["titulaire"].call(f"{FAC}/consulter/valideur", {"identifiantFactureCPP": fid})
    assert detail["codeRetour"] == 0, detail
    cadre = detail["facture"]["cadreDeFacturation"]
    assert cadre["codeCadreFacturation"] == "A9_FACTURE_SOUSTRAITANT"
    assert cadre["idValideur1"] == scene.titulaire.structure_id
    assert cadre["codeValideur1"] == scene.titulaire.identifiant
    assert "dateValidation1" not in cadre
    # Validated: on to the recipient at once.
    answer = traiter(apis["titulaire"], fid, "VALIDATION")
    assert answer["codeRetour"] == 0, answer
    assert answer["idFacture"] == fid and answer["numeroFacture"] == numero
    assert answer["statutFacture"] == "VALIDEE_1" and len(answer["dateTraitement"]) == 10
    assert statut_fournisseur(apis, fid) == "MISE_A_DISPOSITION"
    assert recipient_sees(apis, fid)
    received = apis["recipient"].call(f"{FAC}/consulter/recipiendaire", {"idFacture": fid})
    assert received["facture"]["cadreDeFacturation"]["dateValidation1"] == answer["dateTraitement"]
    # The recipient processes it to payment.
    paid = apis["recipient"].call(f"{FAC}/traiter/recue",
                                  {"idFacture": fid, "nouveauStatut": "MISE_EN_PAIEMENT"})
    assert paid["codeRetour"] == 0 and paid["nouveauStatut"] == "MISE_EN_PAIEMENT", paid
    assert [st for st, _ in history(apis, fid)] == [
        "DEPOSEE", "A_VALIDER_1", "VALIDEE_1", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION",
        "MISE_EN_PAIEMENT"]
    # The validator still sees what became of it.
    assert validator_search(apis["titulaire"], numero)["listeFactures"][0]["statut"] == (
        "MISE_EN_PAIEMENT")


def test_a_refused_invoice_goes_back_to_the_supplier_with_its_reason(scene, apis):
    motifs = apis["titulaire"].call(f"{TRA}/recuperer/motifs/refus/Facture/AValider",
                                    {"codeCadreFacturationAValider": "A9_FACTURE_SOUSTRAITANT"})
    motif = next(m for m in motifs["listeMotifRefusFactureAValider"]
                 if m["codeMotif"] == "MONTANT_ERRONE")
    deposit = submit(scene, apis)
    fid = deposit["identifiantFactureCPP"]
    answer = traiter(apis["titulaire"], fid, "REFUS", motifRefus=motif["codeMotif"],
                     complementInfo="Le lot 2 n'est pas encore réceptionné.")
    assert answer["codeRetour"] == 0, answer
    assert answer["statutFacture"] == "REFUSEE_1"
    assert statut_fournisseur(apis, fid) == "REFUSEE_1"
    assert history(apis, fid)[-1] == (
        "REFUSEE_1", f"{motif['libelleMotif']} : Le lot 2 n'est pas encore réceptionné.")
    # Never made available to the recipient; final for the validator too.
    assert not recipient_sees(apis, fid)
    again = traiter(apis["titulaire"], fid, "VALIDATION")
    assert again["codeRetour"] == 20500, again
    assert statut_fournisseur(apis, fid) == "REFUSEE_1"


def test_a_wrong_validator_is_corrected_by_the_supplier(scene, apis):
    deposit = submit(scene, apis)
    fid, numero = deposit["identifiantFactureCPP"], deposit["numeroFacture"]
    answer = traiter(apis["titulaire"], fid, "REFUS", motifRefus="MAUVAIS_VALIDEUR")
    assert answer["statutFacture"] == "ERREUR_FOURNISSEUR_SUR_VALIDEUR", answer
    fixed = apis["supplier"].call(f"{FAC}/corriger/valideur/facture", {
        "idFacture": fid, "idStructure": 0,
        "identifiantStructure": scene.other.identifiant, "typeIdentifiantStructure": "SIRET"})
    assert fixed == {"codeRetour": 0, "libelle": fixed["libelle"], "idFacture": fid}
    assert statut_fournisseur(apis, fid) == "A_VALIDER_1"
    # The former validator lost it; the new one validates.
    assert validator_search(apis["titulaire"], numero)["codeRetour"] == SEARCH_EMPTY
    assert traiter(apis["titulaire"], fid, "VALIDATION")["codeRetour"] == 20001
    assert traiter(apis["other"], fid, "VALIDATION")["codeRetour"] == 0
    assert recipient_sees(apis, fid)


def test_corriger_only_from_a_wrong_validator(scene, apis):
    fid = submit(scene, apis)["identifiantFactureCPP"]
    answer = apis["supplier"].call(f"{FAC}/corriger/valideur/facture", {
        "idFacture": fid, "idStructure": scene.other.structure_id,
        "identifiantStructure": "", "typeIdentifiantStructure": ""})
    assert answer["codeRetour"] == 20500, answer
    stranger = apis["outsider"].call(f"{FAC}/corriger/valideur/facture", {
        "idFacture": fid, "idStructure": scene.other.structure_id})
    assert stranger["codeRetour"] == 20001
    assert statut_fournisseur(apis, fid) == "A_VALIDER_1"
    assert [st for st, _ in history(apis, fid)] == ["DEPOSEE", "A_VALIDER_1"]


@pytest.mark.parametrize(
    ("who", "body", "code"),
    [
        ("titulaire", {"action": "REFUS"}, 20501),  # no motif
        ("titulaire", {"action": "REJET"}, 20501),
        ("titulaire", {"action": "REFUS", "motifRefus": "PAS_UN_MOTIF"}, 20507),
        ("titulaire", {"action": "MISE_EN_PAIEMENT"}, 20500),
        ("titulaire", {"action": "SUSPENSION", "motifRefus": "AUTRE"}, 20500),
        ("titulaire", {}, 20511),
        ("recipient", {"action": "VALIDATION"}, 20001),
        ("supplier", {"action": "VALIDATION"}, 20001),
        ("other", {"action": "VALIDATION"}, 20001),
    ],
)
def test_refused_decisions_change_nothing(scene, apis, who, body, code):
    fid = submit(scene, apis)["identifiantFactureCPP"]
    answer = traiter(apis[who], fid, **body) if "action" in body else apis[who].call(
        f"{FAC}/traiter/factureAValider", {"idFacture": fid})
    assert answer["codeRetour"] == code, answer
    assert statut_fournisseur(apis, fid) == "A_VALIDER_1"
    assert [st for st, _ in history(apis, fid)] == ["DEPOSEE", "A_VALIDER_1"]


def test_an_unknown_action_is_a_400(scene, apis):
    fid = submit(scene, apis)["identifiantFactureCPP"]
    answer = apis["titulaire"].post(f"{FAC}/traiter/factureAValider",
                                    {"idFacture": fid, "action": "APPROUVER"})
    assert answer.status_code == 400
    assert statut_fournisseur(apis, fid) == "A_VALIDER_1"


@pytest.mark.parametrize(
    ("cadre", "code"),
    [
        ({"codeStructureValideur": ""}, 20507),
        ({"codeStructureValideur": "99999999999999"}, 20507),
        ({"codeServiceValideur": "PAS_DE_SERVICE"}, 20507),
        ("supplier", 20507),  # a supplier does not validate its own invoice
    ],
)
def test_an_a9_invoice_needs_a_real_validator(scene, apis, cadre, code):
    over = {"valideur": scene.supplier.identifiant} if cadre == "supplier" else cadre
    answer = submit(scene, apis, **over)
    assert answer["codeRetour"] == code, answer
    assert "identifiantFactureCPP" not in answer or not answer["identifiantFactureCPP"]


def test_an_a12_invoice_names_a_service_of_its_validator(scene, apis):
    answer = submit(scene, apis, cadre="A12_FACTURE_COTRAITANT",
                    codeServiceValideur=scene.titulaire.service_codes[0])
    assert answer["codeRetour"] == 0, answer
    assert statut_fournisseur(apis, answer["identifiantFactureCPP"]) == "A_VALIDER_1"
    closed = submit(scene, apis, cadre="A12_FACTURE_COTRAITANT",
                    codeServiceValideur=scene.titulaire.service_codes[1])  # inactive
    assert closed["codeRetour"] == 20507


def test_statuts_visibles_and_validator_search_filters(scene, apis):
    statuts = apis["titulaire"].call(f"{FAC}/recuperer/statutsFactureVisibles/valideur",
                                     {"idUtilisateurCourant": 0})
    assert statuts["codeRetour"] == 0
    assert [x["codeStatutFacture"] for x in statuts["listeStatutFacture"]] == [
        "A_VALIDER_1", "VALIDEE_1", "REFUSEE_1", "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
        "ABSENCE_VALIDATION_1_HORS_DELAI"]
    waiting = submit(scene, apis)
    refused = submit(scene, apis)
    traiter(apis["titulaire"], refused["identifiantFactureCPP"], "REFUS", motifRefus="AUTRE")
    found = apis["titulaire"].call(f"{FAC}/rechercher/valideur", {
        "statutCourant": ["A_VALIDER_1"], "idFournisseur": scene.supplier.structure_id,
        "pagination": {"nbResultatsParPage": 100, "pageResultatDemandee": 1}})
    ids = {x["idFacture"] for x in found["listeFactures"]}
    assert waiting["identifiantFactureCPP"] in ids
    assert refused["identifiantFactureCPP"] not in ids
    assert {x["statut"] for x in found["listeFactures"]} == {"A_VALIDER_1"}
    # Another structure's search finds none of them; a works search finds nothing.
    assert validator_search(apis["outsider"], waiting["numeroFacture"])["codeRetour"] == (
        SEARCH_EMPTY)
    works = apis["titulaire"].call(f"{FAC}/rechercher/valideur",
                                   {"typeDemandePaiement": "FACTURE_TRAVAUX"})
    assert works["codeRetour"] == SEARCH_EMPTY
    other = apis["titulaire"].call(f"{FAC}/consulter/valideur",
                                   {"identifiantFactureCPP": waiting["identifiantFactureCPP"]})
    assert other["codeRetour"] == 0
    assert apis["outsider"].call(f"{FAC}/consulter/valideur", {
        "identifiantFactureCPP": waiting["identifiantFactureCPP"]})["codeRetour"] == 20001


def test_the_control_plane_moves_an_a9_invoice_through_its_validator(scene, apis, base_url):
    fid = submit(scene, apis)["identifiantFactureCPP"]
    moved = requests.post(f"{base_url}/_sandbox/factures/{fid}/statut",
                          json={"statut": "MISE_A_DISPOSITION"}, timeout=30)
    assert moved.status_code == 200, moved.text
    assert moved.json()["etapes"] == ["VALIDEE_1", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"]
    assert recipient_sees(apis, fid)


def test_the_default_structure_has_seeded_invoices_to_validate(base_url, chorus_credentials):
    """The seed: a sub-contractor's A9/A12 invoices name the default structure as
    validator; its technical account finds them at once (read only: shared data)."""
    c = chorus_credentials
    default = ApiClient(base_url, c["oauth_client"]["client_id"],
                        c["oauth_client"]["client_secret"], c["technical_account"]["login"],
                        c["technical_account"]["password"])
    found = default.call(f"{FAC}/rechercher/valideur", {
        "statutCourant": ["A_VALIDER_1"], "pagination": {"nbResultatsParPage": 50}})
    seeded = {x["numeroFacture"]: x for x in found["listeFactures"]
              if x["numeroFacture"].startswith("QUALST_")}
    assert {"QUALST_000001", "QUALST_000002", "QUALST_000003"} <= set(seeded)
    item = seeded["QUALST_000001"]
    assert item["designationValideur"] == "Démo Fournisseur SAS"
    assert item["identifiantDestinataire"] == "11000201100044"
    assert 4_879_401 <= item["idFacture"] < 4_900_000
    refused = default.call(f"{FAC}/rechercher/valideur", {"numeroFacture": "QUALST_000005"})
    assert refused["listeFactures"][0]["statut"] == "REFUSEE_1"


def test_the_validator_downloads_an_invoice_to_validate(scene, apis):
    """telecharger/groupe: "factures émises, reçues ou à valider" (go-choruspro)."""
    fid = submit(scene, apis)["identifiantFactureCPP"]
    body = {"format": "PDF", "listeFacture": [{"idFacture": fid}]}
    answer = apis["titulaire"].call(f"{FAC}/telecharger/groupe", body)
    assert answer["codeRetour"] == 0, answer
    assert base64.b64decode(answer["fichierResultat"]).startswith(b"%PDF")
    assert apis["recipient"].call(f"{FAC}/telecharger/groupe", body)["codeRetour"] == 20001
    assert apis["other"].call(f"{FAC}/telecharger/groupe", body)["codeRetour"] == 20001


def _row(html: str, numero: str) -> str:
    match = re.search(rf'<tr data-numero="{re.escape(numero)}" data-statut="([A-Z_0-9]+)"', html)
    return match.group(1) if match else ""


def test_the_validator_decides_on_the_portal(chorus, scene, apis):  # noqa: ANN001
    """"Factures à valider": a user of the titulaire refuses one invoice (a motif is
    compulsory) and validates another, which goes on to the recipient."""
    account = chorus.signup()
    with db.new_session() as s:
        user = s.scalar(select(User).where(User.login == account.login))
        attach(s, user, s.get(Structure, scene.titulaire.structure_id))
        s.commit()
    visitor = chorus.portal()
    assert visitor.login(account.login, account.password).status_code == 303
    assert "Factures à valider" in visitor.get("/mon-compte").text
    refused, validated = submit(scene, apis), submit(scene, apis)
    page = visitor.get("/factures/a-valider").text
    assert _row(page, refused["numeroFacture"]) == "A_VALIDER_1"
    assert _row(page, validated["numeroFacture"]) == "A_VALIDER_1"

    def action(numero: str) -> str:
        html = visitor.get("/factures/a-valider").text
        found = re.search(rf'data-numero="{numero}".*?action="([^"]+/traiter)"', html, re.S)
        assert found, "a decision form for the invoice"
        return found.group(1)

    no_motif = visitor.post(action(refused["numeroFacture"]), {"action": "REFUS", "motif": ""})
    assert no_motif.status_code == 303
    page = visitor.get("/factures/a-valider").text
    assert "motif de refus (motifRefus) est obligatoire" in page
    assert _row(page, refused["numeroFacture"]) == "A_VALIDER_1"
    visitor.post(action(refused["numeroFacture"]),
                 {"action": "REFUS", "motif": "PIECE_MANQUANTE", "complement": "PV de réception"})
    visitor.post(action(validated["numeroFacture"]), {"action": "VALIDATION", "motif": ""})
    page = visitor.get("/factures/a-valider").text
    assert _row(page, refused["numeroFacture"]) == "REFUSEE_1"
    assert "Pièce justificative manquante : PV de réception" in page
    assert _row(page, validated["numeroFacture"]) == "MISE_A_DISPOSITION"
    assert statut_fournisseur(apis, refused["identifiantFactureCPP"]) == "REFUSEE_1"
    assert recipient_sees(apis, validated["identifiantFactureCPP"])
    # Someone who validates nothing sees none of it.
    stranger = chorus.portal()
    other = chorus.signup()
    assert stranger.login(other.login, other.password).status_code == 303
    assert "Aucune facture à valider" in stranger.get("/factures/a-valider").text


def test_a_silent_validator_s_deadline_routes_the_invoice(scene, apis, base_url):
    """A policy plays the validator's deadline: A_VALIDER_1 -> ABSENCE_VALIDATION_1_HORS_DELAI
    after 15 days of the sandbox clock, and the platform routes it on to the recipient."""
    control = f"{base_url}/_sandbox"
    before = requests.get(f"{control}/clock", timeout=30).json()["offsetSeconds"]
    policy = requests.put(f"{control}/factures/policies", json={
        "destinataire": scene.recipient.identifiant, "statutDepart": "A_VALIDER_1",
        "statutArrivee": "ABSENCE_VALIDATION_1_HORS_DELAI", "delai": "15d"}, timeout=30)
    assert policy.status_code == 200, policy.text
    try:
        fid = submit(scene, apis)["identifiantFactureCPP"]
        requests.put(f"{control}/clock", json={"advance": "16d"}, timeout=30).raise_for_status()
        # Read in the database while the clock is ahead (the API tokens expired with it).
        wait_until(lambda: _statut_db(fid) == "MISE_A_DISPOSITION", 30,
                   "the worker applies the deadline policy", interval=0.2)
    finally:
        requests.delete(f"{control}/factures/policies/{policy.json()['id']}", timeout=30)
        requests.put(f"{control}/clock", json={"offsetSeconds": before}, timeout=30)
    assert [st for st, _ in history(apis, fid)] == [
        "DEPOSEE", "A_VALIDER_1", "ABSENCE_VALIDATION_1_HORS_DELAI",
        "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"]
    assert recipient_sees(apis, fid)


def _statut_db(facture_id: int) -> str:
    with db.new_session() as s:
        return s.get_one(Facture, facture_id).statut
