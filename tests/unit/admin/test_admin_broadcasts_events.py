"""Broadcasts go through the digest outbox once per member; events respect capacity and remind once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.admin.broadcast_commands import report_finished
from core.community_events.commands import send_reminders
from core.digest.delivery import ConsoleDeliverer, drain
from core.replies import Reply
from models.admin import Broadcast, CommunityEvent, EventRsvp
from models.audit import AuditLog
from models.digest import Outbox
from models.interaction import Interaction
from models.member import Member


async def _member_id(db, name: str) -> int:
    async with db.session() as s:
        return (await s.execute(select(Member.id).where(Member.display_name == name))).scalar_one()


async def test_broadcast_preview_confirm_dedupe_schedule_and_report(bot, db, app):
    await bot.say("bob", "/language zh")
    out = await bot.say("mod", "/broadcast lang=zh | 本周五有直播")
    assert "to 1 member (lang=zh-CN)" in out[0].text and "本周五有直播" in out[0].text
    data = bot.button("mod")
    async with db.session() as s:
        assert (await s.execute(select(Outbox))).first() is None  # nothing before confirming
    assert "queued for 1 member" in (await bot.press("mod", data))[0].text
    assert "already confirmed" in (await bot.press("mod", data))[0].text
    bob = await _member_id(db, "Bob")
    async with db.session() as s:
        rows = (await s.execute(select(Outbox))).scalars().all()
    assert [(r.dedupe_key, r.payload["text"]) for r in rows] == [
        (f"broadcast:1:{bob}", "本周五有直播")
    ]
    # a scheduled one waits for its time
    await bot.say("mod", "/broadcast all at=2026-03-03T10:00 | Tomorrow: AMA")
    assert "queued for 5 members" in await bot.confirm("mod")
    console = ConsoleDeliverer()
    await drain(app.services, budget_s=None, senders={"console": console})
    assert [p["text"] for _, p in console.sent] == ["本周五有直播"]
    reports = await report_finished(app.services)
    assert len(reports) == 1
    report = reports[0]
    assert isinstance(report, Reply) and report.member_id == await _member_id(db, "Mod")
    assert "Broadcast #1 [delivered]" in report.text and "1 sent" in report.text
    assert await report_finished(app.services) == []  # reported once
    async with db.session() as s:
        b2 = await s.get_one(Broadcast, 2)
        assert b2.status == "queued" and b2.reported_at is None
    listing = await bot.text("mod", "/broadcasts")
    assert "#2 [scheduled]" in listing and "5 pending" in listing  # was "[queued]"
    assert "#1 [delivered]" in listing  # was "[queued]" too, once all was sent
    # "/broadcast status" drafted a broadcast saying "status" to everyone
    for word in ("status", "list", "History"):
        assert await bot.text("mod", f"/broadcast {word}") == listing
    async with db.session() as s:
        assert (await s.execute(select(func.count(Broadcast.id)))).scalar_one() == 2


async def test_a_broadcast_without_filters_needs_no_bar(bot, db):
    """`/broadcast TEXT` goes to everyone; filters may come first without the `|` (they were
    refused whole with the usage): they end at the first word that is not one, `at=` takes
    the words that read as a time, and no filter word reaches members as text."""
    out = await bot.text("mod", "/broadcast x=5 solves today's puzzle, well done all!")
    assert "to 5 members (all)" in out and "x=5 solves today's puzzle, well done all!" in out
    assert "queued for 5 members" in await bot.confirm("mod")
    out = await bot.text("mod", "/broadcast lang=en at=tomorrow 9am Berlin AMA at ten, see you")
    assert "(lang=en)" in out and "2026-03-03 08:00 UTC" in out
    assert "———\nAMA at ten, see you\n———" in out
    assert "queued" in await bot.confirm("mod")
    out = await bot.text("mod", "/broadcast all Hello")
    assert "(all)" in out and "———\nHello\n———" in out
    assert "Usage: /broadcast TEXT (to everyone)" in await bot.text(
        "mod", "/broadcast AT=2026-03-03"
    )
    async with db.session() as s:
        rows = (await s.execute(select(Broadcast).order_by(Broadcast.id))).scalars().all()
    assert [b.text for b in rows] == [
        "x=5 solves today's puzzle, well done all!",
        "AMA at ten, see you",
        "Hello",
    ]


async def test_moderators_list_events_and_read_stats_by_period_as_they_say_it(bot):
    """ "/event list", "/event who" without an id and "/stats week" were the usage text."""
    await bot.text("mod", "/event new SQL workshop | 2026-03-02 12:00 | https://meet.example/w | 2")
    listing = await bot.text("mod", "/events")
    assert "#1 SQL workshop" in listing
    assert await bot.text("mod", "/event list") == listing
    assert await bot.text("mod", "/event who") == listing
    week = await bot.text("mod", "/stats week")
    assert week == await bot.text("mod", "/stats 7") and "Usage" not in week
    # lengths and Chinese words for the window ("/stats 本周", "30天" were the usage)
    assert week == await bot.text("mod", "/stats 本周") == await bot.text("mod", "/stats 1 week")
    month = await bot.text("mod", "/stats 30天")
    assert month == await bot.text("mod", "/stats 30") and "Usage" not in month
    assert "Usage: /stats" in await bot.text("mod", "/stats 2 years")  # past the window
    assert "moderators only" in await bot.text("alice", "/event list")
    # the words moderators type for the actions ("create", "delete", ...) are the actions
    made = await bot.text("mod", "/event create Office hours | 2026-03-03 18:00")
    assert "Office hours" in made and "Usage" not in made
    assert "#2 Office hours" in await bot.text("mod", "/event ls")
    assert "cancelled" in await bot.text("mod", "/event delete 2")
    assert "Office hours" not in await bot.text("mod", "/event list")


async def test_event_rsvp_capacity_reminder_once_and_attendance(bot, db, app, clock):
    text = await bot.text(
        "mod", "/event new SQL workshop | 2026-03-02 12:00 | https://meet.example/w | 2"
    )
    assert "Event #1 created" in text
    out = await bot.say("alice", "/events")
    assert "(0/2 going)" in out[0].text
    join = bot.button("alice")
    assert "You're going" in (await bot.press("alice", join))[0].text
    assert "https://meet.example/w" in bot.last["alice"][0].text
    await bot.say("bob", "/events")
    await bot.press("bob", bot.button("bob"))
    await bot.say("eve", "/events")
    assert "is full" in (await bot.press("eve", bot.button("eve")))[0].text
    out = await bot.say("alice", "/events")
    assert "(2/2 going)" in out[0].text and "You are going" in out[0].text
    # the link stays one tap away for those going, and only for them (the event is capped)
    assert [b.url for b in out[0].buttons[0]] == [None, "https://meet.example/w"]
    out = await bot.say("eve", "/events")
    assert "waiting list" in out[0].text and [b.url for b in out[0].buttons[0]] == [None]
    # bob leaves, eve gets the seat
    await bot.say("bob", "/events")
    assert "no longer going" in (await bot.press("bob", bot.button("bob")))[0].text
    assert "You're going" in (await bot.press("eve", join))[0].text
    async with db.session() as s:
        going = (await s.execute(select(EventRsvp.member_id))).scalars().all()
    assert sorted(going) == sorted([await _member_id(db, "Alice"), await _member_id(db, "Eve")])
    # nobody attended what has not begun (before, attendance went in a day early)
    early = await bot.text("mod", "/event attended 1 @alice")
    assert "starts on 2026-03-02 12:00 UTC: attendance can be recorded once it has begun" in early
    # reminders: none 3 hours ahead, one per RSVP within the hour, never twice
    assert await send_reminders(app.services) == []
    clock.set(datetime(2026, 3, 2, 11, 10, tzinfo=UTC))
    await send_reminders(app.services)
    await send_reminders(app.services)
    async with db.session() as s:
        keys = sorted((await s.execute(select(Outbox.dedupe_key))).scalars().all())
    start = int(datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp())
    assert keys == sorted(f"event:1:remind@{start}:{m}" for m in going)
    # the event started: RSVPs close; attendance is recorded once, as an interaction
    clock.advance(timedelta(hours=1))
    await bot.say("bob", "/events")
    assert "No upcoming events" in bot.last["bob"][0].text
    assert "already started" in (await bot.press("bob", join))[0].text
    assert "for 2 members: Alice, Eve" in await bot.text("mod", "/event attended 1 @alice @eve")
    assert "already recorded" in await bot.text("mod", "/event attended 1 @alice")
    async with db.session() as s:
        kinds = (await s.execute(select(Interaction.kind, Interaction.member_id))).all()
    assert sorted(kinds) == sorted(("event_attended", m) for m in going)


async def test_event_times_as_moderators_write_them(bot, db):
    """Before, only "2026-03-10 18:00" was understood: "tomorrow 6pm", "friday 18:00" or a
    time in another city's zone were refused."""
    made = await bot.text("mod", "/event new Study night | tomorrow 6pm Berlin | 10")
    assert "Study night on 2026-03-03 17:00 UTC" in made  # 18:00 in Berlin (CET)
    made = await bot.text("mod", "/event new Reading club | 10 Mar 9 am")
    assert "Reading club on 2026-03-10 09:00 UTC" in made
    moved = await bot.text("mod", "/event move 1 friday 18:00")
    assert "now starts 2026-03-06 18:00 UTC" in moved
    assert "couldn't read the time" in await bot.text("mod", "/event move 1 someday")


