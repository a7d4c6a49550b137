"""Durations and instants given to the clock control ("25h", "90m", "2d", "-1h30m")."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_WHOLE = re.compile(r"[+-]?(?:\d+(?:\.\d+)?[dhms])+")


def parse_duration(text: str) -> float:
    """Return the seconds in ``text`` ("25h", "1d2h", "90m", "-30s"); ValueError if bad."""
    if not isinstance(text, str):
        raise ValueError("a duration is a string such as '25h', '90m', '2d' or '-1h30m'")
    compact = text.strip().lower().replace(" ", "")
    if not _WHOLE.fullmatch(compact):
        raise ValueError(
            f"invalid duration {text!r}: use numbers with units d, h, m, s ('25h', '1d2h', '-90m')"
        )
    sign = -1.0 if compact.startswith("-") else 1.0
    return sign * sum(float(n) * _UNITS[u] for n, u in _PART.findall(compact))


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is taken as UTC."""
    if not isinstance(text, str):
        raise ValueError("an instant is an ISO 8601 string such as '2027-01-31T09:00:00Z'")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid instant {text!r}: use ISO 8601, e.g. 2027-01-31T09:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
