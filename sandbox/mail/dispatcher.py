"""Deliver the outbox by SMTP, with retries and backoff, exactly once.

Any number of dispatchers (threads, processes, machines sharing a PostgreSQL) may
run: each claims a mail with a conditional UPDATE that only one can win (a lease
that expires if its holder dies), sends it, then marks it delivered. A crash after
SMTP accepted a mail but before it was marked leaves it to be sent again when the
lease ends; its Message-ID is unchanged and Mailpit runs with
``--ignore-duplicate-ids``, so it is shown once.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import threading
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import or_, select, update

from sandbox import clock, db
from sandbox.config import Settings
from sandbox.models import OutboxMail

log = logging.getLogger("sandbox.mail")

_wake = threading.Event()
_thread: threading.Thread | None = None
_thread_pid: int | None = None
_stop = threading.Event()


def wake() -> None:
    """Ask this process's dispatcher to look at the outbox now."""
    _wake.set()


def build_message(mail: OutboxMail, settings: Settings) -> EmailMessage:
    """Build the MIME message (text and HTML alternatives) of an outbox row."""
    msg = EmailMessage()
    msg["From"] = formataddr((settings.mail_sender_name, settings.mail_sender))
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    msg["Message-ID"] = mail.message_id
    msg["Date"] = format_datetime(clock.aware(mail.created_at))
    msg["X-Sandbox-Kind"] = mail.kind
    msg.set_content(mail.body_text, charset="utf-8")
    msg.add_alternative(mail.body_html, subtype="html", charset="utf-8")
    return msg


def backoff_seconds(attempts: int, ceiling: float) -> float:
    """Wait before attempt ``attempts + 1``: 0.5 s doubling, capped at ``ceiling``."""
    return min(ceiling, 0.5 * (2 ** max(0, attempts - 1)))


def claim(settings: Settings, holder: str) -> list[OutboxMail]:
    """Claim up to a batch of due mails for ``holder``; return the ones won."""
    now = clock.real_utcnow_naive()
    lease_end = now + timedelta(seconds=settings.mail_lease_seconds)
    won: list[OutboxMail] = []
    with db.new_session() as s:
        ids = s.scalars(
            select(OutboxMail.id)
            .where(
                OutboxMail.state != "delivered",
                OutboxMail.next_attempt_at <= now,
                or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
            )
            .order_by(OutboxMail.id)
            .limit(settings.mail_batch_size)
        ).all()
        s.rollback()
        if not ids:
            return won
        db.begin_write(s)
        for mail_id in ids:
            result = s.execute(
                update(OutboxMail)
                .where(
                    OutboxMail.id == mail_id,
                    OutboxMail.state != "delivered",
                    or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
                )
                .values(claimed_by=holder, claimed_until=lease_end)
            )
            if result.rowcount == 1:
                won.append(mail_id)
        s.commit()
        if not won:
            return []
        return list(s.scalars(select(OutboxMail).where(OutboxMail.id.in_(won))).all())


def _mark(mail_id: int, holder: str, **values: object) -> None:
    with db.transaction() as s:
        s.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.claimed_by == holder)
            .values(claimed_until=None, **values)
        )


def _mark_delivered(mail_ids: list[int], holder: str) -> None:
    """Mark a batch delivered in one write transaction (SQLite serialises writers)."""
    if not mail_ids:
        return
    with db.transaction() as s:
        s.execute(
            update(OutboxMail)
            .where(OutboxMail.id.in_(mail_ids), OutboxMail.claimed_by == holder)
            .values(
                claimed_until=None,
                state="delivered",
                attempts=OutboxMail.attempts + 1,
                delivered_at=clock.real_utcnow_naive(),
                last_error=None,
            )
        )


def deliver_due(settings: Settings, holder: str | None = None) -> int:
    """Claim and send what is due once; return how many mails were delivered.

    The mails SMTP accepted are marked delivered together at the end of the pass
    (also when the pass fails half-way); a crash before that leaves them to be
    sent again after the lease, and Mailpit drops the copies by Message-ID.
    """
    holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    mails = claim(settings, holder)
    if not mails:
        return 0
    sent: list[int] = []
    smtp: smtplib.SMTP | None = None
    try:
        for mail in mails:
            try:
                if smtp is None:
                    smtp = smtplib.SMTP(
                        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
                    )
                smtp.send_message(build_message(mail, settings))
            except (OSError, smtplib.SMTPException) as error:
                attempts = mail.attempts + 1
                wait = backoff_seconds(attempts, settings.mail_retry_max_backoff)
                log.warning("mail %s to %s not delivered (%s); retry in %.1fs",
                            mail.id, mail.to_addr, error, wait)
                _mark(
                    mail.id,
                    holder,
                    state="retrying",
                    attempts=attempts,
                    last_error=str(error)[:500],
                    next_attempt_at=clock.real_utcnow_naive() + timedelta(seconds=wait),
                )
                if smtp is not None:
                    try:
                        smtp.close()
                    finally:
                        smtp = None
                continue
            sent.append(mail.id)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        _mark_delivered(sent, holder)
    return len(sent)


def _run(settings: Settings) -> None:
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    while not _stop.is_set():
        _wake.clear()
        try:
            while deliver_due(settings, holder):
                pass
        except Exception:  # the loop must survive a database hiccup
            log.exception("outbox dispatcher pass failed")
        _wake.wait(settings.mail_poll_interval)


def start(settings: Settings) -> None:
    """Start this process's dispatcher thread (once per process)."""
    global _thread, _thread_pid
    if _thread is not None and _thread_pid == os.getpid() and _thread.is_alive():
        return
    _stop.clear()
    _thread = threading.Thread(target=_run, args=(settings,), name="outbox", daemon=True)
    _thread_pid = os.getpid()
    _thread.start()


def stop() -> None:
    """Stop this process's dispatcher thread."""
    _stop.set()
    _wake.set()
    if _thread is not None and _thread_pid == os.getpid():
        _thread.join(timeout=10)


def pending_count() -> int:
    """Mails not yet delivered."""
    from sqlalchemy import func

    with db.new_session() as s:
        return s.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.state != "delivered")
        ) or 0
