"""Faults survived: several dispatcher processes, SMTP down or failing, SIGKILL, database away.

Each test here runs on a private stack (its own Mailpit, sandbox and database, on
SQLite or on the PostgreSQL server the suite was given), because it stops, kills
or breaks parts of it. Mailpit's runtime counters tell what reached SMTP:
``SMTPAccepted`` (shown), ``SMTPIgnored`` (a second copy of a Message-ID already
shown, i.e. a duplicate send) and ``SMTPRejected`` (Chaos errors injected).
"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from _figures import record
from mail_support import burst as _burst
from mail_support import delivered_count as _delivered
from mail_support import extra_dispatchers
from mail_support import outbox_rows as _outbox
from pytest_mailpit.client import MailpitClient
from pytest_mailpit.models import ChaosTrigger, ChaosTriggers
from stack_support import engine_bound_to, private_stack
from sqlalchemy import select

from sandbox import db
from sandbox.models import OutboxMail, User
from sandbox.stack import free_port, wait_until
from sandbox.testing.harness import (
    RunningStack,
    create_database,
    start_stack,
    suite_database_server,
)

ROOT = Path(__file__).resolve().parent.parent
FAULT_SETTINGS = {
    "mail_retry_max_backoff": "1",
    "mail_lease_seconds": "3",
    "mail_poll_interval": "0.2",
    "mail_batch_size": "5",
    "seed_structures": "5",
    "captcha_mode": "off",
    "password_hash_method": "scrypt:1024:8:1",
}
FIGURES: dict[str, int] = {}  # recorded at the end of the module (see _figures.py)


@pytest.fixture(scope="module")
def _fault_stack(tmp_path_factory, chorus_sandbox) -> Iterator[RunningStack]:  # noqa: ANN001
    try:
        with private_stack(tmp_path_factory.mktemp("faults"), chorus_sandbox.database_url,
                           FAULT_SETTINGS) as stack:
            yield stack
    finally:
        record(FIGURES)


@pytest.fixture
def fault_stack(_fault_stack, stack_db, chorus_sandbox) -> Iterator[RunningStack]:  # noqa: ANN001
    """The private stack, with this process's engine bound to its database for the test
    (after conftest's ``stack_db`` bound it to the session stack)."""
    with engine_bound_to(_fault_stack.database_url, chorus_sandbox.database_url):
        yield _fault_stack


def _client(stack: RunningStack) -> MailpitClient:
    return MailpitClient(stack.mailpit_url + "/", wait_timeout=60)


def _stats(stack: RunningStack) -> dict:
    return requests.get(f"{stack.mailpit_url}/api/v1/info", timeout=10).json()["RuntimeStats"]


def _shown_per_recipient(stack: RunningStack, tag: str) -> Counter:
    """How many messages Mailpit shows for each recipient of this test."""
    client = _client(stack)
    try:
        found = client.search_all(f"to:{tag}")
    finally:
        client.close()
    counts: Counter = Counter()
    for message in found:
        for address in message.to:
            if address.address.startswith(tag):
                counts[address.address] += 1
    return counts


def _set_chaos(stack: RunningStack, probability: int) -> None:
    client = _client(stack)
    try:
        client.set_chaos(ChaosTriggers(sender=ChaosTrigger(451, probability)))
    finally:
        client.close()


def test_dispatchers_in_several_processes_deliver_each_mail_exactly_once(fault_stack):
    # Two gunicorn workers each run a dispatcher; three more processes compete with them.
    env = {**fault_stack.env, "SANDBOX_MAIL_POLL_INTERVAL": "0.05"}
    before = _stats(fault_stack)
    tag = f"multi-{uuid.uuid4().hex[:10]}"
    with extra_dispatchers(env, 3, 120):
        promised = _burst(tag, 120, per_transaction=30)
        wait_until(lambda: _delivered(promised) == len(promised), 90, "every mail delivered")
    rows = _outbox(promised)
    holders = Counter(row.claimed_by.split(":")[0] + ":" + row.claimed_by.split(":")[1]
                      for row in rows)
    after = _stats(fault_stack)
    FIGURES["multi_process_mails_sent"] = len(promised)
    FIGURES["multi_process_smtp_accepted"] = after["SMTPAccepted"] - before["SMTPAccepted"]
    FIGURES["multi_process_dispatchers_that_delivered"] = len(holders)
    assert all(row.attempts == 1 for row in rows)
    # Each mail crossed SMTP once: no duplicate Message-ID reached Mailpit.
    assert after["SMTPIgnored"] - before["SMTPIgnored"] == 0
    assert after["SMTPAccepted"] - before["SMTPAccepted"] == len(promised)
    shown = _shown_per_recipient(fault_stack, tag)
    assert set(shown) == set(promised.values())
    assert set(shown.values()) == {1}


def test_mail_survives_smtp_errors_and_mailpit_down_during_a_burst(fault_stack):
    tag = f"down-{uuid.uuid4().hex[:10]}"
    before = _stats(fault_stack)
    try:
        # Half of the SMTP transactions fail with 451 (Mailpit's Chaos).
        _set_chaos(fault_stack, 50)
        first = _burst(tag, 30)
        wait_until(lambda: _delivered(first) == len(first), 60, "delivered despite Chaos")
        # Each failed attempt of a delivered mail is one SMTP error injected.
        rejected = sum(row.attempts - 1 for row in _outbox(first))
        accepted_before_stop = _stats(fault_stack)["SMTPAccepted"] - before["SMTPAccepted"]
        fault_stack.mailpit.stop()
        # The burst goes on while Mailpit is down: every mail is still promised.
        second = _burst(f"{tag}-b", 30)
        promised = {**first, **second}
        wait_until(lambda: sum(row.attempts >= 2 for row in _outbox(second)) >= 10, 30,
                   "retries while Mailpit is down")
        waiting = [row for row in _outbox(promised) if row.state != "delivered"]
        assert waiting and all(row.delivered_at is None for row in waiting)
        health = requests.get(f"{fault_stack.url}/health", timeout=10).json()
        assert health["smtp"]["status"] == "unreachable"
        fault_stack.mailpit.start()  # Chaos is off again after a restart
        wait_until(lambda: _delivered(promised) == len(promised), 90, "every mail delivered")
        after = _stats(fault_stack)  # counters restarted with Mailpit
    finally:
        if fault_stack.mailpit.process is None:
            fault_stack.mailpit.start()
        _set_chaos(fault_stack, 0)
    failed_attempts = sum(row.attempts - 1 for row in _outbox(promised))
    FIGURES["smtp_fault_mails_sent"] = len(promised)
    FIGURES["smtp_fault_chaos_rejections"] = rejected
    FIGURES["smtp_fault_failed_attempts"] = failed_attempts
    assert rejected >= 1 and failed_attempts >= rejected + 10
    assert after["SMTPIgnored"] == 0
    assert accepted_before_stop + after["SMTPAccepted"] == len(promised)
    shown = {**_shown_per_recipient(fault_stack, tag)}
    FIGURES["smtp_fault_mails_delivered"] = sum(shown.values())
    assert set(shown) == set(promised.values())
    assert set(shown.values()) == {1}, "a mail was lost or shown twice"


def test_sigkill_in_the_middle_loses_no_promised_mail(fault_stack):
    tag = f"kill-{uuid.uuid4().hex[:10]}"
    try:
        # Slow delivery down (most SMTP attempts fail) so that the kill lands mid-way.
        _set_chaos(fault_stack, 70)
        promised = _burst(tag, 40)
        wait_until(lambda: 1 <= _delivered(promised), 30, "delivery under way")
        fault_stack.restart_server(kill=True)
        killed_with = len(promised) - _delivered(promised)
        _set_chaos(fault_stack, 0)
        wait_until(lambda: _delivered(promised) == len(promised), 90,
                   "the outbox resumed after the restart")
    finally:
        _set_chaos(fault_stack, 0)
    FIGURES["sigkill_mails_sent"] = len(promised)
    FIGURES["sigkill_mails_pending_at_kill"] = killed_with
    shown = _shown_per_recipient(fault_stack, tag)
    FIGURES["sigkill_mails_delivered"] = sum(shown.values())
    assert killed_with >= 1
    assert set(shown) == set(promised.values())
    assert set(shown.values()) == {1}


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_sigkill_during_signups_keeps_every_acknowledged_account(fault_stack):
    if requests.get(f"{fault_stack.url}/creer-un-compte", timeout=30).status_code != 200:
        pytest.skip("the portal is not installed")
    from sandbox.testing.client import SandboxClient

    client = SandboxClient(fault_stack.url, fault_stack.mailpit_url)
    tag = f"ksign-{uuid.uuid4().hex[:8]}"
    acknowledged: list[str] = []
    refused: list[str] = []
    stop = threading.Event()

    def sign_up(worker: int) -> None:
        for i in range(40):  # bounded: at most 40 signups per thread
            if stop.is_set():
                return
            login = f"{tag}-{worker}-{i}@example.com"
            try:
                answer = client.portal().signup(client._signup_fields(login, {}))  # noqa: SLF001
            except requests.RequestException:
                refused.append(login)  # the server died under it: not acknowledged
                wait_until(lambda: _answers(fault_stack.url), 90, "the sandbox back")
                continue
            (acknowledged if answer.status_code == 303 else refused).append(login)

    threads = [threading.Thread(target=sign_up, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(acknowledged) >= 8, 60, "signups under way")
        fault_stack.restart_server(kill=True)
        wait_until(lambda: len(acknowledged) >= 20, 90, "signups after the restart")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    with db.new_session() as s:
        stored = set(s.scalars(select(User.login).where(User.login.like(f"{tag}-%"))).all())
        mails = list(s.scalars(select(OutboxMail).where(
            OutboxMail.to_addr.in_(acknowledged), OutboxMail.kind == "activation")).all())
    missing = set(acknowledged) - stored
    assert not missing, f"acknowledged signups lost: {sorted(missing)[:5]}"
    ids = {mail.id: mail.to_addr for mail in mails}
    assert set(ids.values()) == set(acknowledged) and len(ids) == len(acknowledged)
    wait_until(lambda: _delivered(ids) == len(ids), 90, "activation mails after the restart")
    shown = _shown_per_recipient(fault_stack, tag)
    for login in acknowledged:
        assert shown[login] >= 1
    FIGURES["sigkill_signups_acknowledged"] = len(acknowledged)
    FIGURES["sigkill_signups_interrupted"] = len(refused)


def _pg(command: str, cluster: Path, port: int) -> str:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh"), command],
        env=dict(os.environ, CHORUS_PG_DIR=str(cluster), CHORUS_PG_PORT=str(port)),
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.skipif(not suite_database_server(), reason="the suite runs on SQLite")
def test_database_away_gives_503_then_recovers_without_restart(tmp_path, chorus_sandbox):
    # A private PostgreSQL cluster: stopping the suite's one would break other tests.
    cluster = ROOT / "var" / f"pg-fault-{uuid.uuid4().hex[:8]}"
    port = free_port()
    server_url = _pg("start", cluster, port)
    stack = None
    try:
        database_url = create_database(server_url)
        stack = start_stack(tmp_path, settings={**FAULT_SETTINGS, "database_url": database_url})
        pid = stack.server.process.pid
        assert requests.get(f"{stack.url}/health", timeout=10).status_code == 200
        _pg("stop", cluster, port)
        api = requests.get(f"{stack.url}/cpro/structures/v1/rechercher", timeout=30)
        assert api.status_code == 503
        assert api.headers["Content-Type"].startswith("application/json")
        assert api.headers["Retry-After"]
        assert "base de données" in api.json()["libelle"]
        health = requests.get(f"{stack.url}/health", timeout=30)
        assert health.status_code == 503 and health.json()["status"] == "error"
        page = requests.get(f"{stack.url}/connexion", timeout=30)
        assert page.status_code == 503
        assert "Service temporairement indisponible" in page.text
        _pg("start", cluster, port)
        wait_until(lambda: requests.get(f"{stack.url}/health", timeout=10).status_code == 200,
                   60, "the sandbox answering again")
        assert stack.server.process.pid == pid and stack.server.process.poll() is None
        record({"database_outages_injected": 1})
    finally:
        if stack is not None:
            stack.server.stop()
            stack.mailpit.stop()
        _pg("remove", cluster, port)
