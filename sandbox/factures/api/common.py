"""What the Factures handlers share: the caller's structures, a search's criteria (dates,
ranges, exact values, statuses and types).

HTTP side only (a ``Context``, request criteria); the rules they rely on are in ``rules/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import ColumnElement

from sandbox import clock
from sandbox.accounts.rights import usable_structure_ids
from sandbox.cpro.api import Context
from sandbox.cpro.common import PARIS
from sandbox.cpro.paging import Where
from sandbox.factures import errors
from sandbox.factures.models import Facture, FactureTravaux


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
    return Where().between(column, low, high).bound()


class Periodes(Protocol):
    """The three date windows every invoice search takes."""

    periodeDateDepotDu: str | None
    periodeDateDepotAu: str | None
    periodeDateFactureDu: str | None
    periodeDateFactureAu: str | None
    periodeDateHeureEtatCourantDu: str | None
    periodeDateHeureEtatCourantAu: str | None


def windows(*spans: tuple[Any, str | None, str | None, str]) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a search's date windows, each ``(column, du, au, name)``: the
    criteria ``nameDu`` and ``nameAu`` (``parse_moment``), read in the order given."""
    return windows_into(Where(), *spans).bound()


def windows_into(where: Where, *spans: tuple[Any, str | None, str | None, str]) -> Where:
    """``windows`` added to ``where`` (a search built once per shape)."""
    for column, du, au, name in spans:
        where.between(column, parse_moment(du, name + "Du"),
                      parse_moment(au, name + "Au", end=True))
    return where


def periodes(p: Periodes) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a search's date windows (deposit, invoice, current status)."""
    return windows(
        (Facture.date_depot, p.periodeDateDepotDu, p.periodeDateDepotAu, "periodeDateDepot"),
        (Facture.date_facture, p.periodeDateFactureDu, p.periodeDateFactureAu,
         "periodeDateFacture"),
        (Facture.date_heure_etat_courant, p.periodeDateHeureEtatCourantDu,
         p.periodeDateHeureEtatCourantAu, "periodeDateHeureEtatCourant"),
    )


# The criteria the invoice searches share, by request field: a name compares the same
# column in every search that has it (a list: any of its non-null items). A search lists
# the ones it compares so (``criteria``); a field it reads otherwise it does not list.
CRITERIA: dict[str, Any] = {
    "idDestinataire": Facture.destinataire_id,
    "idStructureMoa": Facture.destinataire_id,
    "idServiceExecutant": Facture.destinataire_service_id,
    "idServiceMoa": Facture.destinataire_service_id,
    "idFournisseur": Facture.fournisseur_id,
    "idStructureFournisseur": Facture.fournisseur_id,
    "idServiceFournisseur": Facture.fournisseur_service_id,
    "idStructureMoe": FactureTravaux.moe_structure_id,
    "idServiceMoe": FactureTravaux.moe_service_id,
    "idStructureValideur": Facture.valideur_structure_id,
    "numeroFacture": Facture.numero_facture,
    "numeroFactureTravaux": Facture.numero_facture,
    "numeroFactureOrigine": Facture.numero_facture_origine,
    "numeroEngagement": Facture.numero_engagement,
    "numeroBonCommande": Facture.numero_engagement,
    "numeroMarche": Facture.numero_marche,
    "cadreFacturation": Facture.cadre_facturation,
    "modeDepot": Facture.mode_depot,
    "typeFacture": Facture.type_facture,
    "statutCourant": Facture.statut,
    "listeStatutCourant": Facture.statut,
    "listeTypeFacture": Facture.type_facture,
}


def criteria(model: type[BaseModel], *names: str) -> tuple[str, ...]:
    """The criteria ``names`` a search compares as given (``matching``), checked once, at
    import: each must be a field of its request ``model`` and a key of ``CRITERIA``."""
    unknown = [n for n in names if n not in CRITERIA or n not in model.model_fields]
    if unknown:
        raise LookupError(f"{model.__name__} cannot compare {unknown}")
    return names


def matching(p: object, names: Iterable[str]) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the criteria ``names`` that ``p`` gives, in that order:
    ``column == value``, or ``column IN`` the non-null items of a list (none: no clause)."""
    return matching_into(Where(), p, names).bound()


def matching_into(where: Where, p: object, names: Iterable[str]) -> Where:
    """``matching`` added to ``where`` (a search built once per shape)."""
    for name in names:
        value = getattr(p, name)
        if isinstance(value, list):
            wanted = [str(x) for x in value if x is not None]
            if wanted:
                where.add("in", CRITERIA[name], wanted)
        else:
            where.add("=", CRITERIA[name], value)
    return where
