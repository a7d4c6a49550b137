"""``chorus-sandbox load`` and ``chorus-sandbox bench`` (``make load``, ``make bench``).

Both need the ``load`` extra; its modules are imported when the command runs, after
``extras.require`` has said which extra to install if they are missing.
"""

from __future__ import annotations

from pathlib import Path

import click

from sandbox.cli import extras
from sandbox.loadtesting.options import duration_seconds, parse_mix


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--setting")
        found[name.strip().lower()] = value
    return found


def _check_duration(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        seconds = duration_seconds(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds <= 0:
        raise click.BadParameter(f"{value!r} is no time at all (use e.g. 90s, 2m, 1h30m)")
    return value


def _counts(text: str, option: str) -> tuple[int, ...]:
    """'1,2,4' -> (1, 2, 4): process counts from 1 to 64."""
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"expected counts like 1,2,4, got {text!r}",
                                 param_hint=option) from None
    if not counts or any(not 1 <= count <= 64 for count in counts):
        raise click.BadParameter(f"expected counts from 1 to 64, got {text!r}",
                                 param_hint=option)
    return counts


def _check_mix(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        parse_mix(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command("load")
@click.option(
    "--users",
    "-u",
    type=click.IntRange(1, 2000),
    default=20,
    show_default=True,
    help="Peak concurrent Locust users.",
)
@click.option(
    "--spawn-rate",
    "-r",
    type=float,
    default=5.0,
    show_default=True,
    help="Users started per second.",
)
@click.option(
    "--duration",
    "-t",
    default="2m",
    show_default=True,
    callback=_check_duration,
    help="Run time (90s, 2m, 1h); the run stops by itself.",
)
@click.option(
    "--mix",
    default="signup=3,rattachement=1,api=6",
    show_default=True,
    callback=_check_mix,
    help="User class weights (signup, rattachement, api).",
)
@click.option(
    "--shape",
    type=click.Choice(["steady", "ramp", "step", "spike"]),
    default="steady",
    show_default=True,
    help="Load over time.",
)
@click.option(
    "--processes",
    type=click.IntRange(0, 64),
    default=0,
    show_default=True,
    help="Locust --processes: a master and N forked workers on this box.",
)
@click.option(
    "--distributed",
    type=click.IntRange(0, 64),
    default=0,
    show_default=True,
    help="Locust's distributed mode: a --master and N separate `locust --worker` processes "
    "(the command another host would run; docs/load.md).",
)
@click.option(
    "--wait-min",
    type=float,
    default=0.0,
    show_default=True,
    help="Least think time between two journeys of a user (s).",
)
@click.option(
    "--wait-max",
    type=float,
    default=0.0,
    show_default=True,
    help="Most think time between two journeys of a user (s).",
)
@click.option("--max-fail-ratio", type=float, default=0.01, show_default=True)
@click.option(
    "--max-p95-ms",
    type=float,
    default=2000.0,
    show_default=True,
    help="Highest p95 accepted for any HTTP request row.",
)
@click.option(
    "--max-mail-p95-ms",
    type=float,
    default=5000.0,
    show_default=True,
    help="Highest p95 accepted for 'submitted → activation mail readable'.",
)
@click.option(
    "--setting",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A SANDBOX_* setting of the server, over the load profile (repeatable).",
)
@click.option("--server-workers", type=int, default=2, show_default=True)
@click.option("--server-threads", type=int, default=4, show_default=True)
@click.option("--reports-dir", default="reports", show_default=True)
@click.option("--label", default="load", show_default=True)
@click.option("--no-checks", is_flag=True, help="Skip the post-run correctness checks.")
@click.option(
    "--chaos",
    is_flag=True,
    help="A chaos run (make chaos): Mailpit stopped, paused, restarted and "
    "workers SIGKILLed on a seeded schedule; default 3m, 10 users, "
    "mix signup=2,api=1; at most 15 min.",
)
@click.option(
    "--chaos-seed",
    type=int,
    default=14,
    show_default=True,
    help="Seed of the chaos schedule (the same seed, the same faults).",
)
@click.pass_context
def load(
    ctx,
    users,
    spawn_rate,
    duration,
    mix,
    shape,
    processes,
    distributed,
    wait_min,
    wait_max,
    max_fail_ratio,
    max_p95_ms,
    max_mail_p95_ms,
    settings,
    server_workers,
    server_threads,
    reports_dir,
    label,
    no_checks,
    chaos,
    chaos_seed,
) -> None:
    """Start a fresh stack in the load profile, run Locust headless, check correctness."""
    extras.require("load", "load")
    # why: the load extra (locust, psutil) is optional; checked just above
    from sandbox.loadtesting.runner import LoadOptions, print_summary, run_load

    if chaos:
        # why: the load extra is optional (checked above)
        from sandbox.loadtesting.chaos import ChaosOptions, print_chaos, run_chaos

        given = {
            name
            for name in ("users", "duration", "mix", "label")
            if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
        }
        chaos_opts = ChaosOptions(
            seed=chaos_seed,
            spawn_rate=spawn_rate,
            settings=_settings(settings),
            server_workers=server_workers,
            server_threads=server_threads,
            reports_dir=reports_dir,
        )
        for name in given:
            setattr(chaos_opts, name, locals()[name])
        try:
            result = run_chaos(chaos_opts, click.echo)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--duration") from error
        print_chaos(result, click.echo)
        if not result["passed"]:
            raise SystemExit(1)
        return

    if processes and distributed:
        raise click.BadParameter(
            "give --processes (forked workers) or --distributed (worker processes), not both",
            param_hint="--distributed",
        )
    opts = LoadOptions(
        users=users,
        spawn_rate=spawn_rate,
        duration=duration,
        mix=mix,
        shape=shape,
        processes=processes,
        distributed=distributed,
        wait_min=wait_min,
        wait_max=wait_max,
        max_fail_ratio=max_fail_ratio,
        max_p95_ms=max_p95_ms,
        max_mail_p95_ms=max_mail_p95_ms,
        settings=_settings(settings),
        server_workers=server_workers,
        server_threads=server_threads,
        reports_dir=reports_dir,
        label=label,
        checks=not no_checks,
    )
    click.echo(
        f"Load run: {users} users, {duration}, mix {mix}, shape {shape}; "
        + (f"Locust master + {distributed} workers; " if distributed else "")
        + f"server {server_workers} processes × {server_threads} threads; "
        f"password hash {opts.settings.get('password_hash_method', 'scrypt:1024:8:1')} "
        "(load profile)"
    )
    summary = run_load(opts)
    print_summary(summary, click.echo)
    if not summary["passed"]:
        raise SystemExit(1)

@click.command("bench")
@click.option("--reports-dir", default="reports", show_default=True)
@click.option(
    "--docs",
    default="docs/performance.md",
    show_default=True,
    help="Where the dated entry is appended ('' to skip).",
)
@click.option(
    "--duration", default="30s", show_default=True, help="Length of each measured Locust run."
)
@click.option("--api-users", type=int, default=50, show_default=True)
@click.option("--flow-users", type=int, default=30, show_default=True)
@click.option(
    "--scale",
    default="10000,1000000",
    show_default=True,
    help="Structure counts for the scale runs ('' to skip).",
)
@click.option(
    "--scale-db",
    multiple=True,
    metavar="N=PATH",
    help="Reuse a prepared SQLite database for N structures (copied first).",
)
@click.option("--note", default="", help="A note printed next to the figures.")
@click.option(
    "--parts",
    default="api,peers,flows,invoices,scale",
    show_default=True,
    help="What to measure: api (ceiling + API read mix), peers (WireMock beside the API "
    "mix, moto beside the flows), flows, invoices, scale; and, not by default, scaling "
    "(server processes × Locust workers on one PostgreSQL).",
)
@click.option(
    "--server-processes",
    default="1,2,4",
    show_default=True,
    help="scaling: the server process counts measured, one stack each (1,2,4,4,2,1: interleaved).",
)
@click.option(
    "--locust-workers",
    default="1,2",
    show_default=True,
    help="scaling: the Locust worker process counts (--master + N --worker) of each run.",
)
@click.option(
    "--database-server",
    default="",
    help="scaling: a PostgreSQL server URL to create the runs' databases on (default: "
    "SANDBOX_TEST_DATABASE_URL, else scripts/postgres.sh's throw-away cluster).",
)
@click.option(
    "--quick",
    is_flag=True,
    help="Before/after mode: 15 s runs, no scale, one hash cost, no docs entry.",
)
@click.option(
    "--server",
    type=click.Choice(["", "gunicorn", "granian"]),
    default="",
    help="The WSGI server (default: the `server` setting, SANDBOX_SERVER).",
)
@click.option("--server-workers", type=int, default=2, show_default=True)
@click.option("--server-threads", type=int, default=4, show_default=True)
def bench(
    reports_dir,
    docs,
    duration,
    api_users,
    flow_users,
    scale,
    scale_db,
    note,
    parts,
    quick,
    server,
    server_workers,
    server_threads,
    server_processes,
    locust_workers,
    database_server,
) -> None:
    """Measure the ceiling, the API mix, signup flows, scale, reset and memory."""
    extras.require("load", "bench")
    # why: the load extra (locust, psutil) is optional; checked just above
    from sandbox.loadtesting.bench import BenchOptions, run_bench

    prepared = {}
    for pair in scale_db:
        count, _, path = pair.partition("=")
        prepared[int(count)] = path
    values = dict(
        reports_dir=reports_dir,
        docs=docs,
        duration=duration,
        api_users=api_users,
        flow_users=flow_users,
        scale=[int(x) for x in scale.split(",") if x.strip()],
        scale_db=prepared,
        note=note,
        parts=tuple(p.strip() for p in parts.split(",") if p.strip()),
        server=server,
        server_workers=server_workers,
        server_threads=server_threads,
        server_processes=_counts(server_processes, "--server-processes"),
        locust_workers=_counts(locust_workers, "--locust-workers"),
        database_server=database_server,
    )
    if quick:  # the quick defaults, unless an option was given explicitly
        context = click.get_current_context()
        given = {
            name
            for name in values
            if context.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        }
        opts = BenchOptions.quick(**{k: v for k, v in values.items() if k in given})
    else:
        opts = BenchOptions(**values)
    unknown = set(opts.parts) - {"api", "peers", "flows", "invoices", "scale", "scaling"}
    if unknown:
        raise click.BadParameter(
            f"unknown part(s): {', '.join(sorted(unknown))}", param_hint="--parts"
        )
    run_bench(opts, click.echo)


@click.command("load-checks")
@click.argument(
    "ledger_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=str)
)
@click.option(
    "--mailpit-url",
    default="",
    help="Mailpit's HTTP API (default: the SANDBOX_MAILPIT_URL setting).",
)
@click.option(
    "--drain-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for the outbox (and flux) to drain.",
)
def load_checks(ledger_dir, mailpit_url, drain_timeout) -> None:
    """The post-run checks of a load run made elsewhere (Locust workers on other hosts):
    LEDGER_DIR holds every worker's ledger-*.jsonl, checked against the sandbox's database
    (SANDBOX_DATABASE_URL) and Mailpit. Exit 1 when a check fails."""
    extras.require("load", "load-checks")
    # why: the load extra is optional (checked above), as in the commands above
    from sandbox import db  # why: idem
    from sandbox.config import load_settings  # why: idem
    from sandbox.loadtesting.checks import run_checks  # why: idem

    settings = load_settings()
    db.init_engine(settings.database_url)
    checks = run_checks(Path(ledger_dir), mailpit_url or settings.mailpit_url, drain_timeout)
    for check in checks:
        click.echo(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
        for example in check.examples[:5]:
            click.echo(f"      {example}")
    if not all(check.ok for check in checks):
        raise SystemExit(1)


COMMANDS = (load, bench, load_checks)
