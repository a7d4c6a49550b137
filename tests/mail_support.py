"""Outbox helpers for the mail fault tests: promise mails, read their rows, add dispatchers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from sandbox import clock, db
from sandbox.loadtesting.checks import mailpit_messages
from sandbox.mail.outbox import enqueue
from sandbox.models import OutboxMail

ROOT = Path(__file__).resolve().parent.parent


def burst(tag: str, count: int, per_transaction: int = 10,
          claimed_by: str | None = None, lease_seconds: float = 0.0) -> dict[int, str]:
    """Promise ``count`` mails (committed, i.e. acknowledged); return {id: recipient}.

    With ``claimed_by`` the mails are committed already claimed by that holder for
    ``lease_seconds``, as by a dispatcher that will die holding them.
    """
    promised: dict[int, str] = {}
    for start in range(0, count, per_transaction):
        with db.transaction() as s:
            mails = []
            for i in range(start, min(count, start + per_transaction)):
                to = f"{tag}-{i}@example.com"
                link = f"http://127.0.0.1/activation/{tag}-{i}"
                mails.append(enqueue(s, "activation", to, {
                    "prenom": "Zoé", "nom": "Faure", "login": to, "link": link,
                    "validity": "24 heures"}, link=link))
            if claimed_by:
                until = clock.real_utcnow_naive() + timedelta(seconds=lease_seconds)
                for mail in mails:
                    mail.claimed_by, mail.claimed_until = claimed_by, until
            s.flush()
            promised.update({mail.id: mail.to_addr for mail in mails})
    return promised


def outbox_rows(ids: Iterable[int]) -> list[OutboxMail]:
    with db.new_session() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.id.in_(list(ids)))).all())


def delivered_count(ids: Iterable[int]) -> int:
    with db.new_session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.id.in_(list(ids)), OutboxMail.state == "delivered")) or 0


def copies_in_mailpit(mailpit_url: str, message_ids: Iterable[str]) -> Counter:
    """How many messages Mailpit stores for each of ``message_ids`` (exact match)."""
    wanted = {mid.strip("<>") for mid in message_ids}
    counts: Counter = Counter({mid: 0 for mid in wanted})
    for message in mailpit_messages(mailpit_url):
        mid = (message.get("MessageID") or "").strip("<>")
        if mid in wanted:
            counts[mid] += 1
    return counts


@contextmanager
def extra_dispatchers(env: dict[str, str], count: int, seconds: float) -> Iterator[list]:
    """``count`` more dispatcher processes on the stack of ``env`` (stopped on exit)."""
    processes = [
        subprocess.Popen([sys.executable, "-m", "sandbox.mail.dispatcher", str(seconds)],
                         env={**os.environ, **env}, cwd=ROOT)
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
