"""What a consultation or a download shows of an invoice: the ``facture`` object of
``consulter/*``, its PDF and the PIVOT file of ``telecharger/groupe``.

The ``facture`` object follows go-choruspro's ``Facture`` (factures_consultations.go),
the fields this sandbox has a value for. The PDF is the deposited one when there is one
(PDF deposit, Factur-X), else a one-page rendering of the invoice (fpdf2). The real PIVOT
format (an AIFE XSD) is not public: ours is a small XML document, one ``Facture`` element
per invoice with its attachments in base64 (docs/decisions.md).
"""

from __future__ import annotations

import base64
import io
import zipfile
from decimal import Decimal
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import clock
from sandbox.cpro.common import PARIS, designation, rows_by_id
from sandbox.factures.models import Facture, FactureStatut, PieceJointe
from sandbox.models import Service, Structure
from sandbox.vocabulary import StatutFacture

LIGNE_KEYS = (
    "lignePosteNumero",
    "lignePosteReference",
    "lignePosteDenomination",
    "lignePosteQuantite",
    "lignePosteUnite",
    "lignePosteMontantUnitaireHT",
    "lignePosteMontantRemiseHT",
    "lignePosteTauxTva",
    "lignePosteTauxTvaManuel",
)
TVA_KEYS = (
    "ligneTvaTaux",
    "ligneTvaTauxManuel",
    "ligneTvaMontantBaseHtParTaux",
    "ligneTvaMontantTvaParTaux",
)


def day(moment) -> str | None:
    """``YYYY-MM-DD`` in Paris time."""
    if moment is None:
        return None
    return clock.aware(moment).astimezone(PARIS).strftime("%Y-%m-%d")


def amount(value: Decimal | float | None) -> float:
    return float(value or 0)


def pieces_jointes(s: Session, facture: Facture) -> list[PieceJointe]:
    return list(
        s.scalars(
            select(PieceJointe).where(PieceJointe.facture_id == facture.id).order_by(PieceJointe.id)
        )
    )


def _numero(line: dict, position: int) -> dict:
    """``lignePosteNumero`` as the integer the API gives (go-choruspro decodes it into an
    int; soumettre takes one): a flux line keeps its XML ID when that is a number, its
    position otherwise (UBL ``cbc:ID`` and CII ``LineID`` are free text)."""
    if "lignePosteNumero" not in line:
        return {}
    value = str(line["lignePosteNumero"]).strip()
    return {"lignePosteNumero": int(value) if value.isdigit() else position}


def cadre_detail(s: Session, f: Facture) -> dict:
    """The ``cadreDeFacturation`` block: the code, and for an invoice with a validator the
    validator's fields go-choruspro names (``idValideur1``, ``codeValideur1``...) and the
    day it validated (``dateValidation1``)."""
    cadre: dict = {"codeCadreFacturation": f.cadre_facturation}
    valideur = rows_by_id(s, Structure, (f.valideur_structure_id,)).get(
        f.valideur_structure_id or 0)
    if valideur is None:
        return cadre
    validated = s.scalars(
        select(FactureStatut.date_passage)
        .where(FactureStatut.facture_id == f.id, FactureStatut.statut == StatutFacture.VALIDEE_1)
        .order_by(FactureStatut.id.desc())
    ).first()
    return cadre | {
        "idValideur1": valideur.id,
        "codeValideur1": valideur.identifiant,
        "typeIdentifiantValideur1": valideur.type_identifiant,
        "raisonSocialeValideur1": designation(valideur),
    } | ({"dateValidation1": day(validated)} if validated else {})


