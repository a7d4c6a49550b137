"""The objects of the Référentiel des Organisations (``Structure``, ``Service``,
``PieceJointeStructure``) as piste-gouv-fr's ``WsRetour`` classes list them, field by
field: how each is written from our rows, and which SQL expression a search on it reads.

Each field is declared once (``Field``): its name, its value type (what a search value
must be), the SQL expression it is read from, and, where the API's value is not the
column's, how an API value maps to the column (``typeOrganisation`` ``public`` ->
``PUBLIQUE``, ``pays`` ``France`` -> ``FR``...). Fields the sandbox does not model
(``numeroPacage``, ``categorieJuridique``...) are constants. The renderers write the
objects in the field order of the PHP classes; ``project`` keeps the ``_fields`` asked.

No HTTP here (a rules module).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from sandbox.factures.models import PieceJointe
from sandbox.formatting import PARIS
from sandbox.models import Rattachement, Service, Structure, designation_of
from sandbox.organisations.uuids import Codec, Kind
from sandbox.portal import countries
from sandbox.vocabulary import (
    EtatServiceOrganisation,
    Role,
    StatusOrganisation,
    StatutRattachement,
    StatutStructure,
    TypeIdentifiant,
    TypeOrganisation,
    TypeStructure,
)


class ValueType(StrEnum):
    """What a search value of a field must be."""

    STRING = "string"
    BOOL = "bool"
    INT = "int"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Field:
    """One field of an object: its type and where a search reads it.

    ``column``: the SQL expression (None: a constant the sandbox does not model,
    ``constant``); ``reference``: the field holds a uuid of that kind while the column
    holds the id; ``to_column``: the API value -> the column's (None: it names nothing);
    ``nullable``: the column may be NULL, written ``""``.
    """

    name: str
    type: ValueType
    column: ColumnElement[Any] | QueryableAttribute[Any] | None = None
    reference: Kind | None = None
    to_column: Callable[[Any], Any] | None = None
    nullable: bool = False
    constant: Any = None


# typeIdentifiant: "0" for a SIRET (live test against qualification); the other codes
# follow the order of transverses/recuperer/typeidentifiant/structure (docs/decisions.md).
TYPE_IDENTIFIANT_CODES: dict[str, str] = {t.value: str(i) for i, t in enumerate(TypeIdentifiant)}
_TYPE_IDENTIFIANTS = {code: name for name, code in TYPE_IDENTIFIANT_CODES.items()}
_TYPES_ORGANISATION = {TypeOrganisation.PUBLIC.value: TypeStructure.PUBLIQUE.value,
                       TypeOrganisation.PRIVATE.value: TypeStructure.PRIVEE.value}
_STATUSES = {StatusOrganisation.ACTIVE.value: StatutStructure.ACTIF.value,
             StatusOrganisation.INACTIVE.value: StatutStructure.INACTIF.value}
_ETATS_SERVICE = {EtatServiceOrganisation.ACTIF.value: True,
                  EtatServiceOrganisation.INACTIF.value: False}


def _mapped(table: Mapping[str, Any]) -> Callable[[Any], Any]:
    return lambda value: table.get(value)


def country_name(code: str | None) -> str:
    """``pays`` as the API writes it: the French name (``France``), ``""`` for none."""
    return countries.name(code) if code else ""


def country_code(name: Any) -> str | None:
    """The ISO code a ``pays`` search value names: its French name (any case) or the code."""
    if not isinstance(name, str):
        return None
    wanted = name.strip().casefold()
    for code, label in countries.choices():
        if wanted in (label.casefold(), code.casefold()):
            return code
    return None


# The structure's gestionnaire principal (contactPrincipal), as a correlated subquery.
_CONTACT = (
    select(Rattachement.user_id)
    .where(Rattachement.structure_id == Structure.id,
           Rattachement.role == Role.GESTIONNAIRE_PRINCIPAL,
           Rattachement.statut == StatutRattachement.VALIDEE)
    .limit(1)
    .scalar_subquery()
)

S, B, N, D = ValueType.STRING, ValueType.BOOL, ValueType.INT, ValueType.DATETIME


def _address(model: type[Structure] | type[Service]) -> tuple[Field, ...]:
    """The postal address fields, the same on a structure and a service."""
    return (
        Field("adresse", S, model.adresse, nullable=True),
        Field("complementAdresse1", S, model.complement_adresse_1, nullable=True),
        Field("complementAdresse2", S, model.complement_adresse_2, nullable=True),
        Field("codePostal", S, model.code_postal, nullable=True),
        Field("ville", S, model.ville, nullable=True),
        Field("pays", S, model.pays, to_column=country_code),
    )

STRUCTURE_FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("libelleOrganisation", S, func.coalesce(Structure.libelle, Structure.raison_sociale)),
    Field("numeroTvaIntracommunautaire", S, Structure.numero_tva, nullable=True),
    Field("typeOrganisation", S, Structure.type_structure, to_column=_mapped(_TYPES_ORGANISATION)),
    Field("contactPrincipal", S, _CONTACT, reference=Kind.UTILISATEUR),
    Field("organisationParent", S, Structure.id_structure_origine, reference=Kind.STRUCTURE),
    Field("estCentreGestionAgricole", B, constant=False),
    Field("gestionNumeroEJOuCodeService", B, Structure.gestion_numero_ej_ou_code_service),
    Field("numeroPacage", N, constant=0),
    Field("status", S, Structure.statut, to_column=_mapped(_STATUSES)),
    Field("identifiant", S, Structure.identifiant),
    Field("typeIdentifiant", S, Structure.type_identifiant,
          to_column=_mapped(_TYPE_IDENTIFIANTS)),
    Field("categorieFournisseurMemoireId", N, constant=0),
    Field("categorieBeneficiaireId", N, constant=0),
    *_address(Structure),
    Field("adresseElectronique", S, Structure.email, nullable=True),
    Field("telephone", S, Structure.telephone, nullable=True),
    Field("recevoirCyclesViesEdi", B, Structure.recevoir_donnees_via_edi),
    Field("emetteurFluxEdi", B, Structure.connexion_edi),
    Field("nonDiffusibleInsee", B, Structure.non_diffusible_insee),
    Field("derniereMaj", D, Structure.updated_at),
    Field("uuid", S, Structure.id, reference=Kind.STRUCTURE),
    Field("nomStructure", S, Structure.nom, nullable=True),
    Field("prenomStructure", S, Structure.prenom, nullable=True),
    Field("numeroRcsStructure", S, Structure.numero_rcs, nullable=True),
    Field("numeroEjDoitEtreRenseigne", B, Structure.numero_ej_doit_etre_renseigne),
    Field("codeServiceDoitEtreRenseigne", B, Structure.code_service_doit_etre_renseigne),
    Field("statutMiseEnPaiementNestPasRemonte", B,
          Structure.statut_mise_en_paiement_nest_pas_remonte),
    Field("avecMOA", B, Structure.est_moa),
    Field("estMOAUniquement", B, Structure.est_moa_uniquement),
    Field("structureOrigine", N, func.coalesce(Structure.id_structure_origine, 0)),
    Field("raisonSociale", S, Structure.raison_sociale),
    Field("categorieJuridique", S, constant=""),
    Field("categorieEntreprise", S, constant=""),
)}

# dateModification: none until the service changed (the live answer shows null).
_MODIFIED = case((Service.updated_at > Service.created_at, Service.updated_at), else_=None)

SERVICE_FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("libelle", S, Service.libelle),
    Field("description", S, Service.description, nullable=True),
    Field("codeService", S, Service.code),
    Field("rattachementOrganisation", S, Service.structure_id, reference=Kind.STRUCTURE),
    Field("dateCreation", D, Service.created_at),
    Field("dateDebutActivation", D, Service.date_debut),
    Field("dateFinActivation", D, Service.date_fin),
    Field("dateModification", D, _MODIFIED),
    Field("dateSuppression", D, constant=None),
    Field("etatService", S, Service.est_actif, to_column=_mapped(_ETATS_SERVICE)),
    *_address(Service),
    Field("telephone", S, constant=""),
    Field("numeroEj", B, Service.numero_engagement),
    Field("derniereMaj", D, Service.updated_at),
    Field("uuid", S, Service.id, reference=Kind.SERVICE),
)}


def date_time(moment: datetime | None) -> str | None:
    """ISO 8601 with milliseconds and the Paris offset (``2024-01-02T09:00:00.000+01:00``):
    piste-gouv-fr's first layout (``Y-m-d\\TH:i:s.vp``), and the form of the Swagger's
    dates elsewhere (its ``X-m-d`` layouts need a signed year, so a plain ``…:00+01:00``
    would pass none of them but ``Y-m-d\\TH:i:sO`` without the colon)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(PARIS).isoformat(timespec="milliseconds")


