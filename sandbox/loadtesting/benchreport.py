"""The Markdown of `make bench`: figures against the targets of issue 13.

Every run shows the server's CPU-ms per unit of work (request, flow) next to its
rate and latencies, with Mailpit's and Locust's CPU apart: on a box shared with
other work the rate is noisy, the CPU per request much less so.
"""

from __future__ import annotations

from pathlib import Path

RESET_MAX_STRUCTURES = 100_000  # reset is timed up to this size only

# Issue 13's targets.
API_RATIO = 0.5  # API read mix req/s over the ceiling's, same run
API_P99_MS = 50.0
API_CPU_MS = 1.5  # server CPU-ms per call
FLOWS_PER_S = 60.0
FLOW_CPU_MS = 20.0  # server CPU-ms per signup → activation → login flow
MAIL_P95_MS = 1000.0
SCALE_RATIO = 1.5
# Issue 24's targets against the peers of the same run.
API_CPU_MS_24 = 1.0  # server CPU-ms per call of the API mix
PEER_CPU_RATIO = 5.0  # at most this many times WireMock's CPU-ms per stubbed call
FLOW_CPU_MS_24 = 30.0  # server CPU-ms per signup → activation → login flow
PEER_FLOW_RATE = 0.5  # at least this fraction of moto's Cognito flows per second


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**missed**")


def _s(value: float | None, count: int = 0) -> str:
    if value is None:
        return "not timed (a full re-seed)" if count > RESET_MAX_STRUCTURES else "not available"
    return f"{value:.2f} s"


def cpu_cell(cpu: dict | None, unit: str = "request") -> str:
    """'3.10 server (Mailpit 0.00, Locust 1.20) CPU-ms per request'."""
    if not cpu or cpu.get("server_ms") is None:
        return "-"
    idle = cpu.get("server_idle_ms_per_s")
    return (f"**{_cpu(cpu['server_ms'])}** (Mailpit {_cpu(cpu['mailpit_ms'])}, Locust "
            f"{_cpu(cpu['locust_ms'])}) per {unit}"
            + (f"; server idle {idle:.0f} CPU-ms/s" if idle is not None else ""))


def _server_line(r: dict) -> str:
    server = r.get("server") or {}
    kind = server.get("kind", "gunicorn gthread")
    layout = f"{server.get('workers', 2)} workers × {server.get('threads', 4)} threads"
    m = r["machine"]
    # SQLite serves every part but a scale run on PostgreSQL alone (--scale-on postgresql).
    on_sqlite = any(r.get(key) for key in ("ceiling", "flows", "invoices", SCALE_KEYS[0][0]))
    databases = ", ".join(["SQLite"] * on_sqlite + [
        "PostgreSQL (scale)" for key, _ in SCALE_KEYS[1:] if r.get(key)])
    return (f"Server: {kind} {layout}, {databases}; load profile "
            f"{', '.join(f'{k}={v}' for k, v in r['profile'].items())}; Locust in one process "
            f"on the same box; each run {r['duration']}. Load average at start: {m['load1']:.2f}.")


# The results' keys of the scale runs, by database (bench.scale_key).
SCALE_KEYS = (("scale", "sqlite"), ("scale_postgresql", "postgresql"))


def _seeded(s: dict) -> str:
    """' (seeded in 812 s once, reused)' for a prepared database, ' (seed included)' else."""
    if not s.get("prepared_db"):
        return " (seed included)"
    if s.get("seed_seconds") is None:
        return " (prepared db, seed time not recorded)"
    return f" (prepared db: seeded once in {s['seed_seconds']:.0f} s)"


def _size(count: int) -> str:
    """1M, 250k, 10k."""
    return f"{count // 1_000_000}M" if count % 1_000_000 == 0 else f"{count // 1000}k"


