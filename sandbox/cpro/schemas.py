"""Request and response schemas of the ``/cpro/...`` API (pydantic v2).

One source of truth: the request models validate every incoming body, and the
same models (with the response models) produce ``/openapi.json``. Field names,
enumerations and their oddities are those of the real API (reference sections 3
and 5): input ``ACTIF``/``INACTIF`` but output ``ACTIVE``/``INACTIVE``,
``informationGenerales`` (consulter) but ``informationsGenerales`` (service).

Request models ignore unknown fields (real clients send extra ones, such as
``idUtilisateurCourant``) and tolerate two known client bugs: ``triSense`` for
``triSens`` and a trailing space in ``"Ascendant "``.

Why this size (over ~400 lines): Declarative pydantic models of the Structures, Utilisateurs
and Transverses operations, with the real field names; splitting them would hide the API's
shape.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from sandbox import vocabulary as v
from sandbox.cpro import paging
from sandbox.cpro.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from sandbox.cpro.zero import Maybe, MaybeBool, MaybeFlag, MaybeId, blank_to_none, zero_to_none


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


if TYPE_CHECKING:
    # What the fields hold once validated: the enum member; a sort key (a ``str``).
    # The types pydantic reads are built at run time (below), which mypy cannot follow.
    TypeIdentifiant: TypeAlias = v.TypeIdentifiant
    TypeStructure: TypeAlias = v.TypeStructure
    StatutStructureIn: TypeAlias = v.StatutStructure
    StatutStructureOut: TypeAlias = v.StatutStructureSortie
    StatutService: TypeAlias = v.StatutService
    StatutRattachement: TypeAlias = v.StatutRattachement
    Role: TypeAlias = v.Role
    EtatEspace: TypeAlias = v.EtatEspace
    TypeHabilitation: TypeAlias = v.TypeHabilitation
    TriSens: TypeAlias = v.TriSens
    TriStructures: TypeAlias = str
    TriServices: TypeAlias = str
    TriRattachementsServices: TypeAlias = str
    TriEspaces: TypeAlias = str
    TriRattachements: TypeAlias = str
    TriDestinataires: TypeAlias = str
else:
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
    # Each search's triColonne: a Literal of its sort keys (paging.Tri.colonne).
    TriStructures = paging.STRUCTURES.colonne
    TriServices = paging.SERVICES.colonne
    TriRattachementsServices = paging.RATTACHEMENTS_SERVICES.colonne
    TriEspaces = paging.ESPACES.colonne
    TriRattachements = paging.RATTACHEMENTS.colonne
    TriDestinataires = paging.DESTINATAIRES.colonne
# codeLangue: a plain string, as the Swagger says; any case, empty means the default (FR).
CodeLangue = Annotated[
    Annotated[str, Field(max_length=10)] | None, BeforeValidator(_upper),
    BeforeValidator(blank_to_none),
]
MaybePage = Annotated[Annotated[int, Field(ge=1)] | None, BeforeValidator(zero_to_none)]
MaybePageSize = Annotated[
    Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | None, BeforeValidator(zero_to_none)
]
# A Swagger ``format: date-time`` answer field: ISO 8601 / RFC 3339 with milliseconds and
# the Paris offset (2017-01-03T10:55:48.859+01:00), which Go's time.Time also decodes.
IsoDateTime = Annotated[AwareDatetime, Field(description="ISO 8601 date-time (RFC 3339).")]
# A "YYYY-MM-DD HH:MM" answer field (dateDbtService/dateFinService, not in the Swagger).
MinuteDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")]


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

    pageResultatDemandee: MaybePage = Field(
        None, description="Page wanted, from 1 (default 1)."
    )
    nbResultatsParPage: MaybePageSize = Field(
        None,
        description=f"Results per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
    )
    triSens: Maybe[TriSens] = Field(None, description="Sort direction (default Ascendant).")

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

    identifiantStructure: Maybe[str] = Field(None, max_length=80, description="Exact identifier.")
    typeIdentifiantStructure: Maybe[TypeIdentifiant] = None
    raisonSocialeStructure: Maybe[str] = Field(
        None, max_length=255,
        description="Part of the raison sociale, any case (accents count)."
    )
    libelleStructure: Maybe[str] = Field(None, max_length=255, description="Exact libellé.")
    nomStructure: Maybe[str] = Field(None, max_length=100, description="Exact nom (Particulier).")
    prenomStructure: Maybe[str] = Field(None, max_length=100, description="Exact prénom.")
    adresseCodePostal: Maybe[str] = Field(None, max_length=20, description="Exact postcode.")
    adresseVille: Maybe[str] = Field(None, max_length=100, description="Exact city.")
    adresseCodePays: Maybe[str] = Field(None, max_length=2, description="ISO 3166 alpha-2.")
    typeStructure: Maybe[TypeStructure] = None
    statutStructure: Maybe[StatutStructureIn] = Field(
        None, description="Input enum ACTIF/INACTIF (the answer says ACTIVE/INACTIVE)."
    )
    estMOA: MaybeFlag = None
    estMOAUniquement: MaybeFlag = None


class ParametresRechercherStructure(Pagination):
    triColonne: Maybe[TriStructures] = None


class RechercherStructureParam(Request):
    """Body of POST /cpro/structures/v1/rechercher."""

    structure: Maybe[StructureCriteres] = None
    restreindreStructuresPrivees: MaybeBool = Field(
        None,
        description="Absent, null, blank or true: public structures and the caller's attached "
        "private ones; false: public and private structures that match.",
    )
    parametres: Maybe[ParametresRechercherStructure] = None


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

    idStructureCPP: MaybeId = None
    codeLangue: CodeLangue = None


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
    dateExpirationMotPasseCompteTech: IsoDateTime | None = Field(
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
    triColonne: Maybe[TriServices] = None


class RechercherServicesStructureParam(Request):
    """Body of POST /cpro/structures/v1/rechercher/services."""

    idStructure: MaybeId = None
    parametresRechercherServicesStructure: Maybe[ParametresRechercherServicesStructure] = None


class ServiceResume(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idService: int
    codeService: str
    libelleService: str
    estActif: bool
    statutService: StatutService
    dateDbtService: MinuteDate | None = Field(description='"YYYY-MM-DD HH:MM"')
    dateFinService: MinuteDate | None = Field(description='"YYYY-MM-DD HH:MM"')


class RechercherServicesStructureRetour(Response):
    listeServices: list[ServiceResume]
    parametresRetour: ParametresRetour


class ConsulterServiceStructureParam(Request):
    """Body of POST /cpro/structures/v1/consulter/service."""

    idStructure: MaybeId = None
    idService: MaybeId = None
    codeLangue: CodeLangue = None


class InformationsGeneralesService(BaseModel):
    """consulterServiceStructure's general block (this one has the "s")."""

    model_config = ConfigDict(extra="forbid")
    codeService: str
    descriptionService: str | None
    nomService: str


