"""Request and response models of the Transverses référentiels (``referentiels*.py``).

Field names as the public clients send and decode them (go-choruspro
``transverses_*.go``, piste-gouv-fr ``src/Api/ChorusPro/WsRetour/*.php``). Every
request field is optional and reads a typed client's zero value (``""``, ``0``,
``false``) as "not given" (``sandbox/cpro/zero.py``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from sandbox.cpro.paging import MAX_PAGE_SIZE
from sandbox.cpro.schemas import IsoDateTime, Pagination, ParametresRetour, Request, Response
from sandbox.cpro.zero import Maybe, MaybeBool, MaybeId, zero_to_none
from sandbox.vocabulary import (
    CadreFacturation,
    FormatFlux,
    ModeDepot,
    ModePaiement,
    StatutFacture,
    SyntaxeFlux,
    TypeDemandePaiement,
    TypeFactureTravaux,
    TypeIdentifiant,
    TypeObjetPieceJointe,
)

Langue = Maybe[str]
MaybePageSize = Annotated[
    Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | None, BeforeValidator(zero_to_none)
]
LANGUE_DESCRIPTION = (
    "Language of the labels: FR (default, also for an empty value) or EN; any case."
)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paged(Response):
    """Answers whose Swagger (as piste-gouv-fr decodes it) carries top-level paging."""

    nbResultatsParPage: int
    pageCourante: int
    pages: int
    total: int


# --- requests ---------------------------------------------------------------------


class LangueParam(Request):
    """Body of recuperer/tauxtva, recuperer/motifs/exonerationtva."""

    codeLangue: Langue = Field(None, description=LANGUE_DESCRIPTION)


class TypeDemandePaiementParam(Request):
    """Body of recuperer/cadrefacturation and recuperer/etat/typedp."""

    typeDemandePaiement: Maybe[TypeDemandePaiement] = Field(
        None, description="Restricts the list to one type of demande de paiement (all if absent)."
    )


class SyntaxeFluxParam(Request):
    """Body of recuperer/syntaxeflux."""

    formatFlux: Maybe[FormatFlux] = Field(
        None, description="The syntaxes of one format (all if absent)."
    )


class TypesPieceJointeParam(Request):
    """Body of recuperer/typespj."""

    codeLangue: Langue = Field(None, description=LANGUE_DESCRIPTION)
    typeObjet: Maybe[TypeObjetPieceJointe] = Field(
        None, description="Object the attachment belongs to (all if absent)."
    )


class MotifsRefusParam(Request):
    """Body of recuperer/motifs/refus/Facture/AValider."""

    codeCadreFacturationAValider: Maybe[CadreFacturation] = None


class CoordonneesBancairesParam(Request):
    """Body of recuperer/coordbanc/valides."""

    idStructure: MaybeId = Field(None, description="A structure the caller is attached to.")


class StructuresPourUtilisateurParam(Request):
    """Body of recuperer/structuresPourUtilisateur (deprecated on the real API)."""

    espaceFo: MaybeId = Field(
        None, description="codeEspace: 1 Factures émises, 2 Factures reçues, 3 Factures de travaux."
    )


class ZeroPagination(Pagination):
    """Paging where ``0`` (a typed client's unset int, piste-gouv-fr's default) is the default."""

    pageResultatDemandee: MaybeId = Field(None, description="Page wanted, from 1 (default 1).")
    nbResultatsParPage: MaybePageSize = Field(
        None, description=f"Results per page (default 10, at most {MAX_PAGE_SIZE})."
    )


class ParametresRechercherServiceExecutant(ZeroPagination):
    triColonne: Maybe[Literal["CodeServiceExecutant", "NomServiceExecutant"]] = None


class RechercherServiceExecutantParam(Request):
    """Body of rechercher/serviceexecutant."""

    idDestinataireCPP: MaybeId = Field(None, description="idStructureCPP of the destinataire.")
    codeServiceExecutant: Maybe[str] = Field(None, description="Beginning of the code.")
    nomServiceExecutant: Maybe[str] = Field(None, description="Beginning of the name.")
    actif: MaybeBool = Field(None, description="true: active services only; false: inactive.")
    parametresRecherche: ParametresRechercherServiceExecutant | None = None


class ParametresCategories(ZeroPagination):
    triColonne: Maybe[str] = None


class CategoriesSollicitationParam(Request):
    """Body of rechercher/categorieSollicitation (go-choruspro sends ``pagination``)."""

    codeCategorie: Maybe[str] = None
    libelleCategorie: Maybe[str] = None
    estActif: MaybeBool = None
    pagination: ParametresCategories | None = Field(
        None, validation_alias=AliasChoices("pagination", "parametresRecherche")
    )


class SousCategoriesSollicitationParam(Request):
    """Body of rechercher/sousCategorieSollicitation."""

    code: Maybe[str] = None
    libelle: Maybe[str] = None
    estActif: MaybeBool = None
    idTechniqueCategorie: MaybeId = None
    pagination: ParametresCategories | None = Field(
        None, validation_alias=AliasChoices("pagination", "parametresRecherche")
    )


# --- answers ----------------------------------------------------------------------


class TauxTva(Item):
    codeTauxTva: str
    libelleTauxTva: str
    valeurTauxTva: float


class RecupererTauxTvaRetour(Response):
    listeTauxTva: list[TauxTva]


class ModePaiementItem(Item):
    modePaiement: ModePaiement


class RecupererModesReglementRetour(Response):
    listeModePaiement: list[ModePaiementItem]


class CadreItem(Item):
    codeCadreFacturation: CadreFacturation


class RecupererCadresFacturationRetour(Response):
    listeCadreFacturation: list[CadreItem]


class ModeDepotItem(Item):
    modeDepot: ModeDepot


class RecupererModesDepotRetour(Paged):
    listeModeDepot: list[ModeDepotItem]


class FormatFluxItem(Item):
    formatFlux: FormatFlux


class RecupererFormatFluxRetour(Paged):
    listeFormatFlux: list[FormatFluxItem]


class SyntaxeFluxItem(Item):
    syntaxeFlux: SyntaxeFlux
    formatFlux: FormatFlux


class RecupererSyntaxeFluxRetour(Response):
    listeSyntaxeFlux: list[SyntaxeFluxItem]


class TypeDpItem(Item):
    typeDemandePaiement: TypeDemandePaiement


class RecupererTypesDpRetour(Response):
    listeTypeDemandePaiement: list[TypeDpItem]


class EtatDpItem(Item):
    etatDemandePaiement: StatutFacture


class RecupererEtatsDpRetour(Response):
    listeEtatDemandePaiement: list[EtatDpItem]


class TypeFactureTravauxItem(Item):
    typeFactureTravaux: TypeFactureTravaux


class RecupererTypesFactureTravauxRetour(Response):
    listeTypeFactureTravaux: list[TypeFactureTravauxItem]


class TypePieceJointe(Item):
    idTypePieceJointe: int
    codeTypePieceJointe: str
    libelleTypePieceJointe: str
    typeObjet: TypeObjetPieceJointe


class RecupererTypesPieceJointeRetour(Response):
    listeTypePieceJointe: list[TypePieceJointe]


class MotifExoneration(Item):
    codeMotifExonerationTva: str
    libelleMotifExonerationTva: str


class RecupererMotifsExonerationRetour(Paged):
    listeMotifsExonerationTva: list[MotifExoneration]


class MotifRefus(Item):
    idMotif: int
    codeMotif: str
    libelleMotif: str


class RecupererMotifsRefusRetour(Response):
    listeMotifRefusFactureAValider: list[MotifRefus]


class CoordonneeBancaire(Item):
    idCoordonneeBancaire: int
    nomCoordonneeBancaire: str


class RecupererCoordonneesBancairesRetour(Paged):
    listeCoordonneeBancaire: list[CoordonneeBancaire]


class StructurePourUtilisateur(Item):
    idStructure: int
    identifiantStructure: str
    designationStructure: str
    typeIdentifiantStructure: TypeIdentifiant


class RecupererStructuresPourUtilisateurRetour(Response):
    listeStructures: list[StructurePourUtilisateur]


class ServiceExecutant(Item):
    idServicesCPP: int
    codeServiceExecutant: str
    nomServiceExecutant: str


class RechercherServiceExecutantRetour(Response):
    listeServices: list[ServiceExecutant]
    parametresRetour: ParametresRetour


class CategorieSollicitation(Item):
    idTechniqueCategorie: int
    codeCategorie: str
    libelleCategorie: str


class RechercherCategoriesRetour(Response):
    listeCategories: list[CategorieSollicitation]
    parametresRetour: ParametresRetour


class SousCategorieSollicitation(Item):
    idTechniqueCategorie: int
    code: str
    libelle: str
    estActif: bool
    dateCreation: IsoDateTime
    dateDerniereModification: IsoDateTime


class SousCategoriesGroupe(Item):
    categorie: list[CategorieSollicitation]
    ssCategorie: list[SousCategorieSollicitation]


class RechercherSousCategoriesRetour(Response):
    listeSousCategories: list[SousCategoriesGroupe]
    parametresRetour: ParametresRetour