def scale_lines(results: dict, database: str) -> list[str]:
    """The rows of the scale runs on ``database``: each size, then 1 M against 10 k."""
    on = "" if database == "sqlite" else f" on {database}"
    lines: list[str] = []
    scale = {int(k): v for k, v in results.items()}
    for count, s in sorted(scale.items()):
        if "error" in s:
            lines.append(f"| Scale {count:,} structures{on} | not measured: {s['error'][:120]} "
                         "| | | |")
            continue
        lines.append(
            f"| Scale {count:,} structures{on}{' (prepared db)' if s['prepared_db'] else ''} | "
            f"rechercher [identifiant] p95 {_ms(s['rechercher_p95'])}, consulter p95 "
            f"{_ms(s['consulter_p95'])}, rechercher [raison sociale] p95 "
            f"{_ms(s.get('raison_sociale_p95'))}; mix {s.get('rps', 0):.0f} req/s (10 users"
            f"{', after a ' + s['warm_up'] + ' unmeasured warm-up' if s.get('warm_up') else ''}); "
            f"start {s['start_seconds']:.0f} s{_seeded(s)}; reset {_s(s['reset_seconds'], count)}; "
            f"server RSS {s['rss_mib']:.0f} MiB | {cpu_cell(s.get('cpu'))} | | |")
    sizes = sorted(count for count, s in scale.items() if "error" not in s)
    if len(sizes) > 1:  # the largest against the smallest (1M / 10k by default)
        low, high = sizes[0], sizes[-1]
        vs = f"{_size(high)} / at {_size(low)}"
        base, big = scale[low]["rechercher_p95"], scale[high]["rechercher_p95"]
        ratio = big / base if base else 0.0
        lines.append(f"| rechercher [identifiant] p95 at {vs}{on}, full mix | {ratio:.2f}× "
                     f"| | ≤ {SCALE_RATIO}× | {_verdict(ratio <= SCALE_RATIO and base > 0)} |")
        small, large = scale[low], scale[high]
        ops = [(name, small["operations"][name]["p95"], large["operations"][name]["p95"])
               for name in sorted(small.get("operations") or {})
               if name in (large.get("operations") or {})]
        if ops:
            worst = max((b / a if a else float("inf")) for _, a, b in ops)
            cells = "; ".join(f"{name.removeprefix('/cpro/')} {_ms(a)} → {_ms(b)} "
                              f"({b / a if a else float('inf'):.2f}×)" for name, a, b in ops)
            lines.append(f"| Every operation's p95 at {vs}{on}, full mix (worst "
                         f"{worst:.2f}×) | {cells} | | ≤ {SCALE_RATIO}× each | "
                         f"{_verdict(worst <= SCALE_RATIO)} |")
        if small.get("lookups_rechercher_p95"):
            ratio = large["lookups_rechercher_p95"] / small["lookups_rechercher_p95"]
            lines.append(
                f"| rechercher [identifiant] p95 at {vs}{on}, lookups only (no raison "
                f"sociale search) | {ratio:.2f}× ({_ms(small['lookups_rechercher_p95'])} → "
                f"{_ms(large['lookups_rechercher_p95'])}; consulter "
                f"{_ms(small['lookups_consulter_p95'])} → {_ms(large['lookups_consulter_p95'])}) "
                f"| | ≤ {SCALE_RATIO}× | {_verdict(ratio <= SCALE_RATIO)} |")
    return lines


