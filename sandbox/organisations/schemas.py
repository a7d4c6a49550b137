"""Request and answer models of the Référentiel des Organisations (pydantic): the bodies
are validated with them and ``/openapi.json`` is built from them.

Objects: piste-gouv-fr's ``WsRetour/ReferentielDesOrganisations`` classes (every field
optional there; the sandbox writes them all). Searches: one optional ``Filtre`` per field
of the object, plus ``_sort``, ``_desc``, ``_fields``; unknown fields are refused
(``ParamsInvalid``), since a misspelt criterion silently ignored would widen a search.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, create_model
from pydantic.config import JsonDict

from sandbox.organisations.objects import SERVICE_FIELDS, STRUCTURE_FIELDS
from sandbox.organisations.search import OPERATORS
from sandbox.vocabulary import EtatServiceOrganisation, StatusOrganisation, TypeOrganisation


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("contains U+0000 (NUL), which no field holds")
    return text


Texte = Annotated[str, AfterValidator(_no_nul)]
Scalar = Texte | bool | int | float | None


class Filtre(BaseModel):
    """One criterion: ``{"op": "=", "val": "France"}``; ``IN`` takes a list."""

    model_config = ConfigDict(extra="forbid")
    op: Literal[OPERATORS]  # type: ignore[valid-type]
    val: Scalar | list[Scalar]


def _search_model(name: str, fields: list[str], doc: str) -> type[BaseModel]:
    names = Literal[tuple(fields)]  # type: ignore[valid-type]
    definitions: dict[str, Any] = {
        field: (Filtre | None, None) for field in fields
    }
    for special in ("_sort", "_desc", "_fields"):
        definitions[special.lstrip("_") + "_"] = (
            list[names] | None, Field(None, alias=special))  # type: ignore[valid-type]
    model = create_model(
        name, __config__=ConfigDict(extra="forbid", populate_by_name=False),
        __doc__=doc, **definitions)
    return model


StructureRechercheRequete = _search_model(
    "StructureRechercheRequete", list(STRUCTURE_FIELDS),
    "structures/recherche: filters by Structure field, at least one; _sort, _desc, _fields.")
ServiceRechercheRequete = _search_model(
    "ServiceRechercheRequete", list(SERVICE_FIELDS),
    "services/recherche: filters by Service field, at least one; _sort, _desc, _fields.")


class ParametresEdi(BaseModel):
    """PATCH structures/{uuid}/parametres-edi (piste-gouv-fr ``modifierStructure``): each
    flag optional; ``[]`` (PHP's empty array) changes nothing."""

    model_config = ConfigDict(extra="forbid", strict=True)
    reception_edi: bool | None = None
    connexion_edi: bool | None = None


class CreerService(BaseModel):
    """POST services (creerService; the path is the sandbox's choice, docs/decisions.md)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    rattachementOrganisation: Texte = Field(max_length=100)
    codeService: Texte = Field(min_length=1, max_length=100)
    libelle: Texte = Field(min_length=1, max_length=255)
    description: Texte | None = Field(None, max_length=500)
    adresse: Texte | None = Field(None, max_length=255)
    complementAdresse1: Texte | None = Field(None, max_length=255)
    complementAdresse2: Texte | None = Field(None, max_length=255)
    codePostal: Texte | None = Field(None, max_length=20)
    ville: Texte | None = Field(None, max_length=100)
    pays: Texte | None = Field(None, max_length=100)
    numeroEj: bool = False


_DATE: JsonDict = {"format": "date-time"}


class Structure(BaseModel):
    """A structure of the Référentiel des Organisations."""

    model_config = ConfigDict(extra="forbid")
    libelleOrganisation: str | None = None
    numeroTvaIntracommunautaire: str | None = None
    typeOrganisation: TypeOrganisation | None = None
    contactPrincipal: str | None = Field(None, description="uuid of the gestionnaire principal")
    organisationParent: str | None = Field(None, description="uuid, or '' for none")
    estCentreGestionAgricole: bool | None = None
    gestionNumeroEJOuCodeService: bool | None = None
    numeroPacage: int | None = None
    status: StatusOrganisation | None = None
    identifiant: str | None = None
    typeIdentifiant: str | None = Field(None, description="'0' SIRET, '1' UE_HORS_FRANCE, "
                                        "'2' HORS_UE, '3' RIDET, '4' TAHITI, '5' AUTRE, "
                                        "'6' PARTICULIER")
    categorieFournisseurMemoireId: int | None = None
    categorieBeneficiaireId: int | None = None
    adresse: str | None = None
    complementAdresse1: str | None = None
    complementAdresse2: str | None = None
    codePostal: str | None = None
    ville: str | None = None
    pays: str | None = Field(None, description="French name of the country (France)")
    adresseElectronique: str | None = None
    telephone: str | None = None
    recevoirCyclesViesEdi: bool | None = None
    emetteurFluxEdi: bool | None = None
    nonDiffusibleInsee: bool | None = None
    derniereMaj: str | None = Field(None, json_schema_extra=_DATE)
    uuid: str | None = Field(None, pattern="^[0-9a-f]{32}$")
    nomStructure: str | None = None
    prenomStructure: str | None = None
    numeroRcsStructure: str | None = None
    numeroEjDoitEtreRenseigne: bool | None = None
    codeServiceDoitEtreRenseigne: bool | None = None
    statutMiseEnPaiementNestPasRemonte: bool | None = None
    avecMOA: bool | None = None
    estMOAUniquement: bool | None = None
    structureOrigine: int | None = None
    raisonSociale: str | None = None
    categorieJuridique: str | None = None
    categorieEntreprise: str | None = None


class Service(BaseModel):
    """A service of the Référentiel des Organisations."""

    model_config = ConfigDict(extra="forbid")
    libelle: str | None = None
    description: str | None = None
    codeService: str | None = None
    rattachementOrganisation: str | None = Field(None, description="uuid of the structure")
    dateCreation: str | None = Field(None, json_schema_extra=_DATE)
    dateDebutActivation: str | None = Field(None, json_schema_extra=_DATE)
    dateFinActivation: str | None = Field(None, json_schema_extra=_DATE)
    dateModification: str | None = Field(None, json_schema_extra=_DATE)
    dateSuppression: str | None = Field(None, json_schema_extra=_DATE)
    etatService: EtatServiceOrganisation | None = None
    adresse: str | None = None
    complementAdresse1: str | None = None
    complementAdresse2: str | None = None
    codePostal: str | None = None
    ville: str | None = None
    pays: str | None = None
    telephone: str | None = None
    numeroEj: bool | None = None
    derniereMaj: str | None = Field(None, json_schema_extra=_DATE)
    uuid: str | None = Field(None, pattern="^[0-9a-f]{32}$")


class PieceJointeStructure(BaseModel):
    """An attachment of a structure (``attachmentData``, base64, when one is read)."""

    model_config = ConfigDict(extra="forbid")
    sizeBytes: int
    fileName: str
    uuid: str
    contentType: str
    attachmentData: str | None = None


class Structures(RootModel[list[Structure]]):
    """A JSON array of structures (projected on ``_fields`` when asked)."""


class Services(RootModel[list[Service]]):
    """A JSON array of services."""


class PiecesJointesStructure(RootModel[list[PieceJointeStructure]]):
    """A JSON array of attachments (without their content)."""


class ErreurOrganisation(BaseModel):
    """One item of an error body (HTTP 400, 403, 409, 413, 415...): a JSON array of them."""

    model_config = ConfigDict(extra="forbid")
    error: str = Field(examples=["ParamsInvalidUuidStructures", "NotFoundReference"])
    message: str
    detail: str | None = None


class ErreursOrganisation(RootModel[list[ErreurOrganisation]]):
    """The error body: a JSON array."""


class ErreurAuthentification(BaseModel):
    """HTTP 401 of a wrong cpro-account (attested verbatim)."""

    model_config = ConfigDict(extra="forbid")
    ErrorCode: Literal["401"]
    Description: Literal["[invalid field]"]


MODELS = (Structure, Service, PieceJointeStructure, ErreurOrganisation, ErreursOrganisation,
          ErreurAuthentification, Structures, Services, PiecesJointesStructure)
