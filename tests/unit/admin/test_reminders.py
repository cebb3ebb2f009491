"""Reminders a member sets for themself ("thanks!! can you remind me on saturday morning to do
module 6" was told the bot sets no reminders): sent once at the time asked, in the member's
timezone, listed and cancelled with /remind, refused with a reason when they cannot be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.digest.delivery import ConsoleDeliverer, drain
from core.events import Chat, Message
from core.replies import Reply
from models.digest import Outbox

MONDAY_EVENING = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


async def _said(bot, who: str, text: str) -> str:
    out = await bot.app.router.dispatch(Message(bot.actor(who), Chat("console", who), text=text))
    bot.last[who] = out
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def _reminders(db) -> list[tuple[datetime, str, str]]:
    async with db.session() as s:
        rows = (
            await s.execute(
                select(Outbox).where(Outbox.dedupe_key.like("remind:%")).order_by(Outbox.id)
            )
        ).scalars()
        return [
            (r.not_before.replace(tzinfo=UTC), r.status, r.payload.get("text", "")) for r in rows
        ]


async def _sent(app) -> list[str]:
    console = ConsoleDeliverer()
    await drain(app.services, budget_s=None, senders={"console": console})
    return [p["text"] for _, p in console.sent]


async def test_a_reminder_comes_once_at_the_time_asked_in_the_members_zone(bot, db, app, clock):
    clock.set(MONDAY_EVENING)
    await bot.say("alice", "/profile timezone Europe/Berlin")
    out = await bot.text("alice", "/remind sat 9 do module 6")
    assert out == "⏰ I'll remind you on 2026-12-12 09:00 CET: do module 6"
    saturday_9_berlin = datetime(2026, 12, 12, 8, 0, tzinfo=UTC)
    assert await _reminders(db) == [(saturday_9_berlin, "pending", "⏰ Reminder: do module 6")]
    assert await _sent(app) == []  # not yet
    clock.set(saturday_9_berlin + timedelta(minutes=1))
    assert await _sent(app) == ["⏰ Reminder: do module 6"]
    assert await _sent(app) == []  # once
    assert "no reminders waiting" in await bot.text("alice", "/remind")


async def test_reminders_are_listed_and_cancelled_only_by_their_owner(bot, db, clock):
    clock.set(MONDAY_EVENING)
    await bot.say("bob", "/remind tomorrow 8am review joins")
    not_yours = bot.button("bob")
    await bot.say("bob", "/remind in 2 hours stretch")
    out = await bot.say("bob", "/remind")
    assert out[0].text.splitlines()[:3] == [
        "Your reminders (2 of at most 20):",
        "1. 2026-12-07 20:00 UTC — stretch",
        "2. 2026-12-08 08:00 UTC — review joins",
    ]
    # eve cannot cancel bob's reminder with his button
    said = (await bot.press("eve", not_yours))[0].text
    assert said == "That reminder was already sent or cancelled."
    assert [s for _, s, _ in await _reminders(db)] == ["pending", "pending"]
    assert "Which one?" in await bot.text("bob", "/remind cancel 3")
    assert await bot.text("bob", "/remind cancel 1") == "Cancelled the reminder: stretch"
    assert (await bot.press("bob", not_yours))[0].text == "Cancelled the reminder: review joins"
    assert [s for _, s, _ in await _reminders(db)] == ["cancelled", "cancelled"]


async def test_reminders_that_cannot_be_set_say_why_and_add_nothing(bot, db, clock):
    clock.set(MONDAY_EVENING)
    before = await bot.counts()
    assert (await bot.text("eve", "/remind foo bar")).startswith("When should I remind you?")
    assert "already passed" in await bot.text("eve", "/remind 2026-12-01 09:00 pay rent")
    assert "up to a year ahead" in await bot.text("eve", "/remind 2028-01-01 09:00 x")
    assert "up to 300 characters" in await bot.text("eve", "/remind tomorrow 9 " + "x" * 301)
    assert await bot.counts() == before
    for i in range(20):
        await bot.say("eve", f"/remind in {i + 1} hours drink water")
    assert "already have 20 reminders waiting" in await bot.text("eve", "/remind in 30 hours x")
    assert len(await _reminders(db)) == 20


async def test_asked_in_words_in_english_and_chinese(bot, db, clock):
    clock.set(MONDAY_EVENING)
    await bot.say("alice", "/profile timezone Asia/Shanghai")
    out = await _said(bot, "alice", "thanks!! can you remind me on saturday morning to do module 6")
    assert out == "⏰ I'll remind you on 2026-12-12 09:00 CST: do module 6"
    out = await _said(bot, "alice", "周六早上提醒我做第6课")
    assert out == "⏰ 我会在 2026-12-12 09:00 CST 提醒你：做第6课"
    out = await _said(bot, "alice", "can you remind me tomorrow at 9?")
    assert out.startswith(
        "⏰ I'll remind you on 2026-12-09 09:00 CST. To have it say what it is for"
    )
    saturday_9_shanghai = datetime(2026, 12, 12, 1, 0, tzinfo=UTC)
    assert await _reminders(db) == [
        (saturday_9_shanghai, "pending", "⏰ Reminder: do module 6"),
        (saturday_9_shanghai, "pending", "⏰ Reminder: 做第6课"),
        (
            datetime(2026, 12, 9, 1, 0, tzinfo=UTC),
            "pending",
            "⏰ Here is the reminder you asked for.",
        ),
    ]
    # not a time: a question, or a repeating reminder (the digest's schedule answers that)
    for text in ("remind me how left joins work", "能不能每天提醒我学习"):
        assert "I'll remind you" not in await _said(bot, "alice", text)
    assert len(await _reminders(db)) == 3


async def test_forget_takes_pending_reminders_with_it(bot, db, clock):
    clock.set(MONDAY_EVENING)
    await bot.say("alice", "/remind tomorrow 9 call the bank about my card")
    await bot.say("alice", "/forget")
    await bot.confirm("alice")
    ((_, status, text),) = await _reminders(db)
    assert status != "pending" and "bank" not in text


async def test_a_newcomers_first_message_can_set_a_reminder(bot, db, clock):
    """Asked as the very first message ("Something went wrong on our side" before: the member
    made in that transaction had no accounts loaded when the reminder was queued)."""
    clock.set(MONDAY_EVENING)
    out = await _said(bot, "dana", "can you remind me tomorrow at 9?")
    assert out.startswith("⏰ I'll remind you on 2026-12-08 09:00 UTC.")
    assert await _reminders(db) == [
        (
            datetime(2026, 12, 8, 9, 0, tzinfo=UTC),
            "pending",
            "⏰ Here is the reminder you asked for.",
        )
    ]
