"""The request journal: the last N requests the sandbox received.

Bounded and kept off the database: each worker process appends one JSON line per
request to its own file in a directory private to this sandbox (derived from the
database URL, so every worker of one sandbox shares it and two sandboxes never
do). A worker's file is rotated every ``journal_size`` lines (one previous file
kept), so the disk holds at most 2 x N lines per worker; reading merges every
worker's files and keeps the newest N. Clearing writes a time mark instead of
touching files other workers hold open. ``journal_size = 0`` turns it off.
"""

from __future__ import annotations

import atexit
import fnmatch
import glob
import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_writer: dict[str, Any] = {}  # pid, file, count, seq, directory


def directory(database_url: str) -> Path:
    """Return (creating it) the journal directory of the sandbox on ``database_url``."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "chorus-sandbox-journal" / digest
    path.mkdir(parents=True, exist_ok=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prune(folder: Path) -> int:
    """Delete the files of worker processes that no longer run (earlier server runs)."""
    removed = 0
    for name in glob.glob(str(folder / "journal-*.jsonl")):
        pid_text = Path(name).name.removeprefix("journal-").split(".", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            try:
                os.unlink(name)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def _open(path: Path) -> Any:
    return open(path, "a", encoding="utf-8", buffering=1)


@atexit.register
def _close() -> None:
    """Close this process's journal file at exit (no ResourceWarning at shutdown)."""
    with _lock:
        handle = _writer.get("file")
        if handle is not None and _writer.get("pid") == os.getpid():
            handle.close()
            _writer["file"] = None
            _writer["pid"] = None


def record(folder: Path, size: int, entry: dict) -> None:
    """Append ``entry`` to this process's journal (rotating at ``size`` lines)."""
    if size <= 0:
        return
    pid = os.getpid()
    with _lock:
        if _writer.get("pid") != pid or _writer.get("directory") != folder:
            if _writer.get("file") is not None and _writer.get("pid") == pid:
                _writer["file"].close()
            current = folder / f"journal-{pid}.jsonl"
            _writer.update(pid=pid, directory=folder, file=_open(current), count=0, seq=0)
        _writer["seq"] += 1
        entry = {"id": f"{pid}-{_writer['seq']}", **entry}
        if _writer["count"] >= size:
            _writer["file"].close()
            os.replace(folder / f"journal-{pid}.jsonl", folder / f"journal-{pid}.1.jsonl")
            _writer["file"] = _open(folder / f"journal-{pid}.jsonl")
            _writer["count"] = 0
        # ASCII escapes: a lone surrogate in a body (valid JSON, not encodable UTF-8) is kept
        # as its escape instead of failing the write (issue #23 §8).
        _writer["file"].write(json.dumps(entry, ensure_ascii=True, default=str) + "\n")
        _writer["count"] += 1


def _cleared_at(folder: Path) -> float:
    try:
        return float((folder / "cleared").read_text())
    except (OSError, ValueError):
        return 0.0


def clear(folder: Path) -> None:
    """Hide every entry recorded so far (from every worker)."""
    mark = folder / "cleared.tmp"
    mark.write_text(repr(time.time()))
    os.replace(mark, folder / "cleared")


def entries(folder: Path, size: int) -> list[dict]:
    """Return the newest ``size`` entries of every worker, oldest first."""
    if size <= 0:
        return []
    since = _cleared_at(folder)
    found: list[dict] = []
    for name in glob.glob(str(folder / "journal-*.jsonl")):
        try:
            with open(name, encoding="utf-8") as handle:
                lines = handle.readlines()
        except OSError:
            continue
        for line in lines[-size:]:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line being written right now
            if entry.get("t", 0) > since:
                found.append(entry)
    found.sort(key=lambda e: (e.get("t", 0), e.get("id", "")))
    return found[-size:]


def select(items: list[dict], filters: dict[str, str]) -> list[dict]:
    """Filter entries: method, path (glob), status, clientId, account, fault=any."""
    method = filters.get("method", "").upper()
    path = filters.get("path")
    status = filters.get("status")
    client = filters.get("clientId")
    account = filters.get("account")
    fault = filters.get("fault")
    kept = []
    for entry in items:
        if method and entry.get("method") != method:
            continue
        if path and not fnmatch.fnmatchcase(entry.get("path", ""), path):
            continue
        if status and str(entry.get("status")) != status:
            continue
        if client and entry.get("clientId") != client:
            continue
        if account and (entry.get("account") or "").lower() != account.lower():
            continue
        if fault == "any" and not entry.get("fault"):
            continue
        kept.append(entry)
    return kept
