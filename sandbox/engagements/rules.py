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

from sqlalchemy import Row, Select, or_, select
from sqlalchemy.orm import Session, aliased

from sandbox.cpro import paging
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


def _receptrice(value: str):  # noqa: ANN202 (a SQL condition)
    """The receiving structure named by ``value``: its idStructureCPP (OCA sends it as a
    string) or its identifier (a SIRET)."""
    named = [Recepteur.identifiant == value]
    if value.isdigit() and int(value) <= INT64_MAX:
        named.append(Recepteur.id == int(value))
    return or_(*named)


def search_statement(ids: frozenset[int], c: Criteres) -> Select[EJ, Structure, Service]:
    """The EJs ``ids`` may see that match ``c``, with their receiving structure and their
    service exécutant (outer joins: either may be None)."""
    where = [or_(EJ.emetteur_structure_id.in_(ids), EJ.recepteur_structure_id.in_(ids))]
    exact = [(EJ.numero, c.numero), (EJ.type_engagement, c.type_engagement),
             (EJ.numero_marche, c.numero_marche), (EJ.etat, c.etat)]
    where += [column == value for column, value in exact if value is not None]
    if c.structure_receptrice is not None:
        where.append(_receptrice(c.structure_receptrice.strip()))
    if c.notification_du is not None:
        where.append(EJ.date_notification >= datetime.combine(c.notification_du, time.min))
    if c.notification_au is not None:
        where.append(EJ.date_notification <= datetime.combine(c.notification_au, time.max))
    if c.montant_min is not None:
        where.append(EJ.montant_ttc >= c.montant_min)
    if c.montant_max is not None:
        where.append(EJ.montant_ttc <= c.montant_max)
    return (
        select(EJ, Recepteur, Service)
        .outerjoin(Recepteur, Recepteur.id == EJ.recepteur_structure_id)
        .outerjoin(Service, Service.id == EJ.emetteur_service_id)
        .where(*where)
    )


def search(
    s: Session, ids: frozenset[int], c: Criteres, p: paging.PageParams | None
) -> tuple[Sequence[Row[EJ, Structure, Service]], dict]:
    """One page of the EJs ``ids`` may see matching ``c``, and ``parametresRetour``."""
    if not ids:
        return paging.empty_page(p)
    return paging.paged(s, search_statement(ids, c), p, TRI)


def visible(s: Session, ids: frozenset[int], numero: str) -> EJ:
    """The EJ numbered ``numero`` if ``ids`` may see it, else ``EngagementInconnu``."""
    ej = s.scalars(select(EJ).where(EJ.numero == numero.strip())).first()
    if ej is None or not ids & {ej.emetteur_structure_id, ej.recepteur_structure_id}:
        raise errors.EngagementInconnu()
    return ej


def invoices_citing(s: Session, ej: EJ) -> list[Facture]:
    """The invoices to the EJ's issuer that cite its number (consulterDetail's
    ``demandePaiement``), oldest first."""
    return list(s.scalars(
        select(Facture)
        .where(Facture.destinataire_id == ej.emetteur_structure_id,
               Facture.numero_engagement == ej.numero)
        .order_by(Facture.id)
    ))


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
