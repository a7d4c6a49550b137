"""The qualification data set's invoices, seeded with the world (reference §8).

The default structure ("Démo Fournisseur SAS", the data set's "Fournisseur") has
issued one invoice per cadre de facturation, numbered ``QUAL_00000001110661``... with
ids from 4 878 981, in the statuses the real data set shows them (A2
``MISE_EN_PAIEMENT``, A9 ``COMPLETEE``, A4/A7/A13/A14 ``A_ASSOCIER_MOE``...), plus a
few plain A1 invoices along the recipient's lifecycle (``SUSPENDUE``, ``REJETEE``,
``A_RECYCLER``, ``MANDATEE``...), each with the history that leads there. All go to
the permanent recipient "Destinataire Etat" (11000201100044, service SFACETAT).
After them (ids and history ids following theirs: no seeded id moves), works dossiers
(factures de travaux) with their MOE, the permanent structure 12345678200051, in the
works statuses (``build_travaux_rows``): a dossier paid (A4 -> A15 -> A19
``MISE_EN_PAIEMENT``), one waiting for the MOA, documents waiting for the MOE, asked to be
completed, refused, a sub-contractor's and a MOE's décompte général.

Then invoices with a validator (issue 21): the first active private structure of the
world after the default one is a sub-contractor whose A9/A12 invoices name the default
structure (the titulaire) as validator — waiting in ``A_VALIDER_1``, one validated and
made available, one refused — numbered ``QUALST_000001``... with ids from 4 879 401, so
that the default technical account can drive ``rechercher/valideur``,
``traiter/factureAValider``... at once. They come after the set above: no seeded id moves.
Everything derives from the seed; rows are built once per seed and cached, so a
reset only pays the bulk insert.
"""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from sandbox.factures.models import Facture, FactureStatut, FactureTravaux
from sandbox.models import Service, Structure, User
from sandbox.seeding import invoice_examples as examples
from sandbox.seeding.generator import DEFAULT_GP_LOGIN, default_structure_siret
from sandbox.vocabulary import (
    CadreFacturation,
    ModeDepot,
    StatutStructure,
    TypeIdentifiant,
    TypeStructure,
)
from sandbox.vocabulary import StatutFacture as F

FIRST_ID = 4_878_981
FIRST_NUMBER = 1_110_661
FIRST_HISTORY_ID = 9_100_001
RECIPIENT = "11000201100044"
RECIPIENT_SERVICE = "SFACETAT"
EPOCH = datetime(2023, 11, 6, 9, 30)

# The data set's status per cadre (A1, A3, A11, A21 unlisted: MISE_A_DISPOSITION).
_BY_CADRE: dict[str, F] = {
    "A2": F.MISE_EN_PAIEMENT, "A9": F.COMPLETEE, "A12": F.MISE_A_DISPOSITION,
    "A4": F.A_ASSOCIER_MOE, "A7": F.A_ASSOCIER_MOE, "A13": F.A_ASSOCIER_MOE,
    "A14": F.A_ASSOCIER_MOE, "A5": F.A_ASSOCIER_MOA, "A15": F.ASSOCIEE, "A20": F.ASSOCIEE,
    "A18": F.A_ASSOCIER_FOURNISSEUR, "A10": F.MISE_A_DISPOSITION_MOE,
}
# Plain invoices along the recipient's lifecycle: (target, the statuses after routing).
_LIFECYCLE: tuple[tuple[F, tuple[F, ...]], ...] = (
    (F.SUSPENDUE, (F.SUSPENDUE,)),
    (F.REJETEE, (F.REJETEE,)),
    (F.A_RECYCLER, (F.A_RECYCLER,)),
    (F.SERVICE_FAIT, (F.SERVICE_FAIT,)),
    (F.MANDATEE, (F.SERVICE_FAIT, F.MANDATEE)),
    (F.MISE_EN_PAIEMENT, (F.SERVICE_FAIT, F.MANDATEE, F.MISE_EN_PAIEMENT)),
    (F.COMPTABILISEE, (F.MANDATEE, F.MISE_A_DISPOSITION_COMPTABLE, F.COMPTABILISEE)),
    (F.DEPOSEE, ()),
)
_MOTIFS = {F.SUSPENDUE: "Pièce justificative manquante (bon de livraison).",
           F.REJETEE: "Montant erroné : ne correspond pas au bon de commande.",
           F.A_RECYCLER: "Service exécutant erroné."}
