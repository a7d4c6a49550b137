"""`make bench BENCH_ARGS="--parts scaling"`: many server processes against one PostgreSQL.

Issue 24.6, the path past one machine measured on one: for each count of server
processes (granian or gunicorn workers, each with its own outbox dispatcher and
factures worker, sharing nothing but the database and Mailpit) one stack on a fresh
database of one PostgreSQL server, and on it the API read mix and the signup flows,
each driven by Locust in its distributed mode (a ``--master`` and N ``--worker``
processes, ``LoadOptions.distributed``). Every run records its UTC time and the load
average when it started, its rate, the server's CPU-ms per request (per flow), how many
cores the server and the whole box kept busy, and the post-run checks.

The PostgreSQL server is ``--database-server``, else ``SANDBOX_TEST_DATABASE_URL``, else
the throw-away cluster of ``scripts/postgres.sh`` (started here and stopped afterwards
when it was not running before).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sandbox.db import build_engine
from sandbox.loadtesting.procstat import tree_cpu_seconds
from sandbox.loadtesting.runner import REPO
from sandbox.testing.harness import (
    RunningStack,
    create_database,
    drop_database,
    suite_database_server,
)

POSTGRES_SCRIPT = REPO / "scripts" / "postgres.sh"


class NoPostgres(RuntimeError):
    """No PostgreSQL server could be had (the part is reported as not measured)."""


@contextmanager
def postgres_server(given: str = "", echo: Callable[[str], object] = print) -> Iterator[str]:
    """The URL of a PostgreSQL server to create the runs' databases on.

    ``given``, else ``SANDBOX_TEST_DATABASE_URL``, else ``scripts/postgres.sh``'s
    cluster: used as it is when already running, otherwise started and stopped again
    when the block ends."""
    url = given or suite_database_server()
    if url:
        yield url
        return
    running = subprocess.run([str(POSTGRES_SCRIPT), "url"], capture_output=True, text=True,
                             cwd=REPO, check=False)
    if running.returncode == 0 and running.stdout.strip():
        yield running.stdout.strip().splitlines()[-1]
        return
    echo("  starting a throw-away PostgreSQL (scripts/postgres.sh start) ...")
    started = subprocess.run([str(POSTGRES_SCRIPT), "start"], capture_output=True, text=True,
                             cwd=REPO, timeout=900, check=False)
    if started.returncode != 0 or not started.stdout.strip():
        raise NoPostgres((started.stderr or started.stdout).strip()[-300:]
                         or "scripts/postgres.sh start failed")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(POSTGRES_SCRIPT), "stop"], capture_output=True, cwd=REPO,
                       timeout=120, check=False)
        echo("  PostgreSQL stopped (scripts/postgres.sh stop)")


def postmaster_pid(database_url: str) -> int | None:
    """The pid of the PostgreSQL server's main process when it runs on this machine (its
    backends are its children: their CPU is the database's share of each request)."""
    if make_url(database_url).host not in ("127.0.0.1", "localhost", "::1"):
        return None
    engine = build_engine(database_url)
    try:
        with engine.connect() as conn:
            backend: int = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        process = psutil.Process(int(backend))
        return process.ppid() if "postgres" in process.name() else None
    except Exception:  # psutil.Error (a server on another machine): not measured here
        return None
    finally:
        engine.dispose()


def _box(out: Path, start: float | None, end: float | None) -> dict:
    """Cores the whole machine, the server and Locust kept busy while requests ran (from
    ``start`` to ``end``, epoch seconds), from the run's sampler (``samples.json``)."""
    try:
        sampled = json.loads((out / "samples.json").read_text())
    except (OSError, ValueError):
        return {}
    origin = sampled.get("startedAt") or 0.0
    inside = [x for x in sampled.get("samples") or []
              if start is not None and end is not None and start <= origin + x["t"] <= end]
    if len(inside) < 2 or inside[-1]["t"] <= inside[0]["t"]:
        return {}
    first, last = inside[0], inside[-1]
    seconds = last["t"] - first["t"]

    def cores(key: str) -> float | None:
        a, b = first.get(key), last.get(key)
        return round((b - a) / seconds, 2) if a is not None and b is not None else None

    return {"machine_cores": cores("machine"), "server_cores": cores("server"),
            "locust_cores": cores("locust"), "cores": os.cpu_count()}


