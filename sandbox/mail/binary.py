"""Where a test run finds Mailpit, and how a pip user gets one.

The sandbox needs a real Mailpit (docs/pytest-plugin.md). A pip user has no Makefile,
so the binary is looked for, in order: an explicit path, ``$SANDBOX_MAILPIT_BIN``,
``PATH``, the project's ``.tools/bin`` (a checkout), and a per-user cache
(``$XDG_CACHE_HOME/chorus-sandbox/bin``, default ``~/.cache/...``) where
``chorus-sandbox install-mailpit`` builds it with Go. When none is there the error
lists every way at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

MAILPIT_MODULE = "github.com/axllent/mailpit"
MAILPIT_VERSION = "v1.33.1"  # the Makefile's MAILPIT_VERSION


def user_cache_bin() -> Path:
    """The per-user folder ``install-mailpit`` builds into."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chorus-sandbox" / "bin"


def candidates(explicit: str | None = None) -> list[tuple[str, str | None]]:
    """Return (where, path) pairs in the order they are tried."""
    checkout = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "mailpit"
    return [
        ("--mailpit-bin / mailpit_bin", explicit),
        ("$SANDBOX_MAILPIT_BIN", os.environ.get("SANDBOX_MAILPIT_BIN")),
        ("PATH", shutil.which("mailpit")),
        ("./.tools/bin (make mailpit)", str(Path.cwd() / ".tools" / "bin" / "mailpit")),
        ("the checkout's .tools/bin", str(checkout)),
        ("user cache (chorus-sandbox install-mailpit)", str(user_cache_bin() / "mailpit")),
    ]


class MailpitNotFound(FileNotFoundError):
    """No Mailpit binary anywhere it is looked for."""


def find_mailpit(explicit: str | None = None) -> str:
    """Return the first executable Mailpit found; MailpitNotFound listing the ways."""
    for _where, path in candidates(explicit):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise MailpitNotFound(
        "Mailpit binary not found. Any one of these gives the sandbox a Mailpit: "
        "`chorus-sandbox install-mailpit` (builds it with Go into "
        f"{user_cache_bin()}); `make mailpit` in a checkout (.tools/bin); a `mailpit` on PATH; "
        "SANDBOX_MAILPIT_BIN=/path/to/mailpit; or a sandbox already running, with "
        "`pytest --chorus-url http://127.0.0.1:8080` (its own Mailpit is used)."
    )


def install_mailpit(target: Path | None = None, version: str = MAILPIT_VERSION) -> Path:
    """Build Mailpit with ``go install`` into ``target`` (the user cache by default)."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(
            "Go is needed to build Mailpit (go install); install Go, or put a mailpit binary "
            "on PATH, or set SANDBOX_MAILPIT_BIN"
        )
    target = target or user_cache_bin()
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [go, "install", "-ldflags", f"-X {MAILPIT_MODULE}/config.Version={version}",
         f"{MAILPIT_MODULE}@{version}"],
        env={**os.environ, "GOBIN": str(target)},
        check=True,
    )
    return target / "mailpit"
