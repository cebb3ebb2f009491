"""Members' local time: their zone (UTC when unknown), their day, their quiet hours.

Stored time zones are IANA names a member typed or a platform reported; a name this
machine's tz database lacks must not break a digest, a streak or an invitation, so it
reads as UTC. Quiet hours are whole local hours and may wrap midnight (22 -> 7).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(at: datetime, tz: str | None) -> str:
    """`2026-03-10 19:00 CET`: a moment as the member reads it, zone named."""
    return at.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def local_day(at: datetime, tz: str | None) -> date:
    return at.astimezone(zone(tz)).date()


def in_quiet(hour: int, start: int | None, end: int | None) -> bool:
    """Whether a local ``hour`` falls in [start, end); no window when either is unset or
    they are equal."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end  # wraps midnight


def quiet_now(now_utc: datetime, tz: str | None, start: int | None, end: int | None) -> bool:
    """Whether it is quiet time for a member right now, in their own time zone."""
    return in_quiet(now_utc.astimezone(zone(tz)).hour, start, end)
