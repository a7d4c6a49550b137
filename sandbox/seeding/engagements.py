"""The seeded legal commitments (EJ), with the world (factures-reference.md §8: "10-digit
EJs in state COMMANDE/A_TRAITER for the EJ-mandatory recipients").

Every EJ is given to the default structure ("Démo Fournisseur SAS", the data set's
"Fournisseur"), so that its technical account finds them (OCA's check) and can invoice
them:

* ``0000012219`` of "Destinataire Etat" (11000201100044, service SFACETAT): the number
  of the official consulterDetail sample, whose issuer is that SIRET [COMM-EJ];
* ``0000048295``… of the permanent recipients that require an EJ (12345678200036) or an
  EJ or a service (12345678200044): the qualification EJ report's numbers (its first in
  ``A_TRAITER``, as the report shows it; the others ``COMMANDE``);
* two per generated public structure that requires an EJ or an EJ or a service,
  numbered from ``0000100001`` in the structures' id order.

The default structure receives the first ``DEFAULT_RECEIVES`` generated EJs (every one of
a data set up to ~11,000 structures: ~900 at 10,000). Past them, each EJ goes to a
generated private structure drawn from the seed: at 1,000,000 structures the default
supplier would otherwise hold 90,000 EJs, and its EJ list (the one an integrator's
technical account pages through) would sort all of them on every call — a data set no
supplier has, measured as a 6x slower list at 1 M than at 10 k (issue #24.5,
docs/decisions.md).

Everything derives from the seed (amounts, dates: ``random.Random("engagements:<seed>")``,
a stream of its own: the world's draws do not move); ids from fixed bases, after every
other seeded id range. Inserted after the structures (``store.reset``/``seed_world``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, or_, select

from sandbox.models import EngagementJuridique, EngagementPoste, Service, Structure
from sandbox.seeding.generator import SEED_EPOCH, default_structure_siret
from sandbox.vocabulary import EtatEngagementJuridique, TypeEngagementJuridique, TypeStructure

FIRST_ID = 5_310_001  # idEngagementJuridique
FIRST_POSTE_ID = 8_420_001
FIRST_GENERATED_NUMBER = 100_001
PER_GENERATED_STRUCTURE = 2
DEFAULT_RECEIVES = 1_000  # generated EJs given to the default structure; the rest spread
COMMANDE, A_TRAITER = EtatEngagementJuridique.COMMANDE, EtatEngagementJuridique.A_TRAITER

# (emitter SIRET, its service code or None, number, state): the permanent recipients'.
PERMANENT: tuple[tuple[str, str | None, str, str], ...] = (
    ("11000201100044", "SFACETAT", "0000012219", COMMANDE),
    ("12345678200036", None, "0000048295", A_TRAITER),
    ("12345678200036", None, "0000048296", COMMANDE),
    ("12345678200036", None, "0000048297", COMMANDE),
    ("12345678200044", "SERVICE_DEST_EJ_OU_SERV_OBL", "0000048298", COMMANDE),
    ("12345678200044", "SERVICE_DEST_EJ_OU_SERV_OBL", "0000048299", A_TRAITER),
)


def _rows(
    rng: random.Random, issuers: list[tuple[int, int | None, str, str, int | None]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The EJ and line rows of ``issuers`` = (structure id, service id, number, state,
    receiving structure id)."""
    engagements: list[dict[str, Any]] = []
    postes: list[dict[str, Any]] = []
    for index, (structure_id, service_id, numero, etat, recepteur_id) in enumerate(issuers):
        created = SEED_EPOCH - timedelta(days=rng.randrange(30, 700),
                                         minutes=rng.randrange(0, 600))
        amounts = [round(rng.randrange(50_000, 2_000_000) / 100, 2)
                   for _ in range(rng.randrange(1, 4))]
        ej_id = FIRST_ID + index
        engagements.append({
            "id": ej_id, "numero": numero,
            "type_engagement": TypeEngagementJuridique.BON_DE_COMMANDE, "etat": etat,
            "emetteur_structure_id": structure_id, "emetteur_service_id": service_id,
            "recepteur_structure_id": recepteur_id, "numero_marche": None,
            "montant_ttc": round(sum(amounts), 2), "devise": "EUR",
            "date_notification": datetime(created.year, created.month, created.day),
            "created_at": created,
        })
        for number, amount in enumerate(amounts, start=1):
            postes.append({"id": FIRST_POSTE_ID + len(postes), "engagement_id": ej_id,
                           "numero": number, "montant_ttc": amount, "statut": etat})
    return engagements, postes


def seed_engagements(conn: Connection, seed: int) -> int:
    """Insert the seed's EJs (the world's structures must be there); return how many."""
    recepteur_id = conn.scalar(
        select(Structure.id).where(Structure.identifiant == default_structure_siret(seed)))
    by_siret = dict(conn.execute(select(Structure.identifiant, Structure.id).where(
        Structure.identifiant.in_({p[0] for p in PERMANENT}))).all())
    services = dict(conn.execute(
        select(Service.structure_id, Service.id).where(Service.structure_id.in_(by_siret.values()))
        .order_by(Service.id)).all())
    issuers: list[tuple[int, int | None, str, str, int | None]] = []
    for siret, code, numero, etat in PERMANENT:
        if siret in by_siret:
            issuers.append((by_siret[siret], services.get(by_siret[siret]) if code else None,
                            numero, etat, recepteur_id))
    permanent_ids = set(by_siret.values())
    generated = conn.execute(
        select(Structure.id).where(
            or_(Structure.numero_ej_doit_etre_renseigne.is_(True),
                Structure.gestion_numero_ej_ou_code_service.is_(True)))
        .order_by(Structure.id)).scalars().all()
    first_services = dict(conn.execute(
        select(Service.structure_id, Service.id).where(Service.structure_id.in_(
            select(Structure.id).where(or_(
                Structure.numero_ej_doit_etre_renseigne.is_(True),
                Structure.gestion_numero_ej_ou_code_service.is_(True)))))
        .order_by(Service.id.desc())).all())  # the lowest id wins (last written)
    number = FIRST_GENERATED_NUMBER
    suppliers: list[int | None] | None = None  # read only for a data set past DEFAULT_RECEIVES
    spread = random.Random(f"engagements-suppliers:{seed}")  # its own stream: amounts stay
    for structure_id in generated:
        if structure_id in permanent_ids:
            continue
        for _ in range(PER_GENERATED_STRUCTURE):
            receiver = recepteur_id
            if number - FIRST_GENERATED_NUMBER >= DEFAULT_RECEIVES:
                if suppliers is None:
                    suppliers = list(conn.execute(
                        select(Structure.id).where(
                            Structure.type_structure == TypeStructure.PRIVEE,
                            Structure.id != recepteur_id)
                        .order_by(Structure.id)).scalars()) or [recepteur_id]
                receiver = spread.choice(suppliers)
            issuers.append((structure_id, first_services.get(structure_id), f"{number:010d}",
                            COMMANDE, receiver))
            number += 1
    engagements, postes = _rows(random.Random(f"engagements:{seed}"), issuers)
    if engagements:
        conn.execute(insert(EngagementJuridique), engagements)
        conn.execute(insert(EngagementPoste), postes)
    return len(engagements)