async def test_a_chinese_event_line_keeps_its_capacity(bot, db):
    """ "/event new 数据分析答疑 明天晚上8点 最多 10 人" was the usage: a capacity written
    in Chinese ("最多 10 人", "10人", "限20人") read as part of the time."""
    for i, line in enumerate(("明天晚上8点 最多 10 人", "明天晚上8点 10人", "明天晚上8点 限20人")):
        made = await bot.text("mod", f"/event new 答疑{i} {line}")
        assert f"答疑{i} on 2026-03-03 20:00 UTC" in made, made
    async with db.session() as s:
        caps = await s.execute(select(CommunityEvent.capacity).order_by(CommunityEvent.id))
        assert list(caps.scalars()) == [10, 10, 20]


async def test_a_broadcast_is_scheduled_with_a_time_as_written(bot, db):
    """at= took one word: "at=tomorrow 9am Berlin" was refused (its words read as filters)."""
    preview = await bot.text("mod", "/broadcast lang=en at=tomorrow 9am Berlin | AMA at ten")
    assert "2026-03-03 08:00 UTC" in preview, preview  # 09:00 in Berlin (CET)


async def test_event_fields_in_another_order_are_told_apart_by_their_shape(bot, db):
    """A moderator who types the time first (or the capacity before the time) gets the event
    they meant, not "I couldn't read the time 'SQL office hours'"."""
    made = await bot.text("mod", "/event new 2026-03-10 18:00 | SQL office hours | 3")
    assert "SQL office hours on 2026-03-10 18:00 UTC" in made
    made = await bot.text(
        "mod", "/event new Study night | 12 | 2026-03-11 19:00 | https://meet.example/s"
    )
    assert "Study night on 2026-03-11 19:00 UTC" in made
    for line in ("/event new Title A | Title B", "/event new Party | 5 | 7"):
        assert "couldn't read the time" in await bot.text("mod", line)  # no way to tell
    assert await _events_made(db) == [
        ("SQL office hours", "03-10 18:00", 3, ""),
        ("Study night", "03-11 19:00", 12, "https://meet.example/s"),
    ]