def facture_detail(s: Session, f: Facture) -> dict:
    """The ``facture`` object of consulter/fournisseur and consulter/recipiendaire."""
    # An invoice's parties exist while it does (NOT NULL foreign keys, ON DELETE CASCADE).
    structures = rows_by_id(s, Structure, (f.destinataire_id, f.fournisseur_id))
    dest, four = structures[f.destinataire_id], structures[f.fournisseur_id]
    services = rows_by_id(s, Service, (f.destinataire_service_id, f.fournisseur_service_id))
    service = services.get(f.destinataire_service_id or 0)
    four_service = services.get(f.fournisseur_service_id or 0)
    pjs = pieces_jointes(s, f)
    principale = next((p for p in pjs if p.role == "principale"), None)
    lignes = [
        {k: line.get(k) for k in LIGNE_KEYS if k in line} | _numero(line, i)
        for i, line in enumerate(f.lignes or [], start=1)
    ]
    tva = [{k: line.get(k) for k in TVA_KEYS if k in line} for line in f.lignes_tva or []]
    return {
        "identifiantFactureCPP": f.id,
        "numeroFacture": f.numero_facture,
        "statutFacture": f.statut,
        "modeDepot": f.mode_depot,
        "commentaire": f.commentaire,
        "cadreDeFacturation": cadre_detail(s, f),
        "destinataire": {
            "idDestinataire": dest.id,
            "codeDestinataire": dest.identifiant,
            "libelleDestinataire": designation(dest),
            "destinataireEtat": "OUI" if dest.identifiant.startswith("110") else "NON",
            "adresseDestinataireDetail": dest.adresse,
            "adresseDestinataireCodePostal": dest.code_postal,
            "adresseDestinataireVille": dest.ville,
            "adresseDestinataireCodePays": dest.pays,
            "idServiceExecutant": service.id if service else None,
            "codeServiceExecutant": f.code_service_executant,
            "libelleServiceExecutant": service.libelle if service else None,
        },
        "fournisseur": {
            "idFournisseur": four.id,
            "codeFournisseur": four.identifiant,
            "typeIdentifiantFournisseur": four.type_identifiant,
            "designationFournisseur": designation(four),
            "adresseFournisseurDetail": four.adresse,
            "adresseFournisseurCodePostal": four.code_postal,
            "adresseFournisseurVille": four.ville,
            "adresseFournisseurCodePays": four.pays,
            "numeroRcsFournisseur": four.numero_rcs,
            "idServiceFournisseur": four_service.id if four_service else None,
            "codeServiceFournisseur": four_service.code if four_service else None,
            "libelleServiceFournisseur": four_service.libelle if four_service else None,
        },
        "references": {
            "codeDeviseFacture": f.devise,
            "dateDepot": day(f.date_depot),
            "dateFacture": day(f.date_facture),
            "modePaiement": f.mode_paiement,
            "numeroBonCommande": f.numero_engagement,
            "numeroFactureOrigine": f.numero_facture_origine,
            "numeroMarche": f.numero_marche,
            "typeFacture": f.type_facture,
            "typeTva": f.type_tva,
            "tailleTotalePiecesJointes": float(sum(p.size for p in pjs)),
        },
        "montantTotal": {
            "montantHtTotal": amount(f.montant_ht),
            "montantTVA": amount(f.montant_tva),
            "montantTtcTotal": amount(f.montant_ttc),
            "montantAPayer": amount(f.montant_a_payer),
        },
        "lignesDePoste": {
            "lignePoste": lignes,
            "pageCouranteLignesPoste": 1,
            "pagesLignesPoste": 1 if lignes else 0,
            "nbResultatsParPageLignesPoste": max(len(lignes), 10),
            "totalLignesPoste": len(lignes),
        },
        "recapitulatifDeTva": {
            "ligneTva": tva,
            "pageCouranteLignesRecapitulativesTVA": 1,
            "pagesLignesRecapitulativesTVA": 1 if tva else 0,
            "nbResultatsParPageLignesRecapitulativesTVA": max(len(tva), 10),
            "totalLignesRecapitulativesTVA": len(tva),
        },
        "listeDesPiecesJointes": {
            "pieceJointe": [
                {
                    "pieceJointeId": p.id,
                    "pieceJointeDesignation": p.designation or p.nom,
                    "pieceJointeExtension": p.extension,
                    "pieceJointeTypeCode": p.type_piece,
                    "pieceJointeNumeroLigneFacture": p.numero_ligne,
                }
                for p in pjs
            ],
            "pageCouranteListePiecesJointe": 1,
            "pagesListePiecesJointe": 1 if pjs else 0,
            "nbResultatsParPageListePiecesJointe": max(len(pjs), 10),
            "totalListePiecesJointe": len(pjs),
        },
        "pieceJointePrincipale": (
            {"idPieceJointePrincipale": principale.id} if principale is not None else None
        ),
    }


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    """A ZIP archive of ``(path, content)`` entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries:
            archive.writestr(path, content)
    return buffer.getvalue()


def _latin1(text: object) -> str:
    """fpdf2's core fonts are Latin-1: keep accents, replace the rest."""
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


