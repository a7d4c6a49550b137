"""Paging and sorting of every ``/cpro`` search, and each search's sort keys.

A search reads ``pageResultatDemandee``, ``nbResultatsParPage``, ``triSens`` and
``triColonne`` and answers ``parametresRetour``. Each search's sort keys are one
``Tri`` (``triColonne`` value -> the SQL expression it orders by): the request model
takes its ``triColonne`` enum from it (``Tri.colonne``) and the handler its ORDER BY
(``paged``), so the enum in ``/openapi.json`` and the SQL cannot drift apart.

This module imports the models and the vocabulary, never the schemas (they import it):
the paging parameters it reads are typed by a ``Protocol`` (``PageParams``) that the
schemas' ``Pagination`` models satisfy.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVarTuple

from sqlalchemy import BindParameter, Row, Select, bindparam, case, func, select
from sqlalchemy.orm import Session

from sandbox import db
from sandbox.models import Espace, Rattachement, RattachementService, Service, Structure
from sandbox.vocabulary import TriSens

MAX_PAGE_SIZE = 10_000  # clients ask up to 10000 per page (OCA); the real cap is undocumented
DEFAULT_PAGE_SIZE = 10
# A page past this many rows is empty whatever the table (and its OFFSET would overflow
# SQLite's 64-bit integers: pageResultatDemandee is not bounded by the schema).
MAX_OFFSET = 2**62
_OPERATORS = {"=": operator.eq, ">=": operator.ge, "<=": operator.le}

Ts = TypeVarTuple("Ts")  # the columns of a search's SELECT, so of the rows of its page


class PageParams(Protocol):
    """The paging parameters of a search, as its request model holds them once validated
    (``schemas.Pagination`` and its subclasses). Read-only: a subclass may narrow
    ``triColonne`` to its own sort keys."""

    @property
    def pageResultatDemandee(self) -> int | None: ...
    @property
    def nbResultatsParPage(self) -> int | None: ...
    @property
    def triSens(self) -> TriSens | None: ...
    @property
    def triColonne(self) -> str | None: ...


@dataclass(frozen=True)
class Tri:
    """The sort keys of one search, then ``tiebreak`` (the rows' id: pages never overlap)."""

    columns: Mapping[str, Any]
    tiebreak: Any

    @property
    def colonne(self) -> Any:
        """The ``triColonne`` type of the search's request model: a ``Literal`` of the keys."""
        return Literal[tuple(self.columns)]

    def order(self, key: str | None) -> list:
        """The ORDER BY expressions for ``triColonne`` ``key`` (None: the id order)."""
        return [self.columns[key], self.tiebreak] if key else [self.tiebreak]


def tri_colonne(p: PageParams | None) -> str | None:
    """The ``triColonne`` asked for, if any."""
    return getattr(p, "triColonne", None) if p is not None else None


def page_request(p: PageParams | None) -> tuple[int, int, bool]:
    """Return (page, page size, descending) with the API's defaults."""
    if p is None:
        return 1, DEFAULT_PAGE_SIZE, False
    return (
        p.pageResultatDemandee or 1,
        p.nbResultatsParPage or DEFAULT_PAGE_SIZE,
        p.triSens == TriSens.DESCENDANT,
    )


def parametres_retour(page: int, size: int, total: int) -> dict:
    """The ``parametresRetour`` block of an answer."""
    return {
        "pageCourante": page,
        "pages": math.ceil(total / size) if total else 0,
        "nbResultatsParPage": size,
        "total": total,
    }


def run_paged(
    s: Session,
    stmt: Select[*Ts],
    order: list,
    page: int,
    size: int,
    descending: bool,
    count_stmt: Select | None = None,
) -> tuple[Sequence[Row[*Ts]], dict]:
    """Run ``stmt`` for one page (ordered by ``order``) and count every match
    (with ``count_stmt`` if given: the same rows, written for another index).

    The count is skipped when the page itself tells the total: a page that is not
    full and not empty is the last one (most identifier searches: one row)."""
    ordering = [col.desc() if descending else col.asc() for col in order]
    skipped = (page - 1) * size
    rows = [] if skipped > MAX_OFFSET else s.execute(
        stmt.order_by(*ordering).limit(size).offset(skipped)).all()
    if 0 < len(rows) < size or (not rows and page == 1):
        return rows, parametres_retour(page, size, skipped + len(rows))
    counted = (count_stmt if count_stmt is not None else stmt).order_by(None).subquery()
    total = s.scalar(select(func.count()).select_from(counted)) or 0
    return rows, parametres_retour(page, size, total)


def ordered_page(stmt: Select[*Ts], order: list, descending: bool) -> Select[*Ts]:
    """``stmt`` ordered, with ``:limit`` and ``:offset`` bound at run time: built once per
    shape of search (``lru_cache`` in the handler), run by ``run_prepared``."""
    ordering = [col.desc() if descending else col.asc() for col in order]
    return stmt.order_by(*ordering).limit(bindparam("page_limit")).offset(
        bindparam("page_offset"))


def count_of(stmt: Select, bound: int | None = None) -> Select:
    """``SELECT count(*)`` over the rows of ``stmt`` (built once per shape, like the page);
    with ``bound``, over its first ``bound`` rows only (a count that stops)."""
    rows = stmt.order_by(None)
    if bound is not None:
        rows = rows.limit(bound)
    return select(func.count()).select_from(rows.subquery())


def run_prepared(
    s: Session, page_stmt: Select[*Ts], count_stmt: Select, params: dict, p: PageParams | None,
    bound: int | None = None,
) -> tuple[Sequence[Row[*Ts]], dict]:
    """``run_paged`` for statements built once (``ordered_page``, ``count_of``): building a
    statement costs more CPU than running it, so the hot searches reuse theirs and only
    bind values. The count is skipped as in ``run_paged``.

    ``bound``: the search pages through its first ``bound`` matches only (a page past them
    is empty), and ``count_stmt`` must count at most as many (``count_of(..., bound)``)."""
    page, size, _ = page_request(p)
    skipped = (page - 1) * size
    limit = size if bound is None else max(0, min(size, bound - skipped))
    rows = [] if skipped > MAX_OFFSET or not limit else db.core(
        s, page_stmt, {**params, "page_limit": limit, "page_offset": skipped}).all()
    if 0 < len(rows) < size or (not rows and page == 1):
        return rows, parametres_retour(page, size, skipped + len(rows))
    total = db.core(s, count_stmt, params).scalar() or 0
    return rows, parametres_retour(page, size, total)


def paged(
    s: Session, stmt: Select[*Ts], p: PageParams | None, tri: Tri,
    count_stmt: Select | None = None,
) -> tuple[Sequence[Row[*Ts]], dict]:
    """One page of ``stmt`` as the search's paging parameters ``p`` ask, sorted by ``tri``;
    returns (rows, parametresRetour)."""
    page, size, descending = page_request(p)
    return run_paged(s, stmt, tri.order(tri_colonne(p)), page, size, descending, count_stmt)


def empty_page(p: PageParams | None) -> tuple[list[Any], dict]:
    """The answer of a search that cannot match anything."""
    page, size, _ = page_request(p)
    return [], parametres_retour(page, size, 0)


# --- The sort keys of each search (names verbatim from the Swagger) ---------------

STRUCTURES = Tri(
    {
        "IdentifiantStructure": Structure.identifiant,
        "DesignationStructure": Structure.raison_sociale,
        "TypeIdentifiantStructure": Structure.type_identifiant,
        "Statut": Structure.statut,
    },
    Structure.id,
)
SERVICES = Tri(
    {
        "CodeService": Service.code,
        "LibelleService": Service.libelle,
        "DateDbtService": Service.date_debut,
        "DateFinService": Service.date_fin,
        "EstActif": Service.est_actif,
    },
    Service.id,
)
RATTACHEMENTS_SERVICES = Tri(
    {
        "CodeService": Service.code,
        "NomService": Service.libelle,
        "StatutRattachement": RattachementService.statut,
    },
    RattachementService.id,
)
ESPACES = Tri(
    {
        "CodeService": Service.code,
        "LibelleService": Service.libelle,
        "idEspaceFo": Espace.id,
        "CodeEspace": Espace.code,
        "LibelleEspace": Espace.libelle,
        "etatCourant": Espace.etat,
        "TypeHabilitation": Espace.type_habilitation,
        "IdService": case((Espace.service_id.is_(None), 0), else_=Espace.service_id),
    },
    Espace.id,
)
RATTACHEMENTS = Tri(
    {
        "IdStructure": Structure.id,
        "IdentifiantStructure": Structure.identifiant,
        "DesignationStructure": case(
            (Structure.raison_sociale != "", Structure.raison_sociale), else_=Structure.nom
        ),
        "TypeIdentifiantStructure": Structure.type_identifiant,
        "RoleUtilisateur": Rattachement.role,
        "StatutRattachementStructure": Rattachement.statut,
    },
    Rattachement.id,
)
DESTINATAIRES = Tri(
    {
        "IdStructureCPP": Structure.id,
        "Siret": Structure.identifiant,
        "NomDestinataire": Structure.raison_sociale,
    },
    Structure.id,
)


# --- Searches whose criteria vary: a shape built once, values bound at run time ----------


class Where:
    """The WHERE clauses of a search as a **shape** (``key``: which comparisons, hashable)
    and its **values** (``params``, bound at run time), so that the search builds its
    statements once per shape (``lru_cache`` on ``key``) and not on every call: building a
    statement and its cache key costs more CPU than running it (issue #24).

    Each comparison names its value ``w0``, ``w1``... in the order given, so one shape
    always binds the same names. ``clauses(key)`` turns a shape back into SQL (bind
    parameters, no values); ``bound()`` the clauses with their values, for a search that
    builds its statement per call."""

    __slots__ = ("_keys", "params")

    def __init__(self) -> None:
        self._keys: list[tuple] = []
        self.params: dict[str, Any] = {}

    @property
    def key(self) -> tuple:
        return tuple(self._keys)

    def add(self, op: str, column: Any, value: Any) -> Where:
        """``column op value`` (op: ``=``, ``>=``, ``<=``, ``in``, ``not in``; a list for the
        last two) when ``value`` is not None."""
        if value is not None:
            name = f"w{len(self.params)}"
            self._keys.append((op, column, name))
            self.params[name] = value
        return self

    def sql(self, token: Any, **params: Any) -> Where:
        """A clause of the search's own (``token``, hashable: part of the shape), that
        ``clauses``' ``expand`` turns into SQL; ``params``: the values it binds by name."""
        self._keys.append(("sql", token, ""))
        self.params.update(params)
        return self

    def between(self, column: Any, low: Any, high: Any) -> Where:
        """``low <= column <= high``, each bound only when given."""
        return self.add(">=", column, low).add("<=", column, high)

    @staticmethod
    def clauses(key: tuple, expand: Callable[[Any], Any] | None = None) -> list:
        """The SQL of shape ``key``, its values as bind parameters (``expand``: the SQL of
        the search's own tokens, ``sql``)."""
        out = []
        for op, column, name in key:
            if op == "sql":
                assert expand is not None, "a shape with tokens needs their SQL"
                out.append(expand(column))
            elif op in ("in", "not in"):
                values: BindParameter[list[Any]] = bindparam(name, expanding=True)
                out.append(column.in_(values) if op == "in" else column.not_in(values))
            else:
                out.append(column.operate(_OPERATORS[op], bindparam(name)))
        return out

    def bound(self) -> list:
        """The clauses with their values (a statement built per call; no tokens)."""
        out = []
        for op, column, name in self._keys:
            value = self.params[name]
            if op in ("in", "not in"):
                out.append(column.in_(value) if op == "in" else column.not_in(value))
            else:
                out.append(column.operate(_OPERATORS[op], value))
        return out
