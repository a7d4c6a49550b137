"""A reset is a barrier (issue #23, Deliver 3): no background pass — the factures worker,
the lifecycle policies, the mail dispatcher — writes anything it read before a reset.

On a stack of its own (a reset would wipe what other tests of the session created): in
each round, threads deposit flux (integrated at once), move seeded invoices and keep a
``*`` policy moving every invoice put at disposal, the clock two days ahead; a reset
comes in the middle of it, and right after it the same policy is put back with a delay
that makes the oldest seeded invoice at disposal due a day later on the real clock, but
already due on the clock of before the reset (what a suite does after its reset). Then
the database must hold exactly the seeded baseline plus what was acknowledged after
the reset answered: every seeded invoice in its seeded status, no flux or invoice of
before, every deposit acknowledged after it there.

Before the fix a pass that had read the policies and the due invoices before the reset
moved seeded invoices after it, under the new policy (which reuses the old one's id)
and with the clock of before (two days ahead): seeded invoices ended ``SERVICE_FAIT``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from api_factories import tag
from sqlalchemy import func, select
from stack_support import engine_bound_to, private_stack

from sandbox import db
from sandbox.factures.models import Facture, Flux
from sandbox.seeding.invoice_cases import cases
from sandbox.testing.client import SandboxClient
from sandbox.testing.harness import RunningStack
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "factures"
SUPPLIER = json.loads((FIXTURES / "manifest.json").read_text())["fournisseur"]
DEPOSER = "/cpro/factures/v1/deposer/flux"
ROUNDS = 6
POLICY = {"destinataire": "*", "statutDepart": "MISE_A_DISPOSITION",
          "statutArrivee": "SERVICE_FAIT"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, chorus_sandbox) -> Iterator[RunningStack]:
    with private_stack(tmp_path_factory.mktemp("barrier"), chorus_sandbox.database_url, {
        "seed_structures": "30", "password_hash_method": "scrypt:1024:8:1",
        "factures_integration_delay": "0", "factures_poll_interval": "0.1",
    }) as running:
        yield running


def _snapshot(stack: RunningStack, session_url: str) -> tuple[dict[int, tuple], set[str]]:
    """Every invoice (id -> number, status) and every flux number, read in the database."""
    with engine_bound_to(stack.database_url, session_url), db.new_session() as s:
        invoices = {row.id: (row.numero_facture, row.statut) for row in s.execute(
            select(Facture.id, Facture.numero_facture, Facture.statut))}
        flux = set(s.scalars(select(Flux.numero_flux_depot)))
    return invoices, flux


def _oldest_at_disposal(stack: RunningStack, session_url: str) -> datetime:
    with engine_bound_to(stack.database_url, session_url), db.new_session() as s:
        oldest = s.scalar(select(func.min(Facture.date_heure_etat_courant)).where(
            Facture.statut == "MISE_A_DISPOSITION"))
    assert oldest is not None
    return oldest


def _deposit(sandbox: SandboxClient, api: list[requests.Session]) -> str:
    """One deposit with the seeded technical account, as a client does it: a new token
    on a 401 (the reset took the old one away), again on a 503 (Retry-After)."""
    case = next(c for c in cases(SUPPLIER, prefix=tag()) if c.name == "ubl-invoice")
    body = {"fichierFlux": base64.b64encode(case.content).decode(), "nomFichier": case.fichier,
            "syntaxeFlux": case.syntaxe, "avecSignature": False}
    for _ in range(5):
        answer = api[0].post(DEPOSER, timeout=60, json=body)
        if answer.status_code == 401:  # the reset took the token away
            api[0] = sandbox.technical_client()
        elif answer.status_code != 503:  # 503: a reset took a row the deposit used: again
            break
    assert answer.status_code == 200 and answer.json()["codeRetour"] == 0, answer.text
    return answer.json()["numeroFluxDepot"]


def _wait_terminal(sandbox: SandboxClient, numeros: set[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    for numero in numeros:
        while True:
            found = sandbox.control.get("factures/flux", params={"numeroFluxDepot": numero})
            flux = found.json()["flux"]
            if flux and flux[0]["etatCourantFlux"] in ETATS_FLUX_TERMINAUX:
                break
            assert time.monotonic() < deadline, f"flux {numero} not terminal: {flux}"
            time.sleep(0.1)


def test_a_reset_racing_deposits_policies_and_moves_leaves_the_baseline(stack,
                                                                       chorus_sandbox):
    sandbox = SandboxClient(stack.url, stack.mailpit_url)
    sandbox.reset()
    baseline, baseline_flux = _snapshot(stack, chorus_sandbox.database_url)
    assert baseline and not baseline_flux
    at_disposal = [i for i, (_n, statut) in baseline.items() if statut == "MISE_A_DISPOSITION"]
    assert at_disposal, "the seed puts invoices at disposal"
    # The policy put back after each reset: the oldest seeded invoice at disposal (so
    # every one) is due a day from now on the real clock, and it is already due on the
    # clock of before the reset (two days ahead): only a pass of before can move it.
    delay = (datetime.now(UTC).replace(tzinfo=None)
             - _oldest_at_disposal(stack, chorus_sandbox.database_url)).total_seconds() + 86400
    for round_number in range(ROUNDS):
        sandbox.set_clock("2d")
        api = [sandbox.technical_client()]
        assert sandbox.control.put("factures/policies", json={
            **POLICY, "delaiSecondes": 0}).status_code == 200
        stop, stop_moves = threading.Event(), threading.Event()
        acknowledged: list[tuple[float, float, str]] = []  # (sent at, answered at, numero)

        failures: list[BaseException] = []

        def deposits(stop=stop, api=api, acknowledged=acknowledged,  # noqa: ANN001
                     failures=failures) -> None:
            try:
                while not stop.is_set():
                    sent_at = time.monotonic()
                    numero = _deposit(sandbox, api)
                    acknowledged.append((sent_at, time.monotonic(), numero))
            except BaseException as failure:  # shown by the test, not lost in a thread
                failures.append(failure)
                raise

        def moves(stop_moves=stop_moves) -> None:  # noqa: ANN001
            for facture_id in at_disposal:
                if stop_moves.is_set():
                    return
                sandbox.control.post(f"factures/{facture_id}/statut",
                                     json={"statut": "MANDATEE"})

        threads = [threading.Thread(target=deposits) for _ in range(2)]
        mover = threading.Thread(target=moves)
        for thread in [*threads, mover]:
            thread.start()
        # The reset comes once the worker is busy: flux integrated, invoices moved.
        deadline = time.monotonic() + 60
        while len(acknowledged) < 6:
            assert not failures and time.monotonic() < deadline, failures
            time.sleep(0.05)
        stop_moves.set()  # a move answered after the reset would change the baseline
        mover.join(timeout=120)
        sent = time.monotonic()
        sandbox.reset()
        answered = time.monotonic()
        assert sandbox.control.put("factures/policies", json={
            **POLICY, "delaiSecondes": delay}).status_code == 200
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        after = {numero for _s, at, numero in acknowledged if at > answered}
        before = {numero for _s, at, numero in acknowledged if at < sent}
        # A deposit sent after the reset answered is integrated (one in flight across it
        # may carry the clock of before: docs/reliability.md, "Reset is a barrier").
        wholly_after = {numero for at, _a, numero in acknowledged if at > answered}
        sentinel = _deposit(sandbox, api)  # integrated by a pass that began after it
        _wait_terminal(sandbox, wholly_after | {sentinel})
        invoices, flux = _snapshot(stack, chorus_sandbox.database_url)
        changed = {i: (baseline[i], invoices.get(i)) for i in baseline
                   if invoices.get(i) != baseline[i]}
        assert not changed, f"round {round_number}: seeded invoices changed after the reset: " \
                            f"{sorted(changed.items())[:5]} ({len(changed)} in all)"
        assert after | {sentinel} <= flux, f"round {round_number}: acknowledged flux lost"
        assert not (before & flux), f"round {round_number}: flux of before the reset kept: " \
                                    f"{sorted(before & flux)[:5]}"
        extra = set(invoices) - set(baseline)
        numbers = {invoices[i][0] for i in extra}
        assert len(numbers) == len(extra), "an invoice integrated twice"
        assert len(extra) <= len(flux), f"round {round_number}: more invoices than flux"
        sandbox.reset()
