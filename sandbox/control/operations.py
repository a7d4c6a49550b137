"""What the control plane does to the sandbox (no HTTP here): reset, clock, faults."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import requests
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sandbox import clock, db, seeding, state
from sandbox.config import Settings
from sandbox.control import faults, journal
from sandbox.control.schemas import TEN_YEARS_SECONDS, FaultDocument
from sandbox.models import FaultRuleUse, OutboxMail, SandboxState

log = logging.getLogger("sandbox.control")


def clock_view() -> dict:
    """The clock as the control plane shows it."""
    return {
        "now": clock.now().isoformat(),
        "offsetSeconds": clock.offset(),
        "rate": clock.rate(),
        "realNow": clock.real_utcnow_naive().isoformat() + "+00:00",
    }


def set_offset(seconds: float | None, rate: float | None = None) -> dict:
    """Move the sandbox's clock (every worker) to ``seconds`` from real time (None: where
    it is) and make it run at ``rate`` (None: the rate in force) from now."""
    if seconds is not None and (not math.isfinite(seconds) or abs(seconds) > TEN_YEARS_SECONDS):
        raise ValueError("the clock offset must stay within ten years")
    if rate is not None and not (math.isfinite(rate) and 0 < rate <= clock.MAX_RATE):
        raise ValueError(f"the clock rate must be a number above 0 and at most {clock.MAX_RATE:g}")
    state.set_clock(seconds, rate)
    return clock_view()


def faults_view(row: Any, default_seed: int) -> dict:
    """The faults in force, as stored (``default_seed`` until rules give one), with the
    uses of the rules that fire a limited number of ``times``."""
    document = row.faults or {}
    rules = document.get("rules", [])
    return {
        "seed": document.get("seed", default_seed),
        "rules": rules,
        "maintenance": bool(row.maintenance),
        "revision": document.get("revision"),
        "used": rule_uses(rules),
    }


def rule_uses(rules: list[dict]) -> list[int | None]:
    """Per rule: the requests it answered if it has ``times``, else None."""
    keys = faults.rule_keys(rules)
    limited = [key for key, raw in zip(keys, rules, strict=True) if raw.get("times")]
    counts: dict[str, int] = {}
    if limited:
        with db.engine().connect() as conn:
            counts = dict(conn.execute(select(FaultRuleUse.rule_key, FaultRuleUse.uses)
                                       .where(FaultRuleUse.rule_key.in_(limited))).all())
    return [counts.get(key, 0) if raw.get("times") else None
            for key, raw in zip(keys, rules, strict=True)]


def _keep_uses(s: Any, rules: list[dict]) -> None:
    """Keep the counts of the limited rules still in force, start the new ones at 0."""
    keys = [key for key, raw in zip(faults.rule_keys(rules), rules, strict=True)
            if raw.get("times")]
    s.execute(delete(FaultRuleUse).where(FaultRuleUse.rule_key.not_in(keys)))
    existing = set(s.scalars(select(FaultRuleUse.rule_key)))
    s.add_all(FaultRuleUse(rule_key=key, uses=0) for key in dict.fromkeys(keys)
              if key not in existing)


def consume_use(key: str, times: int) -> bool:
    """Take one use of a limited rule (every worker shares the count); False when none
    is left. One conditional UPDATE: two workers never take the last use both."""
    with db.transaction() as s:
        taken = s.execute(
            update(FaultRuleUse)
            .where(FaultRuleUse.rule_key == key, FaultRuleUse.uses < times)
            .values(uses=FaultRuleUse.uses + 1)
        ).rowcount  # type: ignore[attr-defined]  # a CursorResult
    return bool(taken)


def set_faults(settings: Settings, body: FaultDocument) -> dict:
    """Replace the fault rules (``body`` is validated: a bad document never gets here)."""
    with db.transaction() as s:
        row = state.load(s)
        previous_seed = (row.faults or {}).get("seed", settings.seed)
        row.faults = faults.normalise(body, previous_seed)
        _keep_uses(s, row.faults["rules"])
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
        s.execute(delete(FaultRuleUse))


def clear_mailpit(settings: Settings) -> int:
    """Delete every message in Mailpit (an empty DELETE body means 'all')."""
    answer = requests.delete(f"{settings.mailpit_url}/api/v1/messages", timeout=10)
    answer.raise_for_status()
    return answer.status_code


def reset(settings: Settings, seed: int | None = None, clear_mail: bool = False) -> dict:
    """Back to the seeded baseline: data, outbox, clock, faults, journal (and Mailpit)."""
    started = time.perf_counter()

    def controls_back(s: Session) -> None:  # in the reset's transaction (seeding.reset)
        s.execute(delete(OutboxMail))
        row = s.get(SandboxState, 1)
        if row is None:  # not state.load: it would commit half a reset
            row = SandboxState(id=1, clock_offset_seconds=0.0, faults={}, maintenance=False)
            s.add(row)
        row.clock_offset_seconds, row.clock_rate, row.clock_anchor = 0.0, 1.0, time.time()
        row.faults = {}
        row.maintenance = False
        row.version = (row.version or 0) + 1
        s.execute(delete(FaultRuleUse))

    report = seeding.reset(settings, seed, also=controls_back) or {}
    clock.set_offset(0.0, 1.0)
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
