"""What the control plane does to the sandbox (no HTTP here): reset, clock, faults."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import requests
from sqlalchemy import delete

from sandbox import clock, db, seeding, state
from sandbox.config import Settings
from sandbox.control import faults, journal
from sandbox.control.schemas import TEN_YEARS_SECONDS, FaultDocument
from sandbox.models import OutboxMail

log = logging.getLogger("sandbox.control")


def clock_view() -> dict:
    """The clock as the control plane shows it."""
    return {
        "now": clock.now().isoformat(),
        "offsetSeconds": clock.offset(),
        "realNow": clock.real_utcnow_naive().isoformat() + "+00:00",
    }


def set_offset(seconds: float) -> dict:
    """Move the sandbox's clock (every worker) to ``seconds`` from real time."""
    if not math.isfinite(seconds) or abs(seconds) > TEN_YEARS_SECONDS:
        raise ValueError("the clock offset must stay within ten years")
    state.set_clock_offset(seconds)
    return clock_view()


def faults_view(row: Any, default_seed: int) -> dict:
    """The faults in force, as stored (``default_seed`` until rules give one)."""
    document = row.faults or {}
    return {
        "seed": document.get("seed", default_seed),
        "rules": document.get("rules", []),
        "maintenance": bool(row.maintenance),
        "revision": document.get("revision"),
    }


def set_faults(settings: Settings, body: FaultDocument) -> dict:
    """Replace the fault rules (``body`` is validated: a bad document never gets here)."""
    with db.transaction() as s:
        row = state.load(s)
        previous_seed = (row.faults or {}).get("seed", settings.seed)
        row.faults = faults.normalise(body, previous_seed)
        if body.maintenance is not None:
            row.maintenance = body.maintenance
        row.version = (row.version or 0) + 1
        return faults_view(row, settings.seed)


def set_maintenance(on: bool) -> None:
    """Switch the maintenance mode for every worker."""
    with db.transaction() as s:
        row = state.load(s)
        row.maintenance = bool(on)
        row.version = (row.version or 0) + 1


def clear_faults() -> None:
    """Remove every fault rule and leave maintenance."""
    with db.transaction() as s:
        row = state.load(s)
        row.faults = {}
        row.maintenance = False
        row.version = (row.version or 0) + 1


def clear_mailpit(settings: Settings) -> int:
    """Delete every message in Mailpit (an empty DELETE body means 'all')."""
    answer = requests.delete(f"{settings.mailpit_url}/api/v1/messages", timeout=10)
    answer.raise_for_status()
    return answer.status_code


def reset(settings: Settings, seed: int | None = None, clear_mail: bool = False) -> dict:
    """Back to the seeded baseline: data, outbox, clock, faults, journal (and Mailpit)."""
    started = time.perf_counter()
    report = seeding.reset(settings, seed) or {}
    with db.transaction() as s:
        s.execute(delete(OutboxMail))
        row = state.load(s)
        row.clock_offset_seconds = 0.0
        row.faults = {}
        row.maintenance = False
        row.version = (row.version or 0) + 1
    clock.set_offset(0.0)
    journal.clear(journal.directory(settings.database_url))
    answer = {
        "seed": report.get("seed", settings.seed if seed is None else seed),
        "durationMs": round((time.perf_counter() - started) * 1000, 1),
        "mailpitCleared": False,
        "seeding": report,
    }
    if clear_mail:
        try:
            clear_mailpit(settings)
            answer["mailpitCleared"] = True
        except requests.RequestException as problem:  # the reset itself is done
            answer["mailpitError"] = f"Mailpit at {settings.mailpit_url}: {problem}"[:300]
    return answer
