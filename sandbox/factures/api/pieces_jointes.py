"""Attachments: ``transverses/v1/ajouter/fichier``, ``factures/v1/deposer/pdf`` and the
Transverses pièces jointes operations (factures-reference.md §5.3; go-choruspro
``transverses_pieces_jointes.go``; piste-gouv-fr for ``detacherPieceJointe``).

An uploaded file belongs to the caller's account (``owner_user_id``) and, for a technical
account, to its structure, until ``soumettre``/``completer`` ties it to an invoice. Rules
of §5.3: a name of at most 50 characters including an extension from the allowed list,
at most 10 Mo (``ajouter/fichier``: 20003; ``deposer/pdf``: HTTP 413).

``deposer/pdf`` answers what the platform's OCR would read: the fields this module can
find in the PDF's text (pypdf) — invoice number, date, SIRETs, amounts, currency — and
null for the others (docs/decisions.md).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re

from flask import Flask, request
from sqlalchemy import select

from sandbox import clock, db
from sandbox.accounts.rights import usable_structure_ids
from sandbox.cpro import errors as cpro_errors
from sandbox.cpro.api import Context, RequestError, operation
from sandbox.cpro.paging import paged
from sandbox.factures import errors
from sandbox.factures.documents import zip_bytes
from sandbox.factures.models import Facture, PieceJointe
from sandbox.factures.rules import visibility
from sandbox.factures.rules.pdf_reading import read_pdf
from sandbox.factures.schemas import pieces_jointes as sc
from sandbox.models import Structure

TRANSVERSES = "/cpro/transverses/v1"
MAX_PJ_BYTES = 10 * 1024 * 1024  # 10 Mo per attachment
MAX_NAME = 50
EXTENSIONS = frozenset(
    "BMP GIF FAX ODT PPT TIFF XLS BZ2 GZ JPEG P7S RTF TXT XML CSV GZIP JPG PDF SVG XHTML XLSX "
    "DOC HTM ODP PNG TGZ XLC ZIP DOCX HTML ODS PPS TIF XLM PPTX".split()
)
UPLOAD_PATHS = (f"{TRANSVERSES}/ajouter/fichier", "/cpro/factures/v1/deposer/pdf")
# Bodies carrying files up to twice the cap still reach the API, which answers 20003 /
# 413 with its own body; beyond that the server's generic 413.
MAX_UPLOAD_BODY = 2 * MAX_PJ_BYTES * 4 // 3 + 64 * 1024


def init_app(app: Flask) -> None:
    """Let upload bodies be larger than the app's general limit (see MAX_UPLOAD_BODY)."""

    def _larger_body_for_uploads() -> None:
        if request.path.rstrip("/") in UPLOAD_PATHS:
            request.max_content_length = MAX_UPLOAD_BODY

    app.before_request_funcs.setdefault(None, []).insert(0, _larger_body_for_uploads)


def decode(data: str | None, field: str) -> bytes:
    if data is None:
        raise errors.ParametreFactureManquant(f"Paramètre obligatoire manquant : {field}.")
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", data), validate=True)
    except (binascii.Error, ValueError):
        raise errors.PieceJointeInvalide(
            f"Le contenu de {field} n'est pas du base64 valide."
        ) from None
    if not raw:
        raise errors.PieceJointeInvalide(f"Le fichier ({field}) est vide.")
    return raw


def check_name(nom: str, extension: str | None) -> str:
    """Return the extension (lower case) of a valid attachment name."""
    if len(nom) > MAX_NAME:
        raise errors.PieceJointeInvalide(
            f"Le nom de la pièce jointe dépasse {MAX_NAME} caractères (extension comprise)."
        )
    stem, dot, ext = nom.rpartition(".")
    if not dot or not stem or not ext:
        raise errors.PieceJointeInvalide("Le nom de la pièce jointe doit comporter une extension.")
    if ext.upper() not in EXTENSIONS:
        raise errors.PieceJointeInvalide(
            f"L'extension {ext} n'est pas autorisée (autorisées : {', '.join(sorted(EXTENSIONS))})."
        )
    if extension and extension.strip().lstrip(".").upper() != ext.upper():
        raise errors.PieceJointeInvalide(
            f"L'extension {extension} ne correspond pas au nom de la pièce jointe ({nom})."
        )
    return ext.lower()


