"""Put mails in the outbox, in the caller's transaction.

A mail is promised when the transaction that enqueued it commits, and not before:
if the change is rolled back, no mail leaves. After the commit the in-process
dispatcher is woken so that delivery starts at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.mail import dispatcher
from sandbox.mail.render import render
from sandbox.models import OutboxMail

_WAKE_KEY = "sandbox_outbox_wake"


def enqueue(
    s: Session,
    kind: str,
    to: str,
    context: dict[str, Any],
    *,
    link: str | None = None,
) -> OutboxMail:
    """Render mail ``kind`` for ``to`` and add it to the outbox in session ``s``."""
    rendered = render(kind, context)
    now = clock.utcnow_naive()
    mail = OutboxMail(
        kind=kind,
        to_addr=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=f"<{uuid.uuid4().hex}@chorus-pro-sandbox.local>",
        link=link,
        created_at=now,
        state="queued",
        attempts=0,
        next_attempt_at=clock.real_utcnow_naive(),
    )
    # INSERTed now by a statement built once, in the caller's transaction: the same row
    # as the ORM's flush at commit would write, without its bookkeeping (issue 24.4). The
    # mail is then the session's, as after a flush: a caller's later change to it (a test
    # committing mails already claimed by a holder) is written at commit, not lost.
    db.insert_row(s, mail)
    s.info[_WAKE_KEY] = True
    return mail


@event.listens_for(Session, "after_commit")
def _wake_dispatcher(s: Session) -> None:
    if s.info.pop(_WAKE_KEY, False):
        dispatcher.wake()


@event.listens_for(Session, "after_rollback")
def _forget_wake(s: Session) -> None:
    s.info.pop(_WAKE_KEY, None)