def _text(value: str | None) -> str:
    return value or ""


def _address_values(row: Any) -> dict[str, str]:
    return {
        "adresse": _text(row.adresse),
        "complementAdresse1": _text(row.complement_adresse_1),
        "complementAdresse2": _text(row.complement_adresse_2),
        "codePostal": _text(row.code_postal),
        "ville": _text(row.ville),
        "pays": country_name(row.pays),
    }


def structure(row: Any, codec: Codec, contact_id: int | None) -> dict[str, Any]:
    """A ``Structure`` in the field order of piste-gouv-fr's class, from the ORM object or
    the structure's row (its columns)."""
    designation = designation_of(row)
    return {
        "libelleOrganisation": row.libelle or designation,
        "numeroTvaIntracommunautaire": _text(row.numero_tva),
        "typeOrganisation": (TypeOrganisation.PUBLIC if row.type_structure == TypeStructure.PUBLIQUE
                             else TypeOrganisation.PRIVATE).value,
        "contactPrincipal": codec.encode_optional(Kind.UTILISATEUR, contact_id),
        "organisationParent": codec.encode_optional(Kind.STRUCTURE, row.id_structure_origine),
        "estCentreGestionAgricole": False,
        "gestionNumeroEJOuCodeService": row.gestion_numero_ej_ou_code_service,
        "numeroPacage": 0,
        "status": (StatusOrganisation.ACTIVE if row.statut == StatutStructure.ACTIF
                   else StatusOrganisation.INACTIVE).value,
        "identifiant": row.identifiant,
        "typeIdentifiant": TYPE_IDENTIFIANT_CODES.get(row.type_identifiant, ""),
        "categorieFournisseurMemoireId": 0,
        "categorieBeneficiaireId": 0,
        **_address_values(row),
        "adresseElectronique": _text(row.email),
        "telephone": _text(row.telephone),
        "recevoirCyclesViesEdi": row.recevoir_donnees_via_edi,
        "emetteurFluxEdi": row.connexion_edi,
        "nonDiffusibleInsee": row.non_diffusible_insee,
        "derniereMaj": date_time(row.updated_at),
        "uuid": codec.encode(Kind.STRUCTURE, row.id),
        "nomStructure": _text(row.nom),
        "prenomStructure": _text(row.prenom),
        "numeroRcsStructure": _text(row.numero_rcs),
        "numeroEjDoitEtreRenseigne": row.numero_ej_doit_etre_renseigne,
        "codeServiceDoitEtreRenseigne": row.code_service_doit_etre_renseigne,
        "statutMiseEnPaiementNestPasRemonte": row.statut_mise_en_paiement_nest_pas_remonte,
        "avecMOA": row.est_moa,
        "estMOAUniquement": row.est_moa_uniquement,
        "structureOrigine": row.id_structure_origine or 0,
        "raisonSociale": row.raison_sociale,
        "categorieJuridique": "",
        "categorieEntreprise": "",
    }


