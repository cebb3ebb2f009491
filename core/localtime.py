"""Members' local time: their zone (UTC when unknown), their day, their quiet hours.

Stored time zones are IANA names a member typed or a platform reported; a name this
machine's tz database lacks must not break a digest, a streak or an invitation, so it
reads as UTC. Quiet hours are whole local hours and may wrap midnight (22 -> 7).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# Day names as members write them (English, short or long; Chinese), Monday = 0.
WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
    "周一": 0,
    "周二": 1,
    "周三": 2,
    "周四": 3,
    "周五": 4,
    "周六": 5,
    "周日": 6,
    "周天": 6,
    **{f"{pre}{d}": i for pre in ("星期", "礼拜") for i, d in enumerate("一二三四五六日")},
    "星期天": 6,
    "礼拜天": 6,
}


_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|h|点)?$")
_MERIDIEM = re.compile(r"(?i)(\d)\s+(am|pm)\b")


def parse_clock(word: str) -> tuple[int, int] | None:
    """A time of day as members write it: 18, 18:00, 6pm, 6:30pm, 18h, 18点 -> (hour,
    minute); None for anything else."""
    m = _CLOCK.match(word.strip().lower())
    if not m:
        return None
    hour, minute, suffix = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    return (hour, minute) if hour <= 23 and minute <= 59 else None


_ZH_PM = re.compile(r"(下午|晚上|傍晚|中午)\s*(\d{1,2})(?:点|:|：)(半|\d{2})?")
_ZH_AM = re.compile(r"(上午|早上|早晨|凌晨)\s*(\d{1,2})(?:点|:|：)(半|\d{2})?")
_ZH_HALF = re.compile(r"(\d{1,2})点半")
_ZH_DAY = re.compile(
    r"(今天|明天|后天|下?(?:周|星期|礼拜)[一二三四五六日天]|\d{1,2}月\d{1,2}[日号])(?=\S)"
)


def zh_moment(text: str) -> str:
    """Chinese times as members write them, in the words `parse_clock` and the day parsers read: 晚上7点 ->
    19:00, 7点半 -> 7:30, 明天18点 -> 明天 18点 (no space between day and time)."""

    def hhmm(hour: int, half: str | None) -> str:
        minute = 30 if half == "半" else int(half) if half else 0
        return f" {hour:02d}:{minute:02d}"

    text = _ZH_PM.sub(
        lambda m: hhmm(int(m[2]) + (12 if int(m[2]) < 12 and m[1] != "中午" else 0), m[3]), text
    )
    text = _ZH_AM.sub(lambda m: hhmm(int(m[2]) % 12 if m[1] == "凌晨" else int(m[2]), m[3]), text)
    text = _ZH_HALF.sub(lambda m: f"{int(m[1]):02d}:30", text)
    return _ZH_DAY.sub(r"\1 ", text)


def join_meridiem(text: str) -> str:
    """ "6 pm" -> "6pm": a time of day is one word."""
    return _MERIDIEM.sub(r"\1\2", text)


# Names members use that the tz database does not have (its cities are the zones' own).
ZONE_WORDS = {
    "beijing": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "北京": "Asia/Shanghai",
    "上海": "Asia/Shanghai",
    "中国": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong",
    "台北": "Asia/Taipei",
    "东京": "Asia/Tokyo",
    "伦敦": "Europe/London",
    "纽约": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "washington": "America/New_York",
    "new jersey": "America/New_York",
}


_ZH_SAID = re.compile(r"^(?:我)?(?:现在)?(?:住)?在|(?:时间|时区)$")


def timezone_in(text: str) -> str | None:
    """`parse_timezone`, or the zone a short sentence names when it names one only ("I live
    in London", "我在上海", "北京时间"): for an answer to "which timezone are you in?", never
    inside a longer command, where a place may be followed by other words."""
    found = parse_timezone(text)
    if found is not None or len(text) > 80:
        return found
    words = re.findall(r"[A-Za-z_/]+", text)
    if len(words) < 2:  # Chinese: "我住在上海", "北京时间"
        bare = _ZH_SAID.sub("", "".join(text.split()))
        return parse_timezone(bare) if bare and bare != text.strip() else None
    zones: set[str] = set()
    taken: set[int] = set()
    for n in (3, 2, 1):  # the longest name first: "new jersey" is not Europe/Jersey
        for i in range(len(words) - n + 1):
            run = words[i : i + n]
            if taken & set(range(i, i + n)) or (
                n == 1 and (len(run[0]) < 4 or run[0].lower() in _NOT_PLACES)
            ):
                continue
            if (zone := parse_timezone(" ".join(run))) is not None:
                zones.add(zone)
                taken |= set(range(i, i + n))
    return zones.pop() if len(zones) == 1 else None


_NOT_PLACES = frozenset({"live", "time", "zone", "from", "near", "here", "there", "city"})
"""Words of such a sentence that are also the last part of some zone's name."""


def parse_timezone(text: str) -> str | None:
    """The IANA name a member means: the name (any case), its city alone ("berlin", "new
    york"), a few common names the database lacks ("Beijing", "北京"), or a UTC offset
    ("UTC+8", "+05:00") as an Etc/GMT zone."""
    t = " ".join(text.split())
    m = re.fullmatch(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?", t, re.I)
    if m:
        hours = int(m.group(2))
        if hours > 14:
            return None
        if hours == 0:
            return "UTC"
        sign = "-" if m.group(1) == "+" else "+"  # Etc/GMT signs are inverted
        return f"Etc/GMT{sign}{hours}"
    if t.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    if t.lower() in ZONE_WORDS:
        return ZONE_WORDS[t.lower()]
    if len(t) > 64 or not re.fullmatch(r"[A-Za-z_ ]+(?:/[A-Za-z0-9_+-]+){0,2}", t):
        return None
    key = t.replace(" ", "_").lower()
    names = _zone_names()
    name = names.get(key) or names.get(f"*/{key}")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def zone_label(tz: str | None) -> str:
    """A zone as members wrote it: "UTC+8" for the Etc/GMT-8 that `parse_timezone` stores
    (the tz database inverts those signs, so "Etc/GMT-8" read as the opposite of what they
    typed); other names as they are."""
    name = tz or "UTC"
    m = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", name)
    if m is None:
        return name
    return f"UTC{'-' if m.group(1) == '+' else '+'}{int(m.group(2))}"


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Lower-cased IANA names, and "*/city" for each zone's last part (the shortest name
    wins where two zones share a city, e.g. America/Indianapolis)."""
    out: dict[str, str] = {}
    for n in sorted(available_timezones(), key=lambda n: (n.count("/"), n), reverse=True):
        out[n.lower()] = n
        if "/" in n and not n.startswith(("Etc/", "SystemV/")):
            out["*/" + n.rsplit("/", 1)[1].lower()] = n
    return out


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
