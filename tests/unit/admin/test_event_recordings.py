"""A past event's recording: posted by a moderator, sent to those who were going, listed in
/events past and given to a member who asks for it ("直播有回放吗", "are the live sessions
recorded?" opened threads that only a moderator could answer)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.digest.delivery import ConsoleDeliverer, drain
from core.events import Chat, Message
from core.replies import Reply
from models.admin import CommunityEvent
from models.audit import AuditLog

URL = "https://video.example/sql-1"


async def _asked(bot, who: str, text: str) -> str:
    out = await bot.app.router.dispatch(Message(bot.actor(who), Chat("console", who), text=text))
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def _past_workshop(bot, clock) -> None:
    await bot.text("mod", "/event new SQL workshop | 2026-03-02 12:00 UTC | https://m.example | 1")
    for who in ("alice", "bob"):  # alice goes, bob waits
        await bot.say(who, "/events")
        await bot.press(who, bot.button(who))
    clock.set(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


async def test_a_recording_goes_to_those_who_were_going_once(bot, db, app, clock):
    await bot.text("mod", "/event new Pandas clinic | 2026-03-09 12:00 UTC")
    out = await bot.text("mod", f"/event recording 1 {URL}")
    assert "its recording can be posted once it has begun" in out
    await _past_workshop(bot, clock)
    assert "must start with https://" in await bot.text("mod", "/event recording 2 video.example")
    out = await bot.text("mod", f"/event recording 2 {URL}")
    assert out.startswith("🎬 Recording of SQL workshop saved") and "the 1 member" in out
    assert "already has that recording" in await bot.text("mod", f"/event recording 2 {URL}")
    console = ConsoleDeliverer()
    await drain(app.services, budget_s=None, senders={"console": console})
    texts = [p["text"] for _, p in console.sent]
    # alice, who was going; bob only waited
    assert texts == [f"🎬 The recording of SQL workshop (2026-03-02 12:00 UTC) is up:\n{URL}"]
    async with db.session() as s:
        ev = await s.get(CommunityEvent, 2)
        assert ev is not None and ev.recording_url == URL
        logged = (
            await s.execute(select(AuditLog).where(AuditLog.action == "event.recording"))
        ).scalars()
        assert [a.after for a in logged] == [{"url": URL}]
    # a member sees it in /events past, with a button to it
    out = await bot.say("bob", "/events past")
    assert out[0].text.startswith("Recent events")
    assert out[1].text == f"#2 SQL workshop — 2026-03-02 12:00 UTC\n🎬 {URL}"
    assert out[1].buttons[0][0].url == URL
    # taken down: listed without it
    assert "taken down" in await bot.text("mod", "/event recording 2 off")
    out = await bot.say("bob", "/events past")
    assert out[1].text.endswith("· no recording") and not out[1].buttons
    assert "Usage: /event" in await bot.text("mod", "/event recording 2")
    # a new link (a long one) goes to them again
    long_url = "https://video.example/" + "x" * 400
    assert "the 1 member" in await bot.text("mod", f"/event recording 2 {long_url}")
    console.sent.clear()
    await drain(app.services, budget_s=None, senders={"console": console})
    assert [p["text"].splitlines()[-1] for _, p in console.sent] == [long_url]


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("is there a recording of the SQL workshop?", "The recording of SQL workshop"),
        ("直播有回放吗 我上班时间看不了", "最近活动的回放"),
        ("are the live sessions recorded?", "Recordings of recent events"),
    ],
)
async def test_a_question_about_a_recording_gets_it(bot, clock, asked, said):
    await _past_workshop(bot, clock)
    for before in (
        "is there a recording of the SQL workshop?",
        "are the live sessions recorded?",
    ):  # nothing posted yet: said so, and how it will come
        out = await _asked(bot, "bob", before)
        assert "No recording of SQL workshop" in out or "No event recordings" in out, out
        assert "thread" not in out
    await bot.text("mod", f"/event recording 1 {URL}")
    out = await _asked(bot, "bob", asked)
    assert said in out and URL in out and "thread" not in out


async def test_a_coming_event_s_recording_is_promised_as_it_will_come(bot):
    await bot.text("mod", "/event new SQL workshop | 2026-03-09 12:00 UTC")
    out = await _asked(bot, "alice", "will the SQL workshop be recorded?")
    assert out.startswith("SQL workshop is on 2026-03-09 12:00 UTC. If it is recorded")
    # recording something else is a question like any other
    out = await _asked(bot, "alice", "how do I record audio in python?")
    assert "recorded" not in out and "/events past" not in out
