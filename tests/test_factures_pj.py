"""Attachments over HTTP: ajouter/fichier, deposer/pdf, rechercher/pj/*, telecharger/pieceJointe,
detacherPieceJointe."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from factures_support import build_scene, make_facture

from sandbox import db
from sandbox.factures.models import PieceJointe
from sandbox.factures.schemas.pieces_jointes import (
    RechercherPjMonCompteRetour,
    RechercherPjStructureRetour,
)

TRA = "/cpro/transverses/v1"
FAC = "/cpro/factures/v1"
TEN_MO = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def scene(stack_db):
    with db.new_session() as s:
        return build_scene(s)


@pytest.fixture(scope="module")
def supplier(base_url, scene):
    return scene.api(base_url, scene.supplier)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _add(api, nom: str, data: bytes = b"contenu", **extra) -> dict:
    return api.call(
        f"{TRA}/ajouter/fichier", {"pieceJointeFichier": _b64(data), "pieceJointeNom": nom, **extra}
    )


def test_ajouter_fichier_stores_the_file_for_the_caller(scene, supplier):
    answer = _add(
        supplier,
        "bon-de-livraison.pdf",
        b"%PDF-1.4 test",
        pieceJointeTypeMime="application/pdf",
        pieceJointeExtension="PDF",
        idUtilisateurCourant=0,
    )
    assert answer["codeRetour"] == 0 and isinstance(answer["pieceJointeId"], int)
    with db.new_session() as s:
        pj = s.get(PieceJointe, answer["pieceJointeId"])
        assert (pj.nom, pj.extension, pj.size, bytes(pj.content)) == (
            "bon-de-livraison.pdf",
            "pdf",
            13,
            b"%PDF-1.4 test",
        )
        assert pj.structure_id == scene.supplier.structure_id and pj.facture_id is None


@pytest.mark.parametrize(
    ("nom", "extra", "code"),
    [
        ("x" * 47 + ".pdf", {}, 20509),  # 51 characters with the extension
        ("sans-extension", {}, 20509),
        ("programme.exe", {}, 20509),
        ("image.png", {"pieceJointeExtension": "JPG"}, 20509),
        ("", {}, 20511),
    ],
)
def test_ajouter_fichier_name_rules(supplier, nom, extra, code):
    assert _add(supplier, nom, **extra)["codeRetour"] == code


def test_fifty_characters_with_the_extension_is_accepted(supplier):
    assert _add(supplier, "x" * 46 + ".pdf")["codeRetour"] == 0


@pytest.mark.parametrize(
    "ext", ["BMP", "GIF", "ODT", "TIFF", "XLSX", "DOCX", "P7S", "TGZ", "XHTML", "PPTX"]
)
def test_allowed_extensions_from_the_reference(supplier, ext):
    assert _add(supplier, f"piece.{ext.lower()}")["codeRetour"] == 0


def test_over_ten_mo_is_20003_and_nothing_is_stored(supplier):
    with db.new_session() as s:
        before = s.query(PieceJointe).count()
    answer = supplier.call(
        f"{TRA}/ajouter/fichier",
        {"pieceJointeFichier": _b64(b"a" * (TEN_MO + 1)), "pieceJointeNom": "gros.txt"},
    )
    assert answer["codeRetour"] == 20003
    assert _add(supplier, "juste.txt", b"a" * TEN_MO)["codeRetour"] == 0
    with db.new_session() as s:
        assert s.query(PieceJointe).count() == before + 1


def test_bad_base64_and_empty_file(supplier):
    bad = supplier.call(
        f"{TRA}/ajouter/fichier", {"pieceJointeFichier": "@@@", "pieceJointeNom": "a.txt"}
    )
    assert bad["codeRetour"] == 20509
    assert _add(supplier, "vide.txt", b"")["codeRetour"] == 20511  # "" is an absent file
    missing = supplier.call(f"{TRA}/ajouter/fichier", {"pieceJointeNom": "a.txt"})
    assert missing["codeRetour"] == 20511
    assert supplier.post(f"{TRA}/ajouter/fichier", {"pieceJointeNom": 12}).status_code == 400


def test_deposer_pdf_rules(supplier):
    too_big = supplier.post(
        f"{FAC}/deposer/pdf",
        {"fichierFacture": _b64(b"%PDF" + b"0" * TEN_MO), "nomFichier": "f.pdf"},
    )
    assert too_big.status_code == 413 and too_big.json()["codeRetour"] == 20003
    not_pdf = supplier.call(
        f"{FAC}/deposer/pdf", {"fichierFacture": _b64(b"hello"), "nomFichier": "f.pdf"}
    )
    assert not_pdf["codeRetour"] == 20509
    broken = supplier.call(
        f"{FAC}/deposer/pdf", {"fichierFacture": _b64(b"%PDF-1.4 garbage"), "nomFichier": "f.pdf"}
    )
    assert broken["codeRetour"] == 20509
    wrong_name = supplier.call(
        f"{FAC}/deposer/pdf", {"fichierFacture": _b64(b"%PDF-1.4"), "nomFichier": "f.docx"}
    )
    assert wrong_name["codeRetour"] == 20509
    bad_format = supplier.post(
        f"{FAC}/deposer/pdf", {"fichierFacture": _b64(b"%PDF"), "formatDepot": "WORD"}
    )
    assert bad_format.status_code == 400


def test_rechercher_pj_moncompte_paging_and_designation(base_url, scene):
    api = scene.api(base_url, scene.outsider)
    ids = [_add(api, f"annexe-{i:02d}.txt")["pieceJointeId"] for i in range(12)]
    _add(api, "autre.csv")
    answer = api.call(
        f"{TRA}/rechercher/pj/moncompte",
        {"pieceJointeDesignation": "annexe", "pieceJointeTypeId": 0},
    )
    RechercherPjMonCompteRetour.model_validate(answer)
    assert answer["parametresRetour"] == {
        "pageCourante": 1,
        "pages": 2,
        "nbResultatsParPage": 10,
        "total": 12,
    }
    assert [x["pieceJointeId"] for x in answer["listePiecesJointes"]] == ids[:10]
    assert answer["listePiecesJointes"][0]["pieceJointeExtension"] == "TXT"
    page2 = api.call(
        f"{TRA}/rechercher/pj/moncompte",
        {"pieceJointeDesignation": "annexe", "parametresRecherche": {"pageResultatDemandee": 2}},
    )
    assert [x["pieceJointeId"] for x in page2["listePiecesJointes"]] == ids[10:]
    everything = api.call(
        f"{TRA}/rechercher/pj/moncompte", {"parametresRecherche": {"nbResultatsParPage": 100}}
    )
    assert everything["parametresRetour"]["total"] == 13
    nothing = api.call(f"{TRA}/rechercher/pj/moncompte", {"pieceJointeDesignation": "zzz"})
    assert nothing["codeRetour"] == 0 and nothing["listePiecesJointes"] == []


def test_rechercher_pj_structure(base_url, scene, supplier):
    own = _add(supplier, "kbis.pdf")["pieceJointeId"]
    answer = supplier.call(
        f"{TRA}/rechercher/pj/structure",
        {"idStructureCPP": scene.supplier.structure_id, "pieceJointeDesignation": "kbis"},
    )
    RechercherPjStructureRetour.model_validate(answer)
    found = {x["pieceJointeId"]: x for x in answer["listePiecesJointes"]}
    assert own in found and found[own]["pieceJointeStructureId"] == scene.supplier.structure_id
    other = scene.api(base_url, scene.outsider)
    assert (
        other.call(
            f"{TRA}/rechercher/pj/structure", {"idStructureCPP": scene.supplier.structure_id}
        )["codeRetour"]
        == 20001
    )
    assert supplier.call(f"{TRA}/rechercher/pj/structure", {})["codeRetour"] == 20511
    assert (
        supplier.call(f"{TRA}/rechercher/pj/structure", {"idStructureCPP": 2**62})["codeRetour"]
        == 20100
    )


def test_telecharger_piece_jointe_of_invoices_and_detacher(base_url, scene, supplier):
    main = _add(supplier, "facture.pdf", b"%PDF-main")["pieceJointeId"]
    extra = _add(supplier, "annexe.txt", b"annexe")["pieceJointeId"]
    with db.new_session() as s:
        facture = make_facture(s, scene.supplier, scene.recipient)
        for pj_id, role in ((main, "principale"), (extra, "complementaire")):
            pj = s.get(PieceJointe, pj_id)
            pj.facture_id, pj.role = facture.id, role
        s.commit()
        facture_id = facture.id
    recipient = scene.api(base_url, scene.recipient)
    one = recipient.call(
        f"{TRA}/telecharger/pieceJointe",
        {
            "objetPieceJointe": "DEMANDE_PAIEMENT",
            "demandePaiement": {"listeFacture": [{"idFacture": facture_id}]},
        },
    )
    assert base64.b64decode(one["pieceJointe"]) == b"%PDF-main"
    both = recipient.call(
        f"{TRA}/telecharger/pieceJointe",
        {
            "objetPieceJointe": "DEMANDE_PAIEMENT",
            "demandePaiement": {
                "avecPiecesJointesComplementaires": "OUI",
                "format": "PDF",
                "listeFacture": [{"idFacture": facture_id}],
            },
        },
    )
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(both["pieceJointe"]))).namelist()
    assert names == [f"{main}_facture.pdf", f"{extra}_annexe.txt"]
    outsider = scene.api(base_url, scene.outsider)
    denied = outsider.call(
        f"{TRA}/telecharger/pieceJointe",
        {
            "objetPieceJointe": "DEMANDE_PAIEMENT",
            "demandePaiement": {"listeFacture": [{"idFacture": facture_id}]},
        },
    )
    assert denied["codeRetour"] == 20001
    assert (
        outsider.call(f"{TRA}/telecharger/pieceJointe", {"pieceJointeId": main})["codeRetour"]
        == 20001
    )
    # detaching: only a free upload of the caller's
    assert (
        supplier.call(f"{TRA}/detacherPieceJointe", {"idPieceJointeObjet": main})["codeRetour"]
        == 20509
    )
    free = _add(supplier, "brouillon.txt")["pieceJointeId"]
    assert (
        outsider.call(f"{TRA}/detacherPieceJointe", {"idPieceJointeObjet": free})["codeRetour"]
        == 20508
    )
    assert (
        supplier.call(f"{TRA}/detacherPieceJointe", {"idPieceJointeObjet": free})["codeRetour"] == 0
    )
    assert (
        supplier.call(f"{TRA}/detacherPieceJointe", {"idPieceJointeObjet": free})["codeRetour"]
        == 20508
    )
    assert supplier.call(f"{TRA}/detacherPieceJointe", {})["codeRetour"] == 20511
    with db.new_session() as s:
        assert s.get(PieceJointe, free) is None


def test_telecharger_piece_jointe_bad_objet(supplier):
    assert (
        supplier.call(f"{TRA}/telecharger/pieceJointe", {"objetPieceJointe": "MANDAT"})[
            "codeRetour"
        ]
        == 20511
    )
    mine = supplier.call(f"{TRA}/telecharger/pieceJointe", {"objetPieceJointe": "UTILISATEUR"})
    assert mine["codeRetour"] == 0