def invoice_pdf(s: Session, f: Facture) -> bytes:
    """The invoice's PDF: the deposited one, or a rendering of its data."""
    if f.source_pdf:
        return bytes(f.source_pdf)
    principale = s.scalars(
        select(PieceJointe).where(PieceJointe.facture_id == f.id, PieceJointe.role == "principale")
    ).first()
    if principale is not None and principale.extension.lower() == "pdf":
        return bytes(principale.content)
    from fpdf import FPDF  # ~1 s to import: only when a PDF is rendered

    four = s.get_one(Structure, f.fournisseur_id)
    dest = s.get_one(Structure, f.destinataire_id)
    pdf = FPDF()
    pdf.set_title(f"Facture {f.numero_facture}")
    pdf.set_creator("Chorus Pro Sandbox")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"Facture {f.numero_facture}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    rows = [
        ("Identifiant Chorus Pro", f.id),
        ("Fournisseur", f"{designation(four)} ({four.identifiant})"),
        ("Destinataire", f"{designation(dest)} ({dest.identifiant})"),
        ("Service exécutant", f.code_service_executant or "-"),
        ("Engagement juridique", f.numero_engagement or "-"),
        ("Date de facture", day(f.date_facture) or "-"),
        ("Date de dépôt", day(f.date_depot)),
        ("Statut", f.statut),
        ("Montant HT", f"{amount(f.montant_ht):.2f} {f.devise}"),
        ("Montant TVA", f"{amount(f.montant_tva):.2f} {f.devise}"),
        ("Montant TTC", f"{amount(f.montant_ttc):.2f} {f.devise}"),
        ("Net à payer", f"{amount(f.montant_a_payer):.2f} {f.devise}"),
    ]
    for label, value in rows:
        pdf.cell(55, 7, _latin1(label))
        pdf.cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    for line in f.lignes or []:
        text = (
            f"{line.get('lignePosteNumero', '')} {line.get('lignePosteDenomination', '')} : "
            f"{line.get('lignePosteQuantite', '')} x {line.get('lignePosteMontantUnitaireHT', '')}"
        )
        pdf.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


PIVOT_NS = "urn:chorus-pro-sandbox:pivot:1"


def pivot_xml(s: Session, factures: list[Facture]) -> bytes:
    """One PIVOT document with every invoice and its attachments (base64)."""
    ET.register_namespace("", PIVOT_NS)
    root = ET.Element(f"{{{PIVOT_NS}}}Pivot", {"version": "1"})
    for f in factures:
        detail = facture_detail(s, f)
        el = ET.SubElement(root, f"{{{PIVOT_NS}}}Facture", {"idFacture": str(f.id)})
        for key in ("numeroFacture", "statutFacture", "modeDepot"):
            ET.SubElement(el, f"{{{PIVOT_NS}}}{key}").text = str(detail[key] or "")
        for block in ("fournisseur", "destinataire", "references", "montantTotal"):
            sub = ET.SubElement(el, f"{{{PIVOT_NS}}}{block}")
            for key, value in detail[block].items():
                if value is not None:
                    ET.SubElement(sub, f"{{{PIVOT_NS}}}{key}").text = str(value)
        lignes = ET.SubElement(el, f"{{{PIVOT_NS}}}lignesDePoste")
        for line in detail["lignesDePoste"]["lignePoste"]:
            item = ET.SubElement(lignes, f"{{{PIVOT_NS}}}lignePoste")
            for key, value in line.items():
                if value is not None:
                    ET.SubElement(item, f"{{{PIVOT_NS}}}{key}").text = str(value)
        pjs = ET.SubElement(el, f"{{{PIVOT_NS}}}piecesJointes")
        for p in pieces_jointes(s, f):
            ET.SubElement(
                pjs,
                f"{{{PIVOT_NS}}}pieceJointe",
                {"id": str(p.id), "nom": p.nom, "typeMime": p.type_mime, "role": p.role or ""},
            ).text = base64.b64encode(p.content).decode("ascii")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
