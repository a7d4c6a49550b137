"""Figures of the reliability tests (cases fuzzed, faults injected, mails), for the docs.

Each module records what it measured; the figures are printed with ``-s`` and
written to ``reports/reliability-figures-<database>.json`` (merged across modules
and pytest-xdist workers), from which docs/reliability.md quotes the last run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from sandbox.testing.harness import suite_database_server

REPORTS = Path(__file__).resolve().parent.parent / "reports"


def record(figures: dict[str, int]) -> None:
    """Merge ``figures`` into this database's figures file."""
    if not figures:
        return
    server = suite_database_server()
    database = make_url(server).get_backend_name() if server else "sqlite"
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / f"reliability-figures-{database}.json"
    lock = path.with_suffix(".lock")
    import fcntl

    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        current = json.loads(path.read_text()) if path.exists() else {}
        current.update(figures)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
    print(f"\nreliability figures ({database}): {figures}")