async def _events_made(db) -> list[tuple]:
    """Every event: title, start (MM-DD HH:MM UTC), capacity and link, in creation order."""
    async with db.session() as s:
        rows = (await s.execute(select(CommunityEvent).order_by(CommunityEvent.id))).scalars()
        return [(e.title, e.starts_at.strftime("%m-%d %H:%M"), e.capacity, e.link) for e in rows]


async def test_event_times_written_in_chinese(bot, db):
    """明天18点, 周五晚上7点, 3月10日晚上7点半, 下周一 9点, 后天上午10点: all were "I couldn't
    read the time" (only 明天 18:00 or 周五 18点, with a space, were read)."""
    lines = (
        "/event new 答疑 | 明天18点",
        "/event new 学习会 | 周五晚上7点",
        "/event new 读书会 | 3月10日晚上7点半",
        "/event new 周会 | 下周一 9点",
        "/event new 早读 | 后天上午10点",
    )
    for line in lines:
        assert "Event #" in await bot.text("mod", line), line
    assert [
        e[:2] for e in await _events_made(db)
    ] == [  # the clock: Monday 2026-03-02 09:00 UTC, the moderator in UTC
        ("答疑", "03-03 18:00"),
        ("学习会", "03-06 19:00"),
        ("读书会", "03-10 19:30"),
        ("周会", "03-09 09:00"),
        ("早读", "03-04 10:00"),
    ]


