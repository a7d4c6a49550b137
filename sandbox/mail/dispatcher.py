"""Deliver the outbox by SMTP, with retries and backoff, each mail once.

Any number of dispatchers (threads, processes, machines sharing a PostgreSQL) may
run: each claims a batch with a conditional UPDATE that only one can win (a lease
that expires if its holder dies), sends it, then marks it delivered.

Three rules keep a mail from crossing SMTP twice (docs/reliability.md):

* **The lease is renewed while its holder works** (a heartbeat thread, every third
  of the lease, conditional on still holding it), and an attempt is made only while
  the lease is held: a slow or hung SMTP server cannot make a claim expire under a
  dispatcher that is still working on it, and a dispatcher that lost its claim
  does not send.
* **The answer to a mail's content is awaited long** (``smtp_data_timeout``, as
  RFC 5321 advises): giving up while a paused server still holds the whole message
  would make the outcome unknown.
* **An orphaned claim is checked before it is sent again.** A claim that expired
  without being released means its holder died (SIGKILL) or lost it, perhaps after
  SMTP accepted the mail but before it was marked; the next holder asks Mailpit's
  API whether that Message-ID is there and, if so, only marks it delivered. A
  transaction cut off after its content was sent (connection lost, no answer)
  leaves the same mark. If Mailpit's API cannot tell, the mail is sent (at least
  once beats never) and keeps the mark until it is delivered.

A server that cannot be reached ends the pass (the rest of the batch counts the
same failed attempt) rather than costing a timeout per mail.

Why this size (over ~400 lines): Claim, lease renewal, send and the crash-recovery check are
one protocol whose invariants (a mail crosses SMTP once) only read whole; splitting it would
scatter them.
"""

from __future__ import annotations

import logging
import os
import smtplib
import threading
import time
from datetime import datetime, timedelta
from typing import cast

import requests
from sqlalchemy import Select, Table, bindparam, case, func, or_, select, update

from sandbox import clock, db, state
from sandbox.background import BackgroundLoop, holder_name
from sandbox.config import Settings
from sandbox.mail.wire import KeptConnection, SMTPClient, connect
from sandbox.models import OutboxMail
from sandbox.vocabulary import MailState

log = logging.getLogger("sandbox.mail")

_loop = BackgroundLoop("outbox", log)


def wake() -> None:
    """Ask this process's dispatcher to look at the outbox now."""
    _loop.wake()


def backoff_seconds(attempts: int, ceiling: float) -> float:
    """Wait before attempt ``attempts + 1``: 0.5 s doubling, capped at ``ceiling``."""
    return min(ceiling, 0.5 * (2 ** max(0, attempts - 1)))


