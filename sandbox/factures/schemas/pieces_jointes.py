"""Request and response models of ``deposer/pdf`` and the Transverses pièces jointes
operations (factures-reference.md §5.3; go-choruspro ``transverses_pieces_jointes.go``;
piste-gouv-fr ``detacherPieceJointe``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from sandbox.cpro.paging import Tri
from sandbox.cpro.schemas import Pagination, Request, Response
from sandbox.factures.models import PieceJointe
from sandbox.factures.schemas.common import (
    Blank,
    OptId,
    OptStr,
    Out,
    as_list,
    opt_text,
)

Text200 = opt_text(200)


class DeposerPdfFactureParam(Request):
    fichierFacture: OptStr = Field(None, description="The PDF, base64.")
    formatDepot: Annotated[
        Literal["PDF_NON_SIGNE", "PDF_SIGNE_PADES", "PDF_SIGNE_XADES"] | None, Blank
    ] = Field(None, description="Default PDF_NON_SIGNE.")
    nomFichier: Text200 = None


class DeposerPdfFactureRetour(Response):
    pieceJointeId: int | None = None
    numeroFacture: str | None = None
    dateFacture: str | None = None
    codeDestinataire: str | None = None
    codeServiceExecutant: str | None = None
    codeFournisseur: str | None = None
    codeDeviseFacture: str | None = None
    typeFacture: str | None = None
    typeTva: str | None = None
    numeroBonCommande: str | None = None
    montantTtcAvantRemiseGlobalTTC: float | None = None
    montantAPayer: float | None = None
    montantHtTotal: float | None = None
    montantTVA: float | None = None


class AjouterFichierParam(Request):
    pieceJointeFichier: OptStr = Field(None, description="The file, base64 (≤ 10 Mo decoded).")
    pieceJointeNom: OptStr = Field(None, description="≤ 50 characters including the extension.")
    pieceJointeTypeMime: OptStr = None
    pieceJointeExtension: OptStr = None


class AjouterFichierRetour(Response):
    pieceJointeId: int | None = None


# Sort keys of rechercher/pj/* (the request's triColonne enum and the ORDER BY).
PIECES_JOINTES = Tri(
    {
        "PieceJointeDesignation": PieceJointe.nom,
        "PieceJointeId": PieceJointe.id,
        "PieceJointeExtension": PieceJointe.extension,
    },
    PieceJointe.id,
)


class ParametresRecherchePj(Pagination):
    triColonne: Annotated[PIECES_JOINTES.colonne | None, Blank] = None


class RechercherPjMonCompteParam(Request):
    pieceJointeDesignation: OptStr = None
    pieceJointeTypeId: OptId = None
    codeLangue: OptStr = None
    parametresRecherche: ParametresRecherchePj | None = None


class PieceJointeMonCompte(Out):
    pieceJointeDesignation: str
    pieceJointeExtension: str
    pieceJointeId: int
    pieceJointeObjetId: int | None
    pieceJointeTypeCode: str | None
    pieceJointeTypeLibelle: str | None
    pieceJointeUtilisateurId: int | None


class RechercherPjMonCompteRetour(Response):
    listePiecesJointes: list[PieceJointeMonCompte] = []
    parametresRetour: dict | None = None


class RechercherPjStructureParam(RechercherPjMonCompteParam):
    idStructureCPP: OptId = None


class PieceJointeStructure(PieceJointeMonCompte):
    pieceJointeStructureCode: str | None
    pieceJointeStructureId: int | None
    pieceJointeStructureRaisonSociale: str | None


class RechercherPjStructureRetour(Response):
    listePiecesJointes: list[PieceJointeStructure] = []
    parametresRetour: dict | None = None


class TelechargerPjDemandePaiement(Request):
    avecPiecesJointesComplementaires: OptStr = None
    format: OptStr = None
    listeFacture: Annotated[list[dict] | None, BeforeValidator(as_list)] = None


class TelechargerPieceJointeParam(Request):
    objetPieceJointe: OptStr = Field(
        None, description="DEMANDE_PAIEMENT (the invoices' attachments) or UTILISATEUR."
    )
    demandePaiement: TelechargerPjDemandePaiement | None = None
    pieceJointeId: OptId = Field(None, description="Sandbox extension: one attachment by id.")


class TelechargerPieceJointeRetour(Response):
    pieceJointe: str | None = Field(None, description="base64: the file, or a ZIP of several.")


class DetacherPieceJointeParam(Request):
    idPieceJointeObjet: OptId = Field(None, description="pieceJointeId of the attachment.")


class DetacherPieceJointeRetour(Response):
    pass