async def test_event_times_as_moderators_say_them(bot, db):
    """ "tonight 8pm", "next tuesday 7pm", "in 2 hours", "12/20 18:00" were the usage text
    (or "next" went into the title); a date that reads both ways (3/4) is still refused."""
    lines = (
        "/event new SQL clinic tonight 8pm",
        "/event new Pandas Q&A next tuesday 7pm",
        "/event new Stats hour in 2 hours",
        "/event new Python help 3/20 18:00",
        "/event new Git help 2026/03/21 10:00",
        "/event new 答疑 3小时后",
    )
    for line in lines:
        assert "Event #" in await bot.text("mod", line), line
    assert "Usage: /event new" in await bot.text("mod", "/event new Stats 3/4 18:00")
    assert [e[:2] for e in await _events_made(db)] == [  # Monday 2026-03-02 09:00 UTC
        ("SQL clinic", "03-02 20:00"),
        ("Pandas Q&A", "03-10 19:00"),  # next week's Tuesday, as 下周二
        ("Stats hour", "03-02 11:00"),
        ("Python help", "03-20 18:00"),
        ("Git help", "03-21 10:00"),
        ("答疑", "03-02 12:00"),
    ]


async def test_moderators_actions_in_chinese(bot, db):
    """ "/event 新建 …", "/event 取消 1", "/course 隐藏 …" were the usage text."""
    assert "Event #1 created: 答疑" in await bot.text("mod", "/event 新建 答疑 明天晚上8点")
    assert "#1 答疑" in await bot.text("mod", "/event 列表")
    assert "cancelled" in await bot.text("mod", "/event 取消 1")
    # the bar a Chinese keyboard types ("｜") separates the fields too
    assert "Event #2 created: 周会 on " in await bot.text("mod", "/event new 周会 ｜ 下周一 9点")
    out = await bot.text("mod", "/course 隐藏 nothing-here")
    assert "Usage: /course" not in out and "nothing-here" in out


async def test_members_sign_up_and_off_by_typing(bot, db):
    """ "/events join 1" listed every event; the card's buttons were the only way."""
    await bot.text("mod", "/event new Clinic tomorrow 8pm max 1")
    assert "You're going to Clinic" in await bot.text("alice", "/events join 1")
    out = await bot.text("bob", "/events 报名 #1")  # full: the waiting list
    assert "waiting list" in out
    assert "#1 Clinic" in await bot.text("eve", "/events 1")
    assert "Usage: /events" in await bot.text("eve", "/events dance 1")
    assert "don't know that event" in await bot.text("eve", "/events join 99")
    out = await bot.text("alice", "/events leave 1")
    assert "Clinic" in out
    async with db.session() as s:
        rows = (await s.execute(select(EventRsvp))).scalars().all()
    assert [r.waitlisted for r in rows] == [False]  # bob moved up from the waiting list

    # "/events mine": only the coming events one signed up for ("mine" was the usage)
    await bot.text("mod", "/event new Book club | 2026-03-06 19:00")
    mine = await bot.text("bob", "/events mine")
    assert "#1 Clinic" in mine and "Book club" not in mine
    assert "Book club" in await bot.text("bob", "/events")
    assert "You have not signed up" in await bot.text("eve", "/events 我的")


