"""The legal commitments' rules: who sees which EJ, the search, the invoices citing one,
and a new EJ (the control plane's). A rules module: a session and plain values, no Flask,
no registry, no request context.

Who sees an EJ: the structures the caller may use that issued it (the public buyer) or
received it (the supplier: OCA searches with its own ``idStructureCPP`` as
``structureReceptriceEngagementJuridique``, factures-rules-and-apis-reference.md §3).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from sandbox import db
from sandbox.cpro import paging
from sandbox.cpro.common import rows_by_id
from sandbox.cpro.paging import Where
from sandbox.engagements import errors
from sandbox.factures.models import Facture
from sandbox.models import EngagementJuridique, EngagementPoste, Service, Structure
from sandbox.vocabulary import INT64_MAX, EtatEngagementJuridique, TypeEngagementJuridique

EJ = EngagementJuridique
Recepteur = aliased(Structure, name="recepteur")
# An EJ number: 10 digits (the official samples, the qualification EJ report).
NUMERO = re.compile(r"\d{10}")

# The search's sort keys: DateCreationEJ is the official sample's; the others the sandbox's.
TRI = paging.Tri(
    {
        "DateCreationEJ": EJ.created_at,
        "NumeroEngagementJuridique": EJ.numero,
        "DateNotificationEJ": EJ.date_notification,
        "MontantTotalTtc": EJ.montant_ttc,
    },
    EJ.id,
)
TRI_COLONNES = tuple(TRI.columns)


@dataclass(frozen=True)
class Criteres:
    """The search's criteria (None: no criterion), combined with AND."""

    numero: str | None = None
    type_engagement: str | None = None  # codeEngagementJuridique
    numero_marche: str | None = None
    structure_receptrice: str | None = None  # an idStructureCPP or an identifier (SIRET)
    etat: str | None = None
    notification_du: date | None = None
    notification_au: date | None = None
    montant_min: float | None = None
    montant_max: float | None = None


