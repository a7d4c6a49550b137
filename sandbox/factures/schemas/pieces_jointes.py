"""Request and response models of ``deposer/pdf`` and the Transverses pièces jointes
operations (factures-reference.md §5.3; go-choruspro ``transverses_pieces_jointes.go``;
piste-gouv-fr ``detacherPieceJointe``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

from pydantic import BeforeValidator, Field

from sandbox.cpro.paging import Tri
from sandbox.cpro.schemas import Pagination, Request, Response
from sandbox.cpro.zero import Maybe, MaybeId
from sandbox.factures.models import PieceJointe
from sandbox.factures.schemas.common import Out, Text200, as_list


class DeposerPdfFactureParam(Request):
    fichierFacture: Maybe[str] = Field(None, description="The PDF, base64.")
    formatDepot: Maybe[Literal["PDF_NON_SIGNE", "PDF_SIGNE_PADES", "PDF_SIGNE_XADES"]] = Field(
        None, description="Default PDF_NON_SIGNE."
    )
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
    pieceJointeFichier: Maybe[str] = Field(None, description="The file, base64 (≤ 10 Mo decoded).")
    pieceJointeNom: Maybe[str] = Field(None, description="≤ 50 characters including the extension.")
    pieceJointeTypeMime: Maybe[str] = None
    pieceJointeExtension: Maybe[str] = None


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
if TYPE_CHECKING:
    TriPiecesJointes: TypeAlias = str  # what the field holds; pydantic reads the Literal
else:
    TriPiecesJointes = PIECES_JOINTES.colonne


class ParametresRecherchePj(Pagination):
    triColonne: Maybe[TriPiecesJointes] = None


class RechercherPjMonCompteParam(Request):
    pieceJointeDesignation: Maybe[str] = None
    pieceJointeTypeId: MaybeId = None
    codeLangue: Maybe[str] = None
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
    idStructureCPP: MaybeId = None


class PieceJointeStructure(PieceJointeMonCompte):
    pieceJointeStructureCode: str | None
    pieceJointeStructureId: int | None
    pieceJointeStructureRaisonSociale: str | None


class RechercherPjStructureRetour(Response):
    listePiecesJointes: list[PieceJointeStructure] = []
    parametresRetour: dict | None = None


class TelechargerPjDemandePaiement(Request):
    avecPiecesJointesComplementaires: Maybe[str] = None
    format: Maybe[str] = None
    listeFacture: Annotated[list[dict] | None, BeforeValidator(as_list)] = None


class TelechargerPieceJointeParam(Request):
    objetPieceJointe: Maybe[str] = Field(
        None, description="DEMANDE_PAIEMENT (the invoices' attachments) or UTILISATEUR."
    )
    demandePaiement: TelechargerPjDemandePaiement | None = None
    pieceJointeId: MaybeId = Field(None, description="Sandbox extension: one attachment by id.")


class TelechargerPieceJointeRetour(Response):
    pieceJointe: str | None = Field(None, description="base64: the file, or a ZIP of several.")


class DetacherPieceJointeParam(Request):
    idPieceJointeObjet: MaybeId = Field(None, description="pieceJointeId of the attachment.")


class DetacherPieceJointeRetour(Response):
    pass
