"""What crosses SMTP: an outbox mail's bytes, and the dispatcher's SMTP connection.

* ``message_bytes``: the MIME message (text and HTML alternatives, UTF-8, base64 parts,
  RFC 2047 headers when not ASCII, CRLF line ends, 7-bit), composed directly. The
  stdlib's generator folds every header through ``email.header.Header``: ~0.4 CPU-ms
  per mail, most of what sending one cost (docs/performance.md); the bytes read back in
  a mail client's parser as the outbox row (tests/unit/test_mail_message.py).
* ``SMTPClient``: smtplib's client, waiting ``data_timeout`` for the answer to the
  content, and telling when a transaction broke off after its content was (perhaps) sent.
* ``KeptConnection``: the connection a dispatcher keeps from one pass to the next (a
  pass per mail under a signup load: connecting, EHLO and QUIT each time cost more than
  the mail), closed once idle for ``KEEP_SECONDS``.
"""

from __future__ import annotations

import base64
import os
import smtplib
import threading
import time
import uuid
from email.header import Header
from email.utils import format_datetime, formataddr
from functools import lru_cache

from sandbox import clock
from sandbox.config import Settings
from sandbox.models import OutboxMail

CRLF = "\r\n"
KEEP_SECONDS = 5.0  # a connection idle longer is closed, not reused (the server may drop it)


@lru_cache(maxsize=1024)
def encoded_header(value: str) -> str:
    """A header value as it is written: as is when short plain ASCII, else RFC 2047
    encoded words (UTF-8) folded as the stdlib folds them. Subjects repeat: cached."""
    if value.isascii() and len(value) <= 900 and "\r" not in value and "\n" not in value:
        return value
    return Header(value, "utf-8").encode(linesep=CRLF)


def _part(subtype: str, body: str, boundary: str) -> str:
    encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii").replace("\n", CRLF)
    return (f"--{boundary}{CRLF}Content-Type: text/{subtype}; charset=\"utf-8\"{CRLF}"
            f"MIME-Version: 1.0{CRLF}Content-Transfer-Encoding: base64{CRLF}{CRLF}{encoded}")


def message_bytes(mail: OutboxMail, settings: Settings) -> bytes:
    """The message of an outbox row as it crosses SMTP."""
    boundary = f"==============={uuid.uuid4().hex}=="
    headers = (
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ("MIME-Version", "1.0"),
        ("From", formataddr((settings.mail_sender_name, settings.mail_sender))),
        ("To", mail.to_addr),
        ("Subject", mail.subject),
        ("Message-ID", mail.message_id),
        ("Date", format_datetime(clock.aware(mail.created_at))),
        ("X-Sandbox-Kind", mail.kind),
    )
    head = "".join(f"{name}: {encoded_header(value)}{CRLF}" for name, value in headers)
    return (f"{head}{CRLF}{_part('plain', mail.body_text, boundary)}"
            f"{_part('html', mail.body_html, boundary)}--{boundary}--{CRLF}").encode("ascii")


class SMTPClient(smtplib.SMTP):
    """smtplib's client, waiting ``data_timeout`` for the answer to DATA and the content.

    ``uncertain`` tells that the last transaction broke off without an answer after
    its content was (perhaps) sent: the server may have stored the mail.
    """

    def __init__(self, host: str, port: int, timeout: float, data_timeout: float) -> None:
        self.data_timeout = max(timeout, data_timeout)
        self.uncertain = False
        super().__init__(host, port, timeout=timeout)

    def data(self, msg):
        if self.sock is not None:
            self.sock.settimeout(self.data_timeout)
        try:
            return super().data(msg)
        except smtplib.SMTPResponseException:
            raise  # the server answered with a code: it did not take the mail
        except (OSError, smtplib.SMTPException):
            self.uncertain = True
            raise
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)

    def send_mail(self, mail: OutboxMail, settings: Settings) -> None:
        """Send an outbox row (SMTPUTF8 when an address is not ASCII, as send_message)."""
        options = [] if (settings.mail_sender + mail.to_addr).isascii() else [
            "SMTPUTF8", "BODY=8BITMIME"]
        self.sendmail(settings.mail_sender, [mail.to_addr], message_bytes(mail, settings),
                      mail_options=options)

    def finish(self) -> None:
        """QUIT, or just close if the server is away."""
        try:
            self.quit()
        except (OSError, smtplib.SMTPException):
            self.close()


def connect(settings: Settings) -> SMTPClient:
    """A new connection to the SMTP server of ``settings``."""
    return SMTPClient(settings.smtp_host, settings.smtp_port, settings.smtp_timeout,
                      settings.smtp_data_timeout)


class KeptConnection:
    """The SMTP connection one dispatcher keeps between its passes (one user at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._smtp: SMTPClient | None = None
        self._key: tuple = ()
        self._used = 0.0

    def take(self, settings: Settings) -> SMTPClient | None:
        """The kept connection, if it is to the same server and fresh; else None."""
        with self._lock:
            smtp, key, used = self._smtp, self._key, self._used
            self._smtp = None
        if smtp is None:
            return None
        if key[2] != os.getpid():  # inherited across a fork: the parent's socket
            return None
        if key[:2] != (settings.smtp_host, settings.smtp_port) or (
                time.monotonic() - used > KEEP_SECONDS):
            smtp.finish()
            return None
        return smtp

    def keep(self, smtp: SMTPClient, settings: Settings) -> None:
        """Keep ``smtp`` (healthy, after a pass) for the next pass."""
        with self._lock:
            previous, self._smtp = self._smtp, smtp
            self._key = (settings.smtp_host, settings.smtp_port, os.getpid())
            self._used = time.monotonic()
        if previous is not None:
            previous.finish()

    def close_idle(self) -> None:
        """Close the kept connection if idle for longer than ``KEEP_SECONDS``."""
        with self._lock:
            smtp = self._smtp
            if smtp is None or time.monotonic() - self._used <= KEEP_SECONDS:
                return
            self._smtp = None
        if self._key[2] == os.getpid():
            smtp.finish()

    def close(self) -> None:
        with self._lock:
            smtp, self._smtp = self._smtp, None
        if smtp is not None and self._key[2] == os.getpid():
            smtp.finish()