async def test_an_event_written_as_a_sentence_without_bars(bot, db):
    """ "/event new Office hours: SQL Q&A tomorrow 6pm https://… 3" was the usage text; the
    time is the longest run of words at the end (or start) that reads as one."""
    lines = (
        "/event new Office hours: SQL Q&A tomorrow 6pm https://meet.example/abc 3",
        "/event new SQL study night friday at 7pm max 20",
        "/event new tomorrow 18:00 Python hangout",
        "/event new Reading club on 10 Mar 9am Berlin 12 seats",
    )
    for line in lines:
        assert "Event #" in await bot.text("mod", line), line
    assert "Usage: /event new TITLE TIME" in await bot.text("mod", "/event new Hangout soon")
    assert await _events_made(db) == [
        ("Office hours: SQL Q&A", "03-03 18:00", 3, "https://meet.example/abc"),
        ("SQL study night", "03-06 19:00", 20, ""),
        ("Python hangout", "03-03 18:00", 0, ""),
        ("Reading club", "03-10 08:00", 12, ""),
    ]


async def test_event_and_broadcast_times_are_each_readers_own(bot, db, app, clock):
    """Before, times were typed and shown in UTC only: a moderator in Shanghai and a member
    in Berlin each converted by hand, and a wrong guess meant a missed event."""
    await bot.say("mod", "/profile timezone Asia/Shanghai")
    await bot.say("alice", "/profile timezone Europe/Berlin")
    made = await bot.text("mod", "/event new Study night | 2026-03-03 20:00")
    assert "2026-03-03 20:00 CST" in made  # as the moderator typed it, zone named
    async with db.session() as s:
        ev = (await s.execute(select(CommunityEvent))).scalar_one()
        assert ev.starts_at.astimezone(UTC) == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert "2026-03-03 13:00 CET" in (await bot.say("alice", "/events"))[0].text
    assert "2026-03-03 12:00 UTC" in (await bot.say("bob", "/events"))[0].text  # no zone set
    going = await bot.press("alice", bot.button("alice"))
    assert "13:00 CET" in going[0].text
    # an explicit UTC is taken as UTC
    assert "2026-03-04 20:00 CST" in await bot.text("mod", "/event new Late | 2026-03-04 12:00 UTC")
    # a scheduled broadcast, too, is typed and confirmed in the moderator's time
    preview = await bot.text("mod", "/broadcast all at=2026-03-03T18:00 | See you tonight")
    assert "2026-03-03 18:00 CST" in preview
    async with db.session() as s:
        b = (await s.execute(select(Broadcast))).scalar_one()
        assert b.send_at.astimezone(UTC) == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


