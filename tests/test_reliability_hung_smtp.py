"""Each mail crosses SMTP once: with a hung SMTP server, and after a holder's death.

A hung SMTP server (Mailpit SIGSTOPped) must not make a mail cross SMTP twice.

Before the lease was renewed, a batch of 50 mails at a 5 s timeout outlasted the
60 s lease while Mailpit was paused, so a second dispatcher claimed mails the
first one was still working on, and both sent them when Mailpit woke up (31 of 60
twice). Here, with small settings (lease 2 s, timeout 1 s, batch 10), two gunicorn
workers and two more dispatcher processes race for the outbox while Mailpit is
paused far longer than the lease. This Mailpit runs without
``--ignore-duplicate-ids``: every copy that crosses SMTP is stored and counted.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator

import pytest
import requests
from _figures import record
from mail_support import burst, copies_in_mailpit, delivered_count, extra_dispatchers, outbox_rows
from stack_support import engine_bound_to

from sandbox import db
from sandbox.config import load_settings
from sandbox.mail.wire import message_bytes
from sandbox.stack import wait_until
from sandbox.testing.harness import RunningStack, start_stack

HUNG_SETTINGS = {
    "mail_lease_seconds": "2",
    "smtp_timeout": "1",
    "mail_batch_size": "10",
    "mail_retry_max_backoff": "1",
    "mail_poll_interval": "0.2",
    "seed_structures": "5",
    "captcha_mode": "off",
    "password_hash_method": "scrypt:1024:8:1",
}


@pytest.fixture
def hung_stack(tmp_path, chorus_sandbox, stack_db) -> Iterator[RunningStack]:
    stack = start_stack(tmp_path, settings=HUNG_SETTINGS, ignore_duplicate_ids=False)
    try:
        with engine_bound_to(stack.database_url, chorus_sandbox.database_url):
            yield stack
    finally:
        stack.mailpit.resume()
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)


def _long_outage(ids) -> bool:
    """Some mail failed 4 times in a row: each attempt waited out a 1 s timeout and a
    backoff, so the pause has outlived the 2 s lease several times over."""
    attempts = [row.attempts for row in outbox_rows(ids) if row.state != "delivered"]
    return sum(attempts) >= 20 and max(attempts, default=0) >= 4


def test_a_hung_smtp_server_never_makes_a_mail_cross_smtp_twice(hung_stack):
    tag = f"hung-{uuid.uuid4().hex[:10]}"
    with extra_dispatchers(hung_stack.env, 2, 180):
        # Something crosses SMTP first, so that connections and passes are warm.
        warm = burst(f"{tag}-w", 10)
        wait_until(lambda: delivered_count(warm) == len(warm), 60, "the first mails")
        hung_stack.mailpit.pause()
        try:
            promised = burst(tag, 40)
            # Paused long enough for many 1 s timeouts: far beyond the 2 s lease, the
            # old code's batches (10 × 1 s) outlived their claims and overlapped.
            wait_until(lambda: _long_outage(promised), 120,
                       "attempts timing out against the paused Mailpit")
            health = requests.get(f"{hung_stack.url}/health", timeout=30)
            assert health.status_code == 200  # the sandbox answers while SMTP hangs
        finally:
            hung_stack.mailpit.resume()
        wait_until(lambda: delivered_count(promised) == len(promised), 120,
                   "every mail delivered once Mailpit woke up")
        rows = outbox_rows({**warm, **promised})
    copies = copies_in_mailpit(hung_stack.mailpit_url, [row.message_id for row in rows])
    twice = {mid: n for mid, n in copies.items() if n != 1}
    failed = sum(row.attempts - 1 for row in rows)
    record({"hung_smtp_mails_sent": len(rows), "hung_smtp_failed_attempts": failed,
            "hung_smtp_copies_in_mailpit": sum(copies.values())})
    assert failed >= 20  # the outage really cost attempts
    assert not twice, f"{len(twice)} mail(s) not stored exactly once: {list(twice.items())[:5]}"
    assert sum(copies.values()) == len(rows)


def test_a_mail_sent_by_a_holder_that_died_before_marking_it_is_not_sent_again(hung_stack):
    # A dispatcher claimed 10 mails, sent 5 of them by SMTP, and died (SIGKILL) before
    # marking anything. When its lease ends the others find orphaned claims: they ask
    # Mailpit for each Message-ID, mark the 5 delivered and send only the other 5.
    tag = f"orphan-{uuid.uuid4().hex[:10]}"
    promised = burst(tag, 10, claimed_by="dead-host:1:00000000", lease_seconds=2)
    rows = sorted(outbox_rows(promised), key=lambda row: row.id)
    settings = load_settings(environ=hung_stack.env)
    with smtplib.SMTP("127.0.0.1", hung_stack.smtp_port, timeout=10) as smtp:
        for row in rows[:5]:
            smtp.sendmail(settings.mail_sender, [row.to_addr], message_bytes(row, settings))
    assert delivered_count(promised) == 0
    wait_until(lambda: delivered_count(promised) == len(promised), 60,
               "the orphaned mails settled by the live dispatchers")
    copies = copies_in_mailpit(hung_stack.mailpit_url, [row.message_id for row in rows])
    record({"orphaned_mails": len(rows), "orphaned_mails_sent_before_the_death": 5,
            "orphaned_copies_in_mailpit": sum(copies.values())})
    assert set(copies.values()) == {1}, copies
    assert not any(row.claimed_by.startswith("dead-host") for row in outbox_rows(promised))
