"""`make load`: a fresh stack in the load profile, Locust headless, reports, checks.

Locust runs as a subprocess (importing it would monkey-patch this process with
gevent); it writes its HTML report, CSVs and JSON stats; this module reads them,
checks correctness through the database and Mailpit, and writes ``summary.json``.

Why this size (over ~400 lines): One load run from start to verdict (stack, Locust
subprocess, summary, checks) reads as one sequence; the checks and reports live in their own
modules.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sandbox import db
from sandbox.config import load_settings
from sandbox.loadtesting.checks import ledger_counts, run_checks
from sandbox.loadtesting.options import duration_seconds
from sandbox.loadtesting.plots import write_plots
from sandbox.loadtesting.timeseries import NOT_HTTP, Sampler
from sandbox.seeding import default_credentials
from sandbox.stack import MAILPIT_VERSION, free_port
from sandbox.testing.harness import RunningStack, start_stack

# The documented load profile (docs/load.md): what a load run changes, and why.
LOAD_PROFILE = {
    "journal_size": "0",  # no request journal: it would only cost time and memory
    "password_hash_method": "scrypt:1024:8:1",  # ~1 ms instead of ~100 ms per hash
    "captcha_mode": "off",  # the form has no captcha; "image" works too (control plane answer)
    "factures_integration_delay": "0",  # invoice users measure the worker, not a wait
}
DEFAULT_HASH_METHOD = "scrypt:32768:8:1"
SHAPES = ("steady", "ramp", "step", "spike")
# Custom metrics that are not HTTP requests: mail delivery, flux integration, checks.
REPO = Path(__file__).resolve().parents[2]
LOADTESTS = REPO / "loadtests"


@dataclass
class LoadOptions:
    """One load run: load, mix, thresholds, server and where reports go."""

    users: int = 20
    spawn_rate: float = 5.0
    duration: str = "2m"
    mix: str = "signup=3,rattachement=1,api=6"
    shape: str = "steady"
    processes: int = 0  # Locust --processes (0: one process)
    # Locust's distributed mode with separate processes: a --master and this many --worker
    # processes on loopback, each started with the command another host would run (0: off).
    distributed: int = 0
    wait_min: float = 0.0
    wait_max: float = 0.0
    locustfiles: list[str] = field(default_factory=list)  # default: loadtests/locustfile.py
    user_classes: list[str] = field(default_factory=list)
    reports_dir: str = "reports"
    label: str = "load"
    max_fail_ratio: float = 0.01
    max_p95_ms: float = 2000.0  # every HTTP request row
    max_mail_p95_ms: float = 5000.0  # "submitted → activation mail readable"
    max_flux_p95_ms: float = 15000.0  # "deposer/flux → IN_INTEGRE" (invoice users)
    settings: dict[str, str] = field(default_factory=dict)  # SANDBOX_* overrides
    server_workers: int = 2
    server_threads: int = 4
    stop_timeout: float = 30.0
    drain_timeout: float = 60.0
    mail_timeout: float = 30.0
    checks: bool = True
    extra_locust_args: list[str] = field(default_factory=list)


def profile_settings(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The load profile's settings, then ``extra``."""
    merged = dict(LOAD_PROFILE)
    merged.update({k.lower(): str(v) for k, v in (extra or {}).items()})
    return merged


def credentials(env: dict[str, str] | None = None) -> dict[str, str]:
    """The seeded OAuth client and technical account of the stack whose ``env`` is given."""
    found: dict[str, str] = {}
    settings = load_settings(environ={**os.environ, **(env or {})})
    creds = default_credentials(settings)

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}".lower())
        elif isinstance(node, str):
            leaf = path.rsplit(".", 1)[-1]
            if leaf == "client_id":
                found.setdefault("client_id", node)
            elif leaf == "client_secret":
                found.setdefault("client_secret", node)
            elif "tech" in path and leaf == "login":
                found.setdefault("tech_login", node)
            elif "tech" in path and leaf == "password":
                found.setdefault("tech_password", node)

    walk(creds, "")
    return found


