"""`make bench`: measure the sandbox on this machine, write a table and a dated entry.

Each measure is a short Locust run (the runner of ``make load``) on a fresh stack:
the ceiling, the API read mix, signup→activation flows (load profile, then the
default hash cost), ``rechercher``/``consulter`` at several structure counts, the
reset time and the server's memory. Targets come from issue 7.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

from sandbox.loadtesting.runner import (
    DEFAULT_HASH_METHOD,
    LOAD_PROFILE,
    LOADTESTS,
    LoadOptions,
    duration_seconds,
    machine,
    new_run_dir,
    run_load,
    start_load_stack,
)

UNROUTED = "/_load/unrouted"  # answers 404: every per-request hook, no view
RECHERCHER = "/cpro/structures/v1/rechercher [identifiant]"
CONSULTER = "/cpro/structures/v1/consulter"
RAISON_SOCIALE = "/cpro/structures/v1/rechercher [raison sociale]"
RESET_MAX_STRUCTURES = 100_000  # reset is timed up to this size only
PREPARE_ABOVE = 100_000  # larger scale databases are seeded once into var/ and reused


@dataclass
class BenchOptions:
    reports_dir: str = "reports"
    docs: str = "docs/performance.md"
    duration: str = "30s"
    api_users: int = 50
    flow_users: int = 30
    scale: list[int] = field(default_factory=lambda: [10_000, 1_000_000])
    scale_db: dict[int, str] = field(default_factory=dict)
    note: str = ""
    profile: bool = True
    parts: tuple[str, ...] = ("api", "flows", "scale")  # api = ceiling + API read mix
    var_dir: str = "var"


def server_rss_mib(pid: int | None) -> float:
    """Resident memory of the gunicorn master and its workers (MiB)."""
    if pid is None:
        return 0.0
    pids, children = {pid}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields_ = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields_[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    frontier = [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in pids:
                pids.add(child)
                frontier.append(child)
    total_kib = 0
    for item in pids:
        try:
            for line in Path(f"/proc/{item}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def prepare_scale_db(count: int, var_dir: str, echo=print) -> str:
    """The cached database of ``count`` structures in ``var_dir``, seeded once if missing."""
    path = Path(var_dir) / f"scale-{count}.db"
    if path.exists():
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.db")
    echo(f"  seeding {count:,} structures into {path} once (reused by later benches) ...")
    env = dict(os.environ, SANDBOX_DATABASE_URL=f"sqlite:///{partial.resolve()}")
    cli = str(Path(sys.executable).parent / "chorus-sandbox")
    subprocess.run([cli, "seed", "--structures", str(count)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    from sandbox.db import build_engine

    engine = build_engine(f"sqlite:///{partial.resolve()}")
    with engine.connect() as conn:  # fold the WAL into the file before it is copied around
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    partial.rename(path)
    return str(path)


def ensure_indexes(database_url: str) -> list[str]:
    """Create the indexes of the current schema that a prepared database lacks.

    ``create_all`` adds missing tables, never an index to an existing table: a database
    seeded before an index was added would otherwise be measured without it.
    """
    from sqlalchemy import inspect

    from sandbox.db import build_engine
    from sandbox.models import Base

    engine = build_engine(database_url)
    added = []
    try:
        existing = {table: {i["name"] for i in inspect(engine).get_indexes(table)}
                    for table in inspect(engine).get_table_names()}
        for table in Base.metadata.sorted_tables:
            for index in table.indexes:
                if table.name in existing and index.name not in existing[table.name]:
                    index.create(engine)
                    added.append(index.name)
    finally:
        engine.dispose()
    return added


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


def run_bench(opts: BenchOptions, echo=print) -> dict:
    """Every measure in one run; return the results (also in bench.json)."""
    out = new_run_dir(opts.reports_dir, "bench")
    seconds = duration_seconds(opts.duration)
    results: dict = {"machine": machine(), "startedAt": datetime.now(UTC).isoformat(),
                     "duration": opts.duration, "note": opts.note, "profile": dict(LOAD_PROFILE)}

    def load(label: str, stack, **kwargs) -> dict:
        run_out = out / label
        run_out.mkdir(parents=True, exist_ok=True)
        base = dict(duration=opts.duration, label=label, max_p95_ms=10_000,
                    max_mail_p95_ms=30_000, stop_timeout=15)
        base.update(kwargs)
        summary = run_load(LoadOptions(**base), stack=stack, out=run_out)
        echo(f"  {label}: HTTP {summary['totals'].get('httpRps', 0):.1f} req/s, "
             f"p95 {summary['totals'].get('httpP95', 0):.0f} ms, "
             f"failures {summary['totals']['failures']}, passed={summary['passed']}")
        return summary

    if "api" in opts.parts:
        # 1. Ceiling and API read mix, one stack in the load profile.
        echo("Bench: ceiling and API read mix ...")
        stack = start_load_stack(out / "stack-api", LoadOptions())
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

    results["flows"] = {}
    if "flows" in opts.parts:
        # 2. Signup → activation flows: load profile, then the default hash cost.
        for label, hash_method in (("load-profile", LOAD_PROFILE["password_hash_method"]),
                                   ("default-hash", DEFAULT_HASH_METHOD)):
            echo(f"Bench: signup→activation flows ({label}, {hash_method}) ...")
            settings = {"password_hash_method": hash_method}
            stack = start_load_stack(out / f"stack-flows-{label}", LoadOptions(settings=settings))
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
            }

    # 3. Scale: rechercher and consulter p95 at each structure count.
    results["scale"] = {}
    for count in (opts.scale if "scale" in opts.parts else []):
        echo(f"Bench: scale at {count} structures ...")
        work = out / f"stack-scale-{count}"
        work.mkdir(parents=True, exist_ok=True)
        settings = {"seed_structures": str(count)}
        prepared = opts.scale_db.get(count)
        if prepared is None and count > PREPARE_ABOVE:
            prepared = prepare_scale_db(count, opts.var_dir, echo)
        if prepared:
            shutil.copyfile(prepared, work / "sandbox.db")
            if os.path.exists(f"{prepared}-wal"):  # not checkpointed yet: part of the data
                shutil.copyfile(f"{prepared}-wal", work / "sandbox.db-wal")
            settings["database_url"] = f"sqlite:///{work / 'sandbox.db'}"
            added = ensure_indexes(settings["database_url"])
            if added:
                echo(f"  prepared database: created missing indexes {', '.join(added)}")
        started = time.perf_counter()
        try:
            stack = start_load_stack(work, LoadOptions(settings=settings))
        except Exception as error:
            results["scale"][count] = {"error": str(error)[:300]}
            echo(f"  scale {count}: could not start ({error})")
            continue
        ready = time.perf_counter() - started
        try:
            target = out / f"profile-scale-{count}.txt"
            spy = profile_server(stack, int(seconds), target) if opts.profile else None
            summary = load(f"scale-{count}", stack, users=10, spawn_rate=10, mix="api=1",
                           checks=False)
            profile_scale = finish_profile(spy, target)
            # The same without the substring search: do indexed lookups alone stay flat?
            lookups = load(f"scale-{count}-lookups", stack, users=10, spawn_rate=10, mix="api=1",
                           checks=False,
                           extra_locust_args=["--api-skip", "rechercher_par_raison_sociale"])
            rss = server_rss_mib(stack.server.process.pid if stack.server.process else None)
            # Above the seeding's cache a reset re-seeds everything (minutes at a million).
            reset = time_reset(stack.url, times=1) if count <= RESET_MAX_STRUCTURES else None
        finally:
            stack.stop()
            if prepared:  # the copy of a prepared database is gigabytes: keep only the logs
                for leftover in work.glob("sandbox.db*"):
                    leftover.unlink()
        results["scale"][count] = {
            "prepared_db": bool(prepared), "start_seconds": ready,
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
        }

    results["finishedAt"] = datetime.now(UTC).isoformat()
    (out / "bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    table = markdown(results)
    (out / "bench.md").write_text(table)
    echo(table)
    if opts.docs:
        append_entry(Path(opts.docs), results, table, out)
        echo(f"Entry appended to {opts.docs}")
    echo(f"Reports in {out}")
    return results


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**missed**")


def markdown(r: dict) -> str:
    """The figures against the targets of issue 7, as a Markdown table."""
    m = r["machine"]
    lines = [
        f"Machine: {m['cpu']} ({m['cores']} cores, {m['memory']}), {m['os']}, Python "
        f"{m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        f"Server: gunicorn gthread 2 workers × 4 threads, SQLite; load profile "
        f"{', '.join(f'{k}={v}' for k, v in r['profile'].items())}; Locust in one process "
        f"on the same box; each run {r['duration']}. Load average at start: {m['load1']:.2f}.",
    ]
    if r.get("note"):
        lines.append(f"Note: {r['note']}")
    lines += ["", "| Measure | Figure | Target | Verdict |", "|---|---|---|---|"]
    c, a = r.get("ceiling"), r.get("api") or {}
    if c:
        lines.append(f"| Ceiling (`GET {c['path']}`) | {c['rps']:.0f} req/s, "
                     f"p95 {_ms(c['p95'])} | - | - |")
        lines.append(f"| API read mix, {a['users']} users | {a['rps']:.0f} req/s "
                     f"({a['ratio']:.0%} of ceiling), p50 {_ms(a['p50'])}, p95 {_ms(a['p95'])}, "
                     f"p99 {_ms(a['p99'])}, {a['failures']} failures | ≥ 50 % of ceiling, "
                     f"p99 < 50 ms | {_verdict(a['ratio'] >= 0.5 and a['p99'] < 50)} |")
    for label, f in r["flows"].items():
        target = "≥ 100 flows/s, mail p95 < 1 s, no mail lost" if label == "load-profile" else "-"
        ok = (f["flows_per_s"] >= 100 and f["mail_p95"] < 1000 and f["checks_ok"]
              if label == "load-profile" else None)
        lines.append(
            f"| Signup→activation ({label}, `{f['hash']}`), {f['users']} users | "
            f"{f['flows_per_s']:.1f} flows/s ({f['activations']} completed, {f['signups']} "
            f"signups), mail p50 {_ms(f['mail_p50'])}, p95 {_ms(f['mail_p95'])}, checks "
            f"{'passed' if f['checks_ok'] else 'FAILED'} | {target} | {_verdict(ok)} |")
    scale = {int(k): v for k, v in r["scale"].items()}
    for count, s in sorted(scale.items()):
        if "error" in s:
            lines.append(f"| Scale {count:,} structures | not measured: {s['error'][:120]} | | |")
            continue
        lines.append(
            f"| Scale {count:,} structures{' (prepared db)' if s['prepared_db'] else ''} | "
            f"rechercher [identifiant] p95 {_ms(s['rechercher_p95'])}, consulter p95 "
            f"{_ms(s['consulter_p95'])}, rechercher [raison sociale] p95 "
            f"{_ms(s.get('raison_sociale_p95'))}; mix {s.get('rps', 0):.0f} req/s (10 users); "
            f"start (seed) {s['start_seconds']:.0f} s; reset {_s(s['reset_seconds'], count)}; "
            f"server RSS {s['rss_mib']:.0f} MiB | | |")
    if 10_000 in scale and 1_000_000 in scale and "error" not in scale[10_000] \
            and "error" not in scale[1_000_000]:
        base, big = scale[10_000]["rechercher_p95"], scale[1_000_000]["rechercher_p95"]
        ratio = big / base if base else 0.0
        lines.append(f"| rechercher [identifiant] p95 at 1M / at 10k, full mix | {ratio:.2f}× "
                     f"| ≤ 1.5× | {_verdict(ratio <= 1.5 and base > 0)} |")
        small, large = scale[10_000], scale[1_000_000]
        if small.get("lookups_rechercher_p95"):
            ratio = large["lookups_rechercher_p95"] / small["lookups_rechercher_p95"]
            lines.append(
                f"| rechercher [identifiant] p95 at 1M / at 10k, lookups only (no raison sociale "
                f"search) | {ratio:.2f}× ({_ms(small['lookups_rechercher_p95'])} → "
                f"{_ms(large['lookups_rechercher_p95'])}; consulter "
                f"{_ms(small['lookups_consulter_p95'])} → {_ms(large['lookups_consulter_p95'])}) "
                f"| ≤ 1.5× | {_verdict(ratio <= 1.5)} |")
    if "reset_seconds_default_seed" in r:
        lines.append(f"| Reset (default seed, median of 3) | "
                     f"{_s(r['reset_seconds_default_seed'])} | - | - |")
    profiles = [("API read mix", a.get("profile"))] + [
        (f"signup→activation, {label}", f.get("profile")) for label, f in r["flows"].items()] + [
        (f"API mix at {int(count):,} structures", s.get("profile"))
        for count, s in r["scale"].items()]
    for title, frames in profiles:
        if frames:
            lines += ["", f"Where the server's workers spend their time — {title} (py-spy, "
                      "inclusive % of samples, threads waiting for work left out):", ""]
            lines += [f"- {pct:.0f} % `{name}`" for name, pct in frames]
    return "\n".join(lines) + "\n"


def _s(value: float | None, count: int = 0) -> str:
    if value is None:
        return "not timed (a full re-seed)" if count > RESET_MAX_STRUCTURES else "not available"
    return f"{value:.2f} s"


def append_entry(path: Path, results: dict, table: str, out: Path) -> None:
    """Append a dated entry (figures against targets) to docs/performance.md."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("# Performance\n\nDated entries written by `make bench` "
                        "(newest last). How to read them: docs/load.md.\n")
    stamp = results["startedAt"][:16].replace("T", " ")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n## {stamp} UTC — `make bench`\n\n{table}\nRaw results: `{out}/bench.json`"
                     " (not committed).\n")
