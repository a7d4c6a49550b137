"""Request and response schemas of the ``/cpro/...`` API (pydantic v2).

One source of truth: the request models validate every incoming body, and the
same models (with the response models) produce ``/openapi.json``. Field names,
enumerations and their oddities are those of the real API (reference sections 3
and 5): input ``ACTIF``/``INACTIF`` but output ``ACTIVE``/``INACTIVE``,
``informationGenerales`` (consulter) but ``informationsGenerales`` (service).

Request models ignore unknown fields (real clients send extra ones, such as
``idUtilisateurCourant``) and tolerate two known client bugs: ``triSense`` for
``triSens`` and a trailing space in ``"Ascendant "``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from sandbox import vocabulary as v
from sandbox.cpro import paging
from sandbox.cpro.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def _wire(enum: type[StrEnum], *before: BeforeValidator) -> Any:
    """A vocabulary enum as a field type: validated as a ``Literal`` of its values, then
    made the enum member. As a ``Literal`` its JSON schema stays inline (``{"enum": [...],
    "type": "string"}``, not a ``$ref``) and its error message lists the plain values:
    ``/openapi.json`` keeps the shape clients generated their code from."""
    return Annotated[(Literal[v.values(enum)], *before, AfterValidator(enum))]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


TypeIdentifiant = _wire(v.TypeIdentifiant)
TypeStructure = _wire(v.TypeStructure)
StatutStructureIn = _wire(v.StatutStructure)
StatutStructureOut = _wire(v.StatutStructureSortie)
StatutService = _wire(v.StatutService)
StatutRattachement = _wire(v.StatutRattachement)
Role = _wire(v.Role)
EtatEspace = _wire(v.EtatEspace)
TypeHabilitation = _wire(v.TypeHabilitation)
TriSens = _wire(v.TriSens, BeforeValidator(_strip))
CodeLangue = _wire(v.CodeLangue, BeforeValidator(_upper))
Id64 = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Request(BaseModel):
    """Base of request bodies: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class Response(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(extra="forbid")

    codeRetour: int = Field(description="0 on success; a business error code otherwise.")
    libelle: str = Field(
        description="Message key on success (e.g. TRA_MSG_00.000); message on error."
    )


class Pagination(Request):
    """Paging and sorting of a search (shared fields)."""

    pageResultatDemandee: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Page wanted, from 1 (default 1)."
    )
    nbResultatsParPage: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | None = Field(
        None,
        description=f"Results per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
    )
    triSens: TriSens | None = Field(None, description="Sort direction (default Ascendant).")

    @model_validator(mode="before")
    @classmethod
    def _tri_sense_typo(cls, data: Any) -> Any:
        # The Go client serialises "triSense": accept it as triSens.
        if isinstance(data, dict) and "triSense" in data and data.get("triSens") is None:
            data = {**data, "triSens": data["triSense"]}
        return data


class ParametresRetour(BaseModel):
    """Paging of a search answer."""

    model_config = ConfigDict(extra="forbid")
    pageCourante: int
    pages: int
    nbResultatsParPage: int
    total: int


# --------------------------------------------------------------------------- structures


class StructureCriteres(Request):
    """Criteria of rechercherStructure (all optional, combined with AND)."""

    identifiantStructure: str | None = Field(None, max_length=80, description="Exact identifier.")
    typeIdentifiantStructure: TypeIdentifiant | None = None
    raisonSocialeStructure: str | None = Field(
        None, max_length=255, description="Beginning of the raison sociale (case-sensitive)."
    )
    libelleStructure: str | None = Field(None, max_length=255, description="Exact libellé.")
    nomStructure: str | None = Field(None, max_length=100, description="Exact nom (Particulier).")
    prenomStructure: str | None = Field(None, max_length=100, description="Exact prénom.")
    adresseCodePostal: str | None = Field(None, max_length=20, description="Exact postcode.")
    adresseVille: str | None = Field(None, max_length=100, description="Exact city.")
    adresseCodePays: str | None = Field(None, max_length=2, description="ISO 3166 alpha-2.")
    typeStructure: TypeStructure | None = None
    statutStructure: StatutStructureIn | None = Field(
        None, description="Input enum ACTIF/INACTIF (the answer says ACTIVE/INACTIVE)."
    )
    estMOA: bool | None = None
    estMOAUniquement: bool | None = None