def store(ctx: Context, nom: str, ext: str, content: bytes, type_mime: str | None) -> PieceJointe:
    pj = PieceJointe(
        owner_user_id=ctx.caller.user.id,
        structure_id=ctx.caller.user.technical_structure_id,
        nom=nom,
        type_mime=type_mime or mimetypes.guess_type(nom)[0] or "application/octet-stream",
        extension=ext,
        content=content,
        size=len(content),
        created_at=clock.utcnow_naive(),
    )
    ctx.s.add(pj)
    ctx.s.flush()
    return pj


@operation(
    "POST",
    f"{TRANSVERSES}/ajouter/fichier",
    operation_id="ajouterFichierDansSysteme",
    summary="Upload an attachment to the caller's account; get its pieceJointeId",
    tag="Transverses",
    request_model=sc.AjouterFichierParam,
    response_model=sc.AjouterFichierRetour,
)
def ajouter_fichier(ctx: Context, p: sc.AjouterFichierParam) -> dict:
    """Name ≤ 50 characters with an allowed extension (20509), file ≤ 10 Mo (**20003**)."""
    nom = p.pieceJointeNom
    if not nom:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : pieceJointeNom.")
    ext = check_name(nom, p.pieceJointeExtension)
    content = decode(p.pieceJointeFichier, "pieceJointeFichier")
    if len(content) > MAX_PJ_BYTES:
        raise errors.FichierTropVolumineux()
    with db.unit_of_work(ctx.s):
        pj = store(ctx, nom, ext, content, p.pieceJointeTypeMime)
    return {"codeRetour": 0, "libelle": cpro_errors.LIBELLE_CONSULTATION_OK, "pieceJointeId": pj.id}


# --- deposer/pdf --------------------------------------------------------------------------------


@operation(
    "POST",
    "/cpro/factures/v1/deposer/pdf",
    operation_id="deposerPDFFacture",
    summary="Upload an invoice PDF; get what the platform reads of it and its pieceJointeId",
    tag="Factures",
    request_model=sc.DeposerPdfFactureParam,
    response_model=sc.DeposerPdfFactureRetour,
)
def deposer_pdf(ctx: Context, p: sc.DeposerPdfFactureParam) -> dict:
    """The PDF (≤ 10 Mo, else HTTP 413) is kept as an attachment of the caller's account:
    use its `pieceJointeId` as `pieceJointePrincipale` of `soumettre` (`DEPOT_PDF_API`).
    The other fields are read from the PDF's text (null when absent)."""
    nom = p.nomFichier or "facture.pdf"
    ext = check_name(nom if len(nom) <= MAX_NAME else nom[-MAX_NAME:], None)
    if ext != "pdf":
        raise errors.PieceJointeInvalide("Le fichier déposé doit être un PDF (extension .pdf).")
    content = decode(p.fichierFacture, "fichierFacture")
    if len(content) > MAX_PJ_BYTES:
        raise RequestError(413, 20003, "Le PDF dépasse la taille maximale autorisée (10 Mo).")
    if not content.startswith(b"%PDF"):
        raise errors.PieceJointeInvalide("Le fichier n'est pas un PDF (en-tête %PDF absent).")
    found = read_pdf(content)
    with db.unit_of_work(ctx.s):
        pj = store(ctx, nom, ext, content, "application/pdf")
        pj.type_piece = p.formatDepot or "PDF_NON_SIGNE"
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "pieceJointeId": pj.id,
        **found,
    }


# --- search, download, detach -------------------------------------------------------------------


