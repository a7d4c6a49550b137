"""Foundation: settings, health, the outbox delivered by SMTP to a real Mailpit."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from sqlalchemy import select

from sandbox import db
from sandbox.config import load_settings, settings_table
from sandbox.mail import dispatcher
from sandbox.mail.outbox import enqueue
from sandbox.models import OutboxMail
from sandbox.stack import wait_until
from sandbox.testing.harness import start_stack


def _address() -> str:
    return f"found-{uuid.uuid4().hex[:12]}@example.com"


def _enqueue_activation(to: str, link: str = "http://127.0.0.1/activation/abc") -> int:
    with db.transaction() as s:
        mail = enqueue(
            s,
            "activation",
            to,
            {"prenom": "Zoé", "nom": "Lefèvre", "login": to, "link": link,
             "validity": "24 heures"},
            link=link,
        )
        s.flush()
        return mail.id


def _mail_state(mail_id: int) -> OutboxMail:
    with db.new_session() as s:
        return s.get(OutboxMail, mail_id)


def test_settings_env_overrides_and_table():
    settings = load_settings(environ={"SANDBOX_SMTP_PORT": "2525", "SANDBOX_TWO_FACTOR": "on"})
    assert settings.smtp_port == 2525
    assert settings.two_factor is True
    assert load_settings(environ={}).smtp_port == 1025
    with pytest.raises(ValueError, match="SANDBOX_SMTP_PORT"):
        load_settings(environ={"SANDBOX_SMTP_PORT": "many"})
    with pytest.raises(ValueError, match="unknown settings"):
        load_settings({"no_such_setting": 1}, environ={})
    table = settings_table()
    assert "`SANDBOX_DATABASE_URL`" in table and "`SANDBOX_ACTIVATION_LINK_HOURS`" in table


def test_health_reports_storage_and_smtp(base_url):
    answer = requests.get(f"{base_url}/health", timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["storage"]["status"] == "ok"
    assert body["storage"]["dialect"] in {"sqlite", "postgresql"}
    assert body["smtp"]["status"] == "ok"
    assert body["smtp"]["banner"].startswith("220")


def test_outbox_mail_reaches_mailpit_in_french_with_both_parts(stack_db, mailpit):
    to = _address()
    mail_id = _enqueue_activation(to, link="http://127.0.0.1/activation/tok?x=1&y=2")
    message = mailpit.wait_for_message(recipient=to)
    assert message.subject == "Chorus Pro - Activation de votre compte utilisateur"
    assert "Bonjour Zoé Lefèvre" in message.text
    assert "http://127.0.0.1/activation/tok?x=1&y=2" in message.text
    assert '<a href="http://127.0.0.1/activation/tok?x=1&amp;y=2">' in message.html
    assert message.sender.address == "choruspro.notification.aife@finances.gouv.fr"
    wait_until(lambda: _mail_state(mail_id).state == "delivered", 30, "outbox row delivered")
    assert _mail_state(mail_id).attempts == 1


def test_rolled_back_change_promises_no_mail(stack_db):
    to = _address()
    with db.new_session() as s:
        db.begin_write(s)
        enqueue(s, "activation", to, {"prenom": "A", "nom": "B", "login": to,
                                      "link": "http://x", "validity": "1 heure"})
        s.flush()
        s.rollback()
    with db.new_session() as s:
        assert s.scalars(select(OutboxMail).where(OutboxMail.to_addr == to)).all() == []


def test_mail_waits_while_mailpit_is_down_then_arrives_once(tmp_path, chorus_sandbox):
    from pytest_mailpit.client import MailpitClient

    stack = start_stack(tmp_path, settings={"mail_retry_max_backoff": "1", "seed_structures": "5"})
    try:
        db.init_engine(stack.database_url)
        client = MailpitClient(stack.mailpit_url + "/", wait_timeout=30)
        stack.mailpit.stop()
        to = _address()
        mail_id = _enqueue_activation(to)
        wait_until(lambda: _mail_state(mail_id).attempts >= 2, 30, "failed delivery attempts")
        row = _mail_state(mail_id)
        assert row.state == "retrying"
        assert row.delivered_at is None and row.last_error
        health = requests.get(f"{stack.url}/health", timeout=10).json()
        assert health["smtp"]["status"] == "unreachable"
        assert health["outbox"]["retrying"] >= 1
        stack.mailpit.start()
        message = client.wait_for_message(recipient=to)
        assert message.subject.startswith("Chorus Pro")
        wait_until(lambda: _mail_state(mail_id).state == "delivered", 30, "delivered")
        assert len(client.search_all(f"to:{to}")) == 1
    finally:
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)


def test_competing_dispatchers_deliver_each_mail_exactly_once(stack_db, mailpit, chorus_sandbox):
    # Many dispatchers (threads here, beside the server's own) race for the same rows.
    recipients = [_address() for _ in range(40)]
    ids = [_enqueue_activation(to) for to in recipients]
    settings = load_settings({"smtp_port": chorus_sandbox.smtp_port}, environ={})

    def run_dispatcher() -> None:
        for _ in range(5):
            dispatcher.deliver_due(settings)

    threads = [threading.Thread(target=run_dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(
        lambda: all(_mail_state(i).state == "delivered" for i in ids), 60, "all delivered"
    )
    for mail_id in ids:
        assert _mail_state(mail_id).attempts == 1, "a mail was sent more than once"
    for to in recipients:
        assert len(mailpit.search_all(f"to:{to}")) == 1
