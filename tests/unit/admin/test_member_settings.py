"""/settings: every message the bot sends on its own in one place, each switched off or on,
in words too ("why am i getting so many messages from you" opened a public thread; "how do i
turn off the event reminders?" was told that no events were planned)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.community_events.commands import send_reminders
from core.events import Chat, Message
from core.replies import Reply
from models.audit import AuditLog
from models.digest import Outbox
from models.member import Account, Member


async def _said(bot, who: str, text: str) -> list[Reply]:
    out = await bot.app.router.dispatch(Message(bot.actor(who), Chat("console", who), text=text))
    bot.last[who] = out
    return [r for r in out if isinstance(r, Reply)]


async def _member(db, who: str) -> Member:
    async with db.session() as s:
        m = (
            await s.execute(select(Member).join(Account).where(Account.platform_user_id == who))
        ).scalar_one()
        s.expunge(m)
        return m


def _labels(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


async def test_settings_list_every_kind_and_switch_each(bot, db):
    out = await bot.say("alice", "/settings")
    text = out[0].text
    assert text.startswith("Messages I send you on my own:")
    for line in (
        "📬 Digest: every Monday at 09:00",
        "🔥 Streak reminders",
        "⭐ Level-up news: on",
        "📅 Reminders and recordings of events you signed up for: on",
        "🙋 Invitations to answer members' questions: on",
        "🌙 Quiet hours: none",
        "Always sent: answers to your questions",
    ):
        assert line in text, line
    assert "🔕 Stop event reminders" in _labels(out[0])
    out = await bot.text("alice", "/settings events off")
    assert out.startswith("Done: no more event reminders.")
    assert "📅 Reminders and recordings of events you signed up for: off" in out
    alice = await _member(db, "alice")
    assert alice.prefs["muted"] == ["events"]
    # Chinese words, the other way round
    out = await bot.text("alice", "/settings 关闭 打卡提醒")
    assert "no more streak reminders" in out
    # a button turns one back on
    (on,) = [
        b.data
        for r in bot.last["alice"]
        for row in r.buttons
        for b in row
        if b.label == "🔔 Turn on event reminders"
    ]
    out = (await bot.press("alice", on))[0].text
    assert out.startswith("Done: event reminders are on again.")
    assert (await _member(db, "alice")).prefs["muted"] == ["streak"]
    # quiet hours are set here too
    assert "🌙 Quiet hours: 22:00–08:00 (UTC)" in await bot.text("alice", "/settings quiet 22-8")
    async with db.session() as s:
        rows = (
            await s.execute(
                select(AuditLog.after).where(AuditLog.action == "notifications.settings")
            )
        ).scalars()
        assert [r["events"] for r in rows] == [False, False, True]


async def test_all_off_keeps_what_a_member_needs_and_all_on_restores(bot, db):
    out = await bot.text("bob", "/settings all off")
    assert out.startswith("Done: I won't send you any of these any more.")
    bob = await _member(db, "bob")
    assert bob.digest_frequency == "off" and bob.expert_opt_out
    assert sorted(bob.prefs["muted"]) == ["events", "levels", "streak"]
    assert (
        '🔥 Streak reminders ("one lesson today keeps your streak"): off while your digest' in out
    )
    # streak reminders alone cannot come back without the digest: said so
    said = await bot.text("bob", "/settings streak on")
    assert said.startswith("Streak reminders come with your digest, which is off")
    out = await bot.text("bob", "/settings all on")
    assert out.startswith("Done: all of these are on again.")
    bob = await _member(db, "bob")
    assert bob.digest_frequency == "weekly" and not bob.expert_opt_out
    assert bob.prefs["muted"] == []


async def test_bad_settings_get_the_usage_and_change_nothing(bot, db):
    before = await bot.counts()
    for line in ("/settings loud", "/settings events", "/settings events on off"):
        assert (await bot.text("eve", line)).startswith("/settings [digest|streak"), line
    assert await bot.counts() == before
    unknown = await bot.text("eve", "/notifications")
    assert "Did you mean /settings?" in unknown
    assert "/settings or /cancel" in await bot.text("eve", "/unsubscribe")


async def test_a_muted_member_gets_no_event_reminder_but_hears_of_a_cancel(bot, db, app, clock):
    await bot.text("mod", "/event new SQL workshop | 2026-03-02 12:00 UTC | https://m.example")
    for who in ("alice", "bob"):
        await bot.say(who, "/events")
        await bot.press(who, bot.button(who))
    await bot.say("alice", "/settings events off")
    clock.set(datetime(2026, 3, 2, 11, 10, tzinfo=UTC))
    await send_reminders(app.services)
    alice, bob = await _member(db, "alice"), await _member(db, "bob")
    start = int(datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp())
    await bot.say("mod", "/event cancel 1")
    assert "Told the 2 members" in (await bot.press("mod", bot.button("mod")))[0].text
    async with db.session() as s:
        keys = sorted((await s.execute(select(Outbox.dedupe_key))).scalars().all())
    assert keys == sorted(
        [
            f"event:1:remind@{start}:{bob.id}",
            f"event:1:cancel:{alice.id}",
            f"event:1:cancel:{bob.id}",
        ]
    )


async def test_members_asking_about_messages_in_words(bot, db):
    (out,) = await _said(bot, "alice", "why am i getting so many messages from you, like 4 today")
    assert out.text.startswith("Here is every message I send you on my own")
    assert "Messages I send you on my own:" in out.text
    (out,) = await _said(
        bot, "alice", "how do i turn off the event reminders? i don't go to live stuff anyway"
    )
    assert out.text.startswith("To stop event reminders, tap its 🔕 button below")
    assert (await _member(db, "alice")).prefs.get("muted") in (None, [])  # a question: shown
    (out,) = await _said(bot, "alice", "现在我的通知设置是什么样的，能列一下吗")
    assert (
        out.text.startswith("以下是我会主动给你发的所有消息")
        and "我会主动给你发的消息：" in out.text
    )
    (out,) = await _said(bot, "alice", "怎么还在收到排行榜的消息？？我没订阅这个啊")
    assert out.text.startswith("每周排行榜是发在社区群里的")
    # a plain request is done at once, with the way back
    (out,) = await _said(bot, "alice", "还有，别再给我发“你已经3天没学习了”这种提醒了 🙃")
    assert out.text.startswith("好的：不再发送连续学习提醒。改主意了？")
    assert (await _member(db, "alice")).prefs["muted"] == ["streak"]
    assert _labels(out) == ["🔔 开启连续学习提醒"]
    await bot.press("alice", bot.button("alice"))
    assert (await _member(db, "alice")).prefs["muted"] == []
    (out,) = await _said(bot, "bob", "stop sending me level up messages")
    assert out.text.startswith("Done: no more level-up news.")
    # a program's messages are a course question, not these
    out = await _said(bot, "bob", "how do I stop a pandas warning message from printing")
    assert not any("Messages I send you" in r.text for r in out)
    assert (await _member(db, "bob")).prefs["muted"] == ["levels"]
