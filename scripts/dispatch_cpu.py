"""The mail dispatcher's CPU per mail when each mail is its own pass, in process.

Under the flow load the dispatcher is woken by each signup's commit and sends what that
commit queued: one pass per mail or two, not the batches of ``scripts/flow_cpu.py``. Here
the app's database (SQLite file), a real Mailpit on loopback, and ``deliver_due`` called
after each mail is put in the outbox (kept SMTP connection, as the dispatcher thread);
the figure is this process's CPU time (``time.process_time``: every thread, the lease
renewal's too) per mail, then the same with empty passes (what a pass that finds nothing
costs). Best of the rounds. Compare two checkouts by running it in each
(``PYTHONPATH=<checkout>``), alternately.

Usage: ``python scripts/dispatch_cpu.py [MAILS] [ROUNDS]`` (defaults 300, 3).
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

from sandbox import clock, create_app, db
from sandbox.background import holder_name
from sandbox.mail import dispatcher
from sandbox.mail.binary import find_mailpit
from sandbox.mail.wire import KeptConnection
from sandbox.models import OutboxMail
from sandbox.stack import Mailpit, free_port


def queue_one() -> None:
    with db.transaction() as s:
        s.add(OutboxMail(
            kind="activation", to_addr=f"d-{uuid.uuid4().hex[:10]}@example.test",
            subject="Activation de votre compte",
            body_text="Bonjour,\n\nhttps://x/activation/t\n", body_html="<p>Bonjour,</p>",
            message_id=f"<{uuid.uuid4().hex}@chorus-pro-sandbox.local>",
            link=None, created_at=clock.utcnow_naive(), state="queued", attempts=0,
            next_attempt_at=clock.real_utcnow_naive()))


def main(mails: int = 300, rounds: int = 3) -> None:
    work = Path(tempfile.mkdtemp(prefix="dispatch-cpu-"))
    mailpit = Mailpit(binary=find_mailpit(), smtp_port=free_port(), http_port=free_port(),
                      database=str(work / "mailpit.db")).start()
    try:
        app = create_app({
            "database_url": f"sqlite:///{work / 'sandbox.db'}", "journal_size": 0,
            "mail_dispatcher": False, "factures_worker": False, "smtp_host": "127.0.0.1",
            "smtp_port": mailpit.smtp_port, "mailpit_url": mailpit.url,
        })
        settings = app.config["SANDBOX"]
        holder, connection = holder_name(), KeptConnection()
        for _ in range(20):  # warm up: statements cached, the connection open
            queue_one()
            dispatcher.deliver_due(settings, holder, connection)
        best_send = best_empty = None
        for number in range(rounds):
            send = 0.0
            for _ in range(mails):
                queue_one()
                started = time.process_time()
                assert dispatcher.deliver_due(settings, holder, connection) == 1
                send += time.process_time() - started
            started = time.process_time()
            for _ in range(mails):
                dispatcher.deliver_due(settings, holder, connection)
            empty = time.process_time() - started
            print(f"round {number + 1}: {1000 * send / mails:.3f} CPU-ms per mail (one pass "
                  f"each), {1000 * empty / mails:.3f} per empty pass")
            best_send = min(send, best_send or send)
            best_empty = min(empty, best_empty or empty)
        assert best_send is not None and best_empty is not None
        print(f"{sys.modules['sandbox'].__file__}: best {1000 * best_send / mails:.3f} CPU-ms "
              f"per mail, {1000 * best_empty / mails:.3f} per empty pass")
        connection.close()
    finally:
        mailpit.stop()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
