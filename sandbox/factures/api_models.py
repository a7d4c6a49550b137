"""Request and response models of the flux and supplier-side services (pydantic v2).

``deposer/flux``, ``consulterCR``, ``consulterCRDetaille``, ``rechercher/fournisseur``,
``consulter/fournisseur``, ``consulter/historique`` (factures-reference.md §3, §4, §6.1).
Field names are the wire's; unknown fields are ignored (PHP's misspelt
``syntaxFluxType``, go-choruspro's empty values: ``Blank`` reads ``""``/``0`` as absent).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.cpro.schemas import Pagination, ParametresRetour, Request, Response
from sandbox.factures.suivi_schemas import Blank, CadreCritereTexte, OptId, OptStatut, OptStr
from sandbox.vocabulary import EtatFlux, SyntaxeFlux

# An id inside a list criterion: any 64-bit value (one that matches nothing is no error),
# never a number the database cannot bind.
ListId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- deposer/flux ------------------------------------------------------------------


class DeposerFluxParam(Request):
    """Body of POST /cpro/factures/v1/deposer/flux (DeposerFluxFactureParam)."""

    fichierFlux: str = Field(description="The file's bytes in base64 (RFC 4648, no line breaks).")
    nomFichier: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="File name with its extension (facture.xml, facture.pdf, lot.tar.gz)."
    )
    syntaxeFlux: SyntaxeFlux = Field(description="The flux syntax (13 values).")
    avecSignature: bool | None = Field(None, description="Optional; accepted and stored.")
    idUtilisateurCourant: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = Field(
        None, description="Optional (absent or 0: the account of cpro-account)."
    )


class DeposerFluxRetour(Response):
    numeroFluxDepot: str | None = Field(
        None, description="CPP001 + 4-digit interface number + 15-digit counter."
    )
    dateDepot: str | None = Field(None, description="YYYY-MM-DD (Paris).")
    syntaxeFlux: str | None = None


# --- consulterCR / consulterCRDetaille ------------------------------------------------


class ConsulterCRParam(Request):
    numeroFluxDepot: Annotated[str, Field(min_length=1, max_length=50)]
    syntaxeFlux: OptStr = None
    dateDepot: OptStr = None


class ConsulterCRRetour(Response):
    numeroFluxDepot: str | None = None
    dateDepotFlux: str | None = None
    dateHeureEtatCourantFlux: str | None = None
    etatCourantFlux: EtatFlux | None = None
    codeInterfaceFlux: str | None = None
    codeAppliPartenaire: str | None = None
    designationPartenaire: str | None = None
    nomFichierFlux: str | None = None
    fichierCR: str | None = Field(None, description="The compte rendu as a PDF, in base64.")


class ConsulterCRDetailleParam(Request):
    numeroFluxDepot: Annotated[str, Field(min_length=1, max_length=50)]
    syntaxeFlux: OptStr = None


class ErreurDP(Out):
    identifiantDestinataire: str | None = None
    identifiantFournisseur: str | None = None
    libelleErreurDP: str
    numeroDP: str | None = None


class ErreurTechnique(Out):
    codeErreur: str
    libelleErreur: str
    natureErreur: str | None = None


class ConsulterCRDetailleRetour(Response):
    codeInterfaceDepotFlux: str | None = None
    dateDepotFlux: str | None = None
    dateHeureEtatCourantFlux: str | None = None
    etatCourantDepotFlux: EtatFlux | None = None
    nomFichier: str | None = None
    listeErreurDP: list[ErreurDP] = Field(default_factory=list)
    listeErreurTechnique: list[ErreurTechnique] = Field(default_factory=list)


# --- rechercher/fournisseur ----------------------------------------------------------

OptAmount = Annotated[float | None, Blank]
OptBool = Annotated[bool | None, Blank]


class DestinataireCritere(Request):
    idDestinataire: OptId = None
    listeIdServiceExecutant: list[ListId] | None = None
    raisonSocialeStuctDmd: OptStr = None


class PaginationFournisseur(Pagination):
    triColonne: OptStr = Field(
        None,
        description="IdentifiantFactureCPP (default), NumeroFacture, DateDepot, DateFacture, "
        "MontantTTC, Statut.",
    )


class RechercherFactureParFournisseurParam(Request):
    """Criteria (all optional, combined with AND); absent, null, "", 0 and false mean no
    criterion, as everywhere in the API (go-choruspro sends every one at its zero value)."""

    numeroFluxDepot: OptStr = None
    numeroFacture: OptStr = None
    numeroFactureOrigine: OptStr = None
    numeroBonCommande: OptStr = None
    numeroMarche: OptStr = None
    idFournisseur: OptId = None
    idServiceFournisseur: OptId = None
    idUtilisateurCreateur: list[ListId] | None = None
    listeDestinataire: list[DestinataireCritere] | None = None
    cadreFacturation: CadreCritereTexte = None
    modeDepot: OptStr = None
    typeFacture: OptStr = None
    statutCourant: list[OptStatut] | None = None
    rejetTraite: OptBool = None
    montantHTMin: OptAmount = None
    montantHTMax: OptAmount = None
    montantTTCMin: OptAmount = None
    montantTTCMax: OptAmount = None
    montantApayerMin: OptAmount = None
    montantApayerMax: OptAmount = None
    periodeDateDepotDu: OptStr = None
    periodeDateDepotAu: OptStr = None
    periodeDateFactureDu: OptStr = None
    periodeDateFactureAu: OptStr = None
    periodeDateHeureEtatCourantDu: OptStr = None
    periodeDateHeureEtatCourantAu: OptStr = None
    rechercheFactureParFournisseur: PaginationFournisseur | None = None


class FactureFournisseurResume(Out):
    identifiantFactureCPP: int
    numeroFacture: str
    statut: str
    numeroFluxDepot: str | None = None
    modeDepot: str | None = None
    dateDepot: str | None = None
    dateFacture: str | None = None
    dateHeureEtatCourant: str | None = None
    typeFacture: str | None = None
    typeDemandePaiement: str | None = None
    cadreFacturation: str | None = None
    codeFournisseur: str | None = None
    typeIdentifiantFournisseur: str | None = None
    designationFournisseur: str | None = None
    idFournisseur: int | None = None
    idServiceFournisseur: int | None = None
    idDestinataire: int | None = None
    codeDestinataire: str | None = None
    designationDestinataire: str | None = None
    codeServiceExecutant: str | None = None
    numeroBonCommande: str | None = None
    numeroMarche: str | None = None
    montantHT: float | None = None
    montantTTC: float | None = None
    montantAPayer: float | None = None
    devise: str | None = None
    rejetTraite: bool | None = None
    taille: int | None = None
    nomPrenomUtilisateurCreateur: str | None = None


class RechercherFactureParFournisseurRetour(Response):
    listeFactures: list[FactureFournisseurResume] = Field(default_factory=list)
    parametresRetour: ParametresRetour | None = None


# --- consulter/fournisseur -------------------------------------------------------------


class ConsulterFactureParFournisseurParam(Request):
    identifiantFactureCPP: Annotated[int, Field(ge=1, le=2**63 - 1)]
    codeLangue: OptStr = None
    idUtilisateurCourant: OptId = None
    pLignesPoste: Any = None
    pListePiecesJointes: Any = None
    pLigneRecapTva: Any = None


class ConsulterFactureParFournisseurRetour(Response):
    facture: dict[str, Any] | None = Field(
        None, description="The invoice (same object as consulter/recipiendaire)."
    )


# --- consulter/historique ---------------------------------------------------------------


class ConsulterHistoriqueParam(Request):
    idFacture: Annotated[int, Field(ge=1, le=2**63 - 1)]
    idEspace: OptId = None
    idUtilisateurCourant: OptId = None
    nbResultatsMaximum: Annotated[int, Field(ge=0, le=10_000)] | None = None
    paramRechercheHistoStatuts: Any = None
    paramRechercheHistoActionsUtilisateurs: Any = None
    paramRechercheHistoEvenementsComplementaires: Any = None


class HistoStatut(Out):
    histoStatutId: int
    histoStatutCode: str
    histoStatutDatePassage: str
    histoStatutCommentaire: str | None = None
    histoStatutUtilisateurNom: str | None = None
    histoStatutUtilisateurPrenom: str | None = None
    histoStatutUtilisateurEmail: str | None = None
    histoStatutUtilisateurTelephone: str | None = None


class HistoAction(Out):
    histoActionId: int
    histoActionCode: str
    histoActionDateHeure: str
    histoActionUtilisateurNom: str | None = None
    histoActionUtilisateurPrenom: str | None = None
    histoActionUtilisateurEmail: str | None = None


class Historique(Out):
    histoStatut: list[HistoStatut] = Field(default_factory=list)
    pagination: ParametresRetour | None = None


class HistoriqueActions(Out):
    histoAction: list[HistoAction] = Field(default_factory=list)
    pagination: ParametresRetour | None = None


class HistoriqueEvenements(Out):
    evenement: list[dict[str, Any]] = Field(default_factory=list)
    pagination: ParametresRetour | None = None


class DerniereAction(Out):
    derniereActionCode: str | None = None
    derniereActionId: int | None = None


class ConsulterHistoriqueRetour(Response):
    idFacture: int | None = None
    numeroFacture: str | None = None
    modeDepot: str | None = None
    statutCourantCode: str | None = None
    derniereAction: DerniereAction | None = None
    historiquesDesStatuts: Historique | None = None
    historiquesDesActionsUtilisateurs: HistoriqueActions | None = None
    historiquesDesEvenementsComplementaires: HistoriqueEvenements | None = None


