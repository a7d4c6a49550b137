"""Request and response models of the Factures travaux API (``/cpro/facturesTravaux/v1``,
factures-rules-and-apis-reference.md §2): field names from the official samples
(COMM-TRAVAUX), Pastell's body and decoder, go-choruspro's search of works invoices; the
operations whose bodies no source shows take the names of their siblings
(docs/decisions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

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
from sandbox.factures.schemas.common import CadreCritere, Out, Text50, Text2000, as_list
from sandbox.factures.schemas.soumettre import (
    SoumettreCadre,
    SoumettreDestinataire,
    SoumettreFournisseur,
    SoumettreMontantTotal,
    SoumettreReferences,
)
from sandbox.vocabulary import RoleUtilisateur, StatutFacture, TypeFactureTravaux

# Sort keys of rechercher (the official sample sorts by TypeDemandePaiement: one value for
# every works document, so the id order).
TRAVAUX = Tri(
    {
        "TypeDemandePaiement": Facture.id,
        "IdFactureTravaux": Facture.id,
        "NumeroFactureTravaux": Facture.numero_facture,
        "DateDepot": Facture.date_depot,
        "DateFactureTravaux": Facture.date_facture,
        "DateHeureEtatCourant": Facture.date_heure_etat_courant,
        "MontantTTC": Facture.montant_ttc,
        "StatutFactureTravaux": Facture.statut,
        "CadreFacturation": Facture.cadre_facturation,
    },
    Facture.id,
)
if TYPE_CHECKING:
    TriTravaux: TypeAlias = str
else:
    TriTravaux = TRAVAUX.colonne


class RechercheFactureTravaux(Pagination):
    """rechercheFactureTravaux: paging and sorting (Pastell: 1000 a page)."""

    triColonne: Maybe[TriTravaux] = None


class RechercherFactureTravauxParam(Request):
    """Criteria of rechercherFactureTravaux (all optional, AND): the official sample's and
    Pastell's. ``roleUtilisateur`` says in which role the caller searches (absent: every
    role it holds)."""

    roleUtilisateur: Maybe[RoleUtilisateur] = Field(
        None, description="FOURNISSEUR, MOE, MOA, VALIDATEUR or DESTINATAIRE (= MOA).")
    idStructureFournisseur: MaybeId = None
    idServiceFournisseur: MaybeId = None
    idStructureMoe: MaybeId = None
    idServiceMoe: MaybeId = None
    idStructureMoa: MaybeId = None
    idServiceMoa: MaybeId = None
    idDestinataire: MaybeId = None
    idServiceExecutant: MaybeId = None
    idStructureValideur: MaybeId = None
    listeTypeFactureTravaux: Annotated[
        list[TypeFactureTravaux] | None, BeforeValidator(as_list)] = None
    cadreFacturation: CadreCritere = None
    listeStatutCourant: Annotated[
        list[StatutFacture] | None, BeforeValidator(as_list),
        Field(None, description="One status or a list of statuses."),
    ] = None
    periodeDateDepotDu: Maybe[str] = None
    periodeDateDepotAu: Maybe[str] = None
    periodeDateFactureTravauxDu: Maybe[str] = None
    periodeDateFactureTravauxAu: Maybe[str] = None
    periodeDateHeureEtatCourantDu: Maybe[str] = None
    periodeDateHeureEtatCourantAu: Maybe[str] = None
    montantHTMin: MaybeAmount = None
    montantHTMax: MaybeAmount = None
    montantTTCMin: MaybeAmount = None
    montantTTCMax: MaybeAmount = None
    montantAPayerMin: MaybeAmount = None
    montantAPayerMax: MaybeAmount = None
    idCoordonneeBancaire: MaybeId = None
    numeroFactureTravaux: Maybe[str] = None
    numeroMarche: Maybe[str] = None
    numeroBonCommande: Maybe[str] = None
    modeDepot: Maybe[str] = None
    numeroFluxDepot: Maybe[str] = None
    uniquementSansPieceSuivante: MaybeFlag = None
    avecSansService: Maybe[Literal["AVEC_SERVICE", "SANS_SERVICE", "AVEC_ET_SANS_SERVICE"]] = None
    flagTelecharge: MaybeFlag = Field(
        None, description="true: only the documents the MOA has downloaded (Pastell).")
    rechercheFactureTravaux: RechercheFactureTravaux | None = None


class FactureTravauxResume(Out):
    """One works document (Pastell's fixture item, the official sample's codes)."""

    idFactureTravaux: int
    numeroFactureTravaux: str
    typeDemandePaiement: str = "FACTURE_TRAVAUX"
    typeFactureTravaux: str | None = None
    cadreFacturation: str
    statutFactureTravaux: str
    dateDepot: str | None = None
    dateFactureTravaux: str | None = None
    dateHeureEtatCourant: str | None = None
    idFournisseur: int
    identifiantFournisseur: str
    typeIdentifiantFournisseur: str
    designationFournisseur: str
    idServiceFournisseur: int | None = None
    codeServiceFournisseur: str | None = None
    idDestinataire: int
    identifiantDestinataire: str
    designationDestinataire: str
    idServiceExecutant: int | None = None
    codeServiceExecutant: str | None = None
    identifiantServiceExecutant: str | None = None
    idStructureMoe: int | None = None
    identifiantMoe: str | None = None
    designationMoe: str | None = None
    idServiceMoe: int | None = None
    codeServiceMoe: str | None = None
    idStructureMoa: int
    identifiantMoa: str
    designationMoa: str
    idServiceMoa: int | None = None
    codeServiceMoa: str | None = None
    idStructureValideur: int | None = None
    numeroMarche: str | None = None
    numeroBonCommande: str | None = None
    montantHT: float
    montantTTC: float
    montantAPayer: float
    devise: str
    factureTelechargeeParDestinataire: bool
    idFactureTravauxPrecedente: int | None = None
    idDossierFacturation: int


class RechercherFactureTravauxRetour(Response):
    parametresRetour: ParametresRetour = Field(
        description="Paging, inside parametresRetour (Pastell reads pageCourante and pages).")
    listeFacturesTravaux: list[FactureTravauxResume]


class IdFactureTravauxParam(Request):
    idFactureTravaux: MaybeId = Field(None, description="The works document.")


class HistoriqueTravaux(Out):
    idFactureTravaux: int
    numeroFactureTravaux: str
    histoStatutCode: str
    histoStatutDatePassage: str
    histoStatutCommentaire: str | None = None


class FactureTravauxDetail(FactureTravauxResume):
    montantTVA: float
    modeDepot: str
    commentaire: str | None = None
    historique: list[HistoriqueTravaux]


class ConsulterFactureTravauxRetour(Response):
    factureTravaux: FactureTravauxDetail


class ConsulterDossierParam(Request):
    idFactureTravaux: MaybeId = Field(None, description="Any document of the dossier.")
    idDossierFacturation: MaybeId = Field(None, description="Or the dossier's id.")


class ConsulterDossierRetour(Response):
    idDossierFacturation: int
    listeFactureTravaux: list[FactureTravauxResume]
    historiqueDemandePaiement: list[HistoriqueTravaux]


class SoumettreFactureTravauxParam(Request):
    """A works document keyed in by the actor its cadre names (fournisseur: A4-A8, A10,
    A11, A13, A14, A22, A23; MOE: A15-A18, A24, A25; MOA: A19, A20)."""

    cadreDeFacturation: SoumettreCadre | None = None
    numeroFactureTravaux: Text50 = Field(None, description="The document's number.")
    modeDepot: Maybe[Literal["SAISIE_API", "DEPOT_PDF_API", "DEPOT_PDF_SIGNE_API"]] = None
    dateFactureTravaux: Maybe[str] = Field(None, description="YYYY-MM-DD")
    fournisseur: SoumettreFournisseur | None = Field(
        None, description="The titulaire (required unless a previous document gives it).")
    destinataire: SoumettreDestinataire | None = Field(
        None, description="The MOA (required unless a previous document gives it).")
    idStructureMoe: MaybeId = None
    identifiantStructureMoe: Maybe[str] = None
    idServiceMoe: MaybeId = None
    idFactureTravauxPrecedente: MaybeId = Field(
        None, description="The document this one answers (it becomes ASSOCIEE).")
    references: SoumettreReferences | None = None
    montantTotal: SoumettreMontantTotal | None = None
    commentaire: Text2000 = None


class FactureTravauxRetour(Response):
    idFactureTravaux: int
    numeroFactureTravaux: str
    statutFactureTravaux: str
    dateDepotFactureTravaux: str | None = None
    idDossierFacturation: int | None = None


class CommentaireParam(Request):
    idFactureTravaux: MaybeId = None
    commentaire: Text2000 = None


class RefuserFactureTravauxParam(Request):
    idFactureTravaux: MaybeId = None
    motifRefus: Maybe[str] = Field(
        None, description="codeMotif of recuperer/motifs/refus (AUTRE, MAUVAISE_MOE...).")
    commentaire: Text2000 = None


class RecyclerFactureTravauxParam(Request):
    idFactureTravaux: MaybeId = None
    identifiantDestinataire: Maybe[str] = None
    codeServiceExecutant: Maybe[str] = None
    numeroBonCommande: Text50 = None


class CompleterMoeParam(Request):
    idFactureTravaux: MaybeId = None
    idStructureMoe: MaybeId = None
    identifiantStructureMoe: Maybe[str] = None
    idServiceMoe: MaybeId = None


class CorrigerValideurParam(Request):
    idFactureTravaux: MaybeId = None
    idStructure: MaybeId = None
    identifiantStructure: Maybe[str] = None
    typeIdentifiantStructure: Maybe[str] = None


class MotifsRefusParam(Request):
    codeCadreFacturationTravaux: Maybe[str] = None


class MotifRefus(Out):
    codeMotif: str
    idMotif: int
    libelleMotif: str


class MotifsRefusRetour(Response):
    listeMotifRefusFactureTravaux: list[MotifRefus]
