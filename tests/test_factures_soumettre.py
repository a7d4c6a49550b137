"""soumettre over HTTP (SAISIE_API, DEPOT_PDF_API), with its checks in the platform's
order, and the invoice's route to MISE_A_DISPOSITION."""

from __future__ import annotations

import base64
import re
import threading

import pytest
from api_factories import make_engagement, make_service, unique_digits
from factures_support import build_scene, make_party
from fpdf import FPDF
from sqlalchemy import select

from sandbox import db
from sandbox.factures.models import Facture, FactureStatut, PieceJointe
from sandbox.factures.schemas.soumettre import SoumettreFactureRetour
from sandbox.models import Structure

FAC = "/cpro/factures/v1"
TRA = "/cpro/transverses/v1"


@pytest.fixture(scope="module")
def scene(stack_db):
    """Plus recipients with each routing flag: service, EJ, EJ-or-service."""
    with db.new_session() as s:
        scene = build_scene(s)
        scene.flags = {}
        scene.ejs = {}
        for flag in (
            "code_service_doit_etre_renseigne",
            "numero_ej_doit_etre_renseigne",
            "gestion_numero_ej_ou_code_service",
        ):
            scene.flags[flag] = party = make_party(s, public=True, **{flag: True})
            # GES-19: an invoice to a recipient that manages EJs cites one of its EJs
            scene.ejs[flag] = make_engagement(
                s, s.get(Structure, party.structure_id),
                recepteur=s.get(Structure, scene.supplier.structure_id)).numero
        ej_service_party = make_party(s, public=True)
        ej_service = make_service(
            s,
            s.get(Structure, ej_service_party.structure_id),
            code=f"EJ_{unique_digits(6)}",
            numero_engagement=True,
        )
        scene.ej_service = (ej_service_party, ej_service.code)
        inactive = make_party(s, public=True)
        s.get(Structure, inactive.structure_id).statut = "INACTIF"
        scene.inactive = inactive
        s.commit()
        return scene


@pytest.fixture(scope="module")
def supplier(base_url, scene):
    return scene.api(base_url, scene.supplier)


def body(scene, **over) -> dict:
    """The official SAISIE_API sample's shape (COMM-SUBMIT-INV), our parties."""
    value = {
        "modeDepot": "SAISIE_API",
        "numeroFactureSaisi": f"S{unique_digits(10)}",
        "dateFacture": "2026-11-30",
        "idUtilisateurCourant": 0,
        "destinataire": {
            "codeDestinataire": scene.recipient.identifiant,
            "codeServiceExecutant": scene.recipient.service_codes[0],
        },
        "fournisseur": {"idFournisseur": scene.supplier.structure_id},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": {
            "deviseFacture": "EUR",
            "typeFacture": "FACTURE",
            "typeTva": "TVA_SUR_DEBIT",
            "modePaiement": "VIREMENT",
            "numeroBonCommande": "EJ-0001",
        },
        "lignePoste": [
            {
                "lignePosteNumero": 1,
                "lignePosteReference": "R1",
                "lignePosteDenomination": "Conseil",
                "lignePosteQuantite": 2.0,
                "lignePosteUnite": "heure",
                "lignePosteMontantUnitaireHT": 50.0,
                "lignePosteMontantRemiseHT": 0.0,
                "lignePosteTauxTva": "TVA20",
            },
        ],
        "ligneTva": [
            {
                "ligneTvaTaux": "TVA20",
                "ligneTvaMontantBaseHtParTaux": 100.0,
                "ligneTvaMontantTvaParTaux": 20.0,
            },
        ],
        "montantTotal": {
            "montantHtTotal": 100.0,
            "montantTVA": 20.0,
            "montantTtcTotal": 120.0,
            "montantAPayer": 120.0,
        },
        "commentaire": "Facture de test",
    }
    value.update(over)
    return value


def _history(facture_id: int) -> list[str]:
    with db.new_session() as s:
        return list(
            s.scalars(
                select(FactureStatut.statut)
                .where(FactureStatut.facture_id == facture_id)
                .order_by(FactureStatut.id)
            )
        )


