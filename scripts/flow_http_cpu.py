"""Server CPU per request of one signup → activation → login flow, over HTTP.

The companion of ``scripts/flow_cpu.py`` (in process): here the real server (granian or
gunicorn, 2 workers × 4 threads, the load profile) and a real Mailpit, driven by one
client that does the flow as the load users do (``loadtests/portal_users.py``: the
forms with their CSRF token, the activation link read from the mail in Mailpit), one
request at a time. Before and after each request it reads the CPU time of the server's
whole process tree from ``/proc`` (``utime + stime``, the figure `make bench` divides by
flows), so each step's CPU is what the server spent answering it, plus the mail's
delivery (dispatcher) between the signup's answer and the mail readable in Mailpit,
plus the background loops' polls over the flow's wall time (the idle CPU, measured
first and printed apart). ``/proc`` counts in ticks (10 ms): the figures are means over
many flows, accurate to a few tenths of a millisecond at 200 flows.

Usage: ``python scripts/flow_http_cpu.py [FLOWS] [--server granian|gunicorn]``
(default 200 flows). It stops its server and Mailpit. Compare two checkouts by running
it with ``PYTHONPATH=<checkout>`` (the server inherits it), alternately.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import requests

from sandbox.loadtesting.procstat import process_tree, tree_cpu_seconds
from sandbox.loadtesting.runner import LoadOptions, start_load_stack

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://[^\s\"'<>]+/activation/[A-Za-z0-9_\-]+")
PASSWORD = "Charge-0123456789-Zq9!"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def csrf(text: str) -> str:
    match = CSRF.search(text)
    if match is None:
        raise RuntimeError("no csrf_token on the page")
    return unescape(match.group(1))


class Meter:
    """Server tree CPU per named step (seconds), and the steps' counts."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu: Counter[str] = Counter()
        self.wall: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def now(self) -> float:
        return tree_cpu_seconds(self.pid)

    def step(self, name: str, call):
        before, started = self.now(), time.monotonic()
        try:
            return call()
        finally:
            self.wall[name] += time.monotonic() - started
            self.cpu[name] += self.now() - before
            self.calls[name] += 1


def user_system(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of the live processes of ``pid``'s tree."""
    user = system = 0
    for item in process_tree(pid):
        fields = Path(f"/proc/{item}/stat").read_text().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]), system + int(fields[12])
    return user / 100, system / 100