def markdown(r: dict) -> str:
    """The figures against the targets of issue 13, as a Markdown table."""
    m = r["machine"]
    lines = [
        f"Machine: {m['cpu']} ({m['cores']} cores, {m['memory']}), {m['os']}, Python "
        f"{m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
    ]
    # A run of the scaling part alone has its own lines (scaling_lines), not this table.
    main = (r.get("ceiling") or r.get("flows") or r.get("invoices")
            or any(r.get(key) for key, _ in SCALE_KEYS))
    if main:
        lines.append(_server_line(r))
    if r.get("note"):
        lines.append(f"Note: {r['note']}")
    if main:
        lines += ["", "| Measure | Figure | Server CPU-ms (Mailpit, Locust) | Target | Verdict |",
                  "|---|---|---|---|---|"]
    c, a = r.get("ceiling"), r.get("api") or {}
    if c:
        lines.append(f"| Ceiling (`GET {c['path']}`) | {c['rps']:.0f} req/s, p50 {_ms(c['p50'])}, "
                     f"p95 {_ms(c['p95'])}, p99 {_ms(c['p99'])} | {cpu_cell(c.get('cpu'))} "
                     "| - | - |")
        cpu = (a.get("cpu") or {}).get("server_ms")
        ratio = a.get("cpu_ratio")
        ok = a["ratio"] >= API_RATIO and a["p99"] < API_P99_MS and cpu is not None \
            and cpu <= API_CPU_MS
        lines.append(
            f"| API read mix, {a['users']} users | {a['rps']:.0f} req/s ({a['ratio']:.0%} of "
            f"ceiling), p50 {_ms(a['p50'])}, p95 {_ms(a['p95'])}, p99 {_ms(a['p99'])}, "
            f"{a['failures']} failures | {cpu_cell(a.get('cpu'))}"
            f"{f'; {ratio:.1f}× the ceiling' if ratio else ''} | ≥ {API_RATIO:.0%} of ceiling, "
            f"p99 < {API_P99_MS:.0f} ms, ≤ {API_CPU_MS} CPU-ms per call | {_verdict(ok)} |")
    for label, f in r["flows"].items():
        main = label == "load-profile"
        cpu = (f.get("cpu") or {}).get("server_ms")
        target = (f"≥ {FLOWS_PER_S:.0f} flows/s, ≤ {FLOW_CPU_MS:.0f} CPU-ms per flow, mail "
                  f"p95 < 1 s, no mail lost") if main else "-"
        ok = (f["flows_per_s"] >= FLOWS_PER_S and f["mail_p95"] < MAIL_P95_MS and f["checks_ok"]
              and cpu is not None and cpu <= FLOW_CPU_MS) if main else None
        per_request = (f.get("cpu_per_request") or {}).get("server_ms")
        lines.append(
            f"| Signup→activation→login ({label}, `{f['hash']}`), {f['users']} users | "
            f"{f['flows_per_s']:.1f} flows/s ({f['activations']} completed, {f['signups']} "
            f"signups), mail p50 {_ms(f['mail_p50'])}, p95 {_ms(f['mail_p95'])}, checks "
            f"{'passed' if f['checks_ok'] else 'FAILED'} | {cpu_cell(f.get('cpu'), 'flow')}"
            f"{f'; {per_request:.2f} per request' if per_request else ''} | {target} "
            f"| {_verdict(ok)} |")
    inv = r.get("invoices")
    if inv:
        lines.append(
            f"| Invoice deposits, {inv['users']} users (deposit → CR → search → history) | "
            f"{inv['deposits_per_s']:.1f} deposits/s ({inv['deposits']} deposits), "
            f"deposer/flux → IN_INTEGRE p50 {_ms(inv['integration_p50'])}, "
            f"p95 {_ms(inv['integration_p95'])}, {inv['failures']} failures, checks "
            f"{'passed' if inv['checks_ok'] else 'FAILED'} | {cpu_cell(inv.get('cpu'), 'deposit')} "
            f"| - | - |")
    for key, database in SCALE_KEYS:
        if r.get(key):
            lines += scale_lines(r[key], database)
    lines += peer_lines(r)
    lines += scaling_lines(r)
    if "reset_seconds_default_seed" in r:
        lines.append(f"| Reset (default seed, median of 3) | "
                     f"{_s(r['reset_seconds_default_seed'])} | | - | - |")
    profiles = [("API read mix", a.get("profile"))] + [
        (f"signup→activation, {label}", f.get("profile")) for label, f in r["flows"].items()] + [
        (f"API mix at {int(count):,} structures{'' if db == 'sqlite' else ' on ' + db}",
         s.get("profile"))
        for key, db in SCALE_KEYS for count, s in (r.get(key) or {}).items()]
    for title, frames in profiles:
        if frames:
            lines += ["", f"Where the server's workers spend their time — {title} (py-spy, "
                      "inclusive % of samples, threads waiting for work left out):", ""]
            lines += [f"- {pct:.0f} % `{name}`" for name, pct in frames]
    return "\n".join(lines) + "\n"


