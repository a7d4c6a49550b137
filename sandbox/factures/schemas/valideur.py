"""Request and response models of the validator side: ``rechercher/valideur``,
``consulter/valideur``, ``traiter/factureAValider``,
``recuperer/statutsFactureVisibles/valideur`` and the supplier's
``corriger/valideur/facture`` (factures-rules-and-apis-reference.md §4; field names and
types from go-choruspro, which sends every criterion of ``rechercher/valideur`` at its
zero value: ``sandbox/cpro/zero.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeAlias

from pydantic import BeforeValidator, Field

from sandbox.cpro.paging import Tri
from sandbox.cpro.schemas import (
    Pagination,
    ParametresRetour,
    Request,
    Response,
)
from sandbox.cpro.zero import Maybe, MaybeAmount, MaybeFlag, MaybeId
from sandbox.factures.models import Facture
from sandbox.factures.schemas.common import CadreCritere, Out, Text2000, as_list
from sandbox.vocabulary import ActionValideur, StatutFacture, TypeFacture

# Sort keys of rechercher/valideur.
VALIDEUR = Tri(
    {
        "IdFacture": Facture.id,
        "NumeroFacture": Facture.numero_facture,
        "DateDepot": Facture.date_depot,
        "DateFacture": Facture.date_facture,
        "MontantTTC": Facture.montant_ttc,
        "Statut": Facture.statut,
    },
    Facture.id,
)
if TYPE_CHECKING:
    TriValideur: TypeAlias = str  # what the field holds; pydantic reads the Literal
else:
    TriValideur = VALIDEUR.colonne


class PaginationValideur(Pagination):
    """go-choruspro's PaginationOptions (``triSense``, ``"Ascendant "`` tolerated)."""

    triColonne: Maybe[TriValideur] = None


class RechercherFactureParValideurParam(Request):
    """Criteria of rechercherFactureParValideur (all optional, combined with AND). The
    MOA/MOE criteria and ``listeTypeFactureTravaux`` concern works invoices (none here)."""

    cadreFacturation: CadreCritere = None
    idDestinataire: MaybeId = None
    idFournisseur: MaybeId = None
    idServiceExecutant: MaybeId = None
    idServiceFournisseur: MaybeId = None
    idStructureMoa: MaybeId = None
    idStructureMoe: MaybeId = None
    idStructureValideur: MaybeId = Field(
        None, description="One of the caller's validator structures (default: all of them)."
    )
    idUtilisateurCourant: MaybeId = None
    listeTypeFacture: Annotated[list[TypeFacture] | None, BeforeValidator(as_list)] = None
    listeTypeFactureTravaux: Annotated[list[str] | None, BeforeValidator(as_list)] = None
    montantAPayerMin: MaybeAmount = None
    montantAPayerMax: MaybeAmount = None
    montantHTMin: MaybeAmount = None
    montantHTMax: MaybeAmount = None
    montantTTCMin: MaybeAmount = None
    montantTTCMax: MaybeAmount = None
    numeroEngagement: Maybe[str] = None
    numeroFacture: Maybe[str] = None
    numeroMarche: Maybe[str] = None
    pagination: PaginationValideur | None = None
    periodeDateDepotDu: Maybe[str] = None
    periodeDateDepotAu: Maybe[str] = None
    periodeDateFactureDu: Maybe[str] = Field(None, description="A date or an RFC 3339 time.")
    periodeDateFactureAu: Maybe[str] = None
    rechercheSirenDestinataire: MaybeFlag = None
    rechercheSirenFournisseur: MaybeFlag = None
    statutCourant: Annotated[
        list[StatutFacture] | None,
        BeforeValidator(as_list),
        Field(None, description="One status or a list of statuses."),
    ] = None
    typeDemandePaiement: Maybe[str] = Field(None, description="FACTURE (or FACTURE_TRAVAUX).")


