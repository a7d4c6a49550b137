"""`make chaos` (`chorus-sandbox load --chaos`): the load mix while parts of the stack fail.

For a bounded time (3 minutes by default) Locust runs signup and API users against
a fresh stack while a seeded schedule stops Mailpit, pauses it (SIGSTOP/SIGCONT),
restarts it and SIGKILLs gunicorn workers (the master starts new ones). Then the
post-run checks of ``checks.py``: every acknowledged signup has one account and one
activation mail, every mail of the outbox crossed SMTP exactly once (this Mailpit
runs without ``--ignore-duplicate-ids``, so a second copy would be stored), no 5xx
except while a worker was dead. The figures go to ``chaos.json`` in the run's folder.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from sandbox import db
from sandbox.loadtesting.checks import read_ledgers, run_checks, smtp_copies, smtp_once_check
from sandbox.loadtesting.options import duration_seconds
from sandbox.loadtesting.runner import (
    LoadOptions,
    new_run_dir,
    print_plots,
    profile_settings,
    run_load,
)
from sandbox.models import User
from sandbox.testing.harness import RunningStack, create_database, drop_database, start_stack

MAX_SECONDS = 15 * 60  # a chaos run is bounded
ACTIONS = ("mailpit-stop", "mailpit-pause", "mailpit-restart", "worker-kill")
# Delivery settings of a chaos run: short retries and leases, so that the outbox
# catches up within the run instead of minutes after it.
CHAOS_SETTINGS = {
    "mail_retry_max_backoff": "2",
    "mail_lease_seconds": "10",
    "smtp_timeout": "2",
    "mail_poll_interval": "0.5",
}
WORKER_GRACE = 3.0  # seconds after a new worker is up during which errors are still its


@dataclass
class ChaosOptions:
    duration: str = "3m"
    seed: int = 14
    users: int = 10
    spawn_rate: float = 5.0
    mix: str = "signup=2,api=1"
    gap: tuple[float, float] = (6.0, 14.0)  # seconds between two faults
    settings: dict[str, str] = field(default_factory=dict)
    server_workers: int = 2
    server_threads: int = 4
    reports_dir: str = "reports"
    label: str = "chaos"
    drain_timeout: float = 120.0


@dataclass
class Fault:
    at: float  # seconds after the start of the run
    action: str
    seconds: float = 0.0  # how long Mailpit stays stopped or paused
    target: int = 0  # which worker (index among the live ones)


def make_schedule(seed: int, seconds: float, gap: tuple[float, float] = (6.0, 14.0)) -> list[Fault]:
    """A reproducible list of faults over ``seconds``: each kind in turn, in a shuffled
    order per round, with random gaps; the last one ends 20 s before the end."""
    rng = random.Random(seed)
    faults: list[Fault] = []
    at = 8.0
    kinds: list[str] = []
    while True:
        if not kinds:
            kinds = list(ACTIONS)
            rng.shuffle(kinds)
        action = kinds.pop()
        length = {"mailpit-stop": rng.uniform(3, 10), "mailpit-pause": rng.uniform(3, 15)}.get(
            action, 0.0)
        if at + length > seconds - 20:
            return faults
        faults.append(Fault(round(at, 1), action, round(length, 1), rng.randrange(64)))
        at += length + rng.uniform(*gap)


class Monkey(threading.Thread):
    """Carry out a schedule on a running stack; keep the timeline of what was done."""

    def __init__(self, stack: RunningStack, schedule: list[Fault], workers: int) -> None:
        super().__init__(name="chaos", daemon=True)
        self.stack, self.schedule, self.workers = stack, schedule, workers
        self.timeline: list[dict] = []
        self.dead_windows: list[tuple[float, float]] = []
        self.error: str | None = None
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        start = time.time()
        try:
            for fault in self.schedule:
                if self._halt.wait(max(0.0, start + fault.at - time.time())):
                    return
                self._do(fault)
        except Exception as error:  # reported in the summary, and the checks still run
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self._heal()

    def _do(self, fault: Fault) -> None:
        mailpit = self.stack.mailpit
        began = time.time()
        entry = {"action": fault.action, "at": round(began, 3)}
        if fault.action == "worker-kill":
            pids = self.stack.server.worker_pids()
            if not pids:
                entry["skipped"] = "no worker"
            else:
                victim = pids[fault.target % len(pids)]
                os.kill(victim, signal.SIGKILL)
                entry["pid"] = victim
                # Scheduling, not synchronisation: poll until the master replaced it.
                deadline = time.time() + 60
                while time.time() < deadline:
                    now_pids = self.stack.server.worker_pids()
                    if victim not in now_pids and len(now_pids) >= self.workers:
                        break
                    time.sleep(0.1)
                entry["replacedAfter"] = round(time.time() - began, 2)
                self.dead_windows.append((began - 0.5, time.time() + WORKER_GRACE))
        elif fault.action == "mailpit-stop":
            mailpit.stop()
            self._halt.wait(fault.seconds)
            mailpit.start()
            entry["downSeconds"] = round(time.time() - began, 2)
        elif fault.action == "mailpit-pause":
            mailpit.pause()
            try:
                self._halt.wait(fault.seconds)
            finally:
                mailpit.resume()
            entry["pausedSeconds"] = round(time.time() - began, 2)
        elif fault.action == "mailpit-restart":
            mailpit.stop()
            mailpit.start()
            entry["downSeconds"] = round(time.time() - began, 2)
        self.timeline.append(entry)

    def _heal(self) -> None:
        mailpit = self.stack.mailpit
        if mailpit.process is not None and mailpit.process.poll() is None:
            mailpit.resume()
        else:
            mailpit.start()


def _database(opts: ChaosOptions) -> tuple[str | None, bool]:
    """The run's database: --setting database_url as given, a new database on the
    server of SANDBOX_DATABASE_URL when it names PostgreSQL, else a new SQLite file."""
    if "database_url" in opts.settings:
        return opts.settings["database_url"], False
    server = os.environ.get("SANDBOX_DATABASE_URL", "")
    if server and make_url(server).get_backend_name() == "postgresql":
        return create_database(server, prefix="sandbox_chaos"), True
    return None, False


def run_chaos(opts: ChaosOptions, echo=print) -> dict:
    """One chaos run; return its figures and checks (also written to ``chaos.json``)."""
    seconds = duration_seconds(opts.duration)
    if not 30 <= seconds <= MAX_SECONDS:
        raise ValueError(f"a chaos run lasts between 30 s and {MAX_SECONDS // 60} min")
    schedule = make_schedule(opts.seed, seconds, opts.gap)
    out = new_run_dir(opts.reports_dir, opts.label)
    settings = {**CHAOS_SETTINGS, **opts.settings}
    database_url, owned = _database(opts)
    if database_url:
        settings["database_url"] = database_url
    echo(f"Chaos run: {opts.duration}, seed {opts.seed}, {len(schedule)} faults "
         f"({', '.join(f'{f.at:.0f}s {f.action}' for f in schedule)})")
    stack = start_stack(out / "stack", settings=profile_settings(settings),
                        workers=opts.server_workers, threads=opts.server_threads,
                        ignore_duplicate_ids=False)
    load = LoadOptions(users=opts.users, spawn_rate=opts.spawn_rate, duration=opts.duration,
                       mix=opts.mix, max_fail_ratio=1.0, max_p95_ms=1e9, max_mail_p95_ms=1e9,
                       mail_timeout=90.0, server_workers=opts.server_workers,
                       server_threads=opts.server_threads, label=opts.label, checks=False)
    monkey = Monkey(stack, schedule, opts.server_workers)
    try:
        monkey.start()
        summary = run_load(load, stack=stack, out=out, marks=lambda: [
            {"at": entry["at"], "label": entry["action"],
             "seconds": entry.get("downSeconds") or entry.get("pausedSeconds")}
            for entry in monkey.timeline])
        monkey.stop()
        monkey.join(timeout=120)
        db.init_engine(stack.database_url)
        checks = run_checks(out / "ledger", stack.mailpit_url, opts.drain_timeout,
                            tolerated=monkey.dead_windows)
        copies = smtp_copies(stack.mailpit_url)
        checks.append(smtp_once_check(copies))
        acknowledged = sorted(read_ledgers(out / "ledger")["signups"])
        with db.new_session() as s:
            stored = sum(
                s.scalar(select(func.count()).select_from(User)
                         .where(User.login.in_(acknowledged[i:i + 500]))) or 0
                for i in range(0, len(acknowledged), 500))
        dialect = db.engine().dialect.name
    finally:
        monkey.stop()
        stack.stop()
        if owned and database_url is not None:  # owned: created by _database, so named
            drop_database(database_url)
    done = [entry["action"] for entry in monkey.timeline]
    figures = {
        "database": dialect,
        "seconds": seconds,
        "seed": opts.seed,
        "requests": summary["totals"].get("httpRequests", 0),
        "failedRequests": summary["totals"].get("failures", 0),
        "workerKills": done.count("worker-kill"),
        "mailpitStops": done.count("mailpit-stop"),
        "mailpitPauses": done.count("mailpit-pause"),
        "mailpitRestarts": done.count("mailpit-restart"),
        "acknowledgedSignups": len(acknowledged),
        "storedAccounts": stored,
        "mails": copies["mails"],
        "mailsDelivered": copies["once"] + len(copies["duplicated"]),
        "mailsDuplicated": len(copies["duplicated"]),
        "mailsLost": len(copies["lost"]),
        "serverErrors": summary["ledger"].get("serverErrors", 0),
    }
    result = {
        "figures": figures,
        "passed": monkey.error is None and all(c.ok for c in checks),
        "monkeyError": monkey.error,
        "schedule": [asdict(f) for f in schedule],
        "timeline": monkey.timeline,
        "checks": [c.as_dict() for c in checks],
        "load": {k: summary[k] for k in ("totals", "stats", "ledger", "reports", "sampler")},
        "folder": str(out),
    }
    (out / "chaos.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def print_chaos(result: dict, echo=print) -> None:
    """The figures, the faults done and the checks of a chaos run."""
    f = result["figures"]
    echo(f"Chaos run on {f['database']} ({f['seconds']:.0f}s, seed {f['seed']}): "
         f"{f['requests']} requests ({f['failedRequests']} failed), {f['workerKills']} worker "
         f"kills, Mailpit {f['mailpitStops']} stops / {f['mailpitPauses']} pauses / "
         f"{f['mailpitRestarts']} restarts")
    echo(f"  signups acknowledged {f['acknowledgedSignups']}, accounts stored "
         f"{f['storedAccounts']}; mails {f['mails']}: delivered {f['mailsDelivered']}, "
         f"duplicated {f['mailsDuplicated']}, lost {f['mailsLost']}; 5xx {f['serverErrors']}")
    for entry in result["timeline"]:
        details = ", ".join(f"{k} {v}" for k, v in entry.items() if k not in ("action", "at"))
        echo(f"  fault {entry['action']}{' (' + details + ')' if details else ''}")
    if result["monkeyError"]:
        echo(f"  [FAIL] the fault schedule broke off: {result['monkeyError']}")
    for check in result["checks"]:
        echo(f"  [{'ok' if check['ok'] else 'FAIL'}] {check['name']}: {check['detail']}")
        for example in check["examples"][:5]:
            echo(f"        {example}")
    echo(f"  reports in {Path(result['folder'])}")
    print_plots(result["load"], echo)
    echo("PASSED" if result["passed"] else "FAILED")
