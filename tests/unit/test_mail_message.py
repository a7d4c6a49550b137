"""The MIME message the dispatcher sends reads back, in a mail client's parser, as the
outbox row it was built from (French accents in the subject, the names and the bodies):
the bytes it writes to SMTP (``wire.message_bytes``)."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy

import pytest

from sandbox.config import load_settings
from sandbox.mail.wire import message_bytes
from sandbox.models import OutboxMail

TEXT = "Bonjour Élodie Dupré,\n\nVotre compte a été créé : https://portail.test/activation/a-b_c\n"
HTML = "<p>Bonjour Élodie Dupré,</p>\n<p><a href=\"https://portail.test/x\">Activer</a></p>\n"


@pytest.mark.parametrize(("subject", "sender_name"), [
    ("Chorus Pro : activez votre compte", "Chorus Pro (qualification)"),
    ("Chorus Pro : demande de rattachement à « Société Générale »", "Chorus Pro — qualifié"),
])
def test_the_message_sent_reads_back_as_the_outbox_row(subject, sender_name):
    settings = load_settings({"mail_sender_name": sender_name,
                              "mail_sender": "notification@chorus.test"}, environ={})
    row = OutboxMail(kind="activation", to_addr="elodie.dupre@example.test", subject=subject,
                     body_text=TEXT, body_html=HTML, message_id="<abc123@chorus-pro-sandbox.local>",
                     created_at=datetime(2026, 12, 7, 1, 2, 3))
    raw = message_bytes(row, settings)
    assert raw.isascii()  # 7-bit on the wire: no SMTP server can mangle it
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == sender_name
    assert parsed["From"].addresses[0].addr_spec == "notification@chorus.test"
    assert parsed["To"] == "elodie.dupre@example.test"
    assert parsed["Message-ID"] == "<abc123@chorus-pro-sandbox.local>"
    assert parsed["X-Sandbox-Kind"] == "activation"
    assert parsed["Date"].datetime.year == 2026
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content() == TEXT
    assert parsed.get_body(("html",)).get_content() == HTML