class Lease:
    """The claim one pass holds on its mails, renewed by the process's renewer while it
    works (``RENEWER``: one thread per process, not one per pass)."""

    def __init__(self, settings: Settings, holder: str, ids: list[int], until: datetime) -> None:
        self.seconds = settings.mail_lease_seconds
        self.holder = holder
        self.held = set(ids)
        self.until = until
        self.lost: set[int] = set()
        self._lock = threading.Lock()
        self.renewing = threading.Lock()  # held by the renewer while it renews this lease
        self.next_renewal = time.monotonic() + self.seconds / 3

    def __enter__(self) -> Lease:
        RENEWER.add(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        RENEWER.remove(self)
        with self.renewing:  # a renewal under way ends first: none after the pass
            pass

    def renew(self) -> None:
        """Extend the claim on the mails still held, if they are still ours."""
        with self._lock:
            ids = sorted(self.held)
        if not ids:
            return
        now = clock.real_utcnow_naive()
        until = now + timedelta(seconds=self.seconds)
        with db.transaction() as s:
            kept = set(
                s.scalars(
                    update(OutboxMail)
                    .where(
                        OutboxMail.id.in_(ids),
                        OutboxMail.claimed_by == self.holder,
                        OutboxMail.claimed_until >= now,
                    )
                    .values(claimed_until=until)
                    .returning(OutboxMail.id)
                    .execution_options(synchronize_session=False)
                ).all()
            )
        with self._lock:
            self.lost |= self.held & (set(ids) - kept)
            self.held -= self.lost
            self.until = until

    def holds(self, mail_id: int) -> bool:
        """Whether ``mail_id`` is still ours for at least a third of the lease."""
        for _ in range(2):
            with self._lock:
                if mail_id not in self.held:
                    return False
                margin = (self.until - clock.real_utcnow_naive()).total_seconds()
            if margin >= self.seconds / 3:
                return True
            try:
                self.renew()
            except Exception:  # cannot tell: do not send
                log.warning("outbox lease of %s not renewed", self.holder, exc_info=True)
                return False
        return False

    def release(self, mail_id: int) -> None:
        with self._lock:
            self.held.discard(mail_id)


class Renewer:
    """Renews every lease of this process's passes each third of its length: one thread,
    started once per process (a thread per pass cost ~0.15 CPU-ms, docs/performance.md).

    Between passes it wakes once a third of a lease (not a poll of the database: nothing
    to renew, nothing read), so that a pass starting need not wake it: the leases all last
    as long, a new one's first renewal is never before the thread's next wake."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._leases: list[Lease] = []
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._wake_at: float | None = None  # when the thread looks next (None: asleep)

    def add(self, lease: Lease) -> None:
        with self._cond:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._leases, self._pid, self._wake_at = [], os.getpid(), None
                self._thread = threading.Thread(target=self._run, name="outbox-lease",
                                                 daemon=True)
                self._thread.start()
            self._leases.append(lease)
            if self._wake_at is None or lease.next_renewal < self._wake_at:
                self._cond.notify()

    def remove(self, lease: Lease) -> None:
        with self._cond:
            if lease in self._leases:
                self._leases.remove(lease)

    def _run(self) -> None:
        period: float | None = None  # a third of the last lease seen
        while True:
            with self._cond:
                while True:
                    now = time.monotonic()
                    due = [lease for lease in self._leases if lease.next_renewal <= now]
                    if due:
                        break
                    if self._leases:
                        period = self._leases[0].seconds / 3
                    self._wake_at = min((lease.next_renewal for lease in self._leases),
                                        default=None if period is None else now + period)
                    self._cond.wait(None if self._wake_at is None else self._wake_at - now)
                for lease in due:
                    lease.next_renewal = now + lease.seconds / 3
                    lease.renewing.acquire()  # before leaving the lock: __exit__ waits
            for lease in due:
                try:
                    lease.renew()
                except Exception:  # a database hiccup: the attempts check the lease
                    log.warning("outbox lease of %s not renewed", lease.holder, exc_info=True)
                finally:
                    lease.renewing.release()


RENEWER = Renewer()

_TABLE = cast(Table, OutboxMail.__table__)
# Statements built once, values bound at run time: building one costs more CPU than
# running it (docs/performance.md).
_DUE_BY_SIZE: dict[int, Select] = {}
_CLAIM = (
    update(_TABLE)  # one conditional UPDATE for the batch: a mail another holder took
    .where(  # meanwhile (or that was delivered) is not returned
        _TABLE.c.id.in_(bindparam("due_ids", expanding=True)),
        _TABLE.c.state != MailState.DELIVERED,
        or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until < bindparam("now")),
    )
    .values(claimed_by=bindparam("holder"), claimed_until=bindparam("lease_end"))
    .returning(*_TABLE.c)  # the rows themselves: no second read
)
_MARK_DELIVERED = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("mail_ids", expanding=True)),
           _TABLE.c.claimed_by == bindparam("holder"))
    .values(claimed_until=None, state=MailState.DELIVERED, attempts=_TABLE.c.attempts + 1,
            delivered_at=bindparam("delivered"), last_error=None)
)


# When the next undelivered mail may be claimed: its next attempt, or the end of the claim
# that holds it (its holder may die), whichever is later; real time.
_NEXT_DUE = select(func.min(case(
    (_TABLE.c.claimed_until > _TABLE.c.next_attempt_at, _TABLE.c.claimed_until),
    else_=_TABLE.c.next_attempt_at,
))).where(_TABLE.c.state != MailState.DELIVERED)


def seconds_until_due() -> float | None:
    """Real seconds until an undelivered mail may be claimed (0: now; None: no mail)."""
    with db.read_engine().connect() as conn:  # autocommit: no BEGIN, no ROLLBACK
        return clock.seconds_until(conn.execute(_NEXT_DUE).scalar())


def _due_statement(size: int) -> Select:
    """The candidates of a claim (at most ``size``), built once per batch size."""
    statement = _DUE_BY_SIZE.get(size)
    if statement is None:
        statement = _DUE_BY_SIZE[size] = (
            select(_TABLE.c.id, _TABLE.c.claimed_until)
            .where(
                _TABLE.c.state != MailState.DELIVERED,
                _TABLE.c.next_attempt_at <= bindparam("now"),
                or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until < bindparam("now")),
            )
            .order_by(_TABLE.c.id)
            .limit(size)
        )
    return statement


def claim(settings: Settings, holder: str, epoch: int | None = None,
          ) -> tuple[list[OutboxMail], set[int], datetime]:
    """Claim up to a batch of due mails for ``holder``.

    Return the mails won (detached rows, in id order), those of them whose previous claim
    was orphaned (it expired without being released) and the end of the lease; none when
    a reset came after ``epoch`` (``state.fence``). The candidates are read without a
    transaction; the claim re-checks them under the write lock.
    """
    now = clock.real_utcnow_naive()
    lease_end = now + timedelta(seconds=settings.mail_lease_seconds)
    with db.read_engine().connect() as conn:  # autocommit: no BEGIN, no ROLLBACK
        due = conn.execute(_due_statement(settings.mail_batch_size), {"now": now}).all()
    if not due:
        return [], set(), lease_end
    with db.write_connection() as conn:
        if epoch is not None and not state.fence(conn, epoch):
            return [], set(), lease_end  # nothing written: the block's commit is empty
        rows = conn.execute(_CLAIM, {"due_ids": [mail_id for mail_id, _ in due], "now": now,
                                     "holder": holder, "lease_end": lease_end}).all()
    mails = sorted((OutboxMail(**row._mapping) for row in rows), key=lambda mail: mail.id)
    won = {mail.id for mail in mails}
    orphans = {mail_id for mail_id, claimed_until in due
               if claimed_until is not None and mail_id in won}
    return mails, orphans, lease_end


def _fail(
    mails: list[OutboxMail], orphans: set[int], holder: str, error: Exception, settings: Settings
) -> None:
    """Record a failed attempt for each of ``mails`` and release their claim, each with
    its backoff. An orphan keeps its mark (an expired, not released claim) until its
    fate is known."""
    if not mails:
        return
    now = clock.real_utcnow_naive()
    with db.transaction() as s:
        for mail in mails:
            attempts = mail.attempts + 1
            wait = backoff_seconds(attempts, settings.mail_retry_max_backoff)
            s.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail.id, OutboxMail.claimed_by == holder)
                .values(
                    claimed_until=now if mail.id in orphans else None,
                    state=MailState.RETRYING,
                    attempts=attempts,
                    last_error=str(error)[:500],
                    next_attempt_at=now + timedelta(seconds=wait),
                )
            )
    log.warning(
        "%d mail(s) not delivered (%s), first %s to %s; retry in %.1fs or more",
        len(mails),
        error,
        mails[0].id,
        mails[0].to_addr,
        backoff_seconds(mails[0].attempts + 1, settings.mail_retry_max_backoff),
    )


def _mark_delivered(mail_ids: list[int], holder: str) -> None:
    """Mark a batch delivered in one write transaction (SQLite serialises writers)."""
    if not mail_ids:
        return
    with db.write_connection() as conn:
        conn.execute(_MARK_DELIVERED, {"mail_ids": mail_ids, "holder": holder,
                                       "delivered": clock.real_utcnow_naive()})


def already_delivered(settings: Settings, message_id: str) -> bool | None:
    """Whether the SMTP server (Mailpit) already holds ``message_id``; None if unknown."""
    bare = message_id.strip().strip("<>")
    try:
        params: dict[str, str | int] = {"query": f'message-id:"{bare}"', "limit": 10}
        answer = requests.get(
            f"{settings.mailpit_url.rstrip('/')}/api/v1/search",
            params=params,
            timeout=settings.smtp_timeout,
        )
        if answer.status_code != 200:
            return None
        found = answer.json().get("messages") or []
    except (requests.RequestException, ValueError):
        return None
    return any((m.get("MessageID") or "").strip("<>") == bare for m in found)


def deliver_due(settings: Settings, holder: str | None = None,
                connection: KeptConnection | None = None) -> int:
    """Claim and send what is due once; return how many mails were delivered.

    The mails SMTP accepted are marked delivered together at the end of the pass
    (also when the pass fails half-way); their lease is renewed until then. With a
    ``connection``, the SMTP connection is taken from it and kept in it for the next pass.
    """
    return _pass(settings, holder or holder_name(), connection)[1]


def _pass(settings: Settings, holder: str, connection: KeptConnection | None,
          ) -> tuple[int, int]:
    """One pass: (mails claimed, mails delivered)."""
    epoch = state.reset_epoch()
    mails, orphans, lease_end = claim(settings, holder, epoch)
    if not mails:
        if connection is not None:
            connection.close_idle()
        return 0, 0
    sent: list[int] = []
    smtp: SMTPClient | None = connection.take(settings) if connection is not None else None
    kept = smtp is not None  # until it has sent a mail, it may have gone stale while idle
    with Lease(settings, holder, [m.id for m in mails], lease_end) as lease:
        try:
            for index, mail in enumerate(mails):
                if not lease.holds(mail.id):
                    log.warning("mail %s: lease lost by %s, not sent", mail.id, holder)
                    continue
                if state.reset_epoch() != epoch:  # a mail of before a reset: not sent
                    log.info("outbox: a reset came, %d mail(s) of before it not sent",
                             len(mails) - index)
                    break
                orphan = mail.id in orphans
                if orphan and already_delivered(settings, mail.message_id):
                    log.info("mail %s was delivered before its holder died", mail.id)
                    sent.append(mail.id)
                    continue
                reached = smtp is not None
                try:
                    if smtp is None:
                        smtp = connect(settings)
                        reached = True
                    try:
                        smtp.send_mail(mail, settings)
                    except (OSError, smtplib.SMTPException):
                        if not kept or smtp.uncertain:
                            raise
                        # The kept connection was dropped while idle (server restarted,
                        # idle timeout) before the content left: once more on a new one.
                        smtp.close()
                        smtp, reached = None, False
                        smtp = connect(settings)
                        reached = True
                        smtp.send_mail(mail, settings)
                    finally:
                        kept = False
                except (OSError, smtplib.SMTPException) as error:
                    failed = [mail]
                    if smtp is not None and smtp.uncertain:  # check before a resend
                        orphans.add(mail.id)
                    if not reached:  # no answer to connect: the rest would fail alike
                        failed += [m for m in mails[index + 1 :] if lease.holds(m.id)]
                    _fail(failed, orphans, holder, error, settings)
                    for done in failed:
                        lease.release(done.id)
                    if smtp is not None:
                        try:
                            smtp.close()
                        finally:
                            smtp = None
                    if not reached:
                        break
                    continue
                sent.append(mail.id)
        finally:
            if smtp is not None:
                if connection is not None:
                    connection.keep(smtp, settings)
                else:
                    smtp.finish()
            _mark_delivered(sent, holder)
    return len(mails), len(sent)


_connection = KeptConnection()  # the dispatcher thread's, between its passes


def start(settings: Settings) -> None:
    """Start this process's dispatcher thread (once per process)."""
    holder = holder_name()

    def deliver_all() -> float | None:
        # A pass that claimed less than a batch took everything due; what is committed
        # after its claim wakes the loop again (``wake`` in this process, the heartbeat's
        # nudge for the others'). The answer: when the loop must look again by itself.
        while True:
            claimed = _pass(settings, holder, _connection)[0]
            if claimed >= settings.mail_batch_size:
                continue
            if claimed:  # its marks are a change: the next pass (at the interval) looks
                return 0.0
            return seconds_until_due()  # a retry's backoff, or a claim that may expire

    _loop.start(deliver_all, settings.mail_poll_interval, state.ChangeWatch)


def stop() -> None:
    """Stop this process's dispatcher thread (and close its SMTP connection)."""
    _loop.stop()
    _connection.close()


def pending_count() -> int:
    """Mails not yet delivered."""
    from sqlalchemy import func

    with db.new_session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(OutboxMail)
                .where(OutboxMail.state != MailState.DELIVERED)
            )
            or 0
        )


def run_for(settings: Settings, seconds: float, holder: str | None = None) -> None:
    """Deliver what is due, pass after pass, for ``seconds`` (a dispatcher process)."""
    holder = holder or holder_name()
    connection = KeptConnection()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            while deliver_due(settings, holder, connection):
                pass
            time.sleep(settings.mail_poll_interval)
    finally:
        connection.close()


if __name__ == "__main__":  # python -m sandbox.mail.dispatcher SECONDS: an extra dispatcher
    import sys

    from sandbox.config import load_settings

    _settings = load_settings()
    db.init_engine(_settings.database_url)
    run_for(_settings, float(sys.argv[1]), f"extra:{os.getpid()}")