def scaling_lines(r: dict) -> list[str]:
    """The scaling part (issue 24.6): one row per run, then the growth with processes."""
    sc = r.get("scaling")
    if not sc:
        return []
    if sc.get("unavailable"):
        return ["", f"Server processes × Locust workers on PostgreSQL: not measured "
                f"({sc['unavailable'][:200]})."]
    kind = (r.get("server") or {}).get("kind", "granian")
    lines = ["", f"Server processes × Locust worker processes on one PostgreSQL ({kind}, "
             f"{sc.get('threads', 4)} threads per process, one fresh database per server "
             "count; Locust's --master and N --worker processes, Mailpit and PostgreSQL on the "
             "same box). Cores busy are averages over the Locust run, from the run's sampler:",
             "", "| Run (UTC; load 1/5/15 at start) | Server processes | Locust workers | Load "
             "| Rate | p95 | Server CPU-ms (PostgreSQL's) | Cores busy: server / Locust / box "
             "| Checks |",
             "|---|---|---|---|---|---|---|---|---|"]
    for run in sc["runs"]:
        flows = run["kind"] == "flows"
        load = ", ".join(f"{x:.2f}" for x in run["load"])
        rate = (f"{run.get('flows_per_s', 0):.1f} flows/s ({run['rps']:.0f} req/s)" if flows
                else f"{run['rps']:.0f} req/s")
        cpu = (f"**{_cpu(run.get('server_ms_per_flow'))}** per flow "
               f"({_cpu(run['server_ms'])} per request)" if flows
               else f"**{_cpu(run['server_ms'])}** per request")
        database = run.get("postgres_ms_per_flow") if flows else run.get("postgres_ms")
        if database is not None:
            cpu += f"; PostgreSQL {_cpu(database)}"
        if run.get("server_idle_ms_per_s") is not None:
            cpu += f"; server idle {run['server_idle_ms_per_s']:.0f} CPU-ms/s"
        busy = " / ".join("-" if run.get(k) is None else f"{run[k]:.2f}"
                          for k in ("server_cores", "locust_cores", "machine_cores"))
        checks = ("passed" if run["checks_ok"]
                  else "**FAILED** " + ", ".join(run.get("checks_failed") or ["(none ran)"])) \
            + f"; {run['failures']} failures; {run['workers_ran']}/{run['locust_workers']} " \
            "workers made requests"
        what = (f"signup flows, {run['users']} users" if flows
                else f"API mix, {run['users']} users")
        lines.append(f"| {run['at']} ({load}) | {run['processes']} | {run['locust_workers']} "
                     f"| {what} | {rate} | {_ms(run['p95'])} | {cpu} | {busy} of "
                     f"{run.get('cores') or '-'} | {checks} |")
    for kind, key in (("api", "rps"), ("flows", "flows_per_s")):
        for workers in sc["locust_workers"]:
            series = [(x["processes"], x.get(key) or 0.0) for x in sc["runs"]
                      if x["kind"] == kind and x["locust_workers"] == workers]
            if len(series) > 1 and series[0][1]:
                base = series[0][1]
                growth = " → ".join(f"{n} p. {v / base:.2f}×" for n, v in series)
                lines.append(f"\n{'API mix' if kind == 'api' else 'Signup flows'}, "
                             f"{workers} Locust worker(s), rate against {series[0][0]} "
                             f"server process(es): {growth}.")
    return lines


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}×"


def _server_ms(part: dict | None) -> float | None:
    return ((part or {}).get("cpu") or {}).get("server_ms")


