"""Request and response models of ``soumettre``, ``deposer/pdf`` and the pièces jointes
operations (factures-reference.md §5; go-choruspro ``factures_depots.go``,
``transverses_pieces_jointes.go``; piste-gouv-fr ``detacherPieceJointe``).

Numbers are JSON numbers (clients send floats); blank values mean absent (see
``suivi_schemas.Blank``). The object-or-list fields (``pieceJointePrincipale``: a list in
the samples, one object in go-choruspro) accept both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from sandbox.cpro.paging import Tri
from sandbox.cpro.schemas import Pagination, Request, Response
from sandbox.factures.models import PieceJointe
from sandbox.factures.suivi_schemas import (
    Blank,
    OptId,
    OptStr,
    Out,
    PieceJointeComplementaireItem,
    Text2000,
    _as_list,
    opt_text,
)
from sandbox.vocabulary import (
    CadreFacturation,
    ModeDepot,
    ModePaiement,
    StatutFacture,
    TypeFacture,
    TypeTva,
)

Montant = Annotated[float | None, Blank]
Text200 = opt_text(200)
Text50 = opt_text(50)
Text40 = opt_text(40)


class SoumettreDestinataire(Request):
    codeDestinataire: OptStr = Field(None, description="SIRET of the recipient (14 digits).")
    codeServiceExecutant: OptStr = None


class SoumettreFournisseur(Request):
    idFournisseur: OptId = Field(None, description="idStructureCPP of the supplier structure.")
    idServiceFournisseur: OptId = None
    codeCoordonneesBancairesFournisseur: OptId = None


class SoumettreCadre(Request):
    codeCadreFacturation: Annotated[CadreFacturation | None, Blank] = None
    codeStructureValideur: OptStr = None
    codeServiceValideur: OptStr = None


class SoumettreReferences(Request):
    deviseFacture: Annotated[Annotated[str, Field(min_length=3, max_length=3)] | None, Blank] = None
    typeFacture: Annotated[TypeFacture | None, Blank] = None
    typeTva: Annotated[TypeTva | None, Blank] = None
    motifExonerationTva: OptStr = None
    numeroMarche: Text50 = None
    numeroBonCommande: Text50 = Field(None, description="Legal commitment (EJ) number.")
    numeroFactureOrigine: Text40 = None
    modePaiement: Annotated[ModePaiement | None, Blank] = None


class SoumettreLignePoste(Request):
    lignePosteNumero: Annotated[int | None, Blank] = None
    lignePosteReference: OptStr = None
    lignePosteDenomination: OptStr = None
    lignePosteQuantite: Montant = None
    lignePosteUnite: OptStr = None
    lignePosteMontantUnitaireHT: Montant = None
    lignePosteMontantRemiseHT: Montant = None
    lignePosteTauxTva: OptStr = Field(
        None, description="A rate code (recuperer/tauxtva), e.g. TVA20."
    )
    lignePosteTauxTvaManuel: Montant = None


class SoumettreLigneTva(Request):
    ligneTvaTaux: OptStr = None
    ligneTvaTauxManuel: Montant = None
    ligneTvaMontantBaseHtParTaux: Montant = None
    ligneTvaMontantTvaParTaux: Montant = None


class SoumettreMontantTotal(Request):
    montantHtTotal: Montant = None
    montantTVA: Montant = None
    montantTtcTotal: Montant = None
    montantRemiseGlobaleTTC: Montant = None
    motifRemiseGlobaleTTC: OptStr = None
    montantAPayer: Montant = None


class SoumettrePieceJointePrincipale(Request):
    pieceJointePrincipaleDesignation: OptStr = None
    pieceJointePrincipaleId: OptId = None


class SoumettreFactureParam(Request):
    """Input of soumettreFacture (SAISIE_API, DEPOT_PDF_API, DEPOT_PDF_SIGNE_API)."""

    modeDepot: Annotated[ModeDepot | None, Blank] = None
    numeroFactureSaisi: Text200 = Field(
        None,
        description="Supplier's number (≤ 20: letters, digits, - _ / +); null in SAISIE_API: "
        "the sandbox numbers it.",
    )
    dateFacture: OptStr = Field(None, description="YYYY-MM-DD (default: the deposit day).")
    destinataire: SoumettreDestinataire | None = None
    fournisseur: SoumettreFournisseur | None = None
    cadreDeFacturation: SoumettreCadre | None = None
    references: SoumettreReferences | None = None
    lignePoste: Annotated[list[SoumettreLignePoste] | None, BeforeValidator(_as_list)] = None
    ligneTva: Annotated[list[SoumettreLigneTva] | None, BeforeValidator(_as_list)] = None
    montantTotal: SoumettreMontantTotal | None = None
    pieceJointePrincipale: Annotated[
        list[SoumettrePieceJointePrincipale] | None, BeforeValidator(_as_list)
    ] = None
    pieceJointeComplementaire: Annotated[
        list[PieceJointeComplementaireItem] | None, BeforeValidator(_as_list)
    ] = None
    commentaire: Text2000 = None


class SoumettreFactureRetour(Response):
    dateDepot: str | None = Field(None, description="YYYY-MM-DD")
    identifiantFactureCPP: int | None = None
    identifiantStructure: str | None = None
    numeroFacture: str | None = None
    statutFacture: StatutFacture | None = None
    empreinteCertificatDepot: str | None = Field(
        None, description="SHA-256 (hex) of the deposit certificate's data."
    )


# --- deposer/pdf ------------------------------------------------------------------------------


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


# --- transverses: pièces jointes ----------------------------------------------------------------


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
    listeFacture: Annotated[list[dict] | None, BeforeValidator(_as_list)] = None


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