def measure(kind: str, label: str, stack: RunningStack, processes: int, workers: int,
            users: int, load: Callable[..., dict], out: Path,
            postgres: int | None = None) -> dict:
    """One run: the API mix (``kind`` "api") or signup flows ("flows") driven by a Locust
    master and ``workers`` worker processes; its figures, time and box load. ``postgres``
    is the local PostgreSQL server's main pid: its CPU per request is reported too."""
    at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    load_avg = [round(x, 2) for x in os.getloadavg()]
    mix = "api=1" if kind == "api" else "signup=1"
    database_before = tree_cpu_seconds(postgres) if postgres else None
    summary = load(label, stack, users=users, spawn_rate=users, mix=mix, distributed=workers)
    database_s = tree_cpu_seconds(postgres) - database_before \
        if postgres and database_before is not None else None
    totals, cpu = summary["totals"], summary["cpu"]
    window = totals.get("window") or 1.0
    requests_ = totals.get("httpRequests", 0)
    found: dict[str, Any] = {
        "kind": kind, "label": label, "at": at, "load": load_avg, "processes": processes,
        "locust_workers": workers, "users": users,
        "rps": totals.get("httpRps", 0.0), "p50": totals.get("httpP50", 0.0),
        "p95": totals.get("httpP95", 0.0), "requests": requests_,
        "failures": totals.get("failures", 0),
        "server_ms": 1000.0 * cpu["server_s"] / requests_ if requests_ else None,
        "locust_ms": 1000.0 * cpu["locust_s"] / requests_ if requests_ else None,
        # the server's CPU-ms per second with no load (background loops: each process has
        # its own), measured for 2 s before the run: part of every figure per request
        "server_idle_ms_per_s": cpu.get("server_idle_ms_per_s"),
        "postgres_ms": 1000.0 * database_s / requests_
        if requests_ and database_s is not None else None,
        "workers_ran": sum(1 for w in summary["locust"].get("workers", []) if w["timeline"]),
        "checks_ok": all(c["ok"] for c in summary["checks"]) and bool(summary["checks"]),
        "checks": {c["name"]: c["detail"] for c in summary["checks"]},
        "checks_failed": [c["name"] for c in summary["checks"] if not c["ok"]],
        "passed": summary["passed"],
        **_box(out / label, totals.get("startTime"), totals.get("endTime")),
    }
    if kind == "flows":
        activations = summary["ledger"]["activations"]
        found.update(signups=summary["ledger"]["signups"], activations=activations,
                     flows_per_s=activations / window,
                     server_ms_per_flow=1000.0 * cpu["server_s"] / activations
                     if activations else None,
                     postgres_ms_per_flow=1000.0 * database_s / activations
                     if activations and database_s is not None else None)
    return found


def run_scaling(server_processes: tuple[int, ...], locust_workers: tuple[int, ...],
                api_users: int, flow_users: int, database_server: str,
                start: Callable[[Path, int, str], RunningStack], load: Callable[..., dict],
                out: Path, echo: Callable[[str], object] = print) -> dict:
    """Every (server processes × Locust workers) run of the API mix and the signup flows,
    each server count on a fresh database of one PostgreSQL server; ``start(workdir,
    processes, database_url)`` starts a stack in the load profile."""
    found: dict[str, Any] = {"database": "postgresql", "runs": [],
                             "server_processes": list(server_processes),
                             "locust_workers": list(locust_workers)}
    try:
        with postgres_server(database_server, echo) as server_url:
            seen: dict[int, int] = {}
            # A count may come again (1,2,4,4,2,1: interleaved, so that a box getting busier
            # during the runs does not favour the first counts); each time is a run of its own.
            for processes in server_processes:
                seen[processes] = seen.get(processes, 0) + 1
                again = f"-{seen[processes]}" if seen[processes] > 1 else ""
                database = create_database(server_url, prefix="sandbox_bench")
                postgres = postmaster_pid(database)
                try:
                    stack = start(out / f"stack-scaling-{processes}{again}", processes,
                                  database)
                    try:
                        for kind, users in (("api", api_users), ("flows", flow_users)):
                            for workers in locust_workers:
                                label = f"scaling-{processes}p{again}-{kind}-{workers}w"
                                found["runs"].append(measure(kind, label, stack, processes,
                                                             workers, users, load, out,
                                                             postgres))
                    finally:
                        stack.stop()
                finally:
                    drop_database(database)
    except NoPostgres as error:
        echo(f"  PostgreSQL could not be had: {error}")
        found["unavailable"] = str(error)
    return found