async def test_cancelling_an_event_tells_everyone_going_once(bot, db, app, clock):
    """Before, a cancelled event just vanished from /events: members who had said they would
    come were never told, and turned up to an empty call."""
    await bot.say("alice", "/profile timezone Europe/Berlin")
    await bot.say("bob", "/language zh")
    await bot.text("mod", "/event new SQL workshop | 2026-03-03 12:00 UTC | https://meet.example/w")
    for who in ("alice", "bob"):
        await bot.say(who, "/events")
        await bot.press(who, bot.button(who))
    # the moderator sees which event a typed number names before members are told
    preview = await bot.text("mod", "/event cancel 1")
    assert preview == (
        "This cancels SQL workshop on 2026-03-03 12:00 UTC and tells the 2 members signed up"
        " (going or waiting) that it will not take place.\nConfirm?"
    )
    await bot.press("mod", bot.button("mod", 1))  # Cancel: nothing changes
    assert "SQL workshop" in await bot.text("alice", "/events")
    await bot.text("mod", "/event cancel 1")
    confirm = bot.button("mod")
    out = await bot.press("mod", confirm)
    assert "Told the 2 members who had signed up" in out[0].text
    again = (await bot.press("mod", confirm))[0].text  # a second tap does nothing
    assert again == "This was already confirmed or cancelled; nothing more was done."
    assert "don't know that event" in await bot.text("mod", "/event cancel 1")  # once
    console = ConsoleDeliverer()
    await drain(app.services, budget_s=None, senders={"console": console})
    assert sorted(p["text"] for _, p in console.sent) == [
        "❌ SQL workshop on 2026-03-03 13:00 CET is cancelled; it will not take place.",
        "❌ 原定于 2026-03-03 12:00 UTC 的 SQL workshop 已取消，不再举行。",
    ]
    # no reminder for it later
    clock.set(datetime(2026, 3, 3, 11, 10, tzinfo=UTC))
    await send_reminders(app.services)
    async with db.session() as s:
        keys = sorted((await s.execute(select(Outbox.dedupe_key))).scalars().all())
    assert all(":cancel:" in k for k in keys) and len(keys) == 2
    await bot.text("mod", "/event new Quiet hour | 2026-03-04 12:00 UTC")
    out = await bot.text("mod", "/event cancel 2")  # it said "Told the 0 members"
    assert out == "Event Quiet hour cancelled. Nobody had signed up, so nobody needed telling."


async def test_a_full_event_keeps_a_waiting_list_and_a_freed_place_goes_to_the_first(
    bot, db, app, clock
):
    """Before, a full event just said "Sorry, it is full": when someone dropped out, the
    place stayed empty unless a member happened to look again."""
    await bot.text(
        "mod", "/event new Mock interview | 2026-03-03 12:00 UTC | https://m.example | 1"
    )
    await bot.say("alice", "/events")
    await bot.press("alice", bot.button("alice"))
    for who, place in (("bob", 1), ("eve", 2)):
        out = await bot.say(who, "/events")
        assert [b.label for b in out[0].buttons[0]] == ["Join the waiting list"]
        said = (await bot.press(who, bot.button(who)))[0].text
        assert f"number {place} on the waiting list" in said, said
    out = (await bot.say("eve", "/events"))[0]
    assert "(1/1 going) · 2 waiting" in out.text and "You are number 2" in out.text
    assert "off the waiting list" in (await bot.press("eve", bot.button("eve")))[0].text
    # alice drops out: bob, first in line, has the place and is told at once
    await bot.say("alice", "/events")
    left = await bot.press("alice", bot.button("alice"))
    assert "no longer going" in left[0].text
    bob = await _member_id(db, "Bob")
    (freed,) = [r for r in left if getattr(r, "member_id", None) == bob]
    assert freed.text.startswith("🎉 A place freed up: you're going to Mock interview")
    assert "You are going" in (await bot.say("bob", "/events"))[0].text
    # eve waits again; the reminder goes to the one going, the cancel to both
    await bot.say("eve", "/events")
    await bot.press("eve", bot.button("eve"))
    clock.set(datetime(2026, 3, 3, 11, 10, tzinfo=UTC))
    await send_reminders(app.services)
    eve = await _member_id(db, "Eve")
    await bot.say("mod", "/event cancel 1")
    assert (
        "Told the 2 members who had signed up"
        in (await bot.press("mod", bot.button("mod")))[0].text
    )
    async with db.session() as s:
        keys = sorted((await s.execute(select(Outbox.dedupe_key))).scalars().all())
    start = int(datetime(2026, 3, 3, 12, 0, tzinfo=UTC).timestamp())
    assert keys == sorted(
        [f"event:1:remind@{start}:{bob}", f"event:1:cancel:{bob}", f"event:1:cancel:{eve}"]
    )


