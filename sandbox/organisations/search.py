"""The search syntax of the Référentiel des Organisations (``structures/recherche``,
``services/recherche``), turned into SQL.

A body holds filters keyed by field name, each ``{"op": <op>, "val": <value>}`` with
``op`` one of ``=``, ``>``, ``<``, ``>=``, ``<=``, ``IN``, ``CONTAINS``, merged with
``_sort``, ``_desc`` and ``_fields`` (lists of field names) — piste-gouv-fr's
``RechercheRequete::jsonSerialize``; facturation_electronique's docstring for
``_fields``. The rules the sources leave open (docs/decisions.md):

* filters combine with AND; no filter at all is ``ParamsMissing`` (400);
* ``=`` and the comparisons are exact, ``CONTAINS`` a substring whatever the case (the
  raison sociale through the trigram index), ``IN`` a list; a field whose API value is
  not the column's (``typeOrganisation``, ``status``, ``typeIdentifiant``, ``pays``,
  ``etatService``) and a uuid field take ``=`` and ``IN`` only; a value that names
  nothing (``typeOrganisation: PUBLIQUE``, an unknown uuid) matches nothing;
* an unknown field, operator or a value of the wrong type is ``ParamsInvalid`` (400);
* ``_sort`` orders by its fields in turn, ascending unless the field is also in
  ``_desc``; a field only in ``_desc`` sorts descending after them; ties by id;
* at most ``MAX_RESULTS`` objects (there is no paging in the API).

No HTTP here (a rules module): ``compile`` takes the decoded body.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.sql import column as sql_column

from sandbox.models import NAME_SEARCH_TABLE, Structure
from sandbox.organisations.errors import params_invalid, params_missing
from sandbox.organisations.objects import Field, ValueType
from sandbox.organisations.uuids import Codec
from sandbox.vocabulary import INT64_MAX

MAX_RESULTS = 1000
OPERATORS = ("=", ">", "<", ">=", "<=", "IN", "CONTAINS")
IN_MAX = 1000  # values in one IN
NAME_SEARCH_MIN = 3  # SQLite: a trigram index needs three characters
SPECIAL = ("_sort", "_desc", "_fields")

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
}
_TYPE_NAMES = {ValueType.STRING: "une chaîne", ValueType.BOOL: "un booléen",
               ValueType.INT: "un entier", ValueType.DATETIME: "une date ISO 8601"}
_NAMES = table(NAME_SEARCH_TABLE, sql_column("rowid"))


@dataclass
class Search:
    """A compiled search: WHERE clauses, ORDER BY and the fields to answer."""

    where: list[ColumnElement] = field(default_factory=list)
    order: list[ColumnElement] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


def _names(body: Mapping[str, Any], key: str, fields: Mapping[str, Field]) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise params_invalid(f"{key} doit être une liste de noms de champs.")
    unknown = [name for name in value if name not in fields]
    if unknown:
        raise params_invalid(
            f"{key} : champ(s) inconnu(s) {', '.join(unknown)} ; champs possibles : "
            f"{', '.join(fields)}.")
    return list(dict.fromkeys(value))


def _parse_datetime(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _typed(name: str, kind: ValueType, value: Any) -> Any:
    """``value`` as ``kind``, or ParamsInvalid."""
    ok = {
        ValueType.STRING: isinstance(value, str),
        ValueType.BOOL: isinstance(value, bool),
        ValueType.INT: isinstance(value, int) and not isinstance(value, bool),
        ValueType.DATETIME: isinstance(value, str),
    }[kind]
    if ok and kind == ValueType.INT and not -INT64_MAX <= value <= INT64_MAX:
        raise params_invalid(f"{name} : la valeur {value} dépasse un entier de 64 bits.")
    if ok and kind == ValueType.DATETIME:
        try:
            return _parse_datetime(value)
        except (ValueError, OverflowError):
            ok = False
    if not ok:
        raise params_invalid(f"{name} : la valeur {value!r:.60} n'est pas {_TYPE_NAMES[kind]}.")
    return value


def _constant_clause(spec: Field, op: str, values: list[Any]) -> ColumnElement:
    """A field the sandbox does not model: every object has the same value."""
    constant = spec.constant
    if op == "IN":
        return true() if constant in values else false()
    if op == "CONTAINS":
        return true() if values[0].casefold() in str(constant).casefold() else false()
    if constant is None:
        return false()
    try:
        return true() if _COMPARE[op](constant, values[0]) else false()
    except TypeError:
        return false()


def _contains(spec: Field, text: str, dialect: str) -> ColumnElement:
    if spec.column is Structure.raison_sociale and dialect == "sqlite" \
            and len(text) >= NAME_SEARCH_MIN:
        # The raison sociale's FTS5 trigram table (sandbox.models), one literal string.
        match = literal_column(NAME_SEARCH_TABLE).op("MATCH")('"' + text.replace('"', '""') + '"')
        return Structure.id.in_(select(_NAMES.c.rowid).where(match))
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    assert spec.column is not None
    return func.lower(func.coalesce(spec.column, "")).like(f"%{escaped.lower()}%", escape="/")


def _clause(spec: Field, op: str, raw: Any, codec: Codec, dialect: str) -> ColumnElement:
    name = spec.name
    if op not in OPERATORS:
        raise params_invalid(
            f"{name} : opérateur {op!r:.20} inconnu ; opérateurs possibles : "
            f"{', '.join(OPERATORS)}.")
    if op == "IN":
        if not isinstance(raw, list) or not raw:
            raise params_invalid(f"{name} : IN attend une liste de valeurs non vide.")
        if len(raw) > IN_MAX:
            raise params_invalid(f"{name} : IN accepte au plus {IN_MAX} valeurs.")
        values = [_typed(name, spec.type, v) for v in raw]
    else:
        if isinstance(raw, list):
            raise params_invalid(f"{name} : une liste n'est acceptée qu'avec IN.")
        values = [_typed(name, spec.type, raw)]
    if op == "CONTAINS" and spec.type != ValueType.STRING:
        raise params_invalid(f"{name} : CONTAINS ne s'applique qu'aux champs texte.")
    if spec.type == ValueType.BOOL and op not in ("=", "IN"):
        # A boolean has no order (SQL cannot compare a column < true either).
        raise params_invalid(f"{name} : seuls les opérateurs = et IN sont acceptés.")
    if spec.column is None:
        return _constant_clause(spec, op, values)
    if spec.reference is not None or spec.to_column is not None:
        if op not in ("=", "IN"):
            raise params_invalid(f"{name} : seuls les opérateurs = et IN sont acceptés.")
        if spec.reference is not None:
            kind = spec.reference
            found = [codec.decode(kind, v) for v in values]
        else:
            convert = spec.to_column
            assert convert is not None
            found = [convert(v) for v in values]
        known = [v for v in found if v is not None]
        return spec.column.in_(known) if known else false()
    if op == "CONTAINS":
        return _contains(spec, values[0], dialect)
    if op == "IN":
        return spec.column.in_(values)
    value = values[0]
    if spec.nullable and value == "" and op == "=":
        return or_(spec.column.is_(None), spec.column == "")
    column = func.coalesce(spec.column, "") if spec.nullable and op != "=" else spec.column
    return _COMPARE[op](column, value)


def compile(body: Mapping[str, Any], fields: Mapping[str, Field], codec: Codec,
            dialect: str, tiebreak: ColumnElement) -> Search:
    """The SQL of a search body over the object whose fields are ``fields``."""
    search = Search(fields=_names(body, "_fields", fields))
    for name, criterion in body.items():
        if name in SPECIAL:
            continue
        spec = fields.get(name)
        if spec is None:
            raise params_invalid(
                f"{name:.60} n'est pas un champ de recherche ; champs possibles : "
                f"{', '.join(fields)}.")
        if not isinstance(criterion, Mapping) or set(criterion) != {"op", "val"}:
            raise params_invalid(f"{name} : le critère doit être {{\"op\": …, \"val\": …}}.")
        if not isinstance(criterion["op"], str):
            raise params_invalid(f"{name} : op doit être une chaîne.")
        search.where.append(_clause(spec, criterion["op"].strip().upper(), criterion["val"],
                                    codec, dialect))
    if not search.where:
        raise params_missing()
    ascending = _names(body, "_sort", fields)
    descending = _names(body, "_desc", fields)
    for name in [*ascending, *(n for n in descending if n not in ascending)]:
        column = fields[name].column
        if column is not None:
            search.order.append(column.desc() if name in descending else column.asc())
    search.order.append(tiebreak)
    return search


def all_of(search: Search) -> ColumnElement:
    """The search's WHERE clauses as one."""
    return and_(*search.where)
