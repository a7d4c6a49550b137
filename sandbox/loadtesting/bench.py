"""`make bench`: measure the sandbox on this machine, write a table and a dated entry.

Each measure is a short Locust run (the runner of ``make load``) on a fresh stack:
the ceiling, the API read mix, signup→activation flows (load profile, then the
default hash cost), ``rechercher``/``consulter`` at several structure counts, the
reset time and the server's memory. Targets come from issue 7.

Why this size (over ~400 lines): The bench's parts (ceiling, API mix, flows, invoices,
scale) run in one sequence that shares one results document; rendering is in benchreport,
CPU readings in procstat.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from sandbox.loadtesting.benchreport import (
    RESET_MAX_STRUCTURES,
    append_entry,
    markdown,
    plots_section,
)
from sandbox.loadtesting.options import duration_seconds
from sandbox.loadtesting.peers import (
    WIREMOCK,
    PeerProcess,
    PeerServer,
    PeerTarget,
    PeerUnavailable,
    moto_server,
    start_moto,
    start_recording,
    start_wiremock,
    stop_recording,
    wiremock_jar,
)
from sandbox.loadtesting.procstat import CpuMeter, per_unit_ms, server_rss_mib
from sandbox.loadtesting.runner import (
    DEFAULT_HASH_METHOD,
    LOAD_PROFILE,
    LOADTESTS,
    LoadOptions,
    machine,
    new_run_dir,
    run_load,
    start_load_stack,
)
from sandbox.loadtesting.scaledb import Cluster, scale_database
from sandbox.loadtesting.scaling import NoPostgres, postgres_server, run_scaling

UNROUTED = "/_load/unrouted"  # answers 404: every per-request hook, no view
RECHERCHER = "/cpro/structures/v1/rechercher [identifiant]"
CONSULTER = "/cpro/structures/v1/consulter"
RAISON_SOCIALE = "/cpro/structures/v1/rechercher [raison sociale]"
PEER_POOL = 10  # the API mix against WireMock draws from this many structures (all recorded)
RECORDING = "20s"  # the proxied API-mix run from which WireMock records the sandbox's answers
# The scale runs' unmeasured warm-up: the full API mix this long on each stack, 10 k and 1 M
# alike, before the measured runs, so that their p95s are not those of the first calls on a
# freshly copied database (cold page cache, cold buffer pool, the users' discovery burst).
SCALE_WARM_UP = "10s"


@dataclass
class BenchOptions:
    reports_dir: str = "reports"
    docs: str = "docs/performance.md"
    duration: str = "30s"
    api_users: int = 50
    flow_users: int = 30
    scale: list[int] = field(default_factory=lambda: [10_000, 1_000_000])
    scale_db: dict[int, str] = field(default_factory=dict)
    # sqlite and/or postgresql (a throw-away cluster of scripts/postgres.sh)
    scale_databases: tuple[str, ...] = ("sqlite",)
    note: str = ""
    profile: bool = True
    # api = ceiling + API mix; peers = WireMock beside them and moto beside the flows
    parts: tuple[str, ...] = ("api", "peers", "flows", "invoices", "scale")
    invoice_users: int = 20
    var_dir: str = "var"
    server: str = ""  # '' = the `server` setting (SANDBOX_SERVER), else gunicorn or granian
    server_workers: int = 2
    server_threads: int = 4
    flow_hashes: tuple[str, ...] = ("load-profile", "default-hash")
    # The scaling part (issue 24.6; not in the default parts: it needs PostgreSQL): server
    # processes × Locust worker processes, on one PostgreSQL server ('' = the suite's
    # SANDBOX_TEST_DATABASE_URL, else scripts/postgres.sh's throw-away cluster).
    server_processes: tuple[int, ...] = (1, 2, 4)
    locust_workers: tuple[int, ...] = (1, 2)
    database_server: str = ""

    @classmethod
    def quick(cls, **overrides: Any) -> BenchOptions:
        """A short bench for before/after comparisons: 15 s runs, no scale, one hash cost,
        no entry in docs/performance.md (the figures land in reports/ only)."""
        quick = cls(duration="15s", scale=[], docs="", flow_hashes=("load-profile",),
                    parts=("api", "peers", "flows"))
        return replace(quick, **overrides)


def ceiling_path(url: str) -> str:
    """The trivial endpoint: /_sandbox/ping if the control plane has it, else a 404 path."""
    try:
        if requests.get(f"{url}/_sandbox/ping", timeout=5).status_code == 200:
            return "/_sandbox/ping"
    except requests.RequestException:
        pass
    return UNROUTED


def time_reset(url: str, times: int = 3) -> float | None:
    """Median seconds of POST /_sandbox/reset (None if the control plane lacks it)."""
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        try:
            answer = requests.post(f"{url}/_sandbox/reset", json={}, timeout=600)
        except requests.RequestException:
            return None
        if answer.status_code >= 400:
            return None
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def row(summary: dict, name: str) -> dict:
    for item in summary["stats"]:
        if item["name"] == name:
            return item
    return {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "failures": 0}


def profile_server(stack, seconds: int, target: Path) -> subprocess.Popen | None:
    """py-spy the gunicorn master and all its workers for ``seconds`` (collapsed stacks)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(spy) or stack.server.process is None:
        return None
    return subprocess.Popen(
        [spy, "record", "--pid", str(stack.server.process.pid), "--subprocesses",
         "--duration", str(seconds), "--rate", "100", "--format", "raw",
         "--output", str(target), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Frames every request passes through: they say nothing about where the time goes.
_PLUMBING = ("threading.py", "gunicorn/", "concurrent/futures", "flask/app.py", "runpy",
             "werkzeug/serving.py")


# Library frames that name a kind of work.
_MARKERS = ("DefaultDialect.do_execute", "_hash_internal", "SMTP.sendmail", "Template.render",
            "Session.commit")


def summarise_profile(path: Path, top: int = 12) -> list[tuple[str, float]]:
    """The frames that hold most samples (inclusive %), from py-spy's collapsed stacks."""
    if not path.exists():
        return []
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = re.sub(r":\d+\)$", ")", frame.strip())
            name = re.sub(r"\(.*?(site-packages|lib/python3\.\d+|/sandbox)/", r"(\1/", name)
            if name not in seen:
                seen.add(name)
                inclusive[name] += int(count)
    if not total:
        return []
    ranked = [(name, 100.0 * n / total) for name, n in inclusive.most_common()
              if n < 0.97 * total and not any(skip in name for skip in _PLUMBING)]
    # The project's own frames say where; a few library frames say what (SQL, hashing, SMTP).
    own = [item for item in ranked if "(sandbox/" in item[0]][:top]
    what = [item for item in ranked if any(marker in item[0] for marker in _MARKERS)]
    return sorted(own + what, key=lambda item: -item[1])


def finish_profile(process: subprocess.Popen | None, target: Path) -> list[tuple[str, float]]:
    if process is None:
        return []
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    return summarise_profile(target)


def server_options(opts: BenchOptions, settings: dict | None = None) -> LoadOptions:
    """The stack of a bench run: the bench's server layout and these settings."""
    merged = dict(settings or {})
    if opts.server:
        merged["server"] = opts.server
    return LoadOptions(settings=merged, server_workers=opts.server_workers,
                       server_threads=opts.server_threads)


def server_kind(opts: BenchOptions) -> str:
    name = (opts.server or os.environ.get("SANDBOX_SERVER") or "granian").lower()
    return "gunicorn gthread" if name == "gunicorn" else name


def cpu_figures(cpu: dict, units: int | float) -> dict:
    """CPU-ms per unit of work: the server's, Mailpit's and Locust's, and the totals (s)."""
    return {
        "units": units,
        "server_ms": per_unit_ms(cpu, units),
        "mailpit_ms": per_unit_ms(cpu, units, "mailpit"),
        "locust_ms": per_unit_ms(cpu, units, "locust"),
        **{key: round(value, 3) for key, value in cpu.items()},
    }


def scale_key(database: str) -> str:
    """The results' key of the scale runs on ``database`` (SQLite's keeps its old name)."""
    return "scale" if database == "sqlite" else f"scale_{database}"


def scale_run(opts: BenchOptions, database: str, count: int, cluster: Cluster | None,
              out: Path, load: Any, seconds: int, echo: Any) -> dict:
    """The full API mix, then the lookups alone, on ``count`` structures on ``database``."""
    label = "" if database == "sqlite" else f"-{database}"
    echo(f"Bench: scale at {count} structures on {database} ...")
    work = out / f"stack-scale{label}-{count}"
    work.mkdir(parents=True, exist_ok=True)
    with scale_database(database, count, work, opts.var_dir, cluster,
                        opts.scale_db.get(count) if database == "sqlite" else None,
                        echo) as prepared:
        started = time.perf_counter()
        try:
            stack = start_load_stack(work, server_options(
                opts, {"seed_structures": str(count), **prepared.settings}))
        except Exception as error:
            echo(f"  scale {count} on {database}: could not start ({error})")
            return {"error": str(error)[:300]}
        ready = time.perf_counter() - started
        try:
            load(f"scale{label}-{count}-warm-up", stack, users=10, spawn_rate=10, mix="api=1",
                 checks=False, duration=SCALE_WARM_UP)
            target = out / f"profile-scale{label}-{count}.txt"
            spy = profile_server(stack, seconds, target) if opts.profile else None
            summary = load(f"scale{label}-{count}", stack, users=10, spawn_rate=10,
                           mix="api=1", checks=False)
            profile_scale = finish_profile(spy, target)
            # The same without the substring search: do indexed lookups alone stay flat?
            lookups = load(f"scale{label}-{count}-lookups", stack, users=10, spawn_rate=10,
                           mix="api=1", checks=False,
                           extra_locust_args=["--api-skip", "rechercher_par_raison_sociale"])
            rss = server_rss_mib(stack.server.process.pid if stack.server.process else None)
            # Above the seeding's cache a reset re-seeds everything (minutes at a million):
            # its time is the seed's (seed_seconds).
            reset = time_reset(stack.url, times=1) if count <= RESET_MAX_STRUCTURES else None
        finally:
            stack.stop()
    return {
        "database": database, "prepared_db": prepared.prepared, "start_seconds": ready,
        "warm_up": SCALE_WARM_UP,
        "seed_seconds": prepared.seed_seconds, "seeded_at": prepared.seeded_at,
        "rechercher_p95": row(summary, RECHERCHER)["p95"],
        "rechercher_p50": row(summary, RECHERCHER)["p50"],
        "consulter_p95": row(summary, CONSULTER)["p95"],
        "raison_sociale_p95": row(summary, RAISON_SOCIALE)["p95"],
        "rps": summary["totals"].get("httpRps", 0.0),
        "consulter_p50": row(summary, CONSULTER)["p50"],
        "failures": summary["totals"]["failures"], "rss_mib": rss, "reset_seconds": reset,
        "profile": profile_scale,
        "lookups_rechercher_p95": row(lookups, RECHERCHER)["p95"],
        "lookups_consulter_p95": row(lookups, CONSULTER)["p95"],
        "lookups_rps": lookups["totals"].get("httpRps", 0.0),
        # Every operation of the full mix (issue #13.5: each p95 within 1.5x of 10k's).
        "operations": {item["name"]: {"requests": item["requests"], "p50": item["p50"],
                                      "p95": item["p95"]}
                       for item in summary["stats"] if item.get("requests")},
        "cpu": cpu_figures(summary["cpu"], summary["totals"]["httpRequests"]),
    }


def _rates(summary: dict) -> dict:
    totals = summary["totals"]
    return {"rps": totals.get("httpRps", 0.0), "p50": totals.get("httpP50", 0.0),
            "p95": totals.get("httpP95", 0.0), "p99": totals.get("httpP99", 0.0),
            "requests": totals.get("httpRequests", 0), "failures": totals.get("failures", 0),
            "cpu": cpu_figures(summary["cpu"], totals.get("httpRequests", 0))}


def wiremock_peer(opts: BenchOptions, stack: Any, ceiling: str, out: Path, load: Any,
                  echo: Any) -> dict:
    """WireMock records the sandbox's answers to the API mix (proxying a short run to the
    running sandbox), then answers the ceiling probe and the same mix alone."""
    try:
        jar = wiremock_jar()
        recorder = start_wiremock(jar, out / "wiremock", journal=True)
    except PeerUnavailable as error:
        echo(f"  WireMock could not be had: {error}")
        return {"unavailable": str(error)}
    pool = ["--api-pool", str(PEER_POOL)]

    def aimed_at(peer: PeerProcess) -> PeerTarget:
        return PeerTarget(url=peer.url, mailpit_url=stack.mailpit_url,
                          database_url=stack.database_url, env=dict(stack.env),
                          server=PeerServer(peer.process))

    try:
        start_recording(recorder, stack.url)
        requests.get(f"{recorder.url}{ceiling}", timeout=10)
        load("wiremock-recording", aimed_at(recorder), users=20, spawn_rate=20, mix="api=1",
             checks=False, duration=RECORDING, extra_locust_args=pool)
        stubs = stop_recording(recorder)
    finally:
        recorder.stop()
    echo(f"  WireMock {WIREMOCK.rsplit(':', 1)[1]}: {stubs} stubs recorded from the sandbox")
    try:  # the measured WireMock: the recorded stubs, no journal
        wiremock = start_wiremock(jar, out / "wiremock")
    except PeerUnavailable as error:
        return {"unavailable": str(error)}
    target = aimed_at(wiremock)
    try:  # the JVM compiles its hot paths first: an unmeasured warm-up of both loads
        load("wiremock-warm-up-ceiling", target, users=opts.api_users,
             spawn_rate=opts.api_users, mix="", locustfiles=[str(LOADTESTS / "ceiling.py")],
             extra_locust_args=["--ceiling-path", ceiling], checks=False, duration=RECORDING)
        load("wiremock-warm-up", target, users=opts.api_users, spawn_rate=opts.api_users,
             mix="api=1", checks=False, duration=RECORDING, extra_locust_args=pool)
        peer_ceiling = load("wiremock-ceiling", target, users=opts.api_users,
                            spawn_rate=opts.api_users, mix="",
                            locustfiles=[str(LOADTESTS / "ceiling.py")],
                            extra_locust_args=["--ceiling-path", ceiling], checks=False)
        peer_api = load("wiremock-api-mix", target, users=opts.api_users,
                        spawn_rate=opts.api_users, mix="api=1", checks=False,
                        extra_locust_args=pool)
    finally:
        wiremock.stop()
    return {"version": WIREMOCK.rsplit(":", 1)[1], "stubs": stubs, "pool": PEER_POOL,
            "ceiling": _rates(peer_ceiling), "api": _rates(peer_api)}


def moto_peer(opts: BenchOptions, out: Path, load: Any, echo: Any) -> dict:
    """moto's Cognito user pool under the flow users' load: SignUp → ConfirmSignUp →
    InitiateAuth, one flow per new user name."""
    try:
        binary = moto_server()
        moto = start_moto(binary, out / "moto")
    except PeerUnavailable as error:
        echo(f"  moto could not be had: {error}")
        return {"unavailable": str(error)}
    # The runner's sampler reads queue depths from a database: an empty one of its own.
    target = PeerTarget(url=moto.url, mailpit_url="",
                        database_url=f"sqlite:///{(out / 'moto' / 'none.db').resolve()}", env={},
                        server=PeerServer(moto.process))
    try:
        summary = load("moto-flows", target, users=opts.flow_users,
                       spawn_rate=opts.flow_users, mix="", checks=False,
                       locustfiles=[str(LOADTESTS / "cognito_peer.py")])
    finally:
        moto.stop()
    auth = row(summary, "InitiateAuth")
    flows = auth["requests"] - auth["failures"]
    window = summary["totals"].get("window") or duration_seconds(opts.duration)
    return {"version": _moto_version(binary), "users": opts.flow_users, "flows": flows,
            "flows_per_s": flows / window, "failures": summary["totals"]["failures"],
            "cpu": cpu_figures(summary["cpu"], flows),
            "cpu_per_request": cpu_figures(summary["cpu"], summary["totals"]["httpRequests"])}


def _moto_version(binary: Path) -> str:
    try:
        done = subprocess.run([str(binary.parent / "python"), "-c",
                               "import moto; print(moto.__version__)"],
                              capture_output=True, text=True, timeout=60)
        return done.stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def run_bench(opts: BenchOptions, echo=print) -> dict:
    """Every measure in one run; return the results (also in bench.json)."""
    out = new_run_dir(opts.reports_dir, "bench")
    seconds = duration_seconds(opts.duration)
    results: dict = {"machine": machine(), "startedAt": datetime.now(UTC).isoformat(),
                     "duration": opts.duration, "note": opts.note, "profile": dict(LOAD_PROFILE),
                     "server": {"kind": server_kind(opts),
                                "workers": opts.server_workers,
                                "threads": opts.server_threads}}

    def load(label: str, stack, **kwargs: Any) -> dict:
        run_out = out / label
        run_out.mkdir(parents=True, exist_ok=True)
        base = LoadOptions(duration=opts.duration, label=label, max_p95_ms=10_000,
                           max_mail_p95_ms=30_000, stop_timeout=15)
        meter = CpuMeter(stack.server.process.pid if stack.server.process else None,
                         stack.mailpit.process.pid if stack.mailpit.process else None)
        idle = meter.idle_ms_per_s()
        meter.start()
        summary = run_load(replace(base, **kwargs), stack=stack, out=run_out)
        summary["cpu"] = dict(meter.stop(), server_idle_ms_per_s=round(idle, 2))
        if summary["reports"].get("plots"):
            results.setdefault("plots", {})[label] = f"{label}/plots.html"
        per_request = per_unit_ms(summary["cpu"], summary["totals"].get("httpRequests", 0))
        echo(f"  {label}: HTTP {summary['totals'].get('httpRps', 0):.1f} req/s, "
             f"p95 {summary['totals'].get('httpP95', 0):.0f} ms, "
             f"server {per_request or 0:.2f} CPU-ms/request, "
             f"failures {summary['totals']['failures']}, passed={summary['passed']}")
        return summary

    if "api" in opts.parts:
        # 1. Ceiling and API read mix, one stack in the load profile.
        echo("Bench: ceiling and API read mix ...")
        stack = start_load_stack(out / "stack-api", server_options(opts))
        try:
            path = ceiling_path(stack.url)
            ceiling = load("ceiling", stack, users=opts.api_users, spawn_rate=opts.api_users,
                           mix="", locustfiles=[str(LOADTESTS / "ceiling.py")],
                           extra_locust_args=["--ceiling-path", path], checks=False)
            spy = profile_server(stack, int(seconds), out / "profile-api.txt") \
                if opts.profile else None
            api = load("api-mix", stack, users=opts.api_users, spawn_rate=opts.api_users,
                       mix="api=1", checks=False)
            profile = finish_profile(spy, out / "profile-api.txt")
            if "peers" in opts.parts:
                echo("Bench: WireMock serving the sandbox's recorded answers ...")
                results.setdefault("peers", {})["wiremock"] = wiremock_peer(
                    opts, stack, path, out, load, echo)
            results["reset_seconds_default_seed"] = time_reset(stack.url)
        finally:
            stack.stop()
        totals = ceiling["totals"]
        results["ceiling"] = {"path": path, "rps": totals["httpRps"], "p50": totals["httpP50"],
                              "p95": totals["httpP95"], "p99": totals["httpP99"]}
        results["api"] = {"users": opts.api_users, "rps": api["totals"]["httpRps"],
                          "p50": api["totals"]["httpP50"], "p95": api["totals"]["httpP95"],
                          "p99": api["totals"]["httpP99"], "failures": api["totals"]["failures"],
                          "requests": api["totals"]["httpRequests"], "profile": profile}
        results["api"]["ratio"] = (results["api"]["rps"] / results["ceiling"]["rps"]
                                   if results["ceiling"]["rps"] else 0.0)
        results["ceiling"]["cpu"] = cpu_figures(ceiling["cpu"], totals["httpRequests"])
        results["api"]["cpu"] = cpu_figures(api["cpu"], api["totals"]["httpRequests"])
        base = results["ceiling"]["cpu"]["server_ms"]
        results["api"]["cpu_ratio"] = (results["api"]["cpu"]["server_ms"] / base
                                       if base else None)

    results["flows"] = {}
    if "flows" in opts.parts:
        # 2. Signup → activation flows: load profile, then the default hash cost.
        hashes = {"load-profile": LOAD_PROFILE["password_hash_method"],
                  "default-hash": DEFAULT_HASH_METHOD}
        for label, hash_method in ((k, hashes[k]) for k in opts.flow_hashes):
            echo(f"Bench: signup→activation flows ({label}, {hash_method}) ...")
            settings = {"password_hash_method": hash_method}
            stack = start_load_stack(out / f"stack-flows-{label}",
                                     server_options(opts, settings))
            target = out / f"profile-flows-{label}.txt"
            try:
                spy = profile_server(stack, int(seconds), target) if opts.profile else None
                summary = load(f"flows-{label}", stack, users=opts.flow_users,
                               spawn_rate=opts.flow_users, mix="signup=1")
                profile_flows = finish_profile(spy, target)
            finally:
                stack.stop()
            mail = row(summary, "submitted → activation mail readable")
            window = summary["totals"].get("window") or seconds
            results["flows"][label] = {
                "hash": hash_method, "users": opts.flow_users,
                "signups": summary["ledger"]["signups"],
                "activations": summary["ledger"]["activations"],
                "flows_per_s": summary["ledger"]["activations"] / window,
                "mail_p50": mail["p50"], "mail_p95": mail["p95"],
                "checks_ok": all(c["ok"] for c in summary["checks"]),
                "checks": {c["name"]: c["detail"] for c in summary["checks"]},
                "failures": summary["totals"]["failures"],
                "profile": profile_flows,
                "requests": summary["totals"]["httpRequests"],
                "cpu": cpu_figures(summary["cpu"], summary["ledger"]["activations"]),
                "cpu_per_request": cpu_figures(summary["cpu"], summary["totals"]["httpRequests"]),
            }

    if "peers" in opts.parts and "flows" in opts.parts:
        echo("Bench: moto's Cognito flow (SignUp → ConfirmSignUp → InitiateAuth) ...")
        results.setdefault("peers", {})["moto"] = moto_peer(opts, out, load, echo)

    if "invoices" in opts.parts:
        # 2b. Invoice users: deposer/flux -> CR -> search -> history (load profile).
        echo("Bench: invoice deposits (deposer/flux → IN_INTEGRE) ...")
        stack = start_load_stack(out / "stack-invoices", LoadOptions())
        try:
            summary = load("invoices", stack, users=opts.invoice_users,
                           spawn_rate=opts.invoice_users, mix="invoice=1", max_flux_p95_ms=60_000)
        finally:
            stack.stop()
        flux = row(summary, "deposer/flux → IN_INTEGRE")
        window = summary["totals"].get("window") or seconds
        results["invoices"] = {
            "users": opts.invoice_users, "deposits": summary["ledger"].get("deposits", 0),
            "deposits_per_s": summary["ledger"].get("deposits", 0) / window,
            "integration_p50": flux.get("p50"), "integration_p95": flux.get("p95"),
            "checks_ok": all(c["ok"] for c in summary["checks"]),
            "failures": summary["totals"]["failures"],
            "cpu": cpu_figures(summary["cpu"], summary["ledger"].get("deposits", 0))
            if summary.get("cpu") else None,
        }

    # 3. Scale: rechercher and consulter p95 at each structure count, on each database.
    results["scale"] = {}
    with ExitStack() as servers:
        cluster = None
        for database in (opts.scale_databases if "scale" in opts.parts and opts.scale else ()):
            key = scale_key(database)
            results[key] = {}
            if database == "postgresql" and cluster is None:
                try:
                    cluster = Cluster(servers.enter_context(
                        postgres_server(opts.database_server, echo)))
                except NoPostgres as error:
                    results[key] = {count: {"error": f"no PostgreSQL: {error}"}
                                    for count in opts.scale}
                    continue
            for count in opts.scale:
                results[key][count] = scale_run(opts, database, count, cluster, out, load,
                                                int(seconds), echo)

    if "scaling" in opts.parts:
        # 4. Server processes x Locust workers on one PostgreSQL (issue 24.6).
        echo("Bench: server processes × Locust worker processes on one PostgreSQL ...")

        def start_scaling(work: Path, processes: int, database_url: str):
            layout = replace(server_options(opts, {"database_url": database_url}),
                             server_workers=processes)
            return start_load_stack(work, layout)

        results["scaling"] = run_scaling(opts.server_processes, opts.locust_workers,
                                         opts.api_users, opts.flow_users, opts.database_server,
                                         start_scaling, load, out, echo)
        results["scaling"]["threads"] = opts.server_threads

    results["finishedAt"] = datetime.now(UTC).isoformat()
    (out / "bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    table = markdown(results)
    (out / "bench.md").write_text(table + plots_section(results))
    echo(table)
    if opts.docs:
        append_entry(Path(opts.docs), results, table, out)
        echo(f"Entry appended to {opts.docs}")
    linked = " (bench.md links each run's plots.html)" if results.get("plots") else ""
    echo(f"Reports in {out}{linked}")
    return results