def mail_link(mailpit: str, email: str, timeout: float = 30.0) -> str:
    """The activation link of ``email``'s mail, once Mailpit has it (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = requests.get(f"{mailpit}/api/v1/search",
                             params={"query": f'to:"{email}"', "limit": 5}, timeout=5).json()
        for message in found.get("messages") or []:
            text = requests.get(f"{mailpit}/api/v1/message/{message['ID']}", timeout=5).json()
            match = LINK.search(text.get("Text") or "")
            if match:
                return match.group(0)
        time.sleep(0.002)  # a polling interval, not a synchronisation of the measure
    raise RuntimeError(f"no activation mail for {email} after {timeout:.0f}s")


def flow(url: str, mailpit: str, meter: Meter, siret) -> None:
    web = requests.Session()
    email = f"flow-{uuid.uuid4().hex[:12]}@example.test"
    page = meter.step("GET /creer-un-compte", lambda: web.get(f"{url}/creer-un-compte"))
    fields = {"csrf_token": csrf(page.text), "login_email": email, "prenom": "Camille",
              "nom": "Charge", "telephone": "", "email_contact": email,
              "type_identifiant": "SIRET", "identifiant": siret(), "type_structure": "PRIVEE",
              "structure_nom": "", "structure_prenom": "", "raison_sociale": "Charge SAS",
              "adresse": "1 rue de la Paix", "complement_adresse_1": "",
              "complement_adresse_2": "", "code_postal": "75002", "ville": "Paris",
              "pays": "FR", "accepte_conditions": "y"}
    answer = meter.step("POST /creer-un-compte", lambda: web.post(
        f"{url}/creer-un-compte", data=fields, headers=FORM, allow_redirects=False))
    if answer.status_code != 303:
        raise RuntimeError(f"signup answered {answer.status_code}")
    meter.step("GET confirmation", lambda: web.get(
        url + urlsplit(answer.headers["Location"]).path, allow_redirects=False))
    link = meter.step("mail delivered (dispatcher)", lambda: mail_link(mailpit, email))
    path = urlsplit(link).path
    page = meter.step("GET /activation", lambda: web.get(url + path))
    form = {"csrf_token": csrf(page.text), "password": PASSWORD, "password_confirm": PASSWORD}
    if meter.step("POST /activation", lambda: web.post(
            url + path, data=form, headers=FORM, allow_redirects=False)).status_code != 303:
        raise RuntimeError("activation refused")
    web.cookies.clear()
    page = meter.step("GET /connexion", lambda: web.get(f"{url}/connexion"))
    form = {"csrf_token": csrf(page.text), "login": email, "password": PASSWORD}
    if meter.step("POST /connexion", lambda: web.post(
            f"{url}/connexion", data=form, headers=FORM, allow_redirects=False)
            ).status_code != 303:
        raise RuntimeError("login refused")
    if meter.step("GET /mon-compte", lambda: web.get(
            f"{url}/mon-compte", allow_redirects=False)).status_code != 200:
        raise RuntimeError("mon-compte refused")
    web.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("flows", nargs="?", type=int, default=200)
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="")
    parser.add_argument("--profile", default="",
                        help="py-spy the server (--gil: samples of the thread running Python "
                             "code, i.e. CPU, not waits) during the measured flows into this "
                             "file (collapsed stacks)")
    args = parser.parse_args()
    # why: the identifiers of the seeding helpers, imported where the CLI needs them
    from sandbox.seeding.identifiers import siren_from_body, siret_from

    def siret() -> str:
        siren = siren_from_body(str(uuid.uuid4().int % 10**8).zfill(8).replace("0", "1", 1))
        return siret_from(siren, str(uuid.uuid4().int % 10**4).zfill(4))

    settings = {"server": args.server} if args.server else {}
    stack = start_load_stack(Path(tempfile.mkdtemp(prefix="flow-http-")),
                             LoadOptions(settings=settings))
    try:
        assert stack.server.process is not None
        meter = Meter(stack.server.process.pid)
        for _ in range(20):  # warm up both workers: templates compiled, statements cached
            flow(stack.url, stack.mailpit_url, meter, siret)
        before, started = meter.now(), time.monotonic()
        time.sleep(3.0)  # a measuring window of the idle server, not a synchronisation
        idle = (meter.now() - before) / (time.monotonic() - started)
        meter.cpu.clear()
        meter.wall.clear()
        meter.calls.clear()
        spy = None
        if args.profile:
            spy = subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                 str(meter.pid), "--subprocesses", "--gil", "--rate", "200", "--format", "raw",
                 "--output", args.profile, "--duration", "3600"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before, started = meter.now(), time.monotonic()
        split = user_system(meter.pid)
        for _ in range(args.flows):
            flow(stack.url, stack.mailpit_url, meter, siret)
        total, wall = meter.now() - before, time.monotonic() - started
        n = args.flows
        user, system = (b - a for a, b in zip(split, user_system(meter.pid), strict=True))
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples and exits
            spy.wait(timeout=60)
        print(f"{sys.modules['sandbox'].__file__}: {n} flows in {wall:.1f} s, "
              f"server {1000 * total / n:.2f} CPU-ms per flow "
              f"(idle {1000 * idle:.1f} CPU-ms/s, i.e. {1000 * idle * wall / n:.2f} per flow "
              f"at this pace); user {1000 * user / n:.1f}, system {1000 * system / n:.1f}")
        for name, seconds in meter.cpu.items():
            print(f"  {name:30s} {1000 * seconds / meter.calls[name]:6.2f} CPU-ms "
                  f"({1000 * meter.wall[name] / meter.calls[name]:6.1f} ms wall)")
        other = total - sum(meter.cpu.values())
        print(f"  {'between the steps':30s} {1000 * other / n:6.2f} CPU-ms")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