def machine() -> dict:
    """The machine and the versions a figure was measured with."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        memory = f"{int(first.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {
            "chorus-pro-sandbox": version("chorus-pro-sandbox"),
            "locust": version("locust"),
            "flask": version("flask"),
            "sqlalchemy": version("sqlalchemy"),
            "granian": version("granian"),
            "gunicorn": version("gunicorn"),
            "mailpit": MAILPIT_VERSION,
        },
        "load1": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def start_load_stack(workdir: Path, opts: LoadOptions) -> RunningStack:
    """A fresh stack (Mailpit --max 0, new database) in the load profile."""
    return start_stack(
        workdir,
        settings=profile_settings(opts.settings),
        workers=opts.server_workers,
        threads=opts.server_threads,
    )


def locustfiles(opts: LoadOptions) -> list[str]:
    """The locustfiles of a run: the users, then the shape (a steady run of the default
    users has one too, so that it stops by itself)."""
    files = opts.locustfiles or [str(LOADTESTS / "locustfile.py")]
    if opts.shape != "steady" or not opts.locustfiles:
        if opts.shape not in SHAPES:
            raise ValueError(f"unknown shape {opts.shape!r} (one of {', '.join(SHAPES)})")
        files = files + [str(LOADTESTS / f"shape_{opts.shape}.py")]
    return files


def locust_command(opts: LoadOptions, url: str, mailpit_url: str, out: Path,
                   creds: dict[str, str], master_port: int | None = None) -> list[str]:
    """The headless Locust command line of a run (also shown in the summary); with
    ``master_port`` the master of a distributed run, waiting for ``opts.distributed``
    workers (at most a minute: it exits 1 if they do not all come)."""
    command = [
        sys.executable, "-m", "locust",
        "-f", ",".join(locustfiles(opts)),
        "--headless",
        "-u", str(opts.users), "-r", str(opts.spawn_rate), "-t", str(opts.duration),
        "-H", url,
        "--stop-timeout", f"{int(opts.stop_timeout)}s",
        "--csv", str(out / "locust"),
        "--html", str(out / "report.html"),
        "--json-file", str(out / "locust"),
        "--only-summary",
        "--loglevel", "WARNING",
        "--mailpit-url", mailpit_url,
        "--ledger-dir", str(out / "ledger"),
        "--timeline-dir", str(out / "timeline"),
        "--wait-min", str(opts.wait_min),
        "--wait-max", str(opts.wait_max),
        "--mail-timeout", str(opts.mail_timeout),
    ]
    if opts.mix:
        command += ["--mix", opts.mix]
    if opts.processes:
        command += ["--processes", str(opts.processes)]
    if master_port is not None:
        command += ["--master", "--master-bind-host", "127.0.0.1",
                    "--master-bind-port", str(master_port),
                    "--expect-workers", str(opts.distributed),
                    "--expect-workers-max-wait", "60"]
    for key in ("client_id", "client_secret", "tech_login", "tech_password"):
        if creds.get(key):
            command += [f"--{key.replace('_', '-')}", creds[key]]
    return command + list(opts.extra_locust_args) + list(opts.user_classes)


def worker_command(opts: LoadOptions, master_port: int,
                   master_host: str = "127.0.0.1") -> list[str]:
    """A Locust worker of a distributed run: the same locustfiles, the master's address and
    nothing else (the master sends it every other option). On another host this is the
    whole command, with that host's path to the locustfiles and the master's address."""
    return [sys.executable, "-m", "locust", "-f", ",".join(locustfiles(opts)), "--worker",
            "--master-host", master_host, "--master-port", str(master_port),
            "--loglevel", "WARNING"]


def percentile(histogram: dict, fraction: float) -> float:
    """The percentile of a Locust response-time histogram {rounded ms: count}."""
    items = sorted((float(k), v) for k, v in histogram.items())
    total = sum(v for _, v in items)
    if not total:
        return 0.0
    target = fraction * total
    seen = 0
    for value, count in items:
        seen += count
        if seen >= target:
            return value
    return items[-1][0]


def summarise_stats(entries: list[dict]) -> tuple[list[dict], dict]:
    """Per-row figures and totals from Locust's --json-file output."""
    rows: list[dict] = []
    if not entries:
        return rows, {"requests": 0, "failures": 0, "failRatio": 0.0, "rps": 0.0}
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] or start for e in entries)
    window = max(end - start, 1e-9)
    http_histogram: dict[str, int] = {}
    for entry in entries:
        requests_ = entry["num_requests"]
        row = {
            "type": entry["method"],
            "name": entry["name"],
            "requests": requests_,
            "failures": entry["num_failures"],
            "rps": requests_ / window,
            "avg": entry["total_response_time"] / requests_ if requests_ else 0.0,
            "p50": percentile(entry["response_times"], 0.50),
            "p95": percentile(entry["response_times"], 0.95),
            "p99": percentile(entry["response_times"], 0.99),
            "max": entry["max_response_time"] or 0.0,
        }
        rows.append(row)
        if entry["method"] not in NOT_HTTP:
            for key, count in entry["response_times"].items():
                http_histogram[key] = http_histogram.get(key, 0) + count
    http = [r for r in rows if r["type"] not in NOT_HTTP]
    total = sum(r["requests"] for r in rows)
    failures = sum(r["failures"] for r in rows)
    totals = {
        "requests": total,
        "failures": failures,
        "failRatio": failures / total if total else 0.0,
        "window": window,
        "startTime": start,  # epoch seconds of the first request and of the last answer
        "endTime": end,
        "httpRequests": sum(r["requests"] for r in http),
        "httpRps": sum(r["requests"] for r in http) / window,
        "httpP50": percentile(http_histogram, 0.50),
        "httpP95": percentile(http_histogram, 0.95),
        "httpP99": percentile(http_histogram, 0.99),
    }
    return sorted(rows, key=lambda r: (r["type"], r["name"])), totals