async def test_moderators_see_who_signed_up_and_who_came(bot, db, clock):
    """Marking attendance needs the names; before, only the count "(2/2 going)" was shown."""
    await bot.text("mod", "/event new Mock interview | 2026-03-02 12:00 UTC | | 1")
    for who in ("alice", "bob", "eve"):
        await bot.say(who, "/events")
        await bot.press(who, bot.button(who))
    listing = await bot.text("mod", "/event who 1")
    assert listing.splitlines() == [
        "#1 Mock interview, 2026-03-02 12:00 UTC:",
        "going (1): Alice",
        "waiting (2, in order): Bob, Eve",
    ]
    clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
    await bot.text("mod", "/event attended 1 @alice @bob")
    assert "came (2): Alice, Bob" in await bot.text("mod", "/event who 1")
    assert "moderators only" in await bot.text("alice", "/event who 1")
    assert "don't know that event" in await bot.text("mod", "/event who 7")


async def test_a_banned_member_is_neither_reminded_nor_handed_a_freed_place(bot, db, app, clock):
    await bot.text("mod", "/event new Mock interview | 2026-03-03 12:00 UTC | | 1")
    for who in ("alice", "bob", "eve"):  # alice goes; bob, then eve, wait
        await bot.say(who, "/events")
        await bot.press(who, bot.button(who))
    bob, eve = await _member_id(db, "Bob"), await _member_id(db, "Eve")
    async with db.session() as s, s.begin():
        (await s.get_one(Member, bob)).role = "banned"
    await bot.say("alice", "/events")
    left = await bot.press("alice", bot.button("alice"))
    assert [r.member_id for r in left if getattr(r, "member_id", None)] == [eve]
    async with db.session() as s, s.begin():
        (await s.get_one(Member, eve)).role = "banned"
    clock.set(datetime(2026, 3, 3, 11, 10, tzinfo=UTC))
    await send_reminders(app.services)
    async with db.session() as s:
        assert (await s.execute(select(Outbox.dedupe_key))).first() is None


async def test_a_banned_or_erased_member_gives_their_place_to_the_waiting_list(bot, db):
    await bot.text("mod", "/event new Mock interview | 2026-03-03 12:00 UTC | | 1")
    await bot.text("mod", "/event new Code review | 2026-03-04 12:00 UTC | | 1")
    for who in ("alice", "bob"):  # alice has both places, bob waits for both
        for i in (0, 1):
            await bot.say(who, "/events")
            await bot.press(who, bot.button(who, i))
    bob = await _member_id(db, "Bob")
    await bot.say("mod", "/ban @alice spamming")
    out = await bot.press("mod", bot.button("mod"))
    freed = [r.text for r in out if getattr(r, "member_id", None) == bob]
    assert len(freed) == 2 and all(t.startswith("🎉 A place freed up") for t in freed)
    # bob erases his data: eve, waiting behind him, gets the place
    await bot.say("eve", "/events")
    await bot.press("eve", bot.button("eve"))
    eve = await _member_id(db, "Eve")
    await bot.say("bob", "/forget")
    out = await bot.press("bob", bot.button("bob"))
    assert [r.member_id for r in out if getattr(r, "member_id", None) not in (None, bob)] == [eve]
    async with db.session() as s:
        going = (
            await s.execute(select(EventRsvp.member_id).where(EventRsvp.waitlisted.is_(False)))
        ).scalars()
        assert list(going) == [eve]  # bob gave up both places; nobody waited for the second


