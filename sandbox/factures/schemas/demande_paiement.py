"""Request and response models of ``rechercher/demandePaiement`` (go-choruspro's
``RechercherDemandePaiementOptions`` and ``DemandePaiement``, json tags verbatim;
factures-rules-and-apis-reference.md §4)."""

from __future__ import annotations

from pydantic import Field

from sandbox.cpro.schemas import Request, Response
from sandbox.cpro.zero import Maybe, MaybeAmount, MaybeFlag, MaybeId
from sandbox.factures.schemas.common import Out


class StructureCritere(Request):
    """``structureDestinataire``/``Fournisseur``/``Moa``/``Moe``/``Valideur``: each with
    ``idStructure<Role>``, ``identifiantStructure<Role>``, ``typeIdentifiantStructure<Role>``
    (unknown keys are ignored: one model reads the five)."""

    idStructureDestinataire: MaybeId = None
    identifiantStructureDestinataire: Maybe[str] = None
    typeIdentifiantStructureDestinataire: Maybe[str] = None
    idStructureFournisseur: MaybeId = None
    identifiantStructureFournisseur: Maybe[str] = None
    typeIdentifiantStructureFournisseur: Maybe[str] = None
    idStructureMoa: MaybeId = None
    identifiantStructureMoa: Maybe[str] = None
    typeIdentifiantStructureMoa: Maybe[str] = None
    idStructureMoe: MaybeId = None
    identifiantStructureMoe: Maybe[str] = None
    typeIdentifiantStructureMoe: Maybe[str] = None
    idStructureValideur: MaybeId = None
    identifiantStructureValideur: Maybe[str] = None
    typeIdentifiantStructureValideur: Maybe[str] = None


class RechercherDemandePaiementParam(Request):
    """Every field optional (go-choruspro: all ``omitempty``)."""

    cadreFacturation: Maybe[str] = None
    dpOuDpArchive: Maybe[str] = Field(None, description="DEMANDE_PAIEMENT or DP_ARCHIVE.")
    idServiceDestinataire: MaybeId = None
    idServiceFournisseur: MaybeId = None
    idServiceMoa: MaybeId = None
    idServiceMoe: MaybeId = None
    montantAPayerMax: MaybeAmount = None
    montantAPayerMin: MaybeAmount = None
    montantHTMax: MaybeAmount = None
    montantHTMin: MaybeAmount = None
    montantTTCMax: MaybeAmount = None
    montantTTCMin: MaybeAmount = None
    numeroBonCommande: Maybe[str] = None
    numeroDossierFacturation: Maybe[str] = None
    numeroDpMandat: Maybe[str] = None
    numeroFacture: Maybe[str] = None
    numeroFactureMemoire: Maybe[str] = None
    numeroFactureOrigine: Maybe[str] = None
    numeroMarche: Maybe[str] = None
    periodeDateDepotAu: Maybe[str] = None
    periodeDateDepotDu: Maybe[str] = None
    periodeDateFournisseurAu: Maybe[str] = None
    periodeDateFournisseurDu: Maybe[str] = None
    periodeDateHeureEtatCourantAu: Maybe[str] = None
    periodeDateHeureEtatCourantDu: Maybe[str] = None
    rechercheSirenDestinataire: MaybeFlag = None
    rechercheSirenFournisseur: MaybeFlag = None
    roleUtilisateur: Maybe[str] = Field(
        None, description="FOURNISSEUR, MOE, MOA, VALIDATEUR, DESTINATAIRE.")
    statutCourant: Maybe[str] = None
    typeDemandePaiement: Maybe[str] = None
    typeFacture: Maybe[str] = None
    typeFactureTravaux: Maybe[str] = None
    structureDestinataire: Maybe[StructureCritere] = None
    structureFournisseur: Maybe[StructureCritere] = None
    structureMoa: Maybe[StructureCritere] = None
    structureMoe: Maybe[StructureCritere] = None
    structureValideur: Maybe[StructureCritere] = None


class DemandePaiementResume(Out):
    """An item of ``listeDemandePaiement`` (never filled on qualification)."""

    idDemandePaiement: int
    numeroDemandePaiement: str | None = None
    typeDemandePaiement: str | None = None
    etatCourant: str | None = None


class RechercherDemandePaiementRetour(Response):
    listeDemandePaiement: list[DemandePaiementResume] | None = None
