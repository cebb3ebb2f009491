"""Pure argument parsing for admin commands: refuse bad input before anything is read or written."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, date, datetime, timedelta

from core.common.numbers import leading_digits
from core.errors import BadArguments
from core.localtime import WEEKDAYS, join_meridiem, parse_clock, parse_timezone, zh_moment, zone

MAX_DAYS = 3660  # ten years: anything longer is a typo, not a grant


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Drop control characters (PostgreSQL refuses NUL in text; none belongs in a command)."""
    return _CONTROL.sub("", text)


def split_ref(args: str, usage: str) -> tuple[str, str]:
    """'@alice 30 rest' -> ('@alice', '30 rest'); a missing member ref is a usage error."""
    head, _, rest = args.strip().partition(" ")
    if not head:
        raise BadArguments("errors.usage", usage=usage)
    return head, rest.strip()


_LENGTH = re.compile(
    r"^([+-]?\d{1,9})\s*(d|days?|w|wks?|weeks?|m|mo|months?|y|yrs?|years?|天|周|个月|月|年)?$"
)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365, "天": 1, "周": 7, "个月": 30, "月": 30, "年": 365}


def parse_days(text: str) -> int:
    """A length as a moderator writes it: 30, 30d, 30 days, 2 weeks, 1 month (30 days),
    1 year (365 days); at most MAX_DAYS. A word after the number that is not a unit is
    refused, not ignored ("2 weeks" used to grant 2 days)."""
    raw = " ".join(text.split())
    low = leading_digits(_LINKING.sub("", raw.lower()))  # "两周", "by 2 weeks"
    m = _LENGTH.match(low) or _LENGTH.match(_unit_spelled(low))
    if not m:
        raise BadArguments("admin.bad_days", value=raw[:20], max=MAX_DAYS)
    unit = m.group(2) or "d"
    days = int(m.group(1)) * _UNIT_DAYS.get(unit, _UNIT_DAYS.get(unit[0], 1))
    if days <= 0 or days > MAX_DAYS:
        raise BadArguments("admin.bad_days", value=raw[:20], max=MAX_DAYS)
    return days


_LINKING = re.compile(r"^(?:by|for|another|an extra|extra)\s+")
"""Before a length in a request in words: "extend alice by 2 weeks" (offered as /extend
alice by 2 weeks, then refused: "'by 2 weeks' is not a length")."""
_BECAUSE = re.compile(r"^(?:for|because(?: of)?|reason:?)\s+", re.IGNORECASE)
"""Before a reason: "ban carol for spam" told Carol "Reason: for spam"."""

_UNIT_WORDS = ("day", "days", "week", "weeks", "month", "months", "year", "years")


def _unit_spelled(raw: str) -> str:
    """ "3 dayz", "2 weks": the number with the unit a misspelt word is close to."""
    number, _, word = raw.partition(" ")
    near = difflib.get_close_matches(word, _UNIT_WORDS, n=1, cutoff=0.75) if word else []
    return f"{number} {near[0]}" if near else raw


def leading_length(text: str) -> tuple[int | None, str]:
    """'7d spamming' -> (7, 'spamming'); 'for 2 weeks: spam' -> (14, 'spam'); a text that
    does not start with a length is all reason: (None, text). The confirmation shows the
    end date, so a bare leading number read as days is seen before anything happens."""
    words = text.split()
    if words[:1] and words[0].lower() == "for":
        words = words[1:]
    for n in (2, 1):
        if len(words) >= n:
            try:
                days = parse_days(" ".join(words[:n]).rstrip(",:;"))
            except BadArguments:
                continue
            return days, _BECAUSE.sub("", " ".join(words[n:]).lstrip(",:;- ").strip())
    return None, _BECAUSE.sub("", text.strip())


_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}