async def test_moving_an_event_tells_everyone_signed_up_and_reminds_before_the_new_time(
    bot, db, app, clock
):
    """Before, a rescheduled session meant cancelling it and asking everyone to sign up again."""
    await bot.say("alice", "/profile timezone Europe/Berlin")
    await bot.text("mod", "/event new SQL workshop | 2026-03-02 12:00 UTC | https://m.example | 1")
    for who in ("alice", "bob"):  # alice goes, bob waits
        await bot.say(who, "/events")
        await bot.press(who, bot.button(who))
    clock.set(datetime(2026, 3, 2, 11, 10, tzinfo=UTC))
    await send_reminders(app.services)  # alice reminded for 12:00
    moved = await bot.text("mod", "/event move 1 | 2026-03-03 18:00 UTC")
    assert "now starts 2026-03-03 18:00 UTC" in moved and "Told the 2 members" in moved
    assert "already starts" in await bot.text("mod", "/event move 1 | 2026-03-03 18:00 UTC")
    assert "already passed" in await bot.text("mod", "/event move 1 | 2026-03-01 18:00 UTC")
    # the bar is optional: the id is one word; a move without a time is refused
    assert "already starts" in await bot.text("mod", "/event move 1 2026-03-03 18:00")
    assert "Usage: /event" in await bot.text("mod", "/event move 1")
    console = ConsoleDeliverer()
    await drain(app.services, budget_s=None, senders={"console": console})
    texts = [p["text"] for _, p in console.sent]
    assert (
        "📅 SQL workshop has moved: it now starts 2026-03-03 19:00 CET.\nhttps://m.example" in texts
    )
    assert (
        "📅 SQL workshop has moved: it now starts 2026-03-03 18:00 UTC.\nhttps://m.example" in texts
    )
    await send_reminders(app.services)  # nothing yet: the new time is more than an hour away
    clock.set(datetime(2026, 3, 3, 17, 10, tzinfo=UTC))
    await send_reminders(app.services)
    console.sent.clear()
    await drain(app.services, budget_s=None, senders={"console": console})
    assert [p["text"] for _, p in console.sent] == [  # alice, again, for the new time
        "⏰ Reminder: SQL workshop starts at 2026-03-03 19:00 CET.\nhttps://m.example"
    ]


async def test_the_last_place_goes_to_one_member_when_two_press_at_once(bot, db, app):
    """Two members pressing "I'll come" for the last place at the same moment: one goes, the
    other waits (the event row is locked while a place is taken)."""
    import asyncio

    from core.events import Button, Chat

    if db.kind != "postgres":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    await bot.text("mod", "/event new Mock interview | 2026-03-03 12:00 UTC | | 1")
    presses = []
    for who in ("alice", "bob"):
        await bot.say(who, "/events")
        presses.append(Button(bot.actor(who), Chat("console", who), data=bot.button(who)))
    outs = await asyncio.gather(*(app.router.dispatch(p) for p in presses))
    texts = sorted(o[0].text for o in outs)
    assert "went wrong" not in " ".join(texts)
    assert sum("You're going" in t for t in texts) == 1
    assert sum("number 1 on the waiting list" in t for t in texts) == 1


async def test_a_scheduled_broadcast_can_be_cancelled_and_drafts_are_not_shown_delivered(
    bot, db, app
):
    """'/broadcast cancel 1' drafted a broadcast saying "cancel 1" to every member, and no
    command stopped one scheduled; /broadcasts showed a draft never confirmed "[delivered]"."""
    await bot.say("mod", "/broadcast all at=2026-03-03T10:00 | Tomorrow: AMA")
    await bot.confirm("mod")
    await bot.say("mod", "/broadcast all | a draft left unconfirmed")
    listing = await bot.text("mod", "/broadcasts")
    assert "#2 [not confirmed, never sent]" in listing and "#1 [scheduled]" in listing
    out = await bot.say("mod", "/broadcast cancel 1")
    assert out[0].text == "Broadcast #1 is cancelled: 5 messages held back (0 already sent)."
    assert not out[0].buttons
    assert "already cancelled" in await bot.text("mod", "/broadcast cancel #1")
    assert "never confirmed" in await bot.text("mod", "/broadcast 取消 2")
    assert "no broadcast #9" in await bot.text("mod", "/broadcast cancel 9")
    async with db.session() as s:
        assert (await s.execute(select(func.count(Broadcast.id)))).scalar_one() == 2
        statuses = (await s.execute(select(Outbox.status))).scalars().all()
        audit = (
            (await s.execute(select(AuditLog.action).where(AuditLog.action == "broadcast.cancel")))
            .scalars()
            .all()
        )
    assert statuses and set(statuses) == {"cancelled"} and len(audit) == 2
    console = ConsoleDeliverer()
    app.services.clock.advance(days=2)
    await drain(app.services, budget_s=None, senders={"console": console})
    assert console.sent == []  # nothing goes out at its time
    assert "#1 [cancelled]" in await bot.text("mod", "/broadcasts")
    assert await report_finished(app.services) == []
