"""Post-run checks of the invoice users: every acknowledged deposit has exactly one
flux, integrated or rejected exactly once, and every integrated invoice exists once.

The ledger says what each Locust user was told (``numeroFluxDepot`` and the invoice
number it deposited); the database says what the sandbox did.
"""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, select

from sandbox import db
from sandbox.factures.models import Facture, FactureStatut, Flux
from sandbox.loadtesting.checks import Check
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX, EtatFlux, StatutFacture

CHUNK = 500


def _chunks(items: list) -> list[list]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


def _flux_rows(numeros: list[str]) -> list:
    with db.new_session() as s:
        rows = []
        for chunk in _chunks(numeros):
            rows += s.execute(
                select(Flux.id, Flux.numero_flux_depot, Flux.etat)
                .where(Flux.numero_flux_depot.in_(chunk))
            ).all()
        return rows


def wait_flux_terminal(numeros: list[str], timeout: float) -> list:
    """The flux rows of ``numeros`` once none is waiting (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = _flux_rows(numeros)
        if all(r.etat in ETATS_FLUX_TERMINAUX for r in rows) or time.monotonic() >= deadline:
            return rows
        time.sleep(0.2)


def flux_checks(deposits: dict[str, str], timeout: float = 60.0) -> list[Check]:
    numeros = sorted(deposits)
    rows = wait_flux_terminal(numeros, timeout)
    per_number = Counter(r.numero_flux_depot for r in rows)
    missing = [n for n in numeros if per_number[n] != 1]
    checks = [Check(
        "one flux per acknowledged deposit", not missing,
        f"{len(numeros) - len(missing)}/{len(numeros)} deposits have exactly one flux",
        [f"{n}: {per_number[n]} flux" for n in missing])]

    ids = {r.id: r for r in rows}
    with db.new_session() as s:
        invoices: Counter[int] = Counter()
        deposees: Counter[int] = Counter()
        for chunk in _chunks(list(ids)):
            for flux_id, count in s.execute(
                select(Facture.flux_id, func.count()).where(Facture.flux_id.in_(chunk))
                .group_by(Facture.flux_id)
            ):
                invoices[flux_id] = count
            for flux_id, count in s.execute(
                select(Facture.flux_id, func.count())
                .join(FactureStatut, FactureStatut.facture_id == Facture.id)
                .where(Facture.flux_id.in_(chunk), FactureStatut.statut == StatutFacture.DEPOSEE)
                .group_by(Facture.flux_id)
            ):
                deposees[flux_id] = count
        by_number: Counter[str] = Counter()
        numbers = sorted(set(deposits.values()))
        for chunk in _chunks(numbers):
            for numero, count in s.execute(
                select(Facture.numero_facture, func.count())
                .where(Facture.numero_facture.in_(chunk)).group_by(Facture.numero_facture)
            ):
                by_number[numero] = count

    wrong = []
    for flux_id, row in ids.items():
        if row.etat not in ETATS_FLUX_TERMINAUX:
            wrong.append(f"{row.numero_flux_depot}: still {row.etat}")
        elif row.etat == EtatFlux.IN_INTEGRE and (invoices[flux_id] != 1 or deposees[flux_id] != 1):
            wrong.append(f"{row.numero_flux_depot}: {invoices[flux_id]} invoice(s), "
                         f"{deposees[flux_id]} DEPOSEE row(s)")
        elif row.etat != EtatFlux.IN_INTEGRE and invoices[flux_id] != 0:
            wrong.append(f"{row.numero_flux_depot}: {row.etat} with {invoices[flux_id]} invoice(s)")
    integrated = [r for r in rows if r.etat == EtatFlux.IN_INTEGRE]
    checks.append(Check(
        "every deposit integrated or rejected exactly once", not wrong,
        f"{len(rows) - len(wrong)}/{len(rows)} flux terminal with their invoice exactly once "
        f"({len(integrated)} IN_INTEGRE)", wrong))
    integrated_numbers = [deposits[r.numero_flux_depot] for r in integrated]
    doubles = [n for n in integrated_numbers if by_number[n] != 1]
    checks.append(Check(
        "every integrated invoice exists once", not doubles,
        f"{len(integrated_numbers) - len(doubles)}/{len(integrated_numbers)} invoice numbers "
        "stored exactly once", [f"{n}: {by_number[n]}" for n in doubles]))
    return checks