def peer_lines(r: dict) -> list[str]:
    """The sandbox against its peers of the same run (issue 24): rates and CPU per unit."""
    peers = r.get("peers")
    if not peers:
        return []
    lines = ["", "Peers, same run (server CPU = CPU of the whole process tree / units):", "",
             "| Load | sandbox | peer | ratio (sandbox / peer) | target | verdict |",
             "|---|---|---|---|---|---|"]
    wiremock = peers.get("wiremock")
    if wiremock and "unavailable" in wiremock:
        lines.append(f"| WireMock | | **not measured**: {wiremock['unavailable'][:200]} | | | |")
    elif wiremock:
        name = f"WireMock {wiremock['version']}"
        c, a = r.get("ceiling") or {}, r.get("api") or {}
        wc, wa = wiremock["ceiling"], wiremock["api"]
        lines.append(
            f"| ceiling (`{c.get('path', '-')}` vs a {name} stub) | {c.get('rps', 0):.0f} req/s, "
            f"{_cpu(_server_ms(c))} CPU-ms/req | {wc['rps']:.0f} req/s, "
            f"{_cpu(_server_ms(wc))} | rate {_x(_ratio(c.get('rps'), wc['rps']))}, CPU "
            f"{_x(_ratio(_server_ms(c), _server_ms(wc)))} | - | - |")
        cpu_ratio = _ratio(_server_ms(a), _server_ms(wa))
        mine = _server_ms(a)
        ok = None if cpu_ratio is None or mine is None else (
            cpu_ratio <= PEER_CPU_RATIO and mine <= API_CPU_MS_24)
        lines.append(
            f"| API read mix vs {name} stubs of the sandbox's answers ({wiremock['stubs']} "
            f"recorded, pool of {wiremock['pool']}) | {a.get('rps', 0):.0f} req/s, "
            f"{_cpu(mine)} CPU-ms/req | {wa['rps']:.0f} req/s, {_cpu(_server_ms(wa))} "
            f"({wa['failures']} unmatched or failed of {wa['requests']}) | rate "
            f"{_x(_ratio(a.get('rps'), wa['rps']))}, CPU {_x(cpu_ratio)} | ≤ "
            f"{API_CPU_MS_24} CPU-ms per call, ≤ {PEER_CPU_RATIO:.0f}× WireMock | "
            f"{_verdict(ok)} |")
    moto = peers.get("moto")
    if moto and "unavailable" in moto:
        lines.append(f"| moto | | **not measured**: {moto['unavailable'][:200]} | | | |")
    elif moto:
        flows = (r.get("flows") or {}).get("load-profile")
        if flows:
            mine = _server_ms(flows)
            rate = _ratio(flows["flows_per_s"], moto["flows_per_s"])
            ok = None if mine is None or rate is None else (
                mine <= FLOW_CPU_MS_24 and rate >= PEER_FLOW_RATE)
            mailpit = (flows.get("cpu") or {}).get("mailpit_ms")
            lines.append(
                f"| signup → activation → login vs moto {moto['version']} Cognito SignUp → "
                f"ConfirmSignUp → InitiateAuth, {moto['users']} users | "
                f"{flows['flows_per_s']:.1f} flows/s, {_cpu(mine)} CPU-ms/flow (+ Mailpit "
                f"{_cpu(mailpit)}) | {moto['flows_per_s']:.1f} flows/s, "
                f"{_cpu(_server_ms(moto))} ({moto['failures']} failures) | rate {_x(rate)}, CPU "
                f"{_x(_ratio(mine, _server_ms(moto)))} | ≤ {FLOW_CPU_MS_24:.0f} CPU-ms per "
                f"flow, ≥ {PEER_FLOW_RATE}× moto's rate | {_verdict(ok)} |")
    return lines


def plots_section(results: dict) -> str:
    """Links to each run's plots.html (bench.md only: reports/ is not committed)."""
    plots = results.get("plots") or {}
    if not plots:
        return ""
    lines = ["", "Each run over time (latency per endpoint, signup→mail readable, CPU, queue "
             "depths; how to read them: docs/load.md):", ""]
    lines += [f"- [{label}]({path})" for label, path in plots.items()]
    return "\n".join(lines) + "\n"


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
