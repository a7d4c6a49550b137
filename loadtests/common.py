"""Shared parts of the locustfiles: options, the mail waiter, form helpers, the ledger.

Imported by the locustfiles (Locust adds this folder to ``sys.path``); never
imported by the sandbox or by pytest (importing Locust monkey-patches the process).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import socket
import string
import time
import uuid
from collections import OrderedDict
from urllib.parse import urlsplit

import gevent
from gevent.event import Event
from gevent.queue import Empty, Queue
from geventhttpclient import HTTPClient
from geventhttpclient.url import URL
from locust import events

# --------------------------------------------------------------------------- options


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    """Options of these locustfiles (also settable as LOCUST_* variables).

    Custom options are sent by the master to its workers, so a distributed run
    only needs them on the master's command line.
    """
    group = parser  # is_secret/include_in_web_ui only work on the parser itself
    group.add_argument("--mailpit-url", default="http://127.0.0.1:8025",
                       env_var="LOCUST_MAILPIT_URL", help="Mailpit's HTTP API (loopback).")
    group.add_argument("--ledger-dir", default="", env_var="LOCUST_LEDGER_DIR",
                       help="Folder where each Locust process writes what it did (checks).")
    group.add_argument("--mix", default="", env_var="LOCUST_MIX",
                       help="User class weights, e.g. 'signup=2,rattachement=1,api=7'.")
    group.add_argument("--client-id", default="", env_var="LOCUST_CLIENT_ID",
                       help="PISTE OAuth client_id for the API user.")
    group.add_argument("--client-secret", default="", env_var="LOCUST_CLIENT_SECRET",
                       is_secret=True, help="PISTE OAuth client_secret.")
    group.add_argument("--tech-login", default="", env_var="LOCUST_TECH_LOGIN",
                       help="Technical account login (cpro-account header).")
    group.add_argument("--tech-password", default="", env_var="LOCUST_TECH_PASSWORD",
                       is_secret=True, help="Technical account password.")
    group.add_argument("--mail-timeout", type=float, default=30.0,
                       env_var="LOCUST_MAIL_TIMEOUT", help="Seconds a user waits for a mail.")
    group.add_argument("--mail-poll-interval", type=float, default=0.05,
                       env_var="LOCUST_MAIL_POLL_INTERVAL",
                       help="Seconds between two listings of Mailpit's newest messages.")
    group.add_argument("--wait-min", type=float, default=0.0, env_var="LOCUST_WAIT_MIN",
                       help="Least think time between two tasks of a user (seconds).")
    group.add_argument("--wait-max", type=float, default=0.0, env_var="LOCUST_WAIT_MAX",
                       help="Most think time between two tasks of a user (seconds).")
    group.add_argument("--api-skip", default="", env_var="LOCUST_API_SKIP",
                       help="API user tasks left out, comma-separated (e.g. "
                            "'rechercher_par_raison_sociale' for a lookups-only mix).")
    group.add_argument("--api-pool", type=int, default=0, env_var="LOCUST_API_POOL",
                       help="Draw the API user's structures, identifiants, words and uuids from "
                            "the first N found only (0: all): the WireMock peer of `make bench` "
                            "serves the answers recorded for such a pool.")
    group.add_argument("--timeline-dir", default="", env_var="LOCUST_TIMELINE_DIR",
                       help="Folder where each Locust process writes its response times per "
                            "second (the run's plots.html).")
    group.add_argument("--ceiling-path", default="/_sandbox/ping", env_var="LOCUST_CEILING_PATH",
                       help="The trivial GET measured by the ceiling probe (ceiling.py).")


def options(environment):
    """The parsed options (defaults if Locust runs as a library)."""
    return environment.parsed_options


def think_time(user) -> float:
    """``wait_time`` for every user: uniform between --wait-min and --wait-max."""
    opts = options(user.environment)
    low = getattr(opts, "wait_min", 0.0) or 0.0
    high = max(low, getattr(opts, "wait_max", 0.0) or 0.0)
    return random.uniform(low, high) if high > 0 else 0.0


# --------------------------------------------------------------------------- ledger


class Ledger:
    """What this Locust process did, one JSON line per fact, for the post-run checks.

    Each process (master, worker, forked process) writes its own file, named by
    host and pid, so nothing is shared and nothing needs locking.
    """

    def __init__(self) -> None:
        self._file = None
        self._folder = ""

    def write(self, environment, fact: str, **fields) -> None:
        folder = getattr(options(environment), "ledger_dir", "") or ""
        if not folder:
            return
        if self._file is None or folder != self._folder:
            os.makedirs(folder, exist_ok=True)
            name = f"ledger-{socket.gethostname()}-{os.getpid()}.jsonl"
            self._file = open(os.path.join(folder, name), "a", encoding="utf-8")
            self._folder = folder
        fields.update(e=fact, t=time.time())
        self._file.write(json.dumps(fields) + "\n")
        self._file.flush()


LEDGER = Ledger()


@events.request.add_listener
def _count_server_errors(request_type, name, response=None, **_kw) -> None:
    """Record every 5xx the sandbox answered (the checks require none)."""
    status = getattr(response, "status_code", 0) or 0
    if status >= 500 and request_type != "EMAIL":
        environment = _ENVIRONMENT.get("env")
        if environment is not None:
            LEDGER.write(environment, "5xx", name=name, status=status)


_ENVIRONMENT: dict = {}

# --------------------------------------------------------------------------- timeline


class Timeline:
    """Every response time of this process, grouped by second, for the run's plots.

    One JSON line per (second, type, name) once that second is over: ``{"t": second,
    "type", "name", "ms": [response times], "fail": failures}``. Each process writes
    its own file (``timeline-<host>-<pid>.jsonl``), like the ledger; the runner
    computes per-interval percentiles from these after the run. The cost is an append
    per request and one write per second.
    """

    def __init__(self) -> None:
        self._file = None
        self._second: int | None = None
        self._rows: dict[tuple[str, str], list] = {}

    def record(self, environment, request_type: str, name: str, response_time,
               failed: bool) -> None:
        folder = getattr(options(environment), "timeline_dir", "") or ""
        if not folder or response_time is None:
            return
        second = int(time.time())
        if self._second is not None and second != self._second:
            self.flush(folder)
        self._second = second
        row = self._rows.setdefault((request_type, name), [[], 0])
        row[0].append(round(response_time, 1))
        row[1] += int(failed)

    def flush(self, folder: str) -> None:
        if not self._rows or self._second is None:
            return
        if self._file is None:
            os.makedirs(folder, exist_ok=True)
            name = f"timeline-{socket.gethostname()}-{os.getpid()}.jsonl"
            self._file = open(os.path.join(folder, name), "a", encoding="utf-8")
        for (request_type, name), (times, failures) in self._rows.items():
            self._file.write(json.dumps({"t": self._second, "type": request_type, "name": name,
                                         "ms": times, "fail": failures}) + "\n")
        self._file.flush()
        self._rows = {}


TIMELINE = Timeline()


@events.request.add_listener
def _record_timeline(request_type, name, response_time=None, exception=None, **_kw) -> None:
    environment = _ENVIRONMENT.get("env")
    if environment is not None:
        TIMELINE.record(environment, request_type, name, response_time, exception is not None)


@events.test_stop.add_listener
@events.quitting.add_listener
def _flush_timeline(environment, **_kw) -> None:
    TIMELINE.flush(getattr(options(environment), "timeline_dir", "") or "")



@events.init.add_listener
def _remember_environment(environment, **_kw) -> None:
    _ENVIRONMENT["env"] = environment


# --------------------------------------------------------------------------- mail


class MailWaiter:
    """One greenlet per Locust process that lists Mailpit's newest messages.

    Users register the exact address they expect mail at *before* they act, then
    block on their own queue. The greenlet lists ``GET /api/v1/messages`` (newest
    first, paging further back only while everything on a page is new) and hands
    each new message to the queue of its exact recipient. Mailpit's search, a
    ``LIKE '%term%'`` full scan, is never called in the hot path.
    """

    def __init__(self, base_url: str, interval: float = 0.05, page: int = 100) -> None:
        self.base_url = base_url.rstrip("/")
        self.interval = interval
        self.page = page
        url = URL(self.base_url + "/")
        self.client = HTTPClient.from_url(url, concurrency=20, connection_timeout=5,
                                          network_timeout=30)
        self.waiting: dict[str, Queue] = {}
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.seen_limit = 500_000
        self.ready = Event()
        self.greenlet = gevent.spawn(self._run)

    # The users' side.
    def expect(self, address: str) -> Queue:
        """Start collecting the mail sent to ``address`` (call before acting)."""
        self.ready.wait(10)
        queue: Queue = Queue()
        self.waiting[address.lower()] = queue
        return queue

    def forget(self, address: str) -> None:
        self.waiting.pop(address.lower(), None)

    def next_message(self, queue: Queue, timeout: float) -> tuple[dict, float] | None:
        """The next message for that queue and the time the poller saw it, or None."""
        try:
            return queue.get(timeout=timeout)
        except Empty:
            return None

    def message_text(self, message_id: str) -> str:
        """The plain-text body of one message (GET /api/v1/message/{ID})."""
        response = self.client.get(f"{urlsplit(self.base_url).path}/api/v1/message/{message_id}")
        body = response.read()
        if response.status_code != 200:
            raise RuntimeError(f"Mailpit answered {response.status_code} for message {message_id}")
        return json.loads(body).get("Text", "")

    # The poller's side.
    def _list(self, start: int, limit: int) -> list[dict]:
        path = f"{urlsplit(self.base_url).path}/api/v1/messages?start={start}&limit={limit}"
        response = self.client.get(path)
        body = response.read()
        if response.status_code != 200:
            raise RuntimeError(f"Mailpit answered {response.status_code} to {path}")
        return json.loads(body).get("messages") or []

    def _mark_seen(self, message_id: str) -> None:
        self.seen[message_id] = None
        if len(self.seen) > self.seen_limit:
            self.seen.popitem(last=False)

    def _run(self) -> None:
        while True:
            try:
                # What is already there when we start is nobody's.
                for message in self._list(0, 1000):
                    self._mark_seen(message["ID"])
                break
            except Exception:  # Mailpit not up yet: retry
                gevent.sleep(0.5)
        self.ready.set()
        while True:
            try:
                self.poll()
            except Exception:  # a failed listing is retried at the next tick
                pass
            gevent.sleep(self.interval)

    def poll(self) -> int:
        """List new messages and hand them out; return how many were new."""
        now = time.time()
        start, fresh_total, limit = 0, 0, self.page
        while True:
            messages = self._list(start, limit)
            fresh = [m for m in messages if m["ID"] not in self.seen]
            for message in reversed(fresh):  # oldest first
                self._mark_seen(message["ID"])
                for recipient in message.get("To") or []:
                    queue = self.waiting.get((recipient.get("Address") or "").lower())
                    if queue is not None:
                        queue.put((message, now))
            fresh_total += len(fresh)
            if len(fresh) < len(messages) or len(messages) < limit or start > 200_000:
                return fresh_total
            start += limit
            limit = min(limit * 2, 1000)


_WAITER: dict[str, MailWaiter] = {}


def mail_waiter(environment) -> MailWaiter:
    """This process's mail waiter (created on first use, after options reach workers)."""
    opts = options(environment)
    url = getattr(opts, "mailpit_url", "") or "http://127.0.0.1:8025"
    waiter = _WAITER.get(url)
    if waiter is None:
        waiter = MailWaiter(url, interval=getattr(opts, "mail_poll_interval", 0.05) or 0.05)
        _WAITER[url] = waiter
    return waiter


