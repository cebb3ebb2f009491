"""A question about when an event is gets the event, not a thread: no entry of the
knowledge base knows the schedule ("when is the next office hours?" opened a thread)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.community_events.asked import asks_about_events, named_in, names_event
from models.admin import CommunityEvent
from models.qa import Question


async def _questions(app: Any) -> int:
    async with app.services.session_factory() as s:
        return int((await s.execute(select(func.count(Question.id)))).scalar_one())


async def test_when_an_event_is_is_answered_with_the_event(qa_app, console_bot, clock):
    await console_bot.send("/event new SQL office hours friday 6pm max 20", as_member="mod")
    await console_bot.send("/event new Pandas workshop: groupby tomorrow 7pm", as_member="mod")

    out = await console_bot.send("when is the next office hours?", as_member="lena")
    assert "From the events calendar" in out
    assert "SQL office hours — 2026-03-06 18:00 UTC (0/20 going)" in out
    assert "[1] I'll come" in out and "Pandas" not in out
    assert "asked the community" not in out and await _questions(qa_app) == 0
    out = await console_bot.send("/press 1")  # the card's button signs the member up
    assert "SQL office hours" in out and "2026-03-06 18:00" in out

    out = await console_bot.send("/ask 下次SQL答疑是什么时候？")
    assert "SQL office hours" in out and "你已报名。" in out  # asked in Chinese
    out = await console_bot.send("is there a pandas session this week?")
    assert "Pandas workshop: groupby — 2026-03-03 19:00 UTC" in out

    # a question that only shares a word with an event is searched as before
    out = await console_bot.send("When should I reset my password?")
    assert "From the events calendar" not in out and "Reset password" in out

    clock.advance(timedelta(days=10))
    out = await console_bot.send("when is the next office hours?")
    assert "No “SQL office hours” is planned yet; the last one was on 2026-03-06 18:00 UTC" in out
    assert await _questions(qa_app) == 1  # the password question only


def _event(title: str, day: int, cancelled: bool = False) -> CommunityEvent:
    at = datetime(2026, 3, day, 18, tzinfo=UTC)
    return CommunityEvent(
        title=title, starts_at=at, created_at=at, cancelled_at=at if cancelled else None
    )


@pytest.mark.parametrize(
    ("question", "title", "named"),
    [
        ("when is the next office hours?", "SQL office hours", True),
        ("When does the pandas session start?", "Pandas workshop: groupby", True),
        ("下次SQL答疑是什么时候？", "SQL 答疑", True),
        ("数据分析答疑几点开始", "数据分析答疑", True),
        ("when should I use a SQL join?", "Live session: intro to SQL", False),
        ("When are two events independent?", "SQL office hours", False),
        ("is there a SQL course for beginners?", "SQL office hours", False),
    ],
)
def test_a_question_names_an_event_by_its_title(question: str, title: str, named: bool) -> None:
    assert names_event(question, title) is named


def test_coming_events_first_then_the_last_one_cancelled_never() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    old, cancelled = _event("SQL office hours", 6), _event("SQL office hours", 12, True)
    soon, later = _event("SQL office hours", 13), _event("SQL office hours", 20)
    assert named_in("when is the next office hours?", [later, old, cancelled, soon], now) == (
        [soon, later],
        None,
    )
    assert named_in("when is the next office hours?", [old, cancelled], now) == ([], old)
    # not asking when: not an event question at all
    assert named_in("what are office hours like?", [soon], now) == ([], None)


async def test_the_next_event_is_found_behind_a_busy_past(qa_app, console_bot, clock):
    """The lookup read the 200 oldest events of its window: a community with a daily
    "Python help desk" for months was told only when the last one was."""
    from core.community_events import commands

    now = clock.now()
    async with qa_app.services.session_factory() as s, s.begin():
        for day in range(1, commands.LOOKED_AT + 20):  # more past ones than it reads
            at = now - timedelta(hours=day * 6)
            s.add(CommunityEvent(title=f"Study room {day}", starts_at=at, created_at=at))
        s.add(
            CommunityEvent(
                title="Python help desk",
                starts_at=now + timedelta(days=1),
                created_at=now,
            )
        )
    out = await console_bot.send("when is the next python help desk?", as_member="lena")
    assert "Python help desk — 2026-03-03 09:00" in out and "No “Python help desk”" not in out


async def test_events_in_general_are_answered_from_the_calendar(qa_app, console_bot):
    """ "下周有什么活动？" or "any events this week?" named no event, so it opened a thread."""
    out = await console_bot.send("any events this week?", as_member="lena")
    assert out.startswith("No community events are planned right now.")
    await console_bot.send("/event new SQL office hours friday 6pm", as_member="mod")
    await console_bot.send("/event new Pandas workshop | 2026-03-10 19:00", as_member="mod")
    out = await console_bot.send("any events this week?", as_member="lena")
    assert "From the events calendar" in out
    assert "SQL office hours — 2026-03-06" in out and "Pandas" not in out
    out = await console_bot.send("下周有什么活动？")
    assert "Pandas workshop — 2026-03-10 19:00" in out and "SQL office hours" not in out
    out = await console_bot.send("is there an event tomorrow?")
    assert out.startswith("Nothing is planned then; coming up next")
    assert "SQL office hours" in out and "Pandas workshop" in out
    assert await _questions(qa_app) == 0
    out = await console_bot.send("how do I create an event?")  # not about the calendar
    assert "From the events calendar" not in out and "Nothing is planned" not in out


@pytest.mark.parametrize(
    ("question", "general"),
    [
        ("下周有什么活动？", True),
        ("are there any meetups soon?", True),
        ("本周有哪些讲座？", True),
        ("when is the next SQL workshop?", False),  # a title word: named_in's
        ("what happened at the event?", False),
        ("when is my next class?", False),  # a class may be a lesson
    ],
)
def test_a_question_about_events_in_general(question: str, general: bool) -> None:
    assert asks_about_events(question) is general


async def test_an_event_the_calendar_does_not_hold_gets_what_is_coming(qa_app, console_bot):
    """ "what time is the data viz workshop on thursday in EST?" and "怎么报名周六的数据可视化工作坊
    名额还有吗" opened threads when no event's title matched: the community could only guess."""
    out = await console_bot.send(
        "what time is the data viz workshop on thursday?", as_member="lena"
    )
    assert out.startswith("No community events are planned right now.")
    await console_bot.send("/event new SQL office hours friday 6pm max 20", as_member="mod")
    out = await console_bot.send(
        "what time is the data viz workshop on thursday?", as_member="lena"
    )
    assert out.startswith("I can't find that one on the events calendar")
    assert "SQL office hours — 2026-03-06 18:00 UTC (0/20 going)" in out and "I'll come" in out
    out = await console_bot.send("怎么报名周六的数据可视化工作坊 名额还有吗")
    assert "活动日历里没有找到这一场" in out and "SQL office hours" in out
    assert await _questions(qa_app) == 0
    # how to sign up in general is the answer on signing up; an event listener is code
    out = await console_bot.send("how do I register an event listener in javascript?")
    assert "events calendar" not in out


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("how do i sign up for the kaggle workshop next week", True),
        ("下次直播是什么时候？北京时间几点", True),
        ("下次SQL答疑是什么时候？", True),  # none planned: it opened a thread, experts invited
        ("when is the next AMA?", True),
        ("SQL里答疑用的示例数据在哪下载", False),
        ("how do I sign up for an event?", False),
        ("when are two events independent?", False),
        ("when does the click event fire?", False),
        ("事件什么时候触发", False),
    ],
)
def test_a_question_about_one_event_whether_planned_or_not(question: str, about: bool) -> None:
    from core.community_events.asked import asks_about_an_event

    assert asks_about_an_event(question) is about