class ParametresService(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dateCreation: IsoDateTime | None
    dateDebutValidite: IsoDateTime | None
    dateFinValidite: IsoDateTime | None
    dateModification: IsoDateTime | None
    miseEnPaiement: bool
    numeroEngagement: bool


class ConsulterServiceStructureRetour(Response):
    adressePostale: AdressePostale
    informationsGenerales: InformationsGeneralesService
    parametres: ParametresService
    nbResultatsParPage: int = Field(description="As the Swagger lists them: 1 (one item).")
    pageCourante: int
    pages: int
    total: int


class ParametresListerRattachementsStructureUtilisateur(Pagination):
    triColonne: Maybe[TriRattachementsServices] = None


class ListerRattachementsStructureUtilisateurParam(Request):
    """Body of POST /cpro/structures/v1/lister/rattachementsutilisateur.

    The user is named by ``adresseEmailConnexionUtilisateur`` or ``idUtilisateur``;
    the structure by ``idStructure`` or ``identifiantStructure`` (+ its type).
    """

    adresseEmailConnexionUtilisateur: Maybe[str] = Field(None, max_length=254)
    idUtilisateur: MaybeId = None
    idStructure: MaybeId = None
    identifiantStructure: Maybe[str] = Field(None, max_length=80)
    typeIdentifiantStructure: Maybe[TypeIdentifiant] = None
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
    dateDebut: IsoDateTime | None
    dateFin: IsoDateTime | None
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
    idStructure: MaybeId = None
    identifiantStructure: Maybe[str] = Field(None, max_length=80)
    typeIdentifiantStructure: Maybe[TypeIdentifiant] = None


class ParametresRechercherEspaces(Pagination):
    triColonne: Maybe[TriEspaces] = None


class RechercherEspacesParam(Request):
    """Body of POST /cpro/structures/v1/rechercher/espaces."""

    structure: Maybe[StructureRef] = None
    idService: MaybeId = None
    parametresRechercherEspaces: Maybe[ParametresRechercherEspaces] = None


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
    triColonne: Maybe[TriRattachements] = None


class RecupererRattachementsParam(Request):
    """Body of POST /cpro/utilisateurs/v1/monCompte/recuperer/rattachements."""

    parametresRecherche: Maybe[ParametresRecupererRattachements] = None


class ServiceRattache(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idRattachementService: int
    idService: int
    codeService: str
    libelleService: str
    estActif: bool
    statutService: StatutService
    statutRattachementService: StatutRattachement
    dateDbtService: MinuteDate | None
    dateFinService: MinuteDate | None


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

    codeLangue: CodeLangue = Field(None, description="FR (default) or EN.")


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
    triColonne: Maybe[TriDestinataires] = None


class RechercherDestinataireParam(Request):
    """Body of POST /cpro/transverses/v1/rechercher/destinataire."""

    identifiant: Maybe[str] = Field(None, max_length=80, description="Exact identifier (SIRET).")
    nomVilleCodePostal: Maybe[str] = Field(
        None,
        max_length=255,
        description="Digits: beginning of the postcode; otherwise beginning of the name, "
        "or the exact city.",
    )
    typeStructure: Maybe[TypeStructure] = None
    parametresRecherche: Maybe[ParametresRechercherDestinataire] = None


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