ACTIVATION_LINK = re.compile(r"https?://[^\s<>\"']+/activation/[A-Za-z0-9_\-\.~%]+")


def fire_email_metric(environment, name: str, started: float, seen: float | None,
                      error: Exception | None = None) -> None:
    """Report "submitted → mail readable" as a request of type EMAIL."""
    elapsed = ((seen or time.time()) - started) * 1000
    environment.events.request.fire(
        request_type="EMAIL", name=name, response_time=elapsed, response_length=0,
        exception=error, context={},
    )


# --------------------------------------------------------------------------- forms

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""([\w\-:]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""")


def form_value(page: str, field: str) -> str | None:
    """The ``value`` of the ``<input name=field>`` in an HTML page, or None."""
    for tag in _INPUT.findall(page or ""):
        attrs = {m.group(1).lower(): html.unescape(m.group(3) or m.group(4) or m.group(5) or "")
                 for m in _ATTR.finditer(tag)}
        if attrs.get("name") == field:
            return attrs.get("value", "")
    return None


_ALERT = re.compile(r'<(p|div)\b[^>]*role="alert"[^>]*>(.*?)</\1>', re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def page_errors(page: str, limit: int = 300) -> str:
    """The messages a portal page shows as alerts (field errors), for failure reports."""
    found = [re.sub(r"\s+", " ", html.unescape(_TAG.sub("", m.group(2)))).strip()
             for m in _ALERT.finditer(page or "")]
    if not found:
        return re.sub(r"\s+", " ", _TAG.sub(" ", page or ""))[:limit]
    return " | ".join(found)[:limit]


def path_of(url: str) -> str:
    """The path and query of an absolute URL (links in mails carry the public base URL)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def unique_email(prefix: str) -> str:
    """A recipient address nobody else uses (exact matching in the mail waiter)."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}@load.example.com"


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit (SIRET and SIREN are Luhn-valid)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled positions, counted from the check digit's left
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return digits + str((10 - total % 10) % 10)


def random_siret() -> str:
    """A random Luhn-valid SIRET (not 356000000, La Poste's special rule)."""
    while True:
        siren = luhn_complete("".join(random.choices(string.digits, k=8)))
        if siren[0] != "0" and siren != "356000000":
            return luhn_complete(siren + "".join(random.choices(string.digits, k=4)))


def strong_password() -> str:
    """A password any reasonable policy accepts (length, cases, digit, symbol)."""
    return f"Charge-{uuid.uuid4().hex[:10]}-Zq9!"


def signup_fields(email: str, siret: str, raison_sociale: str | None = None) -> dict:
    """The signup form's fields for a private SIRET structure (contract in architecture.md)."""
    suffix = "".join(random.choices(string.ascii_lowercase, k=6))  # names: letters only
    return {
        "login_email": email,
        "prenom": "Camille",
        "nom": f"Charge-{suffix.capitalize()}",
        "telephone": "0102030405",
        "email_contact": email,
        "type_identifiant": "SIRET",
        "identifiant": siret,
        "type_structure": "PRIVEE",
        "structure_nom": "",
        "structure_prenom": "",
        "raison_sociale": raison_sociale or f"Charge {suffix.upper()} SAS",
        "adresse": "1 rue de la Paix",
        "complement_adresse_1": "",
        "complement_adresse_2": "",
        "code_postal": "75002",
        "ville": "Paris",
        "pays": "FR",
        "accepte_conditions": "y",
    }
