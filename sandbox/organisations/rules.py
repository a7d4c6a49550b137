"""The rules of the Référentiel des Organisations, without HTTP: what a reference names,
who sees what, and the two changes the API makes (EDI parameters, a new service).

Who sees what (docs/decisions.md): public structures and their services are readable by
every caller, private ones only by callers attached to them (the Structures API's rule);
anything else answers as unknown (``NotFoundReference``), never "forbidden", so that the
API tells nothing of a structure the caller may not see. A structure's attachments are
the files its technical account uploaded (``transverses/v1/ajouter/fichier``), readable by
callers who may act for the structure. Changes need the structure's gestionnaire
principal (or its technical account): else 403, as attested for ``parametres-edi``.

Each function takes a session; a change is one unit of work the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import BindParameter, Row, Select, and_, bindparam, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts import rights
from sandbox.factures.models import PieceJointe
from sandbox.models import Rattachement, Service, Structure
from sandbox.organisations import errors, objects
from sandbox.organisations.search import MAX_RESULTS, Search, all_of
from sandbox.organisations.uuids import Codec, Kind, normalised
from sandbox.vocabulary import Role, StatutRattachement, TypeIdentifiant, TypeStructure

_SIRET = re.compile(r"[0-9]{14}")
# An intra-community VAT number: a member state's prefix, then 2 to 13 characters with a
# digit (VIES formats; "EL" is Greece, "XI" Northern Ireland).
_VAT = re.compile(r"(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|"
                  r"SE|SI|SK|XI)(?=[0-9A-Z+*]*[0-9])[0-9A-Z+*]{2,13}")
STRUCTURES, SERVICES, PIECES_JOINTES = "Structures", "Services", "PiecesJointes"


@dataclass(frozen=True)
class Reader:
    """Who calls: the structures the caller may act for (validated rattachements, a
    technical account's through its gestionnaire) and the user whose rights it has."""

    usable: frozenset[int]
    rights_user_id: int | None


def _visible(reader: Reader):  # noqa: ANN202 (an SQL condition)
    return or_(Structure.type_structure == TypeStructure.PUBLIQUE, Structure.id.in_(reader.usable))


def _may_see(reader: Reader, structure: Structure | StructureRow) -> bool:
    return structure.type_structure == TypeStructure.PUBLIQUE or structure.id in reader.usable


def _by_vat(vat: str | BindParameter[str]) -> Select:
    """Structures whose intra-community VAT number is ``vat`` (a foreign structure,
    UE_HORS_FRANCE, is identified by it). Not indexed: references by VAT number are rare
    (docs/performance.md)."""
    return select(Structure).where(or_(
        Structure.numero_tva == vat,
        and_(Structure.identifiant == vat,
             Structure.type_identifiant == TypeIdentifiant.UE_HORS_FRANCE)))


def _reference(codec: Codec, reference: str) -> tuple[str, int | str | None]:
    """What a structure reference is: ("id", the row id or None for a uuid of nothing),
    ("siret", it), ("vat", it in capitals); ``ParamsInvalidUuidStructures`` for anything
    else (the attested message lists the three)."""
    if normalised(reference) is not None:
        return "id", codec.decode(Kind.STRUCTURE, reference)
    if _SIRET.fullmatch(reference):
        return "siret", reference
    if _VAT.fullmatch(reference.upper()):
        return "vat", reference.upper()
    raise errors.invalid_structure_reference()


def _by_siret() -> Select:
    return select(Structure).where(Structure.identifiant == bindparam("value"),
                                   Structure.type_identifiant == TypeIdentifiant.SIRET)


def structure_by_reference(s: Session, codec: Codec, reader: Reader, reference: str) -> Structure:
    """The structure (ORM object, for a change) named by a uuid, a SIRET or an
    intra-community VAT number; ``ParamsInvalidUuidStructures`` for anything else,
    ``NotFoundReference`` for one that names no structure the caller may see."""
    kind, value = _reference(codec, reference)
    structure: Structure | None
    if kind == "id":
        structure = None if value is None else s.get(Structure, value)
    elif kind == "siret":
        structure = s.scalars(_by_siret(), {"value": value}).first()
    else:
        structure = s.scalars(_by_vat(str(value)).order_by(Structure.id).limit(1)).first()
    if structure is None or not _may_see(reader, structure):
        raise errors.not_found(STRUCTURES, reference)
    return structure


# The readers' statements: the table's columns (Core rows, read by column name like the ORM
# object), built once with their values bound (issue #24: an ORM load and a statement
# built per call cost more than the query; see cpro.common.readable_structure).
_COLUMNS = tuple(Structure.__table__.c)
_ROW_BY_ID = select(*_COLUMNS).where(Structure.__table__.c.id == bindparam("value"))
_ROW_BY_SIRET = _by_siret().with_only_columns(*_COLUMNS)
_ROW_BY_VAT = _by_vat(bindparam("value")).with_only_columns(*_COLUMNS) \
    .order_by(Structure.id).limit(1)
_ROW_BY = {"id": _ROW_BY_ID, "siret": _ROW_BY_SIRET, "vat": _ROW_BY_VAT}
StructureRow: TypeAlias = Row[Any]  # the columns of ``structures``, by their names


def readable_structure(s: Session, codec: Codec, reader: Reader, reference: str) -> StructureRow:
    """``structure_by_reference`` for a reader: the same answers and errors, the
    structure's row (its columns) instead of an ORM object."""
    kind, value = _reference(codec, reference)
    row = None if value is None else db.core(s, _ROW_BY[kind], {"value": value}).first()
    if row is None or not _may_see(reader, row):
        raise errors.not_found(STRUCTURES, reference)
    return row


def contacts(s: Session, structure_ids: list[int]) -> dict[int, int]:
    """Structure id -> its validated gestionnaire principal's user id."""
    if not structure_ids:
        return {}
    rows = db.core(s, _CONTACTS, {"ids": structure_ids})
    return {structure_id: user_id for structure_id, user_id in rows}


_CONTACTS = select(Rattachement.structure_id, Rattachement.user_id).where(
    Rattachement.structure_id.in_(bindparam("ids", expanding=True)),
    Rattachement.role == Role.GESTIONNAIRE_PRINCIPAL,
    Rattachement.statut == StatutRattachement.VALIDEE)


def structure_object(s: Session, codec: Codec, structure: StructureRow) -> dict:
    """The ``Structure`` object of one structure."""
    return objects.structure(structure, codec, contacts(s, [structure.id]).get(structure.id))


def search_structures(s: Session, codec: Codec, reader: Reader, search: Search) -> list[dict]:
    """The structures a compiled search finds among those the caller may see (at most
    ``MAX_RESULTS``), projected on its ``_fields``."""
    rows = s.scalars(select(Structure).where(_visible(reader), all_of(search))
                     .order_by(*search.order).limit(MAX_RESULTS)).all()
    wanted = set(search.fields)
    found = contacts(s, [r.id for r in rows]) if not wanted or "contactPrincipal" in wanted else {}
    return [objects.project(objects.structure(r, codec, found.get(r.id)), search.fields)
            for r in rows]


def services_of(s: Session, codec: Codec, structure: StructureRow) -> list[dict]:
    """Every service of a structure, active or not, by id."""
    rows = db.core(s, _SERVICE_ROWS, {"structure_id": structure.id})
    return [objects.service(r, codec) for r in rows]


_SERVICE_ROWS = select(*Service.__table__.c).where(
    Service.__table__.c.structure_id == bindparam("structure_id")).order_by(Service.id)


def service_by_reference(s: Session, codec: Codec, reader: Reader, reference: str) -> Service:
    """The service a uuid names, if the caller may see its structure; else
    ``NotFoundReference`` (a malformed reference too, as attested: ``not_exist_service``)."""
    row_id = codec.decode(Kind.SERVICE, reference)
    service = None if row_id is None else s.get(Service, row_id)
    if service is None or not _may_see(reader, service.structure):
        raise errors.not_found(SERVICES, reference)
    return service


def search_services(s: Session, codec: Codec, reader: Reader, search: Search) -> list[dict]:
    """The services a compiled search finds among those of visible structures."""
    rows = s.scalars(
        select(Service).join(Structure, Structure.id == Service.structure_id)
        .where(_visible(reader), all_of(search))
        .order_by(*search.order).limit(MAX_RESULTS)).all()
    return [objects.project(objects.service(r, codec), search.fields) for r in rows]


def _attachments(reader: Reader, structure: Structure | StructureRow) -> Select:
    stmt = select(PieceJointe).where(PieceJointe.structure_id == structure.id)
    return stmt if structure.id in reader.usable else stmt.where(false())


def pieces_jointes(s: Session, codec: Codec, reader: Reader, structure: StructureRow) -> list[dict]:
    """The structure's attachments (without content); none is ``NotFoundReference``, as
    the real API answers (piste-gouv-fr maps it to an empty list)."""
    rows = s.scalars(_attachments(reader, structure).order_by(PieceJointe.id)).all()
    if not rows:
        raise errors.not_found(PIECES_JOINTES, codec.encode(Kind.STRUCTURE, structure.id))
    return [objects.piece_jointe(r, codec, content=False) for r in rows]


def piece_jointe(s: Session, codec: Codec, reader: Reader, structure: StructureRow,
                 reference: str) -> dict:
    """One attachment of the structure, with its content (base64)."""
    row_id = codec.decode(Kind.PIECE_JOINTE, reference)
    row = None if row_id is None else s.scalars(
        _attachments(reader, structure).where(PieceJointe.id == row_id)).first()
    if row is None:
        raise errors.not_found(PIECES_JOINTES, reference)
    return objects.piece_jointe(row, codec, content=True)


def _check_manages(s: Session, reader: Reader, structure: Structure, what: str) -> None:
    if reader.rights_user_id is None or not rights.is_gestionnaire_principal(
            s, reader.rights_user_id, structure.id):
        raise errors.forbidden(
            "Accès refusé : seul le gestionnaire principal de la structure "
            f"{structure.identifiant} (ou son compte technique) peut {what}.")


def set_parametres_edi(s: Session, reader: Reader, structure: Structure,
                       reception: bool | None, connexion: bool | None) -> None:
    """PATCH parametres-edi: ``reception_edi`` -> recevoirDonneesViaEDI (Structures API) /
    recevoirCyclesViesEdi, ``connexion_edi`` -> connexionEDI / emetteurFluxEdi. The
    right is checked first (attested: 403 even with nothing to change)."""
    _check_manages(s, reader, structure, "modifier ses paramètres EDI")
    if reception is None and connexion is None:
        return
    if reception is not None:
        structure.recevoir_donnees_via_edi = reception
    if connexion is not None:
        structure.connexion_edi = connexion
    structure.updated_at = clock.utcnow_naive()
    s.flush()


def create_service(s: Session, reader: Reader, structure: Structure, values: dict) -> Service:
    """creerService: a new active service on a structure the caller manages; 409 if the
    code exists on it. ``values``: the request's fields (``pays`` a name or an ISO code)."""
    _check_manages(s, reader, structure, "lui créer un service")
    code, libelle = values["codeService"].strip(), values["libelle"].strip()
    if not code or not libelle:
        raise errors.params_invalid("codeService et libelle ne peuvent pas être vides.")
    exists = errors.already_exists(
        f"Le service {errors.echo(code)} existe déjà sur la structure {structure.identifiant}.")
    taken = s.scalar(select(Service.id).where(Service.structure_id == structure.id,
                                              Service.code == code))
    if taken is not None:
        raise exists
    pays = values.get("pays")
    country = objects.country_code(pays) if pays else structure.pays
    if pays and country is None:
        raise errors.params_invalid(f"pays : {errors.echo(pays)} n'est pas un pays connu.")
    now = clock.utcnow_naive()
    service = Service(
        structure_id=structure.id, code=code, libelle=libelle,
        description=values.get("description"), est_actif=True, date_debut=now, date_fin=None,
        numero_engagement=bool(values.get("numeroEj")), mise_en_paiement=False,
        adresse=values.get("adresse", structure.adresse),
        complement_adresse_1=values.get("complementAdresse1"),
        complement_adresse_2=values.get("complementAdresse2"),
        code_postal=values.get("codePostal", structure.code_postal),
        ville=values.get("ville", structure.ville), pays=country,
        created_at=now, updated_at=now,
    )
    s.add(service)
    try:
        s.flush()
    except IntegrityError:  # the same code created meanwhile (uq_service_code)
        raise exists from None
    return service