def test_saisie_api_answers_deposee_and_routes_the_invoice(scene, supplier):
    sent = body(scene)
    answer = supplier.call(f"{FAC}/soumettre", sent)
    SoumettreFactureRetour.model_validate(answer)
    assert answer["codeRetour"] == 0, answer
    assert answer["statutFacture"] == "DEPOSEE"
    assert answer["numeroFacture"] == sent["numeroFactureSaisi"]
    assert answer["identifiantStructure"] == scene.supplier.identifiant
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer["dateDepot"])
    assert re.fullmatch(r"[0-9a-f]{64}", answer["empreinteCertificatDepot"])
    facture_id = answer["identifiantFactureCPP"]
    assert _history(facture_id) == ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"]
    with db.new_session() as s:
        f = s.get(Facture, facture_id)
        assert (f.statut, f.mode_depot, f.numero_engagement) == (
            "MISE_A_DISPOSITION",
            "SAISIE_API",
            "EJ-0001",
        )
        assert float(f.montant_ttc) == 120.0 and f.lignes[0]["lignePosteDenomination"] == "Conseil"
    # the recipient now finds it
    recipient = scene.api(supplier.base_url, scene.recipient)
    found = recipient.call(
        f"{FAC}/rechercher/recipiendaire", {"numeroFacture": sent["numeroFactureSaisi"]}
    )
    assert [x["idFacture"] for x in found["listeFactures"]] == [facture_id]


def test_null_number_in_saisie_api_is_numbered_by_the_platform(scene, supplier):
    answer = supplier.call(f"{FAC}/soumettre", body(scene, numeroFactureSaisi=None))
    assert answer["codeRetour"] == 0
    assert answer["numeroFacture"] == f"FCPP{answer['identifiantFactureCPP']}"


def test_amounts_are_computed_when_absent(scene, supplier):
    sent = body(scene)
    del sent["montantTotal"]
    answer = supplier.call(f"{FAC}/soumettre", sent)
    with db.new_session() as s:
        f = s.get(Facture, answer["identifiantFactureCPP"])
        assert (float(f.montant_ht), float(f.montant_tva), float(f.montant_ttc)) == (
            100.0,
            20.0,
            120.0,
        )


def test_duplicate_number_per_supplier(base_url, scene, supplier):
    sent = body(scene)
    assert supplier.call(f"{FAC}/soumettre", sent)["codeRetour"] == 0
    again = supplier.call(f"{FAC}/soumettre", sent)
    assert again["codeRetour"] == 20502 and sent["numeroFactureSaisi"] in again["libelle"]


def test_concurrent_duplicates_only_one_is_created(base_url, scene):
    sent = body(scene)
    codes: list[int] = []

    def go() -> None:
        codes.append(
            scene.api(base_url, scene.supplier).call(f"{FAC}/soumettre", sent)["codeRetour"]
        )

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [0, 20502, 20502, 20502]
    with db.new_session() as s:
        count = s.scalars(
            select(Facture.id).where(Facture.numero_facture == sent["numeroFactureSaisi"])
        ).all()
        assert len(count) == 1


def _pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in text.splitlines():
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_depot_pdf_api_with_deposer_pdf(scene, supplier):
    numero = f"P{unique_digits(8)}"
    pdf = _pdf(
        f"Facture n° {numero}\nDate : 28/11/2026\nFournisseur SIRET {scene.supplier.identifiant}\n"
        f"Destinataire SIRET {scene.recipient.identifiant}\nTotal HT : 1 000,00\nTVA : 200,00\n"
        "Total TTC : 1 200,00\nNet à payer : 1 200,00 EUR"
    )
    read = supplier.call(
        f"{FAC}/deposer/pdf",
        {
            "fichierFacture": base64.b64encode(pdf).decode(),
            "formatDepot": "PDF_NON_SIGNE",
            "nomFichier": "facture.pdf",
        },
    )
    assert read["codeRetour"] == 0, read
    assert (read["numeroFacture"], read["dateFacture"]) == (numero, "2026-11-28")
    assert (read["codeFournisseur"], read["codeDestinataire"]) == (
        scene.supplier.identifiant,
        scene.recipient.identifiant,
    )
    assert (read["montantHtTotal"], read["montantTVA"], read["montantAPayer"]) == (
        1000.0,
        200.0,
        1200.0,
    )
    assert read["codeDeviseFacture"] == "EUR" and read["codeServiceExecutant"] is None
    sent = body(
        scene,
        modeDepot="DEPOT_PDF_API",
        numeroFactureSaisi=numero,
        lignePoste=None,
        ligneTva=None,
        montantTotal={"montantHtTotal": 1000.0, "montantTVA": 200.0, "montantTtcTotal": 1200.0},
        pieceJointePrincipale=[
            {
                "pieceJointePrincipaleDesignation": "Facture",
                "pieceJointePrincipaleId": read["pieceJointeId"],
            }
        ],
    )
    answer = supplier.call(f"{FAC}/soumettre", sent)
    assert answer["codeRetour"] == 0, answer
    with db.new_session() as s:
        pj = s.get(PieceJointe, read["pieceJointeId"])
        assert (pj.facture_id, pj.role) == (answer["identifiantFactureCPP"], "principale")
    recipient = scene.api(supplier.base_url, scene.recipient)
    got = recipient.call(
        f"{FAC}/telecharger/groupe",
        {"listeFacture": [{"idFacture": answer["identifiantFactureCPP"]}]},
    )
    assert base64.b64decode(got["fichierResultat"]) == pdf
    assert (
        supplier.call(f"{FAC}/soumettre", {**sent, "numeroFactureSaisi": "OTHER1"})["codeRetour"]
        == 20509
    )


