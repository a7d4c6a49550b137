"""Request and response models of ``soumettre`` (factures-reference.md §5; go-choruspro
``factures_depots.go``).

Numbers are JSON numbers (clients send floats); blank values and zeros mean absent (the
zero rule, ``sandbox/cpro/zero.py``).
The object-or-list fields (``pieceJointePrincipale``: a list in the samples, one object in
go-choruspro) accept both.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from sandbox.cpro.schemas import Request, Response
from sandbox.cpro.zero import Maybe, MaybeAmount, MaybeId, MaybeInt
from sandbox.factures.schemas.common import (
    PieceJointeComplementaireItem,
    Text40,
    Text50,
    Text200,
    Text2000,
    as_list,
)
from sandbox.vocabulary import (
    CadreFacturation,
    ModeDepot,
    ModePaiement,
    StatutFacture,
    TypeFacture,
    TypeTva,
)


class SoumettreDestinataire(Request):
    codeDestinataire: Maybe[str] = Field(None, description="SIRET of the recipient (14 digits).")
    codeServiceExecutant: Maybe[str] = None


class SoumettreFournisseur(Request):
    idFournisseur: MaybeId = Field(None, description="idStructureCPP of the supplier structure.")
    idServiceFournisseur: MaybeId = None
    codeCoordonneesBancairesFournisseur: MaybeId = None


class SoumettreCadre(Request):
    codeCadreFacturation: Maybe[CadreFacturation] = None
    codeStructureValideur: Maybe[str] = None
    codeServiceValideur: Maybe[str] = None


class SoumettreReferences(Request):
    deviseFacture: Maybe[Annotated[str, Field(min_length=3, max_length=3)]] = None
    typeFacture: Maybe[TypeFacture] = None
    typeTva: Maybe[TypeTva] = None
    motifExonerationTva: Maybe[str] = None
    numeroMarche: Text50 = None
    numeroBonCommande: Text50 = Field(None, description="Legal commitment (EJ) number.")
    numeroFactureOrigine: Text40 = None
    modePaiement: Maybe[ModePaiement] = None


class SoumettreLignePoste(Request):
    lignePosteNumero: MaybeInt = None
    lignePosteReference: Maybe[str] = None
    lignePosteDenomination: Maybe[str] = None
    lignePosteQuantite: MaybeAmount = None
    lignePosteUnite: Maybe[str] = None
    lignePosteMontantUnitaireHT: MaybeAmount = None
    lignePosteMontantRemiseHT: MaybeAmount = None
    lignePosteTauxTva: Maybe[str] = Field(
        None, description="A rate code (recuperer/tauxtva), e.g. TVA20."
    )
    lignePosteTauxTvaManuel: MaybeAmount = None


class SoumettreLigneTva(Request):
    ligneTvaTaux: Maybe[str] = None
    ligneTvaTauxManuel: MaybeAmount = None
    ligneTvaMontantBaseHtParTaux: MaybeAmount = None
    ligneTvaMontantTvaParTaux: MaybeAmount = None


class SoumettreMontantTotal(Request):
    montantHtTotal: MaybeAmount = None
    montantTVA: MaybeAmount = None
    montantTtcTotal: MaybeAmount = None
    montantRemiseGlobaleTTC: MaybeAmount = None
    motifRemiseGlobaleTTC: Maybe[str] = None
    montantAPayer: MaybeAmount = None


class SoumettrePieceJointePrincipale(Request):
    pieceJointePrincipaleDesignation: Maybe[str] = None
    pieceJointePrincipaleId: MaybeId = None


class SoumettreFactureParam(Request):
    """Input of soumettreFacture (SAISIE_API, DEPOT_PDF_API, DEPOT_PDF_SIGNE_API)."""

    modeDepot: Maybe[ModeDepot] = None
    numeroFactureSaisi: Text200 = Field(
        None,
        description="Supplier's number (≤ 20: letters, digits, - _ / +); null in SAISIE_API: "
        "the sandbox numbers it.",
    )
    dateFacture: Maybe[str] = Field(None, description="YYYY-MM-DD (default: the deposit day).")
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
