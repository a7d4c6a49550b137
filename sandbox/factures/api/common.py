"""What the Factures handlers share: the caller's structures, criterion dates and ranges.

HTTP side only (a ``Context``, request criteria); the rules they rely on are in ``rules/``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement

from sandbox import clock
from sandbox.accounts.rights import usable_structure_ids
from sandbox.cpro.api import Context
from sandbox.cpro.common import PARIS
from sandbox.factures import errors
from sandbox.factures.models import Facture


def caller_structures(ctx: Context) -> set[int]:
    """The structures the caller may act for (``accounts.rights.usable_structure_ids``)."""
    return usable_structure_ids(ctx.s, ctx.caller.user)


def parse_moment(value: str | None, field: str, end: bool = False) -> datetime | None:
    """A criterion date (``YYYY-MM-DD`` or ISO date-time) as naive UTC; a day's end for
    ``...Au`` bounds given as a plain date."""
    if value is None:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise errors.ParametreFactureManquant(
            f"Date invalide pour {field} : {value!r} (attendu AAAA-MM-JJ)."
        ) from None
    if len(text) <= 10 and end:
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return clock.naive_utc(moment)


def between(column: Any, low: Any, high: Any) -> list[ColumnElement[bool]]:
    """``low <= column <= high``, each bound only when given."""
    clauses = []
    if low is not None:
        clauses.append(column >= low)
    if high is not None:
        clauses.append(column <= high)
    return clauses


class Periodes(Protocol):
    """The three date windows every invoice search takes."""

    periodeDateDepotDu: str | None
    periodeDateDepotAu: str | None
    periodeDateFactureDu: str | None
    periodeDateFactureAu: str | None
    periodeDateHeureEtatCourantDu: str | None
    periodeDateHeureEtatCourantAu: str | None


def periodes(p: Periodes) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a search's date windows (deposit, invoice, current status)."""
    windows = (
        (Facture.date_depot, p.periodeDateDepotDu, p.periodeDateDepotAu, "periodeDateDepot"),
        (Facture.date_facture, p.periodeDateFactureDu, p.periodeDateFactureAu,
         "periodeDateFacture"),
        (Facture.date_heure_etat_courant, p.periodeDateHeureEtatCourantDu,
         p.periodeDateHeureEtatCourantAu, "periodeDateHeureEtatCourant"),
    )
    clauses = []
    for column, du, au, name in windows:
        clauses += between(column, parse_moment(du, name + "Du"),
                           parse_moment(au, name + "Au", end=True))
    return clauses