ROUTED = (F.DEPOSEE, F.EN_COURS_ACHEMINEMENT, F.MISE_A_DISPOSITION)

# Works dossiers: (cadre, the statuses after DEPOSEE, index of the previous document).
MOE_SIRET = "12345678200051"  # a permanent structure of the data set, as the MOE
_ECA = F.EN_COURS_ACHEMINEMENT
_TRAVAUX: tuple[tuple[str, tuple[F, ...], int | None], ...] = (
    ("A4", (_ECA, F.A_ASSOCIER_MOE, F.ASSOCIEE), None),
    ("A15", (_ECA, F.A_ASSOCIER_MOA, F.ASSOCIEE), 0),
    ("A19", (_ECA, F.MISE_A_DISPOSITION, F.MISE_EN_PAIEMENT), 1),
    ("A4", (_ECA, F.A_ASSOCIER_MOE, F.ASSOCIEE), None),
    ("A15", (_ECA, F.A_ASSOCIER_MOA), 3),
    ("A4", (_ECA, F.A_ASSOCIER_MOE), None),
    ("A7", (_ECA, F.A_ASSOCIER_MOE, F.A_COMPLETER), None),
    ("A10", (_ECA, F.MISE_A_DISPOSITION_MOE), None),
    ("A4", (_ECA, F.A_ASSOCIER_MOE, F.REFUSEE_MOE), None),
    ("A18", (_ECA, F.A_ASSOCIER_FOURNISSEUR), None),
)
_MOTIFS_TRAVAUX = {F.A_COMPLETER: "Joindre le métré du mois.",
                   F.REFUSEE_MOE: "AUTRE - Travaux non réalisés à la date du projet."}

# Invoices with a validator: (cadre, statuses after DEPOSEE, motif of the last one).
VALIDATOR_FIRST_ID = 4_879_401
VALIDATOR_FIRST_HISTORY_ID = 9_150_001
_TO_VALIDATE: tuple[tuple[CadreFacturation, tuple[F, ...], str | None], ...] = (
    (CadreFacturation.A9_FACTURE_SOUSTRAITANT, (F.A_VALIDER_1,), None),
    (CadreFacturation.A9_FACTURE_SOUSTRAITANT, (F.A_VALIDER_1,), None),
    (CadreFacturation.A12_FACTURE_COTRAITANT, (F.A_VALIDER_1,), None),
    (CadreFacturation.A9_FACTURE_SOUSTRAITANT,
     (F.A_VALIDER_1, F.VALIDEE_1, F.EN_COURS_ACHEMINEMENT, F.MISE_A_DISPOSITION), None),
    (CadreFacturation.A9_FACTURE_SOUSTRAITANT, (F.A_VALIDER_1, F.REFUSEE_1),
     "Montant erroné : la situation de travaux n° 3 n'est pas acceptée."),
)

_cache: dict[tuple[int, str, int, int], tuple[list[dict], list[dict]]] = {}
_lock = threading.Lock()


def _history(target: F, cadre_status: bool, after: tuple[F, ...]) -> list[F]:
    if target == F.DEPOSEE:
        return [F.DEPOSEE]
    if cadre_status and target not in (F.MISE_A_DISPOSITION, F.MISE_EN_PAIEMENT, F.COMPLETEE):
        return [F.DEPOSEE, target]  # works frameworks: routed to a MOE/MOA, not the recipient
    steps = list(ROUTED)
    if target == F.COMPLETEE:
        steps += [F.SUSPENDUE, F.COMPLETEE]
    elif target == F.MISE_EN_PAIEMENT and not after:
        steps += [F.MISE_EN_PAIEMENT]
    steps += list(after)
    return steps


