"""Request and response models of the recipient side: ``rechercher/recipiendaire``,
``consulter/recipiendaire``, ``telecharger/groupe``, ``traiter/recue``
(factures-reference.md §6.2; field names from go-choruspro, Pastell, the community samples).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from sandbox.cpro.paging import MAX_PAGE_SIZE, Tri
from sandbox.cpro.schemas import Pagination, Request, Response
from sandbox.factures.models import Facture
from sandbox.factures.schemas.common import (
    Blank,
    CadreCritere,
    OptId,
    OptStatut,
    OptStr,
    Out,
    Text50,
    Text2000,
    as_list,
)
from sandbox.vocabulary import (
    FormatTelechargement,
    StatutFacture,
    TypeFacture,
)


class TraiterFactureRecueParam(Request):
    """Input of traiterFactureRecue (``NumeroDPMandat``, the official sample's spelling,
    is accepted too)."""

    idFacture: OptId = Field(None, description="identifiantFactureCPP of a received invoice.")
    nouveauStatut: OptStatut = Field(
        None, description="Target status (recuperer/etats/traitement)."
    )
    motif: Text2000 = Field(
        None, description="Compulsory to reject (REJETEE) or suspend (SUSPENDUE)."
    )
    numeroDPMandat: Text50 = Field(None, description="Number of the mandate (MANDATEE).")

    @model_validator(mode="before")
    @classmethod
    def _capital_n(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("numeroDPMandat") in (None, "")
            and "NumeroDPMandat" in data
        ):
            data = {**data, "numeroDPMandat": data["NumeroDPMandat"]}
        return data


class TraiterFactureRecueRetour(Response):
    dateTraitement: str | None = Field(None, description="YYYY-MM-DD")
    idFacture: int | None = None
    nouveauStatut: StatutFacture | None = None
    numeroFacture: str | None = None


# Sort keys of rechercher/recipiendaire (the request's triColonne enum and the ORDER BY).
RECIPIENDAIRE = Tri(
    {
        "IdFacture": Facture.id,
        "NumeroFacture": Facture.numero_facture,
        "DateDepot": Facture.date_depot,
        "DateFacture": Facture.date_facture,
        "DateHeureEtatCourant": Facture.date_heure_etat_courant,
        "MontantTTC": Facture.montant_ttc,
        "Statut": Facture.statut,
    },
    Facture.id,
)


class ParamRechercheRecipiendaire(Pagination):
    """paramRecherche: paging and sorting (Pastell also sends nbResultatsMaximum, ignored)."""

    nbResultatsParPage: Annotated[Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | None, Blank] = (
        None
    )
    pageResultatDemandee: Annotated[Annotated[int, Field(ge=1)] | None, Blank] = None
    triColonne: Annotated[RECIPIENDAIRE.colonne | None, Blank] = None


class FournisseurCritere(Request):
    idFournisseur: OptId = None
    listeIdService: Annotated[
        list[Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]] | None, BeforeValidator(as_list)
    ] = None


class RechercherFactureParRecipiendaireParam(Request):
    """Criteria of rechercherFactureParRecipiendaire (all optional, combined with AND)."""

    typeDemandePaiement: Annotated[Literal["FACTURE", "FACTURE_TRAVAUX"] | None, Blank] = None
    idDestinataire: OptId = None
    idServiceExecutant: OptId = None
    listeFournisseurs: Annotated[list[FournisseurCritere] | None, Blank] = None
    numeroFacture: OptStr = None
    statutCourant: Annotated[
        list[StatutFacture] | None,
        BeforeValidator(as_list),
        Field(None, description="One status or a list of statuses."),
    ] = None
    listeTypeFacture: Annotated[list[TypeFacture] | None, BeforeValidator(as_list)] = None
    cadreFacturation: CadreCritere = None
    factureTelechargeeParDestinataire: bool | None = Field(
        None, description="true: downloaded ones only; false or absent: no criterion."
    )
    numeroMarche: OptStr = None
    numeroBonCommande: OptStr = None
    periodeDateDepotDu: OptStr = None
    periodeDateDepotAu: OptStr = None
    periodeDateFactureDu: OptStr = None
    periodeDateFactureAu: OptStr = None
    periodeDateHeureEtatCourantDu: OptStr = None
    periodeDateHeureEtatCourantAu: OptStr = None
    montantHTMin: Annotated[float | None, Blank] = None
    montantHTMax: Annotated[float | None, Blank] = None
    montantTTCMin: Annotated[float | None, Blank] = None
    montantTTCMax: Annotated[float | None, Blank] = None
    paramRecherche: ParamRechercheRecipiendaire | None = None


class FactureRecueResume(Out):
    idFacture: int
    numeroFacture: str
    statut: StatutFacture
    typeDemandePaiement: str
    typeFacture: str
    cadreFacturation: str
    dateDepot: str | None
    dateFacture: str | None
    dateHeureEtatCourant: str | None
    commentaireEtatCourant: str | None
    codeFournisseur: str
    typeIdentifiantFournisseur: str
    designationFournisseur: str
    codeServiceFournisseur: str | None
    nomServiceFournisseur: str | None
    idDestinataire: int
    codeDestinataire: str
    designationDestinataire: str
    idServiceExecutant: int | None
    codeServiceExecutant: str | None
    nomServiceExecutant: str | None
    numeroBonCommande: str | None
    numeroMarche: str | None
    montantHT: float
    montantTTC: float
    montantAPayer: float
    devise: str
    factureTelechargeeParDestinataire: bool
    taille: int


class RechercherFactureParRecipiendaireRetour(Response):
    """Paging at top level (not in parametresRetour), items keyed by idFacture."""

    pageCourante: int | None = None
    pages: int | None = None
    nbResultatsParPage: int | None = None
    total: int | None = None
    listeFactures: list[FactureRecueResume] = []


class ConsulterFactureRecipiendaireParam(Request):
    identifiantFactureCPP: OptId = None
    idFacture: OptId = Field(None, description="Accepted as a synonym of identifiantFactureCPP.")
    codeLangue: OptStr = None


class ConsulterFactureRecipiendaireRetour(Response):
    facture: dict | None = Field(
        None,
        description="The invoice: cadreDeFacturation, destinataire, fournisseur, references, "
        "montantTotal, lignesDePoste, recapitulatifDeTva, listeDesPiecesJointes...",
    )


class IdFactureItem(Request):
    idFacture: OptId = None


class TelechargerGroupeFactureParam(Request):
    format: Annotated[FormatTelechargement | None, Blank] = Field(
        None, description="PDF (default) or PIVOT."
    )
    avecPiecesJointesComplementaires: Annotated[str | None, Blank] = Field(
        None, description="OUI/NON (PDF only)."
    )
    listeFacture: Annotated[list[IdFactureItem] | None, BeforeValidator(as_list)] = None
    idEspace: OptId = None


class TelechargerGroupeFactureRetour(Response):
    fichierResultat: str | None = Field(None, description="base64: a PDF, a ZIP or the PIVOT XML.")
