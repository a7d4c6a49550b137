"""Request and response models of the Engagements juridiques API, field names exactly as
the official samples and OCA's call give them (factures-rules-and-apis-reference.md §3).

Criteria are all optional; absent, null, blank text and the zero of the field's own type
mean no criterion, as everywhere in the API (``sandbox/cpro/zero.py``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.cpro.schemas import Pagination, ParametresRetour, Request, Response
from sandbox.cpro.zero import Maybe, MaybeAmount
from sandbox.vocabulary import EtatEngagementJuridique

TriEngagements = Literal[
    "DateCreationEJ", "NumeroEngagementJuridique", "DateNotificationEJ", "MontantTotalTtc"]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParametresRechercheEngagement(Pagination):
    triColonne: Maybe[TriEngagements] = Field(
        None, description="DateCreationEJ (the official sample's), NumeroEngagementJuridique, "
        "DateNotificationEJ, MontantTotalTtc; default: the EJs' order of creation.")


class RechercherEngagementJuridiqueParam(Request):
    """Body of POST /cpro/engagementsJuridiques/v1/rechercher (the official sample's
    fields; OCA sends the receiving structure, the number and the state)."""

    codeEngagementJuridique: Maybe[str] = Field(
        None, max_length=50, description="The EJ's type (BON_DE_COMMANDE).")
    numeroEngagementJuridique: Maybe[str] = Field(None, max_length=50)
    numeroMarcheEngagementJuridique: Maybe[str] = Field(None, max_length=50)
    structureReceptriceEngagementJuridique: Maybe[str] = Field(
        None, max_length=80,
        description="The supplier the EJ was given to: its idStructureCPP (as OCA sends it, "
        "a string) or its identifier (SIRET).")
    etatCourantEngagementJuridique: Maybe[EtatEngagementJuridique] = None
    periodeDateNotificationEJDu: Maybe[str] = Field(None, max_length=40)
    periodeDateNotificationEJAu: Maybe[str] = Field(None, max_length=40)
    montantTTCMin: MaybeAmount = None
    montantTTCMax: MaybeAmount = None
    parametresRecherche: Maybe[ParametresRechercheEngagement] = None


class EngagementJuridiqueResume(Out):
    idEngagementJuridique: int
    libelleTypeEngagementJuridique: str
    numeroEngagementJuridique: str
    structureReceptrice: str | None
    identifiantStructureReceptrice: str | None
    libelleStructureReceptrice: str | None
    codeServiceExecutant: str | None
    libelleServiceExecutant: str | None
    dateNotificationEJ: str | None = Field(description="ISO 8601, Paris offset, no fraction.")
    libelleEtatCourantEJ: str
    montantTotalTtc: float
    deviseEngagement: str | None
    taillePJ: int | None


class RechercherEngagementJuridiqueRetour(Response):
    listeEngagementJuridique: list[EngagementJuridiqueResume] = Field(default_factory=list)
    parametresRetour: ParametresRetour | None = None


class ConsulterDetailEngagementJuridiqueParam(Request):
    numeroEngagementJuridique: Maybe[str] = Field(None, max_length=50)


class DemandePaiementEngagement(Out):
    dateFournisseur: str | None
    etatCourantDemandePaiement: str
    idDemandePaiement: int
    montantTtcDemandePaiement: float
    numeroDemandePaiement: str
    sousType: str | None
    typeDemandePaiement: str


class EmetteurEngagement(Out):
    codeServiceExecutant: str | None
    idServiceExecutant: int | None
    idStructureEmettrice: int
    identifiantStructureEmettrice: str
    nomServiceExecutant: str | None
    raisonSocialeStructureEmettrice: str


class LignePosteEngagement(Out):
    montantTtcPoste: float
    numeroDePoste: int
    statutPoste: str


class AdresseStructureReceptrice(Out):
    CodePays: str | None
    CodePostal: str | None
    Complement1: str | None
    Complement2: str | None
    Detail: str | None
    LibellePays: str | None
    Ville: str | None


class RecepteurEngagement(Out):
    adresseStructureReceptrice: AdresseStructureReceptrice
    designationStructureReceptrice: str
    idStructureReceptrice: int
    identifiantStructureReceptrice: str


class ConsulterDetailEngagementJuridiqueRetour(Response):
    demandePaiement: list[DemandePaiementEngagement] = Field(default_factory=list)
    emetteur: EmetteurEngagement | None = None
    etatCourantEngagement: str | None = None
    idEngagement: int | None = None
    lignePoste: list[LignePosteEngagement] = Field(default_factory=list)
    numeroEngagementJuridique: str | None = None
    recepteur: RecepteurEngagement | None = None