def _plan(seed: int) -> list[tuple[str, F, tuple[F, ...] | None]]:
    """(cadre, target status, explicit after-routing steps or None) per invoice."""
    plan: list[tuple[str, F, tuple[F, ...] | None]] = []
    for cadre in CadreFacturation:
        short = cadre.value.split("_", 1)[0]
        plan.append((cadre.value, _BY_CADRE.get(short, F.MISE_A_DISPOSITION), None))
    for target, after in _LIFECYCLE:
        plan.append((CadreFacturation.A1_FACTURE_FOURNISSEUR.value, target, after))
    return plan


def _facture_row(
    facture_id: int, numero: str, day: datetime, statut: str, moment: datetime,
    amounts: tuple[Decimal, Decimal, Decimal], **fields: Any,
) -> dict[str, Any]:
    """A seeded invoice row: what every seeded invoice shares (deposited ``day`` by API for
    the recipient's service, ``statut`` since ``moment``, ``amounts`` = HT, TVA, TTC, all
    to pay), then ``fields`` (the parties, the cadre, what differs)."""
    ht, tva, ttc = amounts
    return {
        "id": facture_id, "flux_id": None, "numero_facture": numero,
        "fournisseur_service_id": None, "code_service_executant": RECIPIENT_SERVICE,
        "valideur_structure_id": None,
        "type_facture": "FACTURE", "type_tva": "TVA_SUR_DEBIT", "mode_paiement": "VIREMENT",
        "numero_engagement": None, "numero_marche": None, "numero_facture_origine": None,
        "montant_ht": ht, "montant_tva": tva, "montant_ttc": ttc, "montant_a_payer": ttc,
        "devise": "EUR", "date_facture": datetime(day.year, day.month, day.day),
        "date_depot": day, "statut": statut, "date_heure_etat_courant": moment,
        "commentaire": None, "rejet_traite": False, "telechargee_par_destinataire": False,
        "lignes": [], "lignes_tva": [], "source_xml": None, "source_pdf": None,
        "source_nom": None, **fields,
    }


def _history_row(
    history_id: int, facture_id: int, statut: str, moment: datetime, commentaire: str | None,
) -> dict[str, Any]:
    """A seeded status-history row (no user: the platform's own moves)."""
    return {
        "id": history_id, "facture_id": facture_id, "statut": statut,
        "date_passage": moment, "commentaire": commentaire,
        "user_id": None, "user_nom": None, "user_prenom": None,
        "user_email": None, "user_telephone": None,
    }


def build_rows(
    seed: int, supplier_siret: str, supplier_id: int, recipient_id: int, service_id: int | None,
    creator: dict | None,
) -> tuple[list[dict], list[dict]]:
    """The invoice and history rows of ``seed`` (pure: no database)."""
    rng = random.Random(f"factures:{seed}")
    factures: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    history_id = FIRST_HISTORY_ID
    for i, (cadre, target, after) in enumerate(_plan(seed)):
        numero = f"QUAL_{FIRST_NUMBER + i:014d}"
        day = EPOCH + timedelta(days=3 * i, minutes=rng.randrange(0, 600))
        lines = (
            examples.Line("QUAL-" + str(i), "Prestation de qualification",
                          Decimal(rng.randrange(1, 20)), Decimal(rng.randrange(5000, 90000)) / 100),
        )
        example = examples.Example(
            numero, supplier_siret, RECIPIENT, service=RECIPIENT_SERVICE,
            engagement=f"{rng.randrange(10**9, 10**10):010d}" if i % 3 == 0 else None,
            cadre=cadre.split("_", 1)[0], date_facture=date(day.year, day.month, day.day),
            destinataire_nom="Destinataire Etat", lines=lines,
        )
        steps = _history(target, after is None, after or ())
        moments = [day + timedelta(minutes=5 * k) if k < 3 else day + timedelta(days=k)
                   for k in range(len(steps))]
        facture_id = FIRST_ID + 2 * i
        factures.append(_facture_row(
            facture_id, numero, day, steps[-1], moments[-1],
            (example.ht, example.tva, example.ttc),
            fournisseur_id=supplier_id, destinataire_id=recipient_id,
            destinataire_service_id=service_id,
            createur_user_id=creator["id"] if creator else None,
            mode_depot=ModeDepot.SAISIE_API if i % 2 else ModeDepot.UPLOAD_API,
            cadre_facturation=cadre, numero_engagement=example.engagement,
            source_xml=examples.ubl(example), source_nom=f"{numero}.xml",
        ))
        for statut, moment in zip(steps, moments, strict=True):
            history.append(_history_row(history_id, facture_id, statut, moment,
                                        _MOTIFS.get(statut)))
            history_id += 1
    return factures, history