def test_pdf_mode_needs_a_pdf_of_the_caller(base_url, scene, supplier):
    sent = body(scene, modeDepot="DEPOT_PDF_API")
    assert supplier.call(f"{FAC}/soumettre", sent)["codeRetour"] == 20511
    sent["pieceJointePrincipale"] = {"pieceJointePrincipaleId": 2**62}
    assert supplier.call(f"{FAC}/soumettre", sent)["codeRetour"] == 20508
    txt = supplier.call(
        f"{TRA}/ajouter/fichier",
        {
            "pieceJointeFichier": base64.b64encode(b"hello").decode(),
            "pieceJointeNom": "note.txt",
            "pieceJointeTypeMime": "text/plain",
            "pieceJointeExtension": "TXT",
        },
    )
    sent["pieceJointePrincipale"] = {"pieceJointePrincipaleId": txt["pieceJointeId"]}
    assert supplier.call(f"{FAC}/soumettre", sent)["codeRetour"] == 20509
    other = scene.api(base_url, scene.recipient)
    pdf = other.call(
        f"{TRA}/ajouter/fichier",
        {"pieceJointeFichier": base64.b64encode(_pdf("x")).decode(), "pieceJointeNom": "a.pdf"},
    )
    sent["pieceJointePrincipale"] = {"pieceJointePrincipaleId": pdf["pieceJointeId"]}
    assert supplier.call(f"{FAC}/soumettre", sent)["codeRetour"] == 20508


def _code(supplier, sent: dict) -> tuple[int, str]:
    answer = supplier.call(f"{FAC}/soumettre", sent)
    return answer["codeRetour"], answer["libelle"]


def test_supplier_checks(base_url, scene, supplier):
    assert _code(supplier, body(scene, fournisseur={}))[0] == 20511
    assert _code(supplier, body(scene, fournisseur={"idFournisseur": 2**62}))[0] == 20506
    foreign = body(scene, fournisseur={"idFournisseur": scene.outsider.structure_id})
    code, libelle = _code(supplier, foreign)
    assert code == 20001 and "GDP_MSG_11.005" in libelle
    bad_service = body(
        scene,
        fournisseur={
            "idFournisseur": scene.supplier.structure_id,
            "idServiceFournisseur": scene.supplier.service_ids[1],
        },
    )
    assert _code(supplier, bad_service)[0] == 20506  # inactive service


def test_recipient_checks(scene, supplier):
    unknown = body(scene, destinataire={"codeDestinataire": "99999999999999"})
    assert _code(supplier, unknown)[0] == 20503
    siren = body(scene, destinataire={"codeDestinataire": scene.recipient.identifiant[:9]})
    assert _code(supplier, siren)[0] == 20503
    inactive = body(scene, destinataire={"codeDestinataire": scene.inactive.identifiant})
    assert _code(supplier, inactive)[0] == 20503
    assert _code(supplier, body(scene, destinataire=None))[0] == 20503
    wrong_service = body(
        scene,
        destinataire={
            "codeDestinataire": scene.recipient.identifiant,
            "codeServiceExecutant": "NOPE",
        },
    )
    assert _code(supplier, wrong_service)[0] == 20504
    closed = body(
        scene,
        destinataire={
            "codeDestinataire": scene.recipient.identifiant,
            "codeServiceExecutant": scene.recipient.service_codes[1],
        },
    )
    assert _code(supplier, closed)[0] == 20504


