"""French dates and durations, as the portal, the mails and the API show them.

One room for the Paris time zone and the texts built from stored times: a stored
time is naive UTC (``sandbox.clock``); what a French user reads is Paris local
time. The API's own date formats (``dateDbtService``, ISO with the Paris offset)
are written with ``PARIS`` too, in ``sandbox.cpro.common``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox import clock

PARIS = ZoneInfo("Europe/Paris")


def paris_time(moment: datetime) -> str:
    """A stored naive-UTC time as French local text: '26/11/2026 à 15:04'."""
    local = clock.aware(moment).astimezone(PARIS)
    return local.strftime("%d/%m/%Y à %H:%M")


def duration_text(delta: timedelta) -> str:
    """'24 heures', '1 heure', '30 minutes' (mails and pages)."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} heure{'s' if hours > 1 else ''}"
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def utc_date_text(moment: datetime | None) -> str:
    """A stored naive-UTC time's UTC date as 'JJ/MM/AAAA' ('' for none): the technical
    account's password expiry in its mail."""
    return clock.aware(moment).strftime("%d/%m/%Y") if moment is not None else ""
