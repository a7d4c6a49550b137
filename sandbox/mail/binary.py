"""Where a test run finds Mailpit, and how a pip user gets one.

The sandbox needs a real Mailpit (docs/pytest-plugin.md). A pip user has no Makefile,
so the binary is looked for, in order: an explicit path, ``$SANDBOX_MAILPIT_BIN``,
``PATH``, the project's ``.tools/bin`` (a checkout), and a per-user cache
(``bin/`` of ``config.user_cache_dir()``: ``$XDG_CACHE_HOME/chorus-pro-sandbox``, default
``~/.cache/chorus-pro-sandbox``, shared with the bench peers) where
``chorus-sandbox install-mailpit`` builds it (sandbox.mail.build: with its web UI when
npm can build it). When none is there the error lists every way at once. What a build
made is written beside the binary (``mailpit.build``, read by ``read_build_record``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sandbox.config import user_cache_dir

MAILPIT_MODULE = "github.com/axllent/mailpit"
MAILPIT_VERSION = "v1.33.1"  # the Makefile's MAILPIT_VERSION


def user_cache_bin() -> Path:
    """The per-user folder ``install-mailpit`` (and the first use) builds into."""
    return user_cache_dir() / "bin"


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
        "`chorus-sandbox install-mailpit` (builds it with Go, and its web UI with npm, into "
        f"{user_cache_bin()}); `make mailpit` in a checkout (.tools/bin); a `mailpit` on PATH; "
        "SANDBOX_MAILPIT_BIN=/path/to/mailpit; or a sandbox already running, with "
        "`pytest --chorus-url http://127.0.0.1:8080` (its own Mailpit is used)."
    )


def build_record_path(binary: str | Path) -> Path:
    """Where the build (sandbox.mail.build) says what it built: ``mailpit.build`` beside it."""
    return Path(binary).with_name(Path(binary).name + ".build")


def read_build_record(binary: str | Path) -> dict:
    """What was built (``ui``, ``version``, ``note``), or ``ui: None`` with why it is unknown."""
    path = build_record_path(binary)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return {"ui": None, "note": f"no build record ({path.name}): not built by "
                                    "`chorus-sandbox install-mailpit` / `make mailpit`"}
    except (OSError, ValueError) as error:
        return {"ui": None, "note": f"unreadable build record {path}: {error}"[:300]}
    return {key: record.get(key) for key in ("ui", "version", "note", "builtAt")}