@pytest.mark.parametrize(
    ("flag", "service", "ej", "code"),
    [
        ("code_service_doit_etre_renseigne", False, True, 20504),
        ("code_service_doit_etre_renseigne", True, False, 0),
        ("numero_ej_doit_etre_renseigne", True, False, 20505),
        ("numero_ej_doit_etre_renseigne", False, True, 0),
        ("gestion_numero_ej_ou_code_service", False, False, 20505),
        ("gestion_numero_ej_ou_code_service", True, False, 0),
        ("gestion_numero_ej_ou_code_service", False, True, 0),
    ],
)
def test_recipient_flags(scene, supplier, flag, service, ej, code):
    party = scene.flags[flag]
    sent = body(
        scene,
        destinataire={
            "codeDestinataire": party.identifiant,
            "codeServiceExecutant": party.service_codes[0] if service else "",
        },
    )
    sent["references"]["numeroBonCommande"] = scene.ejs[flag] if ej else ""
    assert _code(supplier, sent)[0] == code


@pytest.mark.parametrize("flag", ["numero_ej_doit_etre_renseigne",
                                  "gestion_numero_ej_ou_code_service"])
def test_an_ej_the_recipient_never_issued_is_refused(scene, supplier, flag):
    """GES-19: the EJ must be one of the recipient's legal commitments (20530); another
    recipient's EJ is no better. Nothing is created."""
    party = scene.flags[flag]
    for numero in ("0000000001", scene.ejs[other_flag(flag)]):
        sent = body(scene, destinataire={"codeDestinataire": party.identifiant,
                                         "codeServiceExecutant": ""})
        sent["references"]["numeroBonCommande"] = numero
        code, libelle = _code(supplier, sent)
        assert code == 20530, libelle
        assert numero in libelle and party.identifiant in libelle
        with db.new_session() as s:
            assert s.scalar(select(Facture.id).where(
                Facture.numero_facture == sent["numeroFactureSaisi"])) is None


def other_flag(flag: str) -> str:
    return {"numero_ej_doit_etre_renseigne": "gestion_numero_ej_ou_code_service",
            "gestion_numero_ej_ou_code_service": "numero_ej_doit_etre_renseigne"}[flag]


def test_service_requiring_an_ej(scene, supplier):
    party, code_service = scene.ej_service
    sent = body(
        scene,
        destinataire={"codeDestinataire": party.identifiant, "codeServiceExecutant": code_service},
    )
    sent["references"]["numeroBonCommande"] = None
    assert _code(supplier, sent)[0] == 20505


def test_seeded_permanent_recipient_with_mandatory_service(scene, supplier):
    with db.new_session() as s:
        if s.scalar(select(Structure.id).where(Structure.identifiant == "12345678200028")) is None:
            pytest.skip("the session stack has no seeded permanent recipients")
    sent = body(scene, destinataire={"codeDestinataire": "12345678200028"})
    assert _code(supplier, sent)[0] == 20504
    sent["destinataire"]["codeServiceExecutant"] = "SERVICE_DEST_SERV_OBL"
    assert _code(supplier, sent)[0] == 0


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"modeDepot": None}, 20511),
        ({"modeDepot": "SAISIE_WEB"}, 20510),
        ({"numeroFactureSaisi": "avec espace"}, 20507),
        ({"numeroFactureSaisi": "X" * 21}, 20507),
        ({"dateFacture": "30/11/2026"}, 20507),
        ({"lignePoste": []}, 20507),
        ({"lignePoste": [{"lignePosteDenomination": "x", "lignePosteQuantite": 1}]}, 20507),
        (
            {"montantTotal": {"montantHtTotal": 100, "montantTVA": 20, "montantTtcTotal": 150}},
            20507,
        ),
        (
            {
                "cadreDeFacturation": {
                    "codeCadreFacturation": "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"
                }
            },
            20507,
        ),
        ({"cadreDeFacturation": {"codeCadreFacturation": "A9_FACTURE_SOUSTRAITANT"}}, 20507),
    ],
)
def test_invoice_data_checks(scene, supplier, over, code):
    assert _code(supplier, body(scene, **over))[0] == code


@pytest.mark.parametrize(
    "over",
    [
        {"modeDepot": "NOPE"},
        {"references": {"typeFacture": "DEVIS"}},
        {"lignePoste": [{"lignePosteQuantite": "beaucoup"}]},
        {"montantTotal": {"montantHtTotal": "cent"}},
        {"fournisseur": {"idFournisseur": "abc"}},
        {"commentaire": "x" * 2001},
    ],
)
def test_bad_input_is_a_400_and_nothing_is_stored(scene, supplier, over):
    sent = body(scene, **over)
    answer = supplier.post(f"{FAC}/soumettre", sent)
    assert answer.status_code == 400 and answer.json()["codeRetour"] == 10002
    with db.new_session() as s:
        assert (
            s.scalar(select(Facture.id).where(Facture.numero_facture == sent["numeroFactureSaisi"]))
            is None
        )