def build_travaux_rows(
    seed: int, first: tuple[int, int, int], supplier_id: int, recipient_id: int,
    service_id: int | None, moe_id: int, creator: dict | None,
) -> tuple[list[dict], list[dict], list[dict]]:
    """The works documents (invoice, history and ``factures_travaux`` rows) of ``seed``,
    numbered on from ``first`` = (index, id, history id) after the plain ones (pure)."""
    rng = random.Random(f"travaux:{seed}")
    cadres = {c.value.split("_", 1)[0]: c.value for c in CadreFacturation}
    factures: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    travaux: list[dict[str, Any]] = []
    index, _, history_id = first
    for j, (short, steps, previous) in enumerate(_TRAVAUX):
        i = index + j
        facture_id = FIRST_ID + 2 * i
        day = EPOCH + timedelta(days=3 * i, minutes=rng.randrange(0, 600))
        ht = Decimal(rng.randrange(100_000, 5_000_000)) / 100
        tva = (ht * Decimal("0.2")).quantize(Decimal("0.01"))
        chain = [F.DEPOSEE, *steps]
        moments = [day + timedelta(minutes=5 * k) if k < 3 else day + timedelta(days=k)
                   for k in range(len(chain))]
        factures.append(_facture_row(
            facture_id, f"QUAL_TRAV_{j + 1:04d}", day, chain[-1], moments[-1],
            (ht, tva, ht + tva),
            fournisseur_id=supplier_id, destinataire_id=recipient_id,
            destinataire_service_id=service_id,
            createur_user_id=creator["id"] if creator else None,
            mode_depot=ModeDepot.SAISIE_API, cadre_facturation=cadres[short],
            numero_marche="MARCHE-TRAVAUX-2023",
        ))
        dossier = facture_id
        if previous is not None:
            dossier = travaux[previous]["dossier_id"]
        travaux.append({
            "facture_id": facture_id, "moe_structure_id": moe_id, "moe_service_id": None,
            "precedente_id": FIRST_ID + 2 * (index + previous) if previous is not None else None,
            "dossier_id": dossier,
        })
        for statut, moment in zip(chain, moments, strict=True):
            history.append(_history_row(history_id, facture_id, statut, moment,
                                        _MOTIFS_TRAVAUX.get(statut)))
            history_id += 1
    return factures, history, travaux