def service(row: Any, codec: Codec) -> dict[str, Any]:
    """A ``Service`` in the field order of piste-gouv-fr's class (ORM object or row)."""
    modified = row.updated_at if row.updated_at > row.created_at else None
    return {
        "libelle": row.libelle,
        "description": _text(row.description),
        "codeService": row.code,
        "rattachementOrganisation": codec.encode(Kind.STRUCTURE, row.structure_id),
        "dateCreation": date_time(row.created_at),
        "dateDebutActivation": date_time(row.date_debut),
        "dateFinActivation": date_time(row.date_fin),
        "dateModification": date_time(modified),
        "dateSuppression": None,
        "etatService": (EtatServiceOrganisation.ACTIF if row.est_actif
                        else EtatServiceOrganisation.INACTIF).value,
        **_address_values(row),
        "telephone": "",
        "numeroEj": row.numero_engagement,
        "derniereMaj": date_time(row.updated_at),
        "uuid": codec.encode(Kind.SERVICE, row.id),
    }


def piece_jointe(row: PieceJointe, codec: Codec, *, content: bool) -> dict[str, Any]:
    """A ``PieceJointeStructure``; ``attachmentData`` (base64) only with ``content``."""
    item: dict[str, Any] = {
        "sizeBytes": row.size,
        "fileName": row.nom,
        "uuid": codec.encode(Kind.PIECE_JOINTE, row.id),
        "contentType": row.type_mime,
    }
    if content:
        item["attachmentData"] = base64.b64encode(row.content).decode("ascii")
    return item


def project(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """``item`` with only ``fields`` (all of them when empty), in the object's order."""
    if not fields:
        return item
    wanted = set(fields)
    return {name: value for name, value in item.items() if name in wanted}