def _day(words: list[str], today: date | None) -> date | None:
    """2026-03-10; with `today`: today, tomorrow, a weekday (the next one, today included),
    10 Mar or Mar 10 (the next such date)."""
    text = " ".join(words).lower().rstrip(",")
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        pass
    if today is None:
        return None
    if text in ("today", "tonight", "this evening", "今天", "今晚"):
        return today
    if text in ("tomorrow", "明天"):
        return today + timedelta(days=1)
    if text == "后天":
        return today + timedelta(days=2)
    if text.startswith("this ") and text[5:] in WEEKDAYS:  # "this friday": the next one
        text = text[5:]
    if text in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS[text] - today.weekday()) % 7)
    for prefix in ("next ", "下"):  # "next monday", 下周一: that day of next week
        if text.startswith(prefix) and (day := text[len(prefix) :]) in WEEKDAYS:
            return today + timedelta(days=7 - today.weekday() + WEEKDAYS[day])
    if m := re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", text):  # 2026/12/20
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})", text):  # 12/20 or 20.12: one way only
        first, second = int(m[1]), int(m[2])
        if (first > 12) == (second > 12):
            return None  # 3/4 could be either: refused, with the format to use
        if first > 12:
            return _next_date(today, second, str(first))
        return _next_date(today, first, str(second))
    if m := re.fullmatch(r"(\d{1,2})月(\d{1,2})[日号]", text):  # 3月10日
        return _next_date(today, int(m[1]), m[2])
    if len(words) == 2:
        a, b = (w.lower().rstrip(",.") for w in words)
        month, day = (_MONTHS.get(a), b) if a in _MONTHS else (_MONTHS.get(b), a)
        if month is not None and day.isdecimal():
            return _next_date(today, month, day)
    return None


_FROM_NOW = re.compile(
    r"in (an?|\d{1,3}) (hours?|hrs?|h|minutes?|mins?|days?)|(\d{1,3}) ?(小时|个小时|分钟|天)后"
)
_FROM_NOW_UNIT = {"h": 60, "m": 1, "d": 1440, "小": 60, "个": 60, "分": 1, "天": 1440}


def _from_now(text: str) -> timedelta | None:
    """ "in 2 hours", "in an hour", "in 30 minutes", "3天后": that long from now."""
    m = _FROM_NOW.fullmatch(text.lower())
    if m is None:
        return None
    count, unit = (m[1], m[2]) if m[1] else (m[3], m[4])
    n = 1 if count in ("a", "an") else int(count)
    return timedelta(minutes=n * _FROM_NOW_UNIT[unit[0]]) if n > 0 else None


def _next_date(today: date, month: int, day: str) -> date | None:
    """The next such date, today included (10 Mar said in April is next year's)."""
    for year in (today.year, today.year + 1):
        try:
            found = date(year, month, int(day))
        except ValueError:
            return None
        if found >= today:
            return found
    return None


def parse_when(text: str, tz: str | None = None, now: datetime | None = None) -> datetime:
    """A moment as a moderator writes it, in the zone `tz` (theirs; UTC when unset) unless
    the text names one: '2026-03-10 18:00', '2026-03-10' (midnight), and with `now` also
    'tomorrow 6pm', 'friday 18:00', '10 Mar 18:00'; a zone may follow ('UTC', 'Z',
    'Europe/Berlin', 'Berlin', 'UTC+2'). Anything else is refused."""
    raw = re.sub(r"(\d)T(\d)", r"\1 \2", clean(text).strip())
    raw = re.sub(r"(?i)(\d)(utc|z)$", r"\1 \2", raw)  # 18:00Z, 18:00UTC
    raw = join_meridiem(zh_moment(raw))
    words = [w for w in raw.split() if w.lower() not in ("at", "on", "@")]  # "friday at 6pm"
    for n in (2, 1):  # "… New York", "… Berlin", "… UTC"
        if len(words) <= n or parse_clock(words[-n]) is not None:
            continue
        tail = " ".join(words[-n:])
        named = "UTC" if tail.upper() in ("Z", "UTC") else parse_timezone(tail)
        if named is not None:
            words, tz = words[:-n], named
            break
    where = zone(tz)
    today = now.astimezone(where).date() if now is not None else None
    if now is not None and (later := _from_now(" ".join(words))) is not None:
        return (now + later).replace(second=0, microsecond=0).astimezone(UTC)
    at = parse_clock(words[-1]) if len(words) > 1 else None
    if at is not None:
        day = _day(words[:-1], today)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", " ".join(words)):
        day, at = _day(words, None), (0, 0)  # a date alone: its midnight
    else:
        day = None
    if day is None or at is None:
        raise BadArguments("admin.bad_time", value=text[:40])
    local = datetime(day.year, day.month, day.day, at[0], at[1], tzinfo=where)
    if now is not None and local <= now and " ".join(words[:-1]).lower() in WEEKDAYS:
        local += timedelta(days=7)  # "sunday 9am" said on Sunday evening: next Sunday
    return local.astimezone(UTC)
