"""The one clock: every "now" of business code comes from here.

Sandbox time is ``real + offset + (rate - 1) * (real - anchor)``: an offset from real
time measured at the real instant ``anchor``, and a ``rate`` at which sandbox time runs
from there (1: real time; 60: a minute each real second). ``offset()`` is the offset
*now* (it grows by ``rate - 1`` seconds each real second), so "advance by D" stays
``offset() + D`` whatever the rate.

The three numbers are shared by every process through the database (table
``sandbox_state``, ``sandbox.state``); each process reads them again when anything was
committed, so moving time over HTTP is seen by the next request (and the next worker
pass) of any worker.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import overload

_lock = threading.Lock()
# (offset at the anchor, rate, anchor as real epoch seconds): replaced whole, read whole
_setting: tuple[float, float, float] = (0.0, 1.0, 0.0)

MAX_RATE = 86400.0  # a day each real second: thirty days of policies in thirty seconds


def offset_at(real_epoch: float, setting: tuple[float, float, float] | None = None) -> float:
    """The offset in force at the real instant ``real_epoch`` (epoch seconds)."""
    base, rate, anchor = _setting if setting is None else setting
    return base if rate == 1.0 else base + (rate - 1.0) * (real_epoch - anchor)


def now() -> datetime:
    """Return the sandbox's current time (timezone-aware, UTC)."""
    real = datetime.now(UTC)
    return real + timedelta(seconds=offset_at(real.timestamp()))


def offset() -> float:
    """Return the offset from real time in force now, in seconds."""
    return offset_at(time.time())


def rate() -> float:
    """Return how many sandbox seconds pass each real second."""
    return _setting[1]


def setting() -> tuple[float, float, float]:
    """This process's (offset at the anchor, rate, anchor epoch seconds)."""
    return _setting


def set_offset(seconds: float, rate: float | None = None, anchor: float | None = None) -> None:
    """Set this process's view of the clock (persisted by ``sandbox.state``): ``seconds``
    of offset at the real instant ``anchor`` (default: now), running at ``rate``
    (default: the rate in force)."""
    global _setting
    with _lock:
        _setting = (float(seconds), _setting[1] if rate is None else float(rate),
                    time.time() if anchor is None else float(anchor))


def real_utcnow_naive() -> datetime:
    """Real wall-clock UTC, naive: for infrastructure timing (mail retries, leases)
    that must not jump when tests move the sandbox's business clock."""
    return datetime.now(UTC).replace(tzinfo=None)


def monotonic() -> float:
    """Real monotonic seconds (durations, never business time)."""
    return time.monotonic()


def naive_utc(moment: datetime) -> datetime:
    """Return ``moment`` as a naive UTC datetime (what the database stores)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """Return a stored naive-UTC datetime as an aware one."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def utcnow_naive() -> datetime:
    """Return ``now()`` as a naive UTC datetime, for columns and comparisons."""
    return naive_utc(now())


def real_seconds_until(moment: datetime | None) -> float | None:
    """Real seconds until the sandbox clock reaches ``moment`` (naive UTC) at the rate in
    force (0 if it is past; None for no moment, or a clock that does not run): when a
    background loop's next work on the sandbox clock is due."""
    if moment is None:
        return None
    speed = rate()
    if speed <= 0:
        return None
    return max(0.0, (moment - utcnow_naive()).total_seconds() / speed)


def seconds_until(moment: datetime | None) -> float | None:
    """Real seconds until the real instant ``moment`` (naive UTC; 0 if past, None for no
    moment): a lease's end, a mail's next attempt."""
    if moment is None:
        return None
    return max(0.0, (moment - real_utcnow_naive()).total_seconds())


def soonest(*seconds: float | None) -> float | None:
    """The smallest of ``seconds`` that are known (None if none is)."""
    known = [value for value in seconds if value is not None]
    return min(known) if known else None
