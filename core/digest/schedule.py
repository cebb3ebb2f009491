"""When is a member's digest due? Pure functions over zoneinfo, so DST and quiet hours are testable.

A *period* is a local calendar day (daily) or a local ISO week (weekly). Its digest is due at the
member's send hour on that day (weekly: on their weekday), pushed past quiet hours. A digest that
could not go out (the bot was down) is still sent late within `STALE_AFTER`; after that the next
period takes over, so nobody gets last week's news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.localtime import in_quiet, zone

FREQUENCIES = ("daily", "weekly", "off")
FREQUENCY_WORDS = {
    **dict.fromkeys(("daily", "每天", "每日"), "daily"),
    **dict.fromkeys(("weekly", "每周"), "weekly"),
    **dict.fromkeys(("off", "never", "none", "stop", "disable", "关闭", "不要", "停止"), "off"),
}
"""How members name a frequency, in `/digest` and in the profile (which shows "never")."""
STALE_AFTER = {"daily": timedelta(hours=12), "weekly": timedelta(days=2)}


@dataclass(frozen=True)
class Prefs:
    frequency: str = "weekly"  # daily|weekly|off
    weekday: int = 0  # 0 = Monday
    hour: int = 9  # local send hour 0..23
    timezone: str = "UTC"
    quiet_start: int | None = None  # local hour, inclusive
    quiet_end: int | None = None  # local hour, exclusive; may wrap past midnight


@dataclass(frozen=True)
class Due:
    period_key: str
    due_at: datetime  # aware UTC


def local_instant(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`day` at `hour` local, as UTC. With fold=0 zoneinfo maps a wall time skipped by a
    spring-forward jump to just after the jump (02:30 -> 03:30 summer time), and a repeated
    autumn hour to its first occurrence: each period gets exactly one moment."""
    return datetime.combine(day, time(hour)).replace(tzinfo=tz, fold=0).astimezone(UTC)


def _send_moment(day: date, p: Prefs, tz: ZoneInfo) -> datetime:
    """The send hour on `day`, moved to the end of quiet hours when it falls inside them."""
    hour = p.hour
    if in_quiet(hour, p.quiet_start, p.quiet_end):
        assert p.quiet_end is not None
        if p.quiet_end > hour:
            return local_instant(day, p.quiet_end, tz)
        return local_instant(day + timedelta(days=1), p.quiet_end, tz)
    return local_instant(day, hour, tz)


def period_of(day: date, frequency: str) -> tuple[str, date]:
    """(period key, anchor day) of the period containing local `day`."""
    if frequency == "daily":
        return f"d:{day.isoformat()}", day
    y, w, _ = day.isocalendar()
    return f"w:{y}-W{w:02d}", day - timedelta(days=day.weekday())


def due_for_period(anchor: date, p: Prefs, tz: ZoneInfo) -> datetime:
    day = anchor if p.frequency == "daily" else anchor + timedelta(days=p.weekday % 7)
    return _send_moment(day, p, tz)


def due_now(p: Prefs, now: datetime) -> Due | None:
    """The period whose digest should be composed at `now`, or None (off, not yet, too late,
    or inside quiet hours)."""
    if p.frequency not in STALE_AFTER:
        return None
    tz = zone(p.timezone)
    local = now.astimezone(tz)
    if in_quiet(local.hour, p.quiet_start, p.quiet_end):
        return None
    step = timedelta(days=1 if p.frequency == "daily" else 7)
    _, anchor = period_of(local.date(), p.frequency)
    # this period first, then the previous one (its moment may spill past midnight or be late)
    for a in (anchor, anchor - step):
        key, _ = period_of(a, p.frequency)
        at = due_for_period(a, p, tz)
        if at <= now < at + STALE_AFTER[p.frequency]:
            return Due(key, at)
    return None


def next_due(p: Prefs, now: datetime) -> datetime | None:
    """The next moment a digest is due after `now` (for /digest), or None when off."""
    if p.frequency not in STALE_AFTER:
        return None
    tz = zone(p.timezone)
    step = timedelta(days=1 if p.frequency == "daily" else 7)
    _, anchor = period_of(now.astimezone(tz).date(), p.frequency)
    for i in range(-1, 3):
        at = due_for_period(anchor + i * step, p, tz)
        if at > now:
            return at
    return None
