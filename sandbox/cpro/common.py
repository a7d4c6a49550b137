"""Shared pieces of the handlers: dates, visibility of structures, finding a structure.

Paging and sorting are in ``sandbox.cpro.paging``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, and_, bindparam, or_, select

from sandbox import db
from sandbox.cpro import errors
from sandbox.cpro.api import Context
from sandbox.formatting import PARIS
from sandbox.models import Structure, designation_of
from sandbox.vocabulary import (
    StatutStructure,
    StatutStructureSortie,
    TypeIdentifiant,
    TypeStructure,
)


def _aware_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def date_minute(moment: datetime | None) -> str | None:
    """``"YYYY-MM-DD HH:MM"`` in Paris time (dateDbtService, dateFinService)."""
    if moment is None:
        return None
    return _aware_utc(moment).astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def date_iso(moment: datetime | None) -> str | None:
    """ISO 8601 with milliseconds and the Paris offset (``2017-01-03T10:55:48.859+01:00``)."""
    if moment is None:
        return None
    return _aware_utc(moment).astimezone(PARIS).isoformat(timespec="milliseconds")


def designation(row) -> str:
    """designationStructure: the raison sociale, or "Prénom Nom" for a Particulier."""
    return designation_of(row)


def prefix(column, value: str):
    """``column`` starts with ``value``, as a range: it uses the column's index on SQLite
    and PostgreSQL, where ``LIKE 'x%'`` may not."""
    return and_(column >= value, column < value + "\U0010ffff")


def statut_sortie(statut: str) -> str:
    """The output enum: stored ACTIF/INACTIF becomes ACTIVE/INACTIVE."""
    if statut == StatutStructure.ACTIF:
        return StatutStructureSortie.ACTIVE
    return StatutStructureSortie.INACTIVE


def type_structure_column(selective: bool):
    """``type_structure``, unusable by an index when ``selective`` (see visible_clause)."""
    return Structure.type_structure.op("||")("") if selective else Structure.type_structure


def visible_clause(ctx: Context, selective: bool = False):
    """SQL condition: public structures, or private ones the caller is attached to.

    ``selective``: another criterion of the query has a selective index (identifier,
    name prefix, postcode, city). The public test is then written so that no index
    can serve it (``type_structure || ''``): otherwise SQLite, without statistics,
    prefers the low-cardinality ``type_structure`` index and walks every public
    structure (hundreds of thousands at 1,000,000 structures).
    """
    return visibility(selective, ctx.caller.structure_ids(ctx.s))


def visibility(selective: bool, ids: Any, has_ids: bool | None = None):
    """``visible_clause`` for given ``ids``: a collection, or a bound parameter (an
    expanding ``bindparam``, with ``has_ids`` saying whether it will hold any)."""
    public = type_structure_column(selective)
    if not (bool(ids) if has_ids is None else has_ids):
        return public == TypeStructure.PUBLIQUE
    return or_(public == TypeStructure.PUBLIQUE, Structure.id.in_(ids))


def required(value, name: str):  # noqa: ANN001, ANN201
    """``value``, or the business error for a missing parameter (as the real API answers:
    HTTP 200, ``codeRetour``; the Swagger marks no request field required)."""
    if value is None:
        raise errors.ParametreManquant(f"Paramètre obligatoire manquant : {name}.")
    return value


# A structure's row by id: a Core statement built once, its row read by column name like
# the ORM object (~0.04 CPU-ms against ~0.15 for ``Session.get``; docs/performance.md, #24).
_STRUCTURE_ROW = select(*Structure.__table__.c).where(
    Structure.__table__.c.id == bindparam("structure_id"))
StructureRow: TypeAlias = Row[Any]  # the columns of ``structures``, by their names


_BY_IDS: dict[Any, Any] = {}  # model -> its rows by ids, a statement built once


def rows_by_id(s: Any, model: Any, ids: Iterable[int | None]) -> dict[int, StructureRow]:
    """id -> row (the table's columns, read by their names like the ORM object) of the
    ``model`` rows whose id is in ``ids`` (None left out): one query, its statement built
    once per model, no ORM load (issue #24: a wide row's ``Session.get`` costs ~0.15 CPU-ms,
    its Core row ~0.04)."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    statement = _BY_IDS.get(model)
    if statement is None:
        table = model.__table__
        statement = _BY_IDS.setdefault(model, select(*table.c).where(
            table.c.id.in_(bindparam("ids", expanding=True))))
    return {row.id: row for row in db.core(s, statement, {"ids": wanted})}


def readable_structure(
    ctx: Context, structure_id: int | None, name: str = "idStructure"
) -> StructureRow:
    """Return a structure the caller may read (its row), or raise the business error."""
    structure = db.core(
        ctx.s, _STRUCTURE_ROW, {"structure_id": required(structure_id, name)}).first()
    if structure is None:
        raise errors.StructureInconnue()
    public = structure.type_structure == TypeStructure.PUBLIQUE
    if not public and not ctx.caller.is_attached(ctx.s, structure.id):
        raise errors.StructureNonAutorisee()
    return structure


def find_structure(
    ctx: Context, id_structure: int | None, identifiant: str | None, type_identifiant: str | None
) -> StructureRow:
    """Find a structure by id, or by identifier (and type, SIRET by default)."""
    if id_structure is not None:
        return readable_structure(ctx, id_structure)
    if not identifiant:
        raise errors.ParametreManquant(
            "Paramètre obligatoire manquant : idStructure ou identifiantStructure."
        )
    structure_id = ctx.s.scalar(
        select(Structure.id).where(
            Structure.identifiant == identifiant,
            Structure.type_identifiant == (type_identifiant or TypeIdentifiant.SIRET),
        )
    )
    if structure_id is None:
        raise errors.StructureInconnue()
    return readable_structure(ctx, structure_id)


def adresse(obj) -> dict:
    """The postal address block (adressePostaleDuSiege / adressePostale)."""
    return {
        "adresse": obj.adresse,
        "codePostal": obj.code_postal,
        "complementAdresse1": obj.complement_adresse_1,
        "complementAdresse2": obj.complement_adresse_2,
        "fax": getattr(obj, "fax", None),
        "indicatifFax": getattr(obj, "indicatif_fax", None),
        "indicatifTelephone": getattr(obj, "indicatif_telephone", None),
        "pays": obj.pays,
        "telephone": getattr(obj, "telephone", None),
        "ville": obj.ville,
    }
