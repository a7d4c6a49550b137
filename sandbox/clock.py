"""The one clock: every "now" of business code comes from here.

The offset is shared by every process through the database (table
``sandbox_state``); it is read at most once per request and cached for
``_CACHE_SECONDS`` elsewhere (the dispatcher), so moving time over HTTP is seen by
the next request of any worker.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import overload

_lock = threading.Lock()
_offset_seconds = 0.0


def now() -> datetime:
    """Return the sandbox's current time (timezone-aware, UTC)."""
    return datetime.now(UTC) + timedelta(seconds=_offset_seconds)


def offset() -> float:
    """Return the current offset in seconds."""
    return _offset_seconds


def set_offset(seconds: float) -> None:
    """Set this process's view of the offset (persisted by the control plane)."""
    global _offset_seconds
    with _lock:
        _offset_seconds = float(seconds)


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
