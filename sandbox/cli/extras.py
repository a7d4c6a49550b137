"""Optional extras: a command that needs one says which to install, never a traceback.

A plain ``pip install chorus-pro-sandbox`` runs every command but ``load`` and ``bench``,
which drive Locust and read process statistics (the ``load`` extra).
"""

from __future__ import annotations

from importlib.util import find_spec

import click

PACKAGE = "chorus-pro-sandbox"

# The modules each extra brings that the commands import (pyproject.toml's extras).
EXTRAS = {
    "load": ("locust", "psutil", "matplotlib"),
}


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [name for name in EXTRAS[extra] if find_spec(name) is None]


def require(extra: str, command: str) -> None:
    """Stop ``command`` with one line naming the extra to install when it is not there."""
    absent = missing(extra)
    if absent:
        raise click.ClickException(
            f"`chorus-sandbox {command}` needs the '{extra}' extra "
            f"({', '.join(absent)} not installed): pip install '{PACKAGE}[{extra}]'"
        )
