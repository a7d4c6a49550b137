"""Request and response models of the supplier side: ``rechercher/fournisseur``,
``consulter/fournisseur``, ``consulter/historique`` (factures-reference.md §6.1).

Criteria are all optional; absent, null, blank text and the zero of the field's own type
(``0`` for ids and amounts, ``false`` for ``rejetTraite``) mean no criterion, as everywhere
in the API (go-choruspro sends every one at its zero value: ``sandbox/cpro/zero.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from sandbox.cpro.schemas import Pagination, ParametresRetour, Request, Response
from sandbox.cpro.zero import Maybe, MaybeAmount, MaybeFlag, MaybeId
from sandbox.factures.schemas.common import CadreCritereTexte, ListId, Out
from sandbox.vocabulary import Id64, StatutFacture


class DestinataireCritere(Request):
    idDestinataire: MaybeId = None
    listeIdServiceExecutant: list[ListId] | None = None
    raisonSocialeStuctDmd: Maybe[str] = None


class PaginationFournisseur(Pagination):
    triColonne: Maybe[str] = Field(
        None,
        description="IdentifiantFactureCPP (default), NumeroFacture, DateDepot, DateFacture, "
        "MontantTTC, Statut.",
    )


class RechercherFactureParFournisseurParam(Request):
    """Criteria (all optional, combined with AND); absent, null, blank and zero values mean
    no criterion, as everywhere in the API (go-choruspro sends every one at its zero value)."""

    numeroFluxDepot: Maybe[str] = None
    numeroFacture: Maybe[str] = None
    numeroFactureOrigine: Maybe[str] = None
    numeroBonCommande: Maybe[str] = None
    numeroMarche: Maybe[str] = None
    idFournisseur: MaybeId = None
    idServiceFournisseur: MaybeId = None
    idUtilisateurCreateur: list[ListId] | None = None
    listeDestinataire: list[DestinataireCritere] | None = None
    cadreFacturation: CadreCritereTexte = None
    modeDepot: Maybe[str] = None
    typeFacture: Maybe[str] = None
    statutCourant: list[Maybe[StatutFacture]] | None = None
    rejetTraite: MaybeFlag = None
    montantHTMin: MaybeAmount = None
    montantHTMax: MaybeAmount = None
    montantTTCMin: MaybeAmount = None
    montantTTCMax: MaybeAmount = None
    montantApayerMin: MaybeAmount = None
    montantApayerMax: MaybeAmount = None
    periodeDateDepotDu: Maybe[str] = None
    periodeDateDepotAu: Maybe[str] = None
    periodeDateFactureDu: Maybe[str] = None
    periodeDateFactureAu: Maybe[str] = None
    periodeDateHeureEtatCourantDu: Maybe[str] = None
    periodeDateHeureEtatCourantAu: Maybe[str] = None
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


class ConsulterFactureParFournisseurParam(Request):
    identifiantFactureCPP: Id64
    codeLangue: Maybe[str] = None
    idUtilisateurCourant: MaybeId = None
    pLignesPoste: Any = None
    pListePiecesJointes: Any = None
    pLigneRecapTva: Any = None


class ConsulterFactureParFournisseurRetour(Response):
    facture: dict[str, Any] | None = Field(
        None, description="The invoice (same object as consulter/recipiendaire)."
    )


class ConsulterHistoriqueParam(Request):
    idFacture: Id64
    idEspace: MaybeId = None
    idUtilisateurCourant: MaybeId = None
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
