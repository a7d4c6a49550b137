"""CLI: ``chorus-sandbox seed | dataset | load-fixture | credentials``."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import click
from sqlalchemy import select

from sandbox import db, schema
from sandbox.cli.control import remote_credentials
from sandbox.config import load_settings
from sandbox.models import User
from sandbox.seeding.credentials import default_credentials_text
from sandbox.seeding.dataset import generate_dataset
from sandbox.seeding.fixtures import FixtureError, load_fixture
from sandbox.seeding.store import seed_world


def _peak_rss_mib() -> float:
    """Peak resident memory of this process, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _progress_lines(total: int):
    """Progress for logs (no terminal): one line per 5 % with the rate so far."""
    started = time.perf_counter()
    state = {"done": 0, "shown": 0}
    step = max(total // 20, 1)

    def update(n: int) -> None:
        state["done"] += n
        if state["done"] - state["shown"] >= step or state["done"] == total:
            state["shown"] = state["done"]
            rate = state["done"] / max(time.perf_counter() - started, 1e-9)
            click.echo(
                f"  {state['done']:>12,} / {total:,} structures ({rate:,.0f}/s, "
                f"peak RSS {_peak_rss_mib():.0f} MiB)",
                err=True,
            )

    return update


@click.command("seed")
@click.option("--seed", "seed", type=int, default=None, help="Seed (default: SANDBOX_SEED).")
@click.option(
    "--structures",
    type=click.IntRange(min=0),
    default=None,
    help="Generated structures (default: SANDBOX_SEED_STRUCTURES).",
)
@click.option(
    "--users",
    type=click.IntRange(min=0),
    default=None,
    help="Generated users, gestionnaires included (default: 2 per structure).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option(
    "--bench",
    is_flag=True,
    help="Seed a throw-away SQLite database instead (default 100,000 structures) "
    "and report the figures.",
)
def seed_command(seed, structures, users, batch_size, bench):
    """Replace the database's content with the seeded world of SEED."""
    settings = load_settings()
    seed = settings.seed if seed is None else seed
    workdir = None
    if bench:
        structures = 100_000 if structures is None else structures
        workdir = tempfile.TemporaryDirectory(prefix="chorus-seed-bench-", dir="var")
        Path("var").mkdir(exist_ok=True)
        settings = settings.replace(database_url=f"sqlite:///{workdir.name}/bench.db")
    structures = settings.seed_structures if structures is None else structures
    click.echo(f"Seeding {structures:,} structures (seed {seed}) into {settings.database_url}")
    try:
        with click.progressbar(
            length=structures, label="structures", show_pos=True, show_eta=True,
            file=sys.stderr,
        ) as bar:
            report = seed_world(
                settings, seed, structures, users, batch_size=batch_size,
                on_batch=bar.update if sys.stderr.isatty() else _progress_lines(structures),
            )
    finally:
        if workdir is not None:
            workdir.cleanup()
    meta = ("seed", "seconds", "structures_per_second")
    rows = sum(v for k, v in report.items() if k not in meta)
    click.echo(
        f"Done: {report['structures']:,} structures, {report['services']:,} services, "
        f"{report['users']:,} users, {report['rattachements']:,} rattachements, "
        f"{report['espaces']:,} espaces, {report['oauth_clients']:,} OAuth clients "
        f"({rows:,} rows) in {report['seconds']:.1f} s"
    )
    click.echo(
        f"{report['structures_per_second']:,.0f} structures/s, "
        f"{rows / report['seconds']:,.0f} rows/s, peak RSS {_peak_rss_mib():.0f} MiB"
    )


@click.command("dataset")
@click.option("--requester", default=None, help="Login of the user to mail when it is ready.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
    help="Write the CSV to this file (default: print it).",
)
def dataset_command(requester, output):
    """Generate a qualification data set and print (or write) its CSV."""
    settings = load_settings()
    db.init_engine(settings.database_url)
    schema.create_schema()
    with db.transaction() as s:
        user = None
        if requester:
            user = s.scalar(select(User).where(User.login == requester.strip().lower()))
            if user is None:
                raise click.ClickException(f"no user with login {requester!r}")
        dataset = generate_dataset(s, settings, requester=user)
        csv_text, dataset_id = dataset.csv, dataset.id
    if output:
        Path(output).write_text(csv_text, encoding="utf-8")
        click.echo(f"data set {dataset_id} written to {output}")
    else:
        click.echo(csv_text, nl=False)


@click.command("load-fixture")
@click.argument("files", nargs=-1, required=True)
def load_fixture_command(files):
    """Load scenario fixture FILES (a path, or a name from fixtures/) idempotently."""
    settings = load_settings()
    for name in files:
        try:
            report = load_fixture(name, settings=settings)
        except FixtureError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"{report['file']}: {report['created']} created, {report['updated']} updated")


@click.command("credentials")
@click.option("--url", default=None, metavar="URL",
              help="Ask the sandbox running there (its control plane) instead of the seed.")
def credentials_command(url: str | None) -> None:
    """Print the default gestionnaire, technical account and OAuth client."""
    if url is None:
        click.echo(default_credentials_text())
        return
    click.echo(remote_credentials(url))


COMMANDS = (seed_command, dataset_command, load_fixture_command, credentials_command)
