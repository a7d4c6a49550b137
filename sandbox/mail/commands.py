"""``chorus-sandbox install-mailpit``: a Mailpit for pip users (no Makefile needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from sandbox.mail.binary import MAILPIT_VERSION, install_mailpit, user_cache_bin


def register(group: click.Group) -> None:
    """Add ``install-mailpit`` to the ``chorus-sandbox`` group."""

    @group.command("install-mailpit")
    @click.option("--dir", "target", type=click.Path(file_okay=False, path_type=Path),
                  default=None, help=f"Where to put it (default: {user_cache_bin()}).")
    @click.option("--version", "version", default=MAILPIT_VERSION, show_default=True)
    def install(target: Path | None, version: str) -> None:
        """Build Mailpit with Go where the pytest plugin and `run` find it."""
        try:
            path = install_mailpit(target, version)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Mailpit {version} built: {path}")
