"""``outbox.enqueue`` INSERTs its row at once (issue 24.4) and leaves the mail the session's:
what the caller changes on it afterwards is written at commit, as after an ORM flush."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sandbox import clock, db
from sandbox.mail.outbox import enqueue
from sandbox.models import OutboxMail


def test_a_change_to_the_enqueued_mail_is_committed(session):
    until = clock.real_utcnow_naive() + timedelta(seconds=30)
    with db.transaction() as s:
        mail = enqueue(s, "activation", "zoe@example.com", {
            "prenom": "Zoé", "nom": "Faure", "login": "zoe@example.com",
            "link": "http://127.0.0.1/activation/x", "validity": "24 heures"},
            link="http://127.0.0.1/activation/x")
        assert mail.id is not None  # inserted already
        mail.claimed_by, mail.claimed_until = "holder:1:0", until  # as tests/mail_support.burst
    with db.new_session() as s:
        row = s.scalars(select(OutboxMail).where(OutboxMail.id == mail.id)).one()
        assert (row.to_addr, row.state, row.claimed_by) == ("zoe@example.com", "queued",
                                                           "holder:1:0")
        assert row.claimed_until == until


def test_a_rolled_back_enqueue_leaves_no_mail(session):
    try:
        with db.transaction() as s:
            enqueue(s, "activation", "lea@example.com", {
                "prenom": "Léa", "nom": "Roux", "login": "lea@example.com",
                "link": "http://127.0.0.1/activation/y", "validity": "24 heures"})
            raise RuntimeError("the caller's transaction fails")
    except RuntimeError:
        pass
    with db.new_session() as s:
        assert s.scalars(select(OutboxMail)).all() == []