def build_validator_rows(
    seed: int, supplier_siret: str, supplier_id: int, valideur_id: int, recipient_id: int,
    service_id: int | None,
) -> tuple[list[dict], list[dict]]:
    """The rows of the invoices waiting for (or decided by) their validator (pure)."""
    rng = random.Random(f"factures-valideur:{seed}")
    factures: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    history_id = VALIDATOR_FIRST_HISTORY_ID
    for i, (cadre, steps, motif) in enumerate(_TO_VALIDATE):
        numero = f"QUALST_{i + 1:06d}"
        day = EPOCH + timedelta(days=100 + 2 * i, minutes=rng.randrange(0, 600))
        lines = (examples.Line(f"ST-{i + 1}", "Travaux sous-traités (lot électricité)",
                               Decimal(1), Decimal(rng.randrange(100000, 900000)) / 100),)
        example = examples.Example(
            numero, supplier_siret, RECIPIENT, service=RECIPIENT_SERVICE,
            cadre=cadre.value.split("_", 1)[0], date_facture=date(day.year, day.month, day.day),
            destinataire_nom="Destinataire Etat", lines=lines,
        )
        passages = [F.DEPOSEE, *steps]
        moments = [day + timedelta(hours=k) for k in range(len(passages))]
        facture_id = VALIDATOR_FIRST_ID + 2 * i
        factures.append(_facture_row(
            facture_id, numero, day, passages[-1], moments[-1],
            (example.ht, example.tva, example.ttc),
            fournisseur_id=supplier_id, destinataire_id=recipient_id,
            destinataire_service_id=service_id, valideur_structure_id=valideur_id,
            valideur_service_id=None, createur_user_id=None, mode_depot=ModeDepot.SAISIE_API,
            cadre_facturation=cadre.value, numero_marche=f"MARCHE-{2026 + i % 2}-0{i + 1}",
            source_xml=examples.ubl(example), source_nom=f"{numero}.xml",
        ))
        for k, (statut, moment) in enumerate(zip(passages, moments, strict=True)):
            history.append(_history_row(history_id, facture_id, statut, moment,
                                        motif if k == len(passages) - 1 else None))
            history_id += 1
    return factures, history


def _seed_validator_invoices(
    conn: Connection, seed: int, valideur_id: int, recipient_id: int, service_id: int | None
) -> int:
    supplier = conn.execute(
        select(Structure.id, Structure.identifiant)
        .where(Structure.type_structure == TypeStructure.PRIVEE,
               Structure.statut == StatutStructure.ACTIF,
               Structure.type_identifiant == TypeIdentifiant.SIRET,
               Structure.id != valideur_id)
        .order_by(Structure.id).limit(1)
    ).first()
    if supplier is None:
        return 0
    factures, history = build_validator_rows(
        seed, supplier.identifiant, supplier.id, valideur_id, recipient_id, service_id)
    tables = Facture.metadata.tables
    conn.execute(insert(tables[Facture.__tablename__]), factures)
    conn.execute(insert(tables[FactureStatut.__tablename__]), history)
    return len(factures)


def seed_invoices(conn: Connection, seed: int) -> int:
    """Insert the seed's invoices (the world's structures must be there); return how many."""

    siret = default_structure_siret(seed)
    supplier_id = conn.scalar(select(Structure.id).where(Structure.identifiant == siret))
    recipient_id = conn.scalar(select(Structure.id).where(Structure.identifiant == RECIPIENT))
    if supplier_id is None or recipient_id is None:
        return 0
    service_id = conn.scalar(select(Service.id).where(
        Service.structure_id == recipient_id, Service.code == RECIPIENT_SERVICE))
    creator = conn.execute(select(User.id).where(User.login == DEFAULT_GP_LOGIN)).mappings().first()
    key = (seed, siret, supplier_id, recipient_id)
    with _lock:
        rows = _cache.get(key)
        if rows is None:
            rows = build_rows(seed, siret, supplier_id, recipient_id, service_id,
                              dict(creator) if creator else None)
            _cache[key] = rows
    factures, history = rows
    tables = Facture.metadata.tables
    conn.execute(insert(tables[Facture.__tablename__]), factures)
    conn.execute(insert(tables[FactureStatut.__tablename__]), history)
    count = len(factures)
    moe_id = conn.scalar(select(Structure.id).where(Structure.identifiant == MOE_SIRET))
    if moe_id is not None:
        works, works_history, travaux = build_travaux_rows(
            seed, (len(factures), factures[-1]["id"], history[-1]["id"] + 1), supplier_id,
            recipient_id, service_id, moe_id, dict(creator) if creator else None)
        conn.execute(insert(tables[Facture.__tablename__]), works)
        conn.execute(insert(tables[FactureStatut.__tablename__]), works_history)
        conn.execute(insert(tables[FactureTravaux.__tablename__]), travaux)
        count += len(works)
    return count + _seed_validator_invoices(conn, seed, supplier_id, recipient_id, service_id)
