"""Correctness after a load run: mail, accounts, activations, 5xx, outbox.

Read from the ledgers the Locust processes wrote (what each user was told), the
sandbox's database (through SQLAlchemy) and Mailpit's API (what really arrived).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import requests
from sqlalchemy import func, select

from sandbox import db
from sandbox.factures.models import Facture, FactureStatut, Flux
from sandbox.models import OutboxMail, User
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX, EtatFlux, MailState, StatutFacture

if TYPE_CHECKING:  # SQLAlchemy 2.1's Row is generic over its columns' types (2.0's is not)
    from sqlalchemy import Row

    FluxRow: TypeAlias = Row[int, str | None, str]  # Flux.id, numero_flux_depot, etat


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "examples": self.examples[:10],
        }


def read_ledgers(folder: Path) -> dict:
    """Merge every ``ledger-*.jsonl`` of a run: signups, activations, 5xx."""
    signups: dict[str, str] = {}
    activated: set[str] = set()
    server_errors: list[dict] = []
    deposits: dict[str, str] = {}  # numeroFluxDepot -> invoice number (InvoiceUser)
    for path in sorted(Path(folder).glob("ledger-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            fact = json.loads(line)
            if fact["e"] == "signup":
                signups[fact["email"].lower()] = fact.get("kind", "")
            elif fact["e"] == "activated":
                activated.add(fact["email"].lower())
            elif fact["e"] == "5xx":
                server_errors.append(fact)
            elif fact["e"] == "deposit":
                deposits[fact["flux"]] = fact["numero"]
    return {
        "signups": signups,
        "activated": activated,
        "server_errors": server_errors,
        "deposits": deposits,
    }


def wait_outbox_drained(timeout: float = 60.0) -> int:
    """Wait until no mail is queued or retrying; return how many remain."""
    deadline = time.monotonic() + timeout
    while True:
        with db.new_session() as s:
            left = (
                s.scalar(
                    select(func.count())
                    .select_from(OutboxMail)
                    .where(OutboxMail.state != MailState.DELIVERED)
                )
                or 0
            )
        if left == 0 or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)


def mailpit_messages(mailpit_url: str, page: int = 1000) -> list[dict]:
    """Every message summary in Mailpit (paged listing, newest first)."""
    found: list[dict] = []
    start = 0
    while True:
        answer = requests.get(
            f"{mailpit_url}/api/v1/messages", params={"start": start, "limit": page}, timeout=60
        )
        answer.raise_for_status()
        messages = answer.json().get("messages") or []
        found.extend(messages)
        if len(messages) < page:
            return found
        start += page


def _bare(message_id: str | None) -> str:
    return (message_id or "").strip().strip("<>")


def run_checks(
    ledger_dir: Path,
    mailpit_url: str,
    drain_timeout: float = 60.0,
    tolerated: list[tuple[float, float]] | None = None,
) -> list[Check]:
    """All post-run checks (the engine must already point at the run's database).

    ``tolerated``: time windows (epoch seconds) where a 5xx is allowed (a chaos run's
    dead workers); 5xx outside them still fail the check.
    """
    ledger = read_ledgers(ledger_dir)
    signups: dict[str, str] = ledger["signups"]
    checks: list[Check] = []

    left = wait_outbox_drained(drain_timeout)
    checks.append(
        Check(
            "outbox drained",
            left == 0,
            f"{left} mail(s) still queued or retrying after {drain_timeout:.0f}s"
            if left
            else "every mail of the outbox delivered",
        )
    )

    addresses = sorted(signups)
    accounts: Counter[str] = Counter()
    states: dict[str, str] = {}
    activation_ids: dict[str, set[str]] = defaultdict(set)
    with db.new_session() as s:
        for chunk_start in range(0, len(addresses), 500):
            chunk = addresses[chunk_start : chunk_start + 500]
            for login, statut in s.execute(
                select(User.login, User.statut).where(User.login.in_(chunk))
            ):
                accounts[login.lower()] += 1
                states[login.lower()] = statut
            for to_addr, message_id in s.execute(
                select(OutboxMail.to_addr, OutboxMail.message_id).where(
                    OutboxMail.to_addr.in_(chunk),
                    OutboxMail.kind.like("%activation%"),
                )
            ):
                activation_ids[to_addr.lower()].add(_bare(message_id))

    in_mailpit: Counter[str] = Counter()
    all_ids = {mid for ids in activation_ids.values() for mid in ids}
    for message in mailpit_messages(mailpit_url):
        if _bare(message.get("MessageID")) in all_ids:
            for recipient in message.get("To") or []:
                in_mailpit[(recipient.get("Address") or "").lower()] += 1

    bad_accounts = [a for a in addresses if accounts[a] != 1]
    checks.append(
        Check(
            "one account per acknowledged signup",
            not bad_accounts,
            f"{len(addresses) - len(bad_accounts)}/{len(addresses)} signups have exactly "
            "one account",
            [f"{a}: {accounts[a]} account(s)" for a in bad_accounts],
        )
    )
    bad_mails = [a for a in addresses if len(activation_ids[a]) != 1 or in_mailpit[a] != 1]
    checks.append(
        Check(
            "one activation mail in Mailpit per acknowledged signup",
            not bad_mails,
            f"{len(addresses) - len(bad_mails)}/{len(addresses)} signups have exactly one "
            "activation mail, found in Mailpit",
            [
                f"{a}: {len(activation_ids[a])} in the outbox, {in_mailpit[a]} in Mailpit"
                for a in bad_mails
            ],
        )
    )
    activated = sorted(ledger["activated"])
    not_active = [a for a in activated if states.get(a) != "ACTIF"]
    unknown = [a for a in activated if a not in signups]
    checks.append(
        Check(
            "every completed activation is active",
            not not_active and not unknown,
            f"{len(activated) - len(not_active)}/{len(activated)} activated accounts are ACTIF",
            [f"{a}: {states.get(a)}" for a in not_active] + [f"{a}: not a signup" for a in unknown],
        )
    )
    if ledger["deposits"]:
        checks.extend(flux_checks(ledger["deposits"], drain_timeout))
    errors = ledger["server_errors"]
    if tolerated is None:
        checks.append(
            Check(
                "no 5xx",
                not errors,
                f"{len(errors)} answer(s) with a 5xx status",
                [f"{e['status']} {e['name']}" for e in errors],
            )
        )
    else:
        outside = [
            e for e in errors if not any(start <= e.get("t", 0) <= end for start, end in tolerated)
        ]
        checks.append(
            Check(
                "no 5xx except while a worker was dead",
                not outside,
                f"{len(errors)} answer(s) with a 5xx status, {len(outside)} outside the "
                f"{len(tolerated)} window(s) of a dead worker",
                [f"{e['status']} {e['name']} at {e.get('t')}" for e in outside],
            )
        )
    return checks


def smtp_copies(mailpit_url: str) -> dict:
    """How many copies of each outbox mail Mailpit stores, by Message-ID.

    Meaningful when Mailpit runs without ``--ignore-duplicate-ids``: then every
    copy that crossed SMTP is stored. Returns the counts of mails in the outbox,
    delivered (marked), found once, lost (none) and duplicated (more than one).
    """
    with db.new_session() as s:
        rows = s.execute(select(OutboxMail.message_id, OutboxMail.state)).all()
    copies: Counter[str] = Counter()
    for message in mailpit_messages(mailpit_url):
        copies[_bare(message.get("MessageID"))] += 1
    ids = [_bare(mid) for mid, _ in rows]
    duplicated = [mid for mid in ids if copies[mid] > 1]
    return {
        "mails": len(rows),
        "marked_delivered": sum(1 for _, state in rows if state == MailState.DELIVERED),
        "once": sum(1 for mid in ids if copies[mid] == 1),
        "lost": [mid for mid in ids if copies[mid] == 0],
        "duplicated": {mid: copies[mid] for mid in duplicated},
    }


def smtp_once_check(figures: dict) -> Check:
    """'Each mail crossed SMTP once', from ``smtp_copies``."""
    lost, duplicated = figures["lost"], figures["duplicated"]
    return Check(
        "each mail of the outbox crossed SMTP once",
        not lost and not duplicated,
        f"{figures['once']}/{figures['mails']} mails stored exactly once in Mailpit; "
        f"{len(lost)} lost, {len(duplicated)} duplicated",
        [f"lost {mid}" for mid in lost] + [f"{n} copies of {mid}" for mid, n in duplicated.items()],
    )


def ledger_counts(ledger_dir: Path) -> dict:
    """How many signups, activations and 5xx the ledgers hold."""
    ledger = read_ledgers(ledger_dir)
    kinds = Counter(ledger["signups"].values())
    return {
        "signups": len(ledger["signups"]),
        "signupsByKind": dict(kinds),
        "activations": len(ledger["activated"]),
        "serverErrors": len(ledger["server_errors"]),
        "deposits": len(ledger["deposits"]),
    }


# --- the invoice users: every acknowledged deposit has exactly one flux, integrated or
# rejected exactly once, and every integrated invoice exists once (the ledger says what
# each Locust user was told, the database what the sandbox did).

CHUNK = 500


def _chunks(items: list) -> list[list]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


def _flux_rows(numeros: list[str]) -> list[FluxRow]:
    with db.new_session() as s:
        rows: list[FluxRow] = []
        for chunk in _chunks(numeros):
            rows += s.execute(
                select(Flux.id, Flux.numero_flux_depot, Flux.etat)
                .where(Flux.numero_flux_depot.in_(chunk))
            ).all()
        return rows


def wait_flux_terminal(numeros: list[str], timeout: float) -> list[FluxRow]:
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
        # Keyed by Facture.flux_id, a nullable column (the WHERE keeps non-null ones).
        invoices: Counter[int | None] = Counter()
        deposees: Counter[int | None] = Counter()
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
