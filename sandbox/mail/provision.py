"""A Mailpit for the first run after ``pip install`` (issue #22.1): found, or built once.

``ensure_mailpit()`` returns the Mailpit ``find_mailpit`` finds; when there is none it
builds one into the user cache (``binary.user_cache_bin()``) with Go — once: under an
exclusive file lock beside it, so that the xdist workers of one run (or two runs) that
start together build it once and the others wait, then find it. Without Go it raises
``MailpitNotFound`` with one line saying what to install.

The first-use build is ``build_mailpit(ui=False)``: the SMTP server and the HTTP API are
all the sandbox and its tests need; ``chorus-sandbox install-mailpit`` builds the web UI
too. ``CHORUS_SANDBOX_MAILPIT_BUILD_FROM=/path/to/mailpit`` makes that build copy an
existing binary instead of running Go (the test suite's wheel test: everything else —
the lock, the second look, the progress lines, the cache — runs as for a user).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.mail.binary import (
    MAILPIT_VERSION,
    MailpitNotFound,
    build_record_path,
    find_mailpit,
    user_cache_bin,
)
from sandbox.mail.build import build_mailpit

BUILD_FROM_ENV = "CHORUS_SANDBOX_MAILPIT_BUILD_FROM"
LOCK_NAME = ".mailpit.lock"


@contextmanager
def _exclusive(path: Path, echo: Callable[[str], object]) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (released when the process ends, whatever
    happens); say once that we wait when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            echo(f"Chorus Pro Sandbox: waiting for another process building Mailpit "
                 f"(lock {path}) ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_prebuilt(source: str, target: Path) -> None:
    """The build, when ``CHORUS_SANDBOX_MAILPIT_BUILD_FROM`` names a binary: a copy."""
    if not (os.path.isfile(source) and os.access(source, os.X_OK)):
        raise MailpitNotFound(f"{BUILD_FROM_ENV}={source} is not an executable file")
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".mailpit.{os.getpid()}.tmp"
    shutil.copy2(source, partial)
    partial.replace(target / "mailpit")
    build_record_path(target / "mailpit").write_text(json.dumps({
        "version": MAILPIT_VERSION, "ui": None,
        "note": f"copied from {source} ({BUILD_FROM_ENV})"}) + "\n")


def ensure_mailpit(explicit: str | None = None,
                   echo: Callable[[str], object] = print) -> str:
    """The Mailpit binary to run: found where ``find_mailpit`` looks, else built once
    into the user cache. Raises ``MailpitNotFound`` (one line) when neither can be."""
    try:
        return find_mailpit(explicit)
    except MailpitNotFound:
        pass
    prebuilt = os.environ.get(BUILD_FROM_ENV)
    if not prebuilt and shutil.which("go") is None:
        raise MailpitNotFound(
            "Mailpit not found, and Go is not installed to build it: install Go "
            "(https://go.dev/dl/, or your system's golang package) and run again — the "
            f"sandbox then builds Mailpit once into {user_cache_bin()} — or put a `mailpit` "
            "on PATH, or set SANDBOX_MAILPIT_BIN, or use a running sandbox with --chorus-url.")
    target = user_cache_bin()
    with _exclusive(target / LOCK_NAME, echo):
        try:  # another process may have built it while we waited
            return find_mailpit(explicit)
        except MailpitNotFound:
            pass
        if prebuilt:
            echo(f"Chorus Pro Sandbox: no Mailpit found; copying {prebuilt} into {target} "
                 f"({BUILD_FROM_ENV}) ...")
            _copy_prebuilt(prebuilt, target)
        else:
            echo(f"Chorus Pro Sandbox: no Mailpit found; building Mailpit {MAILPIT_VERSION} "
                 f"with Go into {target}, once (a few minutes the first time; log: "
                 f"{target / 'mailpit.build.log'}) ...")
            build_mailpit(target, ui=False, echo=echo)
        echo(f"Chorus Pro Sandbox: Mailpit ready: {target / 'mailpit'}")
    return find_mailpit(explicit)
