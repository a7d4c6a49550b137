"""CPU and SQL statements per signup → activation → login flow, in process.

The least noisy figure on a shared box (docs/performance.md, #13.4): the app in this
process (Flask test client, load profile: ``scrypt:1024:8:1``, no captcha), a real
Mailpit on loopback for the dispatcher. Each step's thread CPU time and SQL statement
count, then the dispatcher's CPU to deliver the flows' mails; best of the rounds.
Compare two checkouts by running it in each (``PYTHONPATH=<checkout>``), alternately.

Usage: ``python scripts/flow_cpu.py [FLOWS] [ROUNDS]`` (defaults 100, 3). It stops by
itself and stops its Mailpit.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import event, select

from sandbox import create_app, db
from sandbox.mail import dispatcher
from sandbox.mail.binary import find_mailpit
from sandbox.models import OutboxMail
from sandbox.seeding.identifiers import siren_from_body, siret_from
from sandbox.stack import Mailpit, free_port

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "Charge-0123456789-Zq9!"


def new_siret() -> str:
    siren = siren_from_body(str(uuid.uuid4().int % 10**8).zfill(8).replace("0", "1", 1))
    return siret_from(siren, str(uuid.uuid4().int % 10**4).zfill(4))


def signup_fields(email: str) -> dict:
    return {"login_email": email, "prenom": "Camille", "nom": "Charge", "telephone": "",
            "email_contact": email, "type_identifiant": "SIRET", "identifiant": new_siret(),
            "type_structure": "PRIVEE", "structure_nom": "", "structure_prenom": "",
            "raison_sociale": "Charge SAS", "adresse": "1 rue de la Paix",
            "complement_adresse_1": "", "complement_adresse_2": "", "code_postal": "75002",
            "ville": "Paris", "pays": "FR", "accepte_conditions": "y"}


def csrf(response) -> str:
    match = CSRF.search(response.get_data(as_text=True))
    if match is None:
        raise RuntimeError("no csrf_token on the page")
    return unescape(match.group(1))


class Meter:
    """Thread CPU time and SQL statements per named step."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()
        self.sql: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.current = "-"

    def count(self, *_args) -> None:
        self.sql[self.current] += 1

    def step(self, name: str, call):
        self.current = name
        started = time.thread_time()
        try:
            return call()
        finally:
            self.cpu[name] += time.thread_time() - started
            self.calls[name] += 1
            self.current = "-"

    def clear(self) -> None:
        self.cpu.clear()
        self.sql.clear()
        self.calls.clear()


def flow(app, meter: Meter) -> None:
    visitor = app.test_client()
    email = f"flow-{uuid.uuid4().hex[:12]}@example.test"
    page = meter.step("GET /creer-un-compte", lambda: visitor.get("/creer-un-compte"))
    fields = dict(signup_fields(email), csrf_token=csrf(page))
    answer = meter.step("POST /creer-un-compte",
                        lambda: visitor.post("/creer-un-compte", data=fields))
    if answer.status_code != 303:
        raise RuntimeError(f"signup answered {answer.status_code}")
    meter.step("GET confirmation", lambda: visitor.get(urlsplit(answer.location).path))
    with db.new_session() as s:  # the link as the activation mail carries it
        link = s.scalar(select(OutboxMail.link).where(OutboxMail.to_addr == email,
                                                      OutboxMail.link.is_not(None)))
    path = urlsplit(link or "").path
    page = meter.step("GET /activation", lambda: visitor.get(path))
    form = {"csrf_token": csrf(page), "password": PASSWORD, "password_confirm": PASSWORD}
    if meter.step("POST /activation", lambda: visitor.post(path, data=form)).status_code != 303:
        raise RuntimeError("activation refused")
    visitor = app.test_client()
    page = meter.step("GET /connexion", lambda: visitor.get("/connexion"))
    form = {"csrf_token": csrf(page), "login": email, "password": PASSWORD}
    if meter.step("POST /connexion", lambda: visitor.post("/connexion", data=form)
                  ).status_code != 303:
        raise RuntimeError("login refused")
    meter.step("GET /mon-compte", lambda: visitor.get("/mon-compte"))


def deliver_all(settings) -> int:
    sent = 0
    while delivered := dispatcher.deliver_due(settings):
        sent += delivered
    return sent


def main(flows: int = 100, rounds: int = 3) -> None:
    work = Path(tempfile.mkdtemp(prefix="flow-cpu-"))
    mailpit = Mailpit(binary=find_mailpit(), smtp_port=free_port(), http_port=free_port(),
                      database=str(work / "mailpit.db")).start()
    try:
        app = create_app({
            "database_url": f"sqlite:///{work / 'sandbox.db'}", "journal_size": 0,
            "password_hash_method": "scrypt:1024:8:1", "captcha_mode": "off",
            "mail_dispatcher": False, "factures_worker": False, "smtp_host": "127.0.0.1",
            "smtp_port": mailpit.smtp_port, "mailpit_url": mailpit.url,
        })
        settings = app.config["SANDBOX"]
        meter = Meter()
        event.listen(db.engine(), "before_cursor_execute", meter.count)
        read = db.read_session()
        event.listen(read.get_bind(), "before_cursor_execute", meter.count)
        read.close()
        for _ in range(10):  # warm up: templates compiled, statements cached
            flow(app, meter)
        deliver_all(settings)
        best = None
        for number in range(rounds):
            meter.clear()
            started = time.thread_time()
            for _ in range(flows):
                flow(app, meter)
            web = time.thread_time() - started
            meter.current = "dispatcher"
            started = time.thread_time()
            sent = deliver_all(settings)
            mails = time.thread_time() - started
            meter.current = "-"
            print(f"round {number + 1}: requests {1000 * web / flows:.2f} CPU-ms/flow, "
                  f"dispatcher {1000 * mails / flows:.2f} CPU-ms/flow ({sent} mails)")
            total = (web + mails) / flows
            if best is None or total < best[0]:
                best = (total, dict(meter.cpu), dict(meter.sql), dict(meter.calls))
        assert best is not None
        total, cpu, sql, calls = best
        print(f"best round: {1000 * total:.2f} CPU-ms per flow")
        for name, seconds in cpu.items():
            print(f"  {name:24s} {1000 * seconds / calls[name]:6.2f} CPU-ms "
                  f"{sql.get(name, 0) / calls[name]:5.1f} SQL")
        print(f"  {'dispatcher':24s} {sql.get('dispatcher', 0) / flows:13.2f} SQL per flow")
    finally:
        mailpit.stop()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