def parse_day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` criterion (a date-time's day is taken); None when absent."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise errors.ParametreManquant(
            f"Le paramètre {name} n'est pas une date (AAAA-MM-JJ) : {value[:40]}") from None


def _where(ids: frozenset[int], c: Criteres) -> Where:
    """The search's criteria as a shape and its values (``Where``): the EJs ``ids`` may
    see that match ``c``."""
    where = Where().sql("visible", ids=sorted(ids))
    for column, value in ((EJ.numero, c.numero), (EJ.type_engagement, c.type_engagement),
                          (EJ.numero_marche, c.numero_marche), (EJ.etat, c.etat)):
        where.add("=", column, value)
    if c.structure_receptrice is not None:
        # The receiving structure: its idStructureCPP (OCA sends it as a string) or its
        # identifier (a SIRET).
        value = c.structure_receptrice.strip()
        by_id = value.isdigit() and int(value) <= INT64_MAX
        where.sql(("receptrice", by_id), receptrice=value,
                  **({"receptrice_id": int(value)} if by_id else {}))
    where.between(
        EJ.date_notification,
        datetime.combine(c.notification_du, time.min) if c.notification_du else None,
        datetime.combine(c.notification_au, time.max) if c.notification_au else None)
    where.between(EJ.montant_ttc, c.montant_min, c.montant_max)
    return where


def _token(token: object) -> ColumnElement[bool]:
    """The SQL of ``_where``'s own criteria."""
    if token == "visible":
        ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
        return or_(EJ.emetteur_structure_id.in_(ids), EJ.recepteur_structure_id.in_(ids))
    by_id: bool = token[1]  # type: ignore[index]
    named = [Recepteur.identifiant == bindparam("receptrice")]
    if by_id:
        named.append(Recepteur.id == bindparam("receptrice_id"))
    return or_(*named)


@lru_cache(maxsize=256)
def _statements(shape: tuple, tri: str | None, descending: bool) -> tuple[Select, Select]:
    """The page and count statements of one shape of search, built once (issue #24): the
    EJ's columns (its receiving structure and service: ``rows_by_id``)."""
    stmt = (select(*EJ.__table__.c)
            .outerjoin(Recepteur, Recepteur.id == EJ.recepteur_structure_id)
            .where(*Where.clauses(shape, _token)))
    return paging.ordered_page(stmt, TRI.order(tri), descending), paging.count_of(stmt)


def search(
    s: Session, ids: frozenset[int], c: Criteres, p: paging.PageParams | None
) -> tuple[list[tuple[Any, Any, Any]], dict]:
    """One page of the EJs ``ids`` may see matching ``c`` (Core rows), each with its
    receiving structure and its service exécutant (either may be None), and
    ``parametresRetour``."""
    if not ids:
        return paging.empty_page(p)
    where = _where(ids, c)
    page, count = _statements(where.key, paging.tri_colonne(p), paging.page_request(p)[2])
    rows, retour = paging.run_prepared(s, page, count, where.params, p)
    structures = rows_by_id(s, Structure, (ej.recepteur_structure_id for ej in rows))
    services = rows_by_id(s, Service, (ej.emetteur_service_id for ej in rows))
    return [(ej, structures.get(ej.recepteur_structure_id or 0),
             services.get(ej.emetteur_service_id or 0)) for ej in rows], retour


_BY_NUMERO = select(*EJ.__table__.c).where(EJ.numero == bindparam("numero"))
_POSTES = (select(EngagementPoste.numero, EngagementPoste.montant_ttc, EngagementPoste.statut)
           .where(EngagementPoste.engagement_id == bindparam("ej"))
           .order_by(EngagementPoste.numero))
_CITING = (select(Facture.id, Facture.numero_facture, Facture.statut, Facture.type_facture,
                  Facture.date_facture, Facture.montant_ttc)
           .where(Facture.destinataire_id == bindparam("emetteur"),
                  Facture.numero_engagement == bindparam("numero"))
           .order_by(Facture.id))


def visible(s: Session, ids: frozenset[int], numero: str) -> Any:
    """The EJ numbered ``numero`` (its row) if ``ids`` may see it, else
    ``EngagementInconnu``."""
    ej = db.core(s, _BY_NUMERO, {"numero": numero.strip()}).first()
    if ej is None or not ids & {ej.emetteur_structure_id, ej.recepteur_structure_id}:
        raise errors.EngagementInconnu()
    return ej


def postes(s: Session, ej: Any) -> list[Any]:
    """The lines of EJ ``ej`` (rows: numero, montant_ttc, statut), by number."""
    return list(db.core(s, _POSTES, {"ej": ej.id}))


def invoices_citing(s: Session, ej: Any) -> list[Any]:
    """The invoices to the EJ's issuer that cite its number (consulterDetail's
    ``demandePaiement``; rows: id, numero_facture, statut, type_facture, date_facture,
    montant_ttc), oldest first."""
    return list(db.core(s, _CITING, {"emetteur": ej.emetteur_structure_id,
                                     "numero": ej.numero}))


def known_for(s: Session, emetteur_id: int, numero: str) -> bool:
    """Whether structure ``emetteur_id`` issued an EJ numbered ``numero``."""
    return s.scalar(select(EJ.id).where(
        EJ.emetteur_structure_id == emetteur_id, EJ.numero == numero.strip())) is not None


# --- a new EJ (the control plane) ----------------------------------------------------------


def free_numero(s: Session, rng: random.Random | None = None) -> str:
    """A 10-digit number no EJ has (drawn from 1000000000-9999999999)."""
    rng = rng or random.Random()
    while True:
        numero = f"{rng.randrange(10**9, 10**10):010d}"
        if s.scalar(select(EJ.id).where(EJ.numero == numero)) is None:
            return numero


def create(
    s: Session,
    *,
    emetteur: Structure,
    now: datetime,
    code_service: str | None = None,
    recepteur: Structure | None = None,
    numero: str | None = None,
    etat: str = EtatEngagementJuridique.COMMANDE,
    montant_ttc: float | None = None,
    postes: Sequence[float] = (),
    numero_marche: str | None = None,
    devise: str | None = "EUR",
    date_notification: datetime | None = None,
) -> EJ:
    """A new EJ of ``emetteur`` (its service ``code_service``, if given) to ``recepteur``;
    ``postes``: the lines' amounts (none: one line of ``montant_ttc``); the total is the
    lines' sum unless given. Raises ``EngagementInvalide``. The caller commits."""
    service = None
    if code_service:
        service = s.scalars(select(Service).where(
            Service.structure_id == emetteur.id, Service.code == code_service)).first()
        if service is None:
            raise errors.EngagementInvalide(
                f"La structure {emetteur.identifiant} n'a pas de service {code_service}.")
    if numero is None:
        numero = free_numero(s)
    elif not NUMERO.fullmatch(numero):
        raise errors.EngagementInvalide(
            f"Un numéro d'engagement juridique a 10 chiffres : {numero[:60]!r}.")
    elif s.scalar(select(EJ.id).where(EJ.numero == numero)) is not None:
        raise errors.EngagementInvalide(f"L'engagement juridique {numero} existe déjà.")
    amounts = list(postes) or [montant_ttc if montant_ttc is not None else 0.0]
    ej = EJ(
        numero=numero, type_engagement=TypeEngagementJuridique.BON_DE_COMMANDE, etat=etat,
        emetteur_structure_id=emetteur.id, emetteur_service_id=service.id if service else None,
        recepteur_structure_id=recepteur.id if recepteur else None, numero_marche=numero_marche,
        montant_ttc=montant_ttc if montant_ttc is not None else round(sum(amounts), 2),
        devise=devise, date_notification=date_notification or now, created_at=now,
    )
    s.add(ej)
    s.flush()
    for index, amount in enumerate(amounts, start=1):
        s.add(EngagementPoste(engagement_id=ej.id, numero=index, montant_ttc=amount, statut=etat))
    s.flush()
    return ej