def _item(pj: PieceJointe) -> dict:
    return {
        "pieceJointeDesignation": pj.designation or pj.nom,
        "pieceJointeExtension": pj.extension.upper(),
        "pieceJointeId": pj.id,
        "pieceJointeObjetId": pj.facture_id,
        "pieceJointeTypeCode": pj.type_piece,
        "pieceJointeTypeLibelle": None,
        "pieceJointeUtilisateurId": pj.owner_user_id,
    }


def _search(ctx: Context, p: sc.RechercherPjMonCompteParam, where: list) -> tuple[list, dict]:
    if p.pieceJointeDesignation:
        where.append(PieceJointe.nom.contains(p.pieceJointeDesignation, autoescape=True))
    rows, retour = paged(
        ctx.s, select(PieceJointe).where(*where), p.parametresRecherche, sc.PIECES_JOINTES
    )
    return [r[0] for r in rows], retour


@operation(
    "POST",
    f"{TRANSVERSES}/rechercher/pj/moncompte",
    operation_id="rechercherPiecesJointesMonCompte",
    summary="Search the attachments of the caller's account",
    tag="Transverses",
    request_model=sc.RechercherPjMonCompteParam,
    response_model=sc.RechercherPjMonCompteRetour,
)
def rechercher_moncompte(ctx: Context, p: sc.RechercherPjMonCompteParam) -> dict:
    """The files the caller uploaded (`ajouter/fichier`, `deposer/pdf`), their name
    containing `pieceJointeDesignation` if given; paged (`parametresRecherche`)."""
    items, retour = _search(ctx, p, [PieceJointe.owner_user_id == ctx.caller.user.id])
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_RECHERCHE_OK,
        "listePiecesJointes": [_item(pj) for pj in items],
        "parametresRetour": retour,
    }


@operation(
    "POST",
    f"{TRANSVERSES}/rechercher/pj/structure",
    operation_id="rechercherPiecesJointesStructure",
    summary="Search the attachments of a structure the caller may use",
    tag="Transverses",
    request_model=sc.RechercherPjStructureParam,
    response_model=sc.RechercherPjStructureRetour,
)
def rechercher_structure(ctx: Context, p: sc.RechercherPjStructureParam) -> dict:
    """Files uploaded by the structure's technical account, or tied to an invoice the
    structure emitted. 20511 without `idStructureCPP`; 20001 for a structure the caller
    may not use."""
    if p.idStructureCPP is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : idStructureCPP.")
    structure = ctx.s.get(Structure, p.idStructureCPP)
    if structure is None:
        raise cpro_errors.StructureInconnue()
    if structure.id not in usable_structure_ids(ctx.s, ctx.caller.user):
        raise errors.HabilitationInsuffisante()
    emitted = select(Facture.id).where(Facture.fournisseur_id == structure.id)
    where = [(PieceJointe.structure_id == structure.id) | PieceJointe.facture_id.in_(emitted)]
    items, retour = _search(ctx, p, where)
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_RECHERCHE_OK,
        "listePiecesJointes": [
            {
                **_item(pj),
                "pieceJointeStructureCode": structure.identifiant,
                "pieceJointeStructureId": structure.id,
                "pieceJointeStructureRaisonSociale": structure.raison_sociale,
            }
            for pj in items
        ],
        "parametresRetour": retour,
    }


def _readable_invoice(ctx: Context, facture_id: int) -> Facture:
    facture = ctx.s.get(Facture, facture_id)
    if facture is None:
        raise errors.DemandePaiementInconnue()
    mine = usable_structure_ids(ctx.s, ctx.caller.user)
    received = facture.destinataire_id in mine and visibility.is_received(facture)
    if not received and facture.fournisseur_id not in mine:
        raise errors.HabilitationInsuffisante()
    return facture


