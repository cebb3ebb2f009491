"""/week: a day-by-day plan for the next 7 days ("can you help me plan my week? i have maybe
1h on weekdays and 3h saturday" opened a public thread; "i wanted a day by day plan not the
syllabus" followed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.catalog.importer import parse_text
from core.catalog.service import apply_catalog
from core.catalog.week_plan import availability

CATALOG = """
courses:
  - slug: intro-sql
    title: Intro to SQL
    lessons:
      - {slug: select, title: SELECT, duration_minutes: 30}
      - {slug: where, title: WHERE, duration_minutes: 30}
      - {slug: group, title: GROUP BY, duration_minutes: 60}
      - {slug: joins, title: Joins, duration_minutes: 150}
      - {slug: window, title: Window functions, duration_minutes: 45}
"""


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("i have maybe 1h on weekdays and 3h saturday", [60, 60, 60, 60, 60, 180, 0]),
        ("30 min a day", [30] * 7),
        ("每个工作日1小时，周六3小时", [60, 60, 60, 60, 60, 180, 0]),
        ("an hour on weekdays, 2 hours on weekends", [60, 60, 60, 60, 60, 120, 120]),
        ("1.5h mon wed fri", [90, 0, 90, 0, 90, 0, 0]),
        ("工作日晚上1个半小时，周末各3小时", [90, 90, 90, 90, 90, 180, 180]),
        ("每天一个半小时", [90] * 7),
        ("两个小时 a day", [120] * 7),
        ("7 hours a week", [60] * 7),
        ("no idea", None),
    ],
)
def test_the_time_a_member_says_they_have(text: str, week: list[int] | None) -> None:
    assert availability(text) == week


async def test_the_week_fills_each_day_in_lesson_order(console_bot, db, clock):
    clock.set(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))  # a Monday morning
    async with db.session() as s, s.begin():
        await apply_catalog(s, clock, parse_text(CATALOG, "yaml"))
    assert "not taking any course yet" in await console_bot.send("/week", as_member="omar")
    await console_bot.send("/enroll intro-sql")
    await console_bot.send("/done")  # SELECT done
    out = await console_bot.send(
        "can you help me plan my week? i have maybe 1h on weekdays and 3h saturday"
    )
    # Joins (2.5 h) waits for Saturday's 3 h rather than overrunning a weekday's hour
    assert out.splitlines() == [
        "📅 Your next 7 days: 3 lessons, about 4 h (1 h on weekdays, Saturday 3 h):",
        "Monday 12-07: Intro to SQL · WHERE (30 min)",
        "Tuesday 12-08: Intro to SQL · GROUP BY (1 h)",
        "Wednesday 12-09: free",
        "Thursday 12-10: free",
        "Friday 12-11: free",
        "Saturday 12-12: Intro to SQL · Joins (2.5 h)",
        "Sunday 12-13: free",
        "After that: 1 lesson left, about 45 min: at this pace about 1 more week.",
        "Change your time with e.g. /week 1h weekdays, 3h sat; /remind sat 9 do lesson 6 sets "
        "a reminder; /next gives today's lesson.",
    ]
    # kept: /week alone plans with it; the profile's weekly time follows
    assert "(1 h on weekdays, Saturday 3 h)" in await console_bot.send("/week")
    assert "• Weekly time: 8 hours" in await console_bot.send("/profile")
    out = await console_bot.send("/week 30 min a day")  # lessons longer than a day: one a day
    assert "(30 min a day)" in out and "Tuesday 12-08: Intro to SQL · GROUP BY (1 h)" in out
    assert "Some lessons take longer than your time that day" in out
    assert (await console_bot.send("/week soon")).startswith("/week [TIME]")
