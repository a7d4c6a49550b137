"""``chorus-sandbox install-mailpit``: a Mailpit for pip users (no Makefile needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from sandbox.mail.binary import MAILPIT_VERSION, user_cache_bin
from sandbox.mail.build import build_mailpit


@click.command("install-mailpit")
@click.option("--dir", "target", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=f"Where to put it (default: {user_cache_bin()}).")
@click.option("--version", "version", default=MAILPIT_VERSION, show_default=True)
@click.option("--ui/--no-ui", default=True, show_default=True,
              help="Build the web UI with npm (falls back to no UI if it cannot).")
@click.option("--npm", default="npm", show_default=True, help="The npm command.")
def install(target: Path | None, version: str, ui: bool, npm: str) -> None:
    """Build Mailpit (Go; its web UI with npm) where `run` and the pytest plugin find it."""
    target = target or user_cache_bin()
    try:
        record = build_mailpit(target, version, ui=ui, npm=npm, echo=click.echo)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        raise click.ClickException(str(exc)) from None
    which = "with its web UI" if record.ui else "WITHOUT its web UI"
    click.echo(f"Mailpit {version} built {which}: {target / 'mailpit'} ({record.note}; "
               f"{', '.join(f'{k} {v} s' for k, v in record.seconds.items())})")


COMMANDS = (install,)
