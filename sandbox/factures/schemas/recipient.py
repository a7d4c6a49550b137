"""Request and response models of the recipient side: ``rechercher/recipiendaire``,
``consulter/recipiendaire``, ``telecharger/groupe``, ``traiter/recue``
(factures-reference.md §6.2; field names from go-choruspro, Pastell, the community samples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BeforeValidator, Field, model_validator

from sandbox.cpro.paging import Tri
from sandbox.cpro.schemas import Pagination, Request, Response
from sandbox.cpro.zero import Maybe, MaybeAmount, MaybeFlag, MaybeId
from sandbox.factures.models import Facture
from sandbox.factures.schemas.common import (
    CadreCritere,
    ListId,
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

    idFacture: MaybeId = Field(None, description="identifiantFactureCPP of a received invoice.")
    nouveauStatut: Maybe[StatutFacture] = Field(
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
if TYPE_CHECKING:
    TriRecipiendaire: TypeAlias = str  # what the field holds; pydantic reads the Literal
else:
    TriRecipiendaire = RECIPIENDAIRE.colonne


class ParamRechercheRecipiendaire(Pagination):
    """paramRecherche: paging and sorting (Pastell also sends nbResultatsMaximum, ignored)."""

    triColonne: Maybe[TriRecipiendaire] = None


class FournisseurCritere(Request):
    idFournisseur: MaybeId = None
    listeIdService: Annotated[list[ListId] | None, BeforeValidator(as_list)] = None


class RechercherFactureParRecipiendaireParam(Request):
    """Criteria of rechercherFactureParRecipiendaire (all optional, combined with AND)."""

    typeDemandePaiement: Maybe[Literal["FACTURE", "FACTURE_TRAVAUX"]] = None
    idDestinataire: MaybeId = None
    idServiceExecutant: MaybeId = None
    listeFournisseurs: Maybe[list[FournisseurCritere]] = None
    numeroFacture: Maybe[str] = None
    statutCourant: Annotated[
        list[StatutFacture] | None,
        BeforeValidator(as_list),
        Field(None, description="One status or a list of statuses."),
    ] = None
    listeTypeFacture: Annotated[list[TypeFacture] | None, BeforeValidator(as_list)] = None
    cadreFacturation: CadreCritere = None
    factureTelechargeeParDestinataire: MaybeFlag = Field(
        None, description="true: downloaded ones only; false or absent: no criterion."
    )
    numeroMarche: Maybe[str] = None
    numeroBonCommande: Maybe[str] = None
    periodeDateDepotDu: Maybe[str] = None
    periodeDateDepotAu: Maybe[str] = None
    periodeDateFactureDu: Maybe[str] = None
    periodeDateFactureAu: Maybe[str] = None
    periodeDateHeureEtatCourantDu: Maybe[str] = None
    periodeDateHeureEtatCourantAu: Maybe[str] = None
    montantHTMin: MaybeAmount = None
    montantHTMax: MaybeAmount = None
    montantTTCMin: MaybeAmount = None
    montantTTCMax: MaybeAmount = None
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
    identifiantFactureCPP: MaybeId = None
    idFacture: MaybeId = Field(None, description="Accepted as a synonym of identifiantFactureCPP.")
    codeLangue: Maybe[str] = None


class ConsulterFactureRecipiendaireRetour(Response):
    facture: dict | None = Field(
        None,
        description="The invoice: cadreDeFacturation, destinataire, fournisseur, references, "
        "montantTotal, lignesDePoste, recapitulatifDeTva, listeDesPiecesJointes...",
    )


class IdFactureItem(Request):
    idFacture: MaybeId = None


class TelechargerGroupeFactureParam(Request):
    format: Maybe[FormatTelechargement] = Field(
        None, description="PDF (default) or PIVOT."
    )
    avecPiecesJointesComplementaires: Maybe[str] = Field(
        None, description="OUI/NON (PDF only)."
    )
    listeFacture: Annotated[list[IdFactureItem] | None, BeforeValidator(as_list)] = None
    idEspace: MaybeId = None


class TelechargerGroupeFactureRetour(Response):
    fichierResultat: str | None = Field(None, description="base64: a PDF, a ZIP or the PIVOT XML.")