@operation(
    "POST",
    f"{TRANSVERSES}/telecharger/pieceJointe",
    operation_id="telechargerPieceJointe",
    summary="Download attachments (of invoices, or of the caller's account)",
    tag="Transverses",
    request_model=sc.TelechargerPieceJointeParam,
    response_model=sc.TelechargerPieceJointeRetour,
)
def telecharger(ctx: Context, p: sc.TelechargerPieceJointeParam) -> dict:
    """`objetPieceJointe` DEMANDE_PAIEMENT: the attachments of `demandePaiement.listeFacture`
    (the main one; every one with `avecPiecesJointesComplementaires` OUI); UTILISATEUR: the
    caller's own uploads; or one `pieceJointeId`. One file comes as is, several as a ZIP."""
    pjs: list[PieceJointe] = []
    if p.pieceJointeId is not None:
        pj = ctx.s.get(PieceJointe, p.pieceJointeId)
        if pj is None:
            raise errors.PieceJointeInconnue()
        if pj.owner_user_id != ctx.caller.user.id:
            if pj.facture_id is None:
                raise errors.PieceJointeInconnue()
            _readable_invoice(ctx, pj.facture_id)
        pjs = [pj]
    elif (p.objetPieceJointe or "").upper() == "DEMANDE_PAIEMENT":
        dp = p.demandePaiement or sc.TelechargerPjDemandePaiement()
        ids = [
            int(x["idFacture"])
            for x in dp.listeFacture or []
            if str(x.get("idFacture", "")).isdigit()
        ]
        if not ids:
            raise errors.ParametreFactureManquant(
                "Paramètre obligatoire manquant : demandePaiement.listeFacture."
            )
        every = (dp.avecPiecesJointesComplementaires or "").upper() == "OUI"
        for facture_id in dict.fromkeys(ids):
            facture = _readable_invoice(ctx, facture_id)
            for pj in ctx.s.scalars(
                select(PieceJointe)
                .where(PieceJointe.facture_id == facture.id)
                .order_by(PieceJointe.id)
            ):
                if every or pj.role == "principale":
                    pjs.append(pj)
    elif (p.objetPieceJointe or "").upper() == "UTILISATEUR":
        pjs = list(
            ctx.s.scalars(
                select(PieceJointe)
                .where(PieceJointe.owner_user_id == ctx.caller.user.id)
                .order_by(PieceJointe.id)
            )
        )
    else:
        raise errors.ParametreFactureManquant(
            "objetPieceJointe : DEMANDE_PAIEMENT ou UTILISATEUR (ou pieceJointeId) attendu."
        )
    if not pjs:
        raise errors.PieceJointeInconnue("Aucune pièce jointe ne correspond à la demande.")
    if len(pjs) == 1:
        content = bytes(pjs[0].content)
    else:
        content = zip_bytes([(f"{pj.id}_{pj.nom}", pj.content) for pj in pjs])
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "pieceJointe": base64.b64encode(content).decode("ascii"),
    }


@operation(
    "POST",
    f"{TRANSVERSES}/detacherPieceJointe",
    operation_id="detacherPieceJointe",
    summary="Remove an uploaded attachment from the caller's account",
    tag="Transverses",
    request_model=sc.DetacherPieceJointeParam,
    response_model=sc.DetacherPieceJointeRetour,
)
def detacher(ctx: Context, p: sc.DetacherPieceJointeParam) -> dict:
    """Only the caller's own upload that no invoice uses yet (20508 / 20509 otherwise)."""
    if p.idPieceJointeObjet is None:
        raise errors.ParametreFactureManquant(
            "Paramètre obligatoire manquant : idPieceJointeObjet."
        )
    with db.unit_of_work(ctx.s):
        pj = ctx.s.get(PieceJointe, p.idPieceJointeObjet)
        if pj is None or pj.owner_user_id != ctx.caller.user.id:
            raise errors.PieceJointeInconnue()
        if pj.facture_id is not None:
            raise errors.PieceJointeInvalide(
                f"La pièce jointe {pj.id} est rattachée à la facture {pj.facture_id} : "
                "elle ne peut plus être détachée."
            )
        ctx.s.delete(pj)
    return {"codeRetour": 0, "libelle": cpro_errors.LIBELLE_CONSULTATION_OK}