class ParametresRechercherStructure(Pagination):
    triColonne: paging.STRUCTURES.colonne | None = None


class RechercherStructureParam(Request):
    """Body of POST /cpro/structures/v1/rechercher."""

    structure: StructureCriteres | None = None
    restreindreStructuresPrivees: bool | None = Field(
        None,
        description="Accepted; private structures are always restricted to the caller's own.",
    )
    parametres: ParametresRechercherStructure | None = None


class StructureResume(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idStructureCPP: int
    identifiantStructure: str
    designationStructure: str
    typeIdentifiantStructure: TypeIdentifiant
    statut: StatutStructureOut


class RechercherStructureRetour(Response):
    listeStructures: list[StructureResume]
    parametresRetour: ParametresRetour


class ConsulterStructureParam(Request):
    """Body of POST /cpro/structures/v1/consulter."""

    idStructureCPP: Id64
    codeLangue: CodeLangue | None = None


class AdressePostale(BaseModel):
    model_config = ConfigDict(extra="forbid")
    adresse: str | None
    codePostal: str | None
    complementAdresse1: str | None
    complementAdresse2: str | None
    fax: str | None
    indicatifFax: str | None
    indicatifTelephone: str | None
    pays: str | None
    telephone: str | None
    ville: str | None


class StructureDupliquee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    structureDupliquee: int


class InformationGenerales(BaseModel):
    """consulterStructure's general block (the real name has no "s")."""

    model_config = ConfigDict(extra="forbid")
    dateExpirationMotPasseCompteTech: str | None = Field(
        description="Expiry (ISO 8601) of the structure's technical account password, if any."
    )
    emailStructure: str | None
    estValideurDeleguee: bool
    idStructureCPP: int
    idStructureOrigine: int | None
    identifiantStructure: str
    libelleStructure: str | None
    listeStructureDupliquees: list[StructureDupliquee]
    nomStructure: str | None
    numeroRcsStructure: str | None
    numeroTVA: str | None
    prenomStructure: str | None
    raisonSocialeStructure: str | None
    structurePriveePublique: TypeStructure
    typeIdentifiantStructure: TypeIdentifiant


class ParametresStructure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    codeServiceDoitEtreRenseigne: bool
    connexionEDI: bool
    estMoaUniquement: bool
    estValideurDelegue: bool
    gestionNumeroEJOuCodeService: bool
    getaMoa: bool = Field(description="Literal Swagger name (some clients read aMoa).")
    nonDiffusibleInsee: bool
    numeroEJDoitEtreRenseigne: bool
    recevoirDonneesViaEDI: bool
    statutMiseEnPaiementNestPasRemonte: bool


class ConsulterStructureRetour(Response):
    adressePostaleDuSiege: AdressePostale
    informationGenerales: InformationGenerales
    parametres: ParametresStructure


class ParametresRechercherServicesStructure(Pagination):
    triColonne: paging.SERVICES.colonne | None = None


class RechercherServicesStructureParam(Request):
    """Body of POST /cpro/structures/v1/rechercher/services."""

    idStructure: Id64
    parametresRechercherServicesStructure: ParametresRechercherServicesStructure | None = None


class ServiceResume(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idService: int
    codeService: str
    libelleService: str
    estActif: bool
    statutService: StatutService
    dateDbtService: str | None = Field(description='"YYYY-MM-DD HH:MM"')
    dateFinService: str | None = Field(description='"YYYY-MM-DD HH:MM"')


class RechercherServicesStructureRetour(Response):
    listeServices: list[ServiceResume]
    parametresRetour: ParametresRetour


class ConsulterServiceStructureParam(Request):
    """Body of POST /cpro/structures/v1/consulter/service."""

    idStructure: Id64
    idService: Id64
    codeLangue: CodeLangue | None = None


class InformationsGeneralesService(BaseModel):
    """consulterServiceStructure's general block (this one has the "s")."""

    model_config = ConfigDict(extra="forbid")
    codeService: str
    descriptionService: str | None
    nomService: str


class ParametresService(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dateCreation: str | None
    dateDebutValidite: str | None
    dateFinValidite: str | None
    dateModification: str | None
    miseEnPaiement: bool
    numeroEngagement: bool


class ConsulterServiceStructureRetour(Response):
    adressePostale: AdressePostale
    informationsGenerales: InformationsGeneralesService
    parametres: ParametresService


class ParametresListerRattachementsStructureUtilisateur(Pagination):
    triColonne: paging.RATTACHEMENTS_SERVICES.colonne | None = None


class ListerRattachementsStructureUtilisateurParam(Request):
    """Body of POST /cpro/structures/v1/lister/rattachementsutilisateur.

    The user is named by ``adresseEmailConnexionUtilisateur`` or ``idUtilisateur``;
    the structure by ``idStructure`` or ``identifiantStructure`` (+ its type).
    """

    adresseEmailConnexionUtilisateur: str | None = Field(None, max_length=254)
    idUtilisateur: Id64 | None = None
    idStructure: Id64 | None = None
    identifiantStructure: str | None = Field(None, max_length=80)
    typeIdentifiantStructure: TypeIdentifiant | None = None
    parametresListerRattachementsStructureUtilisateur: (
        ParametresListerRattachementsStructureUtilisateur | None
    ) = None


class RattachementServiceResume(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idRattachement: int
    idService: int
    codeService: str
    nomService: str
    statutRattachement: StatutRattachement
    dateDebut: str | None
    dateFin: str | None
    commentaire: str | None


class ListerRattachementsStructureUtilisateurRetour(Response):
    idStructure: int
    identifiantStructure: str
    designationStructure: str
    premierService: bool = Field(
        description="True when the user has no service attachment on the structure yet."
    )
    listeServices: list[RattachementServiceResume]
    parametresRetour: ParametresRetour


class StructureRef(Request):
    idStructure: Id64 | None = None
    identifiantStructure: str | None = Field(None, max_length=80)
    typeIdentifiantStructure: TypeIdentifiant | None = None


class ParametresRechercherEspaces(Pagination):
    triColonne: paging.ESPACES.colonne | None = None


class RechercherEspacesParam(Request):
    """Body of POST /cpro/structures/v1/rechercher/espaces."""

    structure: StructureRef
    idService: Id64 | None = None
    parametresRechercherEspaces: ParametresRechercherEspaces | None = None


class EspaceResume(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idEspaceFo: int
    codeEspace: int
    libelleEspace: str
    idService: int | None
    codeService: str | None
    libelleService: str | None
    etatCourant: EtatEspace
    typeHabilitation: TypeHabilitation


class RechercherEspacesRetour(Response):
    listeEspace: list[EspaceResume]
    parametresRetour: ParametresRetour


# --------------------------------------------------------------------------- utilisateurs


class ParametresRecupererRattachements(Pagination):
    triColonne: paging.RATTACHEMENTS.colonne | None = None


class RecupererRattachementsParam(Request):
    """Body of POST /cpro/utilisateurs/v1/monCompte/recuperer/rattachements."""

    parametresRecherche: ParametresRecupererRattachements | None = None


class ServiceRattache(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idRattachementService: int
    idService: int
    codeService: str
    libelleService: str
    estActif: bool
    statutService: StatutService
    statutRattachementService: StatutRattachement
    dateDbtService: str | None
    dateFinService: str | None


class StructureRattachement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idRattachementStructure: int
    idStructure: int
    identifiantStructure: str
    designationStructure: str
    typeIdentifiantStructure: TypeIdentifiant
    roleUtilisateur: Role
    statutUtilisateur: str
    statutRattachementStructure: StatutRattachement
    listeServicesRattache: list[ServiceRattache]


class RecupererRattachementsRetour(Response):
    listeStructureRattachement: list[StructureRattachement]
    parametresRetour: ParametresRetour


# --------------------------------------------------------------------------- transverses


class HealthCheckRetour(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str
    statusCodeValue: int
    statusCode: str


class Vide(Request):
    """An empty body ``{}``."""


class TypeIdentifiantItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    typeIdentifiantStructure: TypeIdentifiant


class RecupererTypeIdentifiantRetour(Response):
    listeTypeIdentifiant: list[TypeIdentifiantItem]


class CodeLangueParam(Request):
    """Body of recuperer/pays and recuperer/devises."""

    codeLangue: CodeLangue | None = Field(None, description="FR (default) or EN.")


class Pays(BaseModel):
    model_config = ConfigDict(extra="forbid")
    codePays: str
    libellePays: str


class RecupererPaysRetour(Response):
    listePays: list[Pays]


class Devise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    codeDevise: str
    libelleDevise: str


class RecupererDevisesRetour(Response):
    listeDevises: list[Devise]


class ParametresRechercherDestinataire(Pagination):
    triColonne: paging.DESTINATAIRES.colonne | None = None


class RechercherDestinataireParam(Request):
    """Body of POST /cpro/transverses/v1/rechercher/destinataire."""

    identifiant: str | None = Field(None, max_length=80, description="Exact identifier (SIRET).")
    nomVilleCodePostal: str | None = Field(
        None,
        max_length=255,
        description="Digits: beginning of the postcode; otherwise beginning of the name, "
        "or the exact city.",
    )
    typeStructure: TypeStructure | None = None
    parametresRecherche: ParametresRechercherDestinataire | None = None


class Destinataire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idStructureCPP: int
    siret: str
    nomDestinataire: str
    adresseCodePostal: str | None
    adresseVille: str | None


class RechercherDestinataireRetour(Response):
    listeDestinataires: list[Destinataire]
    parametresRetour: ParametresRetour


class TelechargerAnnuaireRetour(Response):
    fichierResultat: str = Field(description="Base64 of a ZIP holding the directory as CSV.")


class ConsulterInformationSiretParam(Request):
    """Body of POST /cpro/transverses/v1/consulter/information/siret."""

    siretStructure: Annotated[str, Field(min_length=1, max_length=14)]


class ConsulterInformationSiretRetour(Response):
    siret: str
    siren: str
    raisonSociale: str
    adresse: str | None
    categorieEntreprise: str | None
    categorieJuridique: str | None
    civilite: str | None
    dateCreationEntreprise: str | None
    dateCreationEtablissement: str | None
    dateReactivationEtablissement: str | None
    estActif: bool
    localisationSiege: str | None
    nonDiffusibleInsee: bool
    numeroInterneClassement: str | None
    siege: bool
    siretPredecesseurSuccesseur: str | None


class StructureActive(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idStructureCPP: int
    identifiant: str
    designationStructure: str


class RecupererStructuresActivesRetour(Response):
    listeStructures: list[StructureActive]


# --------------------------------------------------------------------------- errors


class ErreurChamp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    champ: str = Field(description="Dotted path of the offending field.")
    message: str


class ErreurRequete(Response):
    """Body of HTTP 400 (malformed JSON, schema violation) and 415 (not JSON)."""

    erreurs: list[ErreurChamp] = Field(default_factory=list)


class ErreurPasserelle(BaseModel):
    """Body of the gateway's HTTP 401 and 403 answers."""

    model_config = ConfigDict(extra="forbid")
    error: str
    error_description: str


class ErreurMetier(Response):
    """A business error: HTTP 200 with a non-zero codeRetour."""
