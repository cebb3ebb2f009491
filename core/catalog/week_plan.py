"""A day-by-day study plan for the next seven days, from the time a member says they have.

"can you help me plan my week? i have maybe 1h on weekdays and 3h saturday" opened a public
thread, and "that's not what I asked, i wanted a day by day plan not the syllabus" followed.
The plan takes the member's unfinished lessons in order (the course /next is on first), each
at its catalogue length, and fills each day up to the time said for it; a lesson longer than
any day gets a day of its own. What is said is kept (Member.prefs) for the next /week, and
the week's total becomes the profile's weekly study time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog import service
from core.catalog.access import can_access
from core.localtime import WEEKDAYS, zone
from models.catalog import Course, Lesson
from models.member import Member

PREFS_KEY = "week_minutes"
"""Member.prefs key: minutes per weekday (Monday first) the member said they have."""
LESSON_DEFAULT = 20
"""Minutes for a lesson whose length the catalogue does not give."""
DAILY_DEFAULT = 30

_AMOUNT = re.compile(
    r"(?P<n>\d+(?:\.\d+)?|an?|one|two|three|half an?|一|两|二|三|半)\s*(?P<half>个半)?(?:个)?\s*"
    r"(?P<u>hours?|hrs?|hr|h|minutes?|mins?|min|m|小时|钟头|分钟)(?![a-z])",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
}
_EVERY_DAY = re.compile(r"\b(?:a|per|each|every) ?day\b|\bdaily\b|\beveryday\b|每天|每日", re.I)
_WEEKDAYS_SAID = re.compile(r"\bweek ?days?\b|\bweeknights?\b|工作日|平时|周一到周五", re.I)
_WEEKEND_SAID = re.compile(r"\bweekends?\b|周末|双休", re.I)
_PER_WEEK = re.compile(r"\b(?:a|per|each|every) ?week\b|\bweekly\b|每周|一周", re.I)
_CLAUSE = re.compile(r",|;|\band\b|\bplus\b|，|；|、|和|以及")
_DAY_WORD = re.compile(
    "|".join(sorted((re.escape(w) for w in WEEKDAYS), key=len, reverse=True)), re.IGNORECASE
)


def _minutes(m: re.Match[str]) -> int:
    raw, unit = m["n"].lower(), m["u"].lower()
    if raw.startswith("half") or raw == "半":
        n = 0.5
    else:
        n = _WORD_NUMBERS[raw] if raw in _WORD_NUMBERS else float(raw)
    n += 0.5 if m["half"] else 0  # "1个半小时", "一个半小时": an hour and a half
    hours = unit.startswith("h") or unit in ("小时", "钟头")
    return int(n * 60) if hours else int(n)


def availability(text: str) -> list[int] | None:
    """Minutes per weekday (Monday first) that the text gives ("1h on weekdays and 3h
    saturday", "30 min a day", "每个工作日1小时，周六3小时", "5 hours a week"); None when it
    gives no time at all."""
    week: list[int | None] = [None] * 7
    found = False
    for clause in _CLAUSE.split(text):
        m = _AMOUNT.search(clause)
        if m is None:
            continue
        minutes = _minutes(m)
        if not 0 < minutes <= 16 * 60 * 7:
            continue
        found = True
        days = [WEEKDAYS[d.group(0).lower()] for d in _DAY_WORD.finditer(clause)]
        if _WEEKDAYS_SAID.search(clause):
            days += [0, 1, 2, 3, 4]
        if _WEEKEND_SAID.search(clause):
            days += [5, 6]
        if days:
            for d in days:
                week[d] = min(minutes, 16 * 60)
        elif _PER_WEEK.search(clause):
            for d in range(7):
                week[d] = minutes // 7
        else:  # "30 min a day", or a time with no day: every day
            week = [min(minutes, 16 * 60) if w is None else w for w in week]
    if not found:
        return None
    return [w or 0 for w in week]


def said_of(member: Member) -> list[int] | None:
    raw = (member.prefs or {}).get(PREFS_KEY)
    if isinstance(raw, list) and len(raw) == 7 and all(isinstance(x, int) for x in raw):
        return raw
    return None


def remember(member: Member, week: list[int]) -> None:
    member.prefs = {**(member.prefs or {}), PREFS_KEY: week}
    member.weekly_minutes = sum(week)


@dataclass
class Day:
    day: date
    minutes: int
    lessons: list[tuple[Course, Lesson, int]] = field(default_factory=list)

    @property
    def used(self) -> int:
        return sum(m for _, _, m in self.lessons)


@dataclass
class WeekPlan:
    days: list[Day]
    left_lessons: int
    left_minutes: int


async def _queue(
    session: AsyncSession, member: Member, now: datetime
) -> list[tuple[Course, Lesson]]:
    """Unfinished lessons in order: the course /next is on first (the most recently studied
    one the member can open, as `service.next_lesson` picks it), then the others by how
    recently the member studied them."""
    left: list[list[tuple[Course, Lesson]]] = []
    for c in await service.courses_under_way(session, member.id):
        if not await can_access(session, member.id, c, now, None):
            continue  # a course the member cannot open now is not planned (/next skips it)
        done = await service.completed_lesson_ids(session, member.id, c.id)
        left.append(
            [(c, ls) for ls in await service.lessons_of(session, c.id) if ls.id not in done]
        )
    return [pair for lessons in left for pair in lessons]


SESSION_DAYS = {
    1: [5],
    2: [2, 5],
    3: [0, 2, 5],
    4: [0, 2, 4, 5],
    5: [0, 1, 2, 3, 4],
    6: [0, 1, 2, 3, 4, 5],
}
"""Days (Monday 0) that a weekly time is studied on, by how many hour-long sittings it makes."""


def from_weekly(minutes: int) -> list[int]:
    """A profile's weekly time as days: sittings of about an hour ("1 hour" a week was
    planned as 10 minutes a day, and no lesson fits in that)."""
    sittings = max(1, min(7, minutes // 60))
    days = SESSION_DAYS.get(sittings, list(range(7)))
    return [minutes // sittings if d in days else 0 for d in range(7)]


async def plan(session: AsyncSession, member: Member, week: list[int], now: datetime) -> WeekPlan:
    today = now.astimezone(zone(member.timezone)).date()
    days = [
        Day(today + timedelta(days=i), week[(today + timedelta(days=i)).weekday()])
        for i in range(7)
    ]
    queue = await _queue(session, member, now)
    at = 0
    placed = 0
    for course, lesson in queue:
        minutes = lesson.duration_minutes or LESSON_DEFAULT
        spot = next(
            (
                i
                for i in range(at, 7)
                if days[i].minutes and days[i].used + minutes <= days[i].minutes
            ),
            None,
        )
        if spot is None:  # longer than what is left of any day: a free day of its own
            spot = next((i for i in range(at, 7) if days[i].minutes and not days[i].lessons), None)
        if spot is None:
            break
        days[spot].lessons.append((course, lesson, minutes))
        at = spot
        placed += 1
    rest = queue[placed:]
    return WeekPlan(
        days,
        left_lessons=len(rest),
        left_minutes=sum(ls.duration_minutes or LESSON_DEFAULT for _, ls in rest),
    )