def run_locust(command: list[str], out: Path, timeout: float,
               on_start: Callable[[list[int]], None] | None = None,
               workers: list[list[str]] | None = None,
               exits: list[dict] | None = None) -> int:
    """Run Locust to the end (bounded by ``timeout``); its output goes to locust.log.

    ``workers`` are the command lines of a distributed run's worker processes, started
    once the master runs (each logs to ``locust-worker-<n>.log``, its pid and exit code
    are appended to ``exits``); the master tells them to quit at the end, and any left
    after it are ended. ``on_start`` gets the pids of Locust's processes once they run
    (the sampler follows their CPU)."""
    started: list[subprocess.Popen] = []
    with open(out / "locust.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                   start_new_session=True)
        try:
            for number, worker in enumerate(workers or [], start=1):
                with open(out / f"locust-worker-{number}.log", "wb") as worker_log:
                    started.append(subprocess.Popen(worker, stdout=worker_log,
                                                    stderr=subprocess.STDOUT, cwd=REPO,
                                                    start_new_session=True))
            if on_start is not None:
                on_start([process.pid] + [p.pid for p in started])
            return _wait_or_end(process, timeout)
        finally:
            _wait_or_end(process, 0)  # an exception above: the master goes too
            for worker_process in started:  # the master's "quit" has reached them by now
                code = _wait_or_end(worker_process, 30)
                if exits is not None:
                    exits.append({"pid": worker_process.pid, "exitCode": code})


def _wait_or_end(process: subprocess.Popen, timeout: float) -> int:
    """The exit code of ``process`` within ``timeout`` s, else -9 after ending it."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return -9


def new_run_dir(reports_dir: str, label: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")  # infrastructure time, not business
    out = Path(reports_dir) / f"{stamp}-{label}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_load(opts: LoadOptions, stack: RunningStack | None = None,
             out: Path | None = None,
             marks: Callable[[], list[dict]] | None = None) -> dict:
    """One load run; return its summary (also written to ``summary.json``).

    With ``stack`` the run uses that stack (bench, tests); otherwise it starts a
    fresh one in the load profile and stops it afterwards. ``marks`` gives moments to
    mark on the plots, ``[{"at": epoch seconds, "label": ...}]`` (the chaos run's faults).
    """
    out = out or new_run_dir(opts.reports_dir, opts.label)
    own_stack = stack is None
    started = time.time()
    running = stack if stack is not None else start_load_stack(out / "stack", opts)
    try:
        db.init_engine(running.database_url)
        creds = credentials(running.env)
        master_port = free_port() if opts.distributed else None
        command = locust_command(opts, running.url, running.mailpit_url, out, creds,
                                 master_port)
        workers = [worker_command(opts, master_port)] * opts.distributed \
            if master_port is not None else []
        worker_exits: list[dict] = []
        bound = duration_seconds(opts.duration) + opts.stop_timeout + 120
        sampler = Sampler(running.database_url, {"server": lambda: _pid(running.server),
                                                 "mailpit": lambda: _pid(running.mailpit)}).start()
        try:
            exit_code = run_locust(command, out, bound, workers=workers, exits=worker_exits,
                                   on_start=lambda pids: sampler.watch("locust", pids))
        finally:
            sampled = sampler.stop()
        stats_path = out / "locust.json"
        entries = json.loads(stats_path.read_text()) if stats_path.exists() else []
        rows, totals = summarise_stats(entries)
        totals["exceptions"] = count_exceptions(out / "locust_exceptions.csv")
        checks = run_checks(out / "ledger", running.mailpit_url, opts.drain_timeout) \
            if opts.checks else []
        counts = ledger_counts(out / "ledger")
        server_settings = dict(sorted(
            (k.removeprefix("SANDBOX_").lower(), v) for k, v in running.env.items()
            if k.startswith("SANDBOX_") and k not in ("SANDBOX_PUBLIC_BASE_URL",)))
    finally:
        if own_stack:
            running.stop()
    thresholds = evaluate_thresholds(opts, rows, totals)
    plots = _write_plots(out, sampled, opts, marks() if marks else [])
    ran = exit_code in (0, 1) and totals["requests"] > 0 \
        and all(w["exitCode"] in (0, 1) for w in worker_exits)
    passed = ran and all(c.ok for c in checks) and all(t["ok"] for t in thresholds)
    summary = {
        "label": opts.label,
        "startedAt": datetime.fromtimestamp(started, UTC).isoformat(),
        "seconds": round(time.time() - started, 1),
        "machine": machine(),
        "serverSettings": server_settings,
        "server": {"workers": opts.server_workers, "threads": opts.server_threads},
        "options": {k: v for k, v in asdict(opts).items() if k != "settings"},
        "locust": {"exitCode": exit_code, "command": _redact(command),
                   # a distributed run: each worker process, and the timeline files (one per
                   # Locust process that made requests) written by each
                   "workers": [dict(w, command=workers[0], timeline=any(
                                   (out / "timeline").glob(f"timeline-*-{w['pid']}.jsonl")))
                               for w in worker_exits]},
        "totals": totals,
        "stats": rows,
        "ledger": counts,
        "checks": [c.as_dict() for c in checks],
        "thresholds": thresholds,
        "passed": passed,
        "reports": {"html": str(out / "report.html"), "csv": str(out / "locust_stats.csv"),
                    "json": str(out / "locust.json"), "log": str(out / "locust.log"),
                    **plots},
        "sampler": {"samples": len(sampled["samples"]), "dropped": sampled["dropped"],
                    "ownCpuMsPerS": sampled["ownCpuMsPerS"], "errors": sampled["errors"]},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def _pid(service) -> int | None:
    process = getattr(service, "process", None)
    return process.pid if process is not None else None


def _write_plots(out: Path, sampled: dict, opts: LoadOptions,
                 marks: list[dict]) -> dict[str, str]:
    """plots.html beside Locust's report; a drawing error is reported, the run stands."""
    facts = machine()
    meta = {"label": opts.label, "cores": facts["cores"], "marks": marks,
            "load": f"{opts.users} users (spawn {opts.spawn_rate:g}/s), {opts.duration}, "
                    f"shape {opts.shape}, mix {opts.mix or '-'}",
            "server": f"{opts.server_workers} workers × {opts.server_threads} threads",
            "machine": f"{facts['cpu']} ({facts['cores']} cores), load average at the end "
                       + (f"{facts['load1']:.2f}" if facts["load1"] is not None else "-")}
    (out / "samples.json").write_text(json.dumps(sampled))  # the raw samples, to redraw
    try:
        return {"plots": str(write_plots(out, out / "timeline", sampled, meta))}
    except Exception as error:  # the figures and checks stand without their drawing
        return {"plotsError": f"{type(error).__name__}: {error}"[:500]}


def count_exceptions(path: Path) -> int:
    """How many exceptions the user code raised (Locust's exceptions CSV)."""
    if not path.exists():
        return 0
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(int(r.get("Count") or 1) for r in csv.DictReader(handle))


def evaluate_thresholds(opts: LoadOptions, rows: list[dict], totals: dict) -> list[dict]:
    """Fail ratio, p95 of the slowest HTTP row, p95 of each mail metric."""
    http = [r for r in rows if r["type"] not in NOT_HTTP and r["requests"]]
    slowest = max(http, key=lambda r: r["p95"], default=None)
    found = [
        {"name": f"fail ratio <= {opts.max_fail_ratio:.2%}", "value": totals["failRatio"],
         "ok": totals["failRatio"] <= opts.max_fail_ratio},
        {"name": f"p95 of every HTTP row <= {opts.max_p95_ms:.0f} ms (slowest: "
                 f"{slowest['type'] + ' ' + slowest['name'] if slowest else '-'})",
         "value": slowest["p95"] if slowest else 0.0,
         "ok": slowest is None or slowest["p95"] <= opts.max_p95_ms},
    ]
    found.append({"name": "no exception in the load tests' code (locust_exceptions.csv)",
                  "value": totals.get("exceptions", 0), "ok": not totals.get("exceptions", 0)})
    for row in rows:
        if row["type"] == "EMAIL":
            found.append({"name": f"p95 of '{row['name']}' <= {opts.max_mail_p95_ms:.0f} ms",
                          "value": row["p95"], "ok": row["p95"] <= opts.max_mail_p95_ms})
        if row["type"] == "FLUX":
            found.append({"name": f"p95 of '{row['name']}' <= {opts.max_flux_p95_ms:.0f} ms",
                          "value": row["p95"], "ok": row["p95"] <= opts.max_flux_p95_ms})
    return found


def _redact(command: list[str]) -> list[str]:
    shown, hide = [], False
    for part in command:
        shown.append("***" if hide else part)
        hide = part in ("--client-secret", "--tech-password")
    return shown


def print_plots(summary: dict, echo=print) -> None:
    """Where plots.html is, and what the sampling cost (or why the page is missing)."""
    reports = summary["reports"]
    if reports.get("plots"):
        echo(f"  Plots over time (latency per endpoint, mail, CPU, queues): {reports['plots']} "
             f"(sampler {summary['sampler']['ownCpuMsPerS']:.1f} CPU-ms/s, not the server's)")
    elif reports.get("plotsError"):
        echo(f"  Plots not drawn: {reports['plotsError']}")


def print_summary(summary: dict, echo=print) -> None:
    """A short human-readable account of a run."""
    totals = summary["totals"]
    echo(f"Run '{summary['label']}': {totals['requests']} requests, "
         f"{totals['failures']} failures ({totals['failRatio']:.2%}), "
         f"HTTP {totals.get('httpRps', 0):.1f} req/s, p95 {totals.get('httpP95', 0):.0f} ms")
    for row in summary["stats"]:
        echo(f"  {row['type']:6} {row['name'][:60]:60} {row['requests']:7} req "
             f"{row['failures']:5} fail  {row['rps']:7.1f}/s  p50 {row['p50']:6.0f}  "
             f"p95 {row['p95']:6.0f}  p99 {row['p99']:6.0f} ms")
    for check in summary["checks"]:
        echo(f"  [{'ok' if check['ok'] else 'FAIL'}] {check['name']}: {check['detail']}")
        for example in check["examples"][:5]:
            echo(f"        {example}")
    for threshold in summary["thresholds"]:
        echo(f"  [{'ok' if threshold['ok'] else 'FAIL'}] {threshold['name']} "
             f"(measured {threshold['value']:.3g})")
    workers = summary["locust"].get("workers") or []
    if workers:
        echo(f"  Locust master + {len(workers)} worker processes: exit codes "
             f"{', '.join(str(w['exitCode']) for w in workers)}; "
             f"{sum(1 for w in workers if w['timeline'])} of them made requests")
    echo(f"  Locust exit code {summary['locust']['exitCode']}; reports in "
         f"{Path(summary['reports']['html']).parent}")
    print_plots(summary, echo)
    echo("PASSED" if summary["passed"] else "FAILED")
