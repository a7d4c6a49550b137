"""Request and response models of ``soumettre`` (factures-reference.md §5; go-choruspro
``factures_depots.go``).

Numbers are JSON numbers (clients send floats); blank values mean absent (``common.Blank``).
The object-or-list fields (``pieceJointePrincipale``: a list in the samples, one object in
go-choruspro) accept both.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from sandbox.cpro.schemas import Request, Response
from sandbox.factures.schemas.common import (
    Blank,
    OptId,
    OptStr,
    PieceJointeComplementaireItem,
    Text50,
    Text2000,
    as_list,
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
    lignePoste: Annotated[list[SoumettreLignePoste] | None, BeforeValidator(as_list)] = None
    ligneTva: Annotated[list[SoumettreLigneTva] | None, BeforeValidator(as_list)] = None
    montantTotal: SoumettreMontantTotal | None = None
    pieceJointePrincipale: Annotated[
        list[SoumettrePieceJointePrincipale] | None, BeforeValidator(as_list)
    ] = None
    pieceJointeComplementaire: Annotated[
        list[PieceJointeComplementaireItem] | None, BeforeValidator(as_list)
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
