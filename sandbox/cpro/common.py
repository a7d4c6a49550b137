"""Shared pieces of the handlers: paging and sorting, dates, visibility of structures."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from sandbox.cpro import errors
from sandbox.cpro.api import Context
from sandbox.cpro.schemas import DEFAULT_PAGE_SIZE, Pagination
from sandbox.models import Structure

PARIS = ZoneInfo("Europe/Paris")


def page_request(p: Pagination | None) -> tuple[int, int, bool]:
    """Return (page, page size, descending) with the API's defaults."""
    if p is None:
        return 1, DEFAULT_PAGE_SIZE, False
    return (
        p.pageResultatDemandee or 1,
        p.nbResultatsParPage or DEFAULT_PAGE_SIZE,
        p.triSens == "Descendant",
    )


def parametres_retour(page: int, size: int, total: int) -> dict:
    return {
        "pageCourante": page,
        "pages": math.ceil(total / size) if total else 0,
        "nbResultatsParPage": size,
        "total": total,
    }


def run_paged(
    s: Session,
    stmt: Select,
    order: list,
    page: int,
    size: int,
    descending: bool,
    count_stmt: Select | None = None,
) -> tuple[list, dict]:
    """Run ``stmt`` for one page (ordered by ``order``) and count every match
    (with ``count_stmt`` if given: the same rows, written for another index).

    The count is skipped when the page itself tells the total: a page that is not
    full and not empty is the last one (most identifier searches: one row)."""
    ordering = [col.desc() if descending else col.asc() for col in order]
    skipped = (page - 1) * size
    rows = s.execute(stmt.order_by(*ordering).limit(size).offset(skipped)).all()
    if 0 < len(rows) < size or (not rows and page == 1):
        return rows, parametres_retour(page, size, skipped + len(rows))
    counted = (count_stmt if count_stmt is not None else stmt).order_by(None).subquery()
    total = s.scalar(select(func.count()).select_from(counted)) or 0
    return rows, parametres_retour(page, size, total)


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


def designation(row) -> str:  # noqa: ANN001 (a row with raison_sociale, prenom, nom)
    """designationStructure: the raison sociale, or "Prénom Nom" for a Particulier."""
    return row.raison_sociale or " ".join(x for x in (row.prenom, row.nom) if x)


def prefix(column, value: str):  # noqa: ANN001, ANN201
    """``column`` starts with ``value``, as a range: it uses the column's index on SQLite
    and PostgreSQL, where ``LIKE 'x%'`` may not."""
    return and_(column >= value, column < value + "\U0010ffff")


def statut_sortie(statut: str) -> str:
    """The output enum: stored ACTIF/INACTIF becomes ACTIVE/INACTIVE."""
    return "ACTIVE" if statut == "ACTIF" else "INACTIVE"


def type_structure_column(selective: bool):  # noqa: ANN201
    """``type_structure``, unusable by an index when ``selective`` (see visible_clause)."""
    return Structure.type_structure.op("||")("") if selective else Structure.type_structure


def visible_clause(ctx: Context, selective: bool = False):  # noqa: ANN201
    """SQL condition: public structures, or private ones the caller is attached to.

    ``selective``: another criterion of the query has a selective index (identifier,
    name prefix, postcode, city). The public test is then written so that no index
    can serve it (``type_structure || ''``): otherwise SQLite, without statistics,
    prefers the low-cardinality ``type_structure`` index and walks every public
    structure (hundreds of thousands at 1,000,000 structures).
    """
    public = type_structure_column(selective)
    ids = ctx.caller.structure_ids(ctx.s)
    if not ids:
        return public == "PUBLIQUE"
    return or_(public == "PUBLIQUE", Structure.id.in_(ids))


def readable_structure(ctx: Context, structure_id: int) -> Structure:
    """Return a structure the caller may read, or raise the business error."""
    structure = ctx.s.get(Structure, structure_id)
    if structure is None:
        raise errors.StructureInconnue()
    if structure.type_structure != "PUBLIQUE" and not ctx.caller.is_attached(ctx.s, structure.id):
        raise errors.StructureNonAutorisee()
    return structure


def find_structure(
    ctx: Context, id_structure: int | None, identifiant: str | None, type_identifiant: str | None
) -> Structure:
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
            Structure.type_identifiant == (type_identifiant or "SIRET"),
        )
    )
    if structure_id is None:
        raise errors.StructureInconnue()
    return readable_structure(ctx, structure_id)


def adresse(obj) -> dict:  # noqa: ANN001 (Structure or Service)
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