class FactureParValideur(Out):
    """An item of listeFactures (go-choruspro FactureParValideur)."""

    idFacture: int
    numeroFacture: str
    statut: StatutFacture
    typeDemandePaiement: str
    typeFacture: str
    typeFactureTravaux: str | None
    dateDepot: str | None
    dateFacture: str | None
    devise: str
    montantAPayer: float
    montantHT: float
    montantTTC: float
    numeroEngagement: str | None
    numeroMarche: str | None
    idFournisseur: int
    identifiantFournisseur: str
    typeIdentifiantFournisseur: str
    designationFournisseur: str
    codeServiceFournisseur: str | None
    nomServiceFournisseur: str | None
    idDestinataire: int
    identifiantDestinataire: str
    typeIdentifiantDestinataire: str
    designationDestinataire: str
    idServiceExecutant: int | None
    codeServiceExecutant: str | None
    nomServiceExecutant: str | None
    idValideur: int
    identifiantValideur: str
    typeIdentifiantValideur: str
    designationValideur: str
    idMoa: int | None
    identifiantMoa: str | None
    typeIdentifiantMoa: str | None
    designationMoa: str | None
    idServiceMoa: int | None
    codeServiceMoa: str | None
    nomServiceMoa: str | None
    idMoe: int | None
    identifiantMoe: str | None
    typeIdentifiantMoe: str | None
    designationMoe: str | None
    idServiceMoe: int | None
    codeServiceMoe: str | None
    nomServiceMoe: str | None


class RechercherFactureParValideurRetour(Response):
    """Paging in ``parametresRetour`` (go-choruspro's RechercherFactureParValideurResponse)."""

    listeFactures: list[FactureParValideur] = []
    parametresRetour: ParametresRetour | None = None


class ConsulterFactureValideurParam(Request):
    """go-choruspro's ConsulterFactureOptions (the line/attachment paging is not applied)."""

    identifiantFactureCPP: MaybeId = None
    idFacture: MaybeId = Field(None, description="Accepted as a synonym of identifiantFactureCPP.")
    codeLangue: Maybe[str] = None
    idUtilisateurCourant: MaybeId = None


class ConsulterFactureValideurRetour(Response):
    facture: dict | None = Field(
        None,
        description="The invoice as consulter/fournisseur shows it; its cadreDeFacturation "
        "names the validator (idValideur1, codeValideur1, raisonSocialeValideur1, "
        "typeIdentifiantValideur1, dateValidation1 once validated).",
    )


class TraiterFactureAValiderParam(Request):
    """go-choruspro's TraiterFactureAValiderOptions (every field omitempty)."""

    idFacture: MaybeId = Field(None, description="The invoice to validate.")
    action: Maybe[ActionValideur] = Field(
        None, description="VALIDATION, REFUS or REJET (not the right validator)."
    )
    motifRefus: Maybe[str] = Field(
        None,
        description="codeMotif (or idMotif) of recuperer/motifs/refus/Facture/AValider; "
        "compulsory for REFUS and REJET. MAUVAIS_VALIDEUR: back to the supplier to name "
        "another validator.",
    )
    complementInfo: Text2000 = Field(None, description="Kept with the motif in the history.")
    idValideur: MaybeId = Field(None, description="The validator structure, if given.")
    typeValideur: Maybe[str] = Field(None, description="Accepted, not used.")
    idPieceJointe: MaybeId = Field(None, description="Accepted, not used.")


class TraiterFactureAValiderRetour(Response):
    dateTraitement: str | None = Field(None, description="YYYY-MM-DD")
    idFacture: int | None = None
    numeroFacture: str | None = None
    statutFacture: StatutFacture | None = Field(
        None, description="VALIDEE_1, REFUSEE_1 or ERREUR_FOURNISSEUR_SUR_VALIDEUR."
    )


class StatutsVisiblesValideurParam(Request):
    idUtilisateurCourant: MaybeId = None


class StatutVisible(Out):
    codeStatutFacture: StatutFacture


class StatutsVisiblesValideurRetour(Response):
    listeStatutFacture: list[StatutVisible] = []


class CorrigerValideurFactureParam(Request):
    """go-choruspro's CorrigerValideurFactureOptions (no omitempty: zeros mean absent)."""

    idFacture: MaybeId = Field(None, description="An invoice in ERREUR_FOURNISSEUR_SUR_VALIDEUR.")
    idStructure: MaybeId = Field(None, description="The right validator structure...")
    identifiantStructure: Maybe[str] = Field(None, description="... or its identifier.")
    typeIdentifiantStructure: Maybe[str] = None


class CorrigerValideurFactureRetour(Response):
    idFacture: int | None = None
