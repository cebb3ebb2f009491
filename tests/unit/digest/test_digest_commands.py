"""/digest in chat, digest buttons becoming interactions, moderator stats."""

from __future__ import annotations

import pytest
from digest_helpers import RecordingDeliverer, add_course, add_member
from sqlalchemy import select

from core.catalog.service import listed_course_id
from core.digest.compose import compose_due
from core.digest.delivery import drain
from core.errors import NotFound
from core.events import Actor, Button, Chat, Command
from models.interaction import Interaction
from models.member import Member


def cmd(user: str, args: str, uid: str) -> Command:
    return Command(
        Actor("telegram", f"u-{user}"), Chat("telegram", f"c-{user}"), uid, name="digest", args=args
    )


async def test_settings_change_and_bad_input_changes_nothing(app, db):
    r = await app.router.dispatch(cmd("ann", "", "c1"))
    assert "every Monday at 09:00 (UTC)" in r[0].text
    r = await app.router.dispatch(cmd("ann", "weekly fri 18", "c2"))
    assert "every Friday at 18:00" in r[0].text and "Next one: 2026-03-06 18:00" in r[0].text
    r = await app.router.dispatch(cmd("ann", "tz Asia/Shanghai", "c3"))
    assert "Asia/Shanghai" in r[0].text
    for i, bad in enumerate(
        ["weekly blursday", "hour 25", "quiet 22", "tz Mars/Base", "daily 8 9"]
    ):
        r = await app.router.dispatch(cmd("ann", bad, f"bad{i}"))
        said = r[0].text
        assert any(x in said for x in ("Try: /digest daily 8", "timezone", "0 to 23")), said
    async with db.session() as s:
        m = (await s.execute(select(Member))).scalar_one()
        assert (m.digest_frequency, m.digest_weekday, m.digest_hour, m.timezone) == (
            "weekly",
            4,
            18,
            "Asia/Shanghai",
        )
    r = await app.router.dispatch(cmd("ann", "quiet 22-7", "c4"))
    assert "Quiet hours: 22:00–07:00" in r[0].text


async def test_times_are_understood_as_members_write_them(app, db):
    """Before, "18:00", "7pm", "friday 8:30" or "10pm-7am" were all "I didn't understand"."""
    said = {}
    for i, args in enumerate(("18:00", "daily 7 pm", "friday 6 ", "quiet 10pm-7am", "hour 12am")):
        said[args] = (await app.router.dispatch(cmd("ann", args, f"t{i}")))[0].text
    assert "every Monday at 18:00" in said["18:00"]  # the hour only
    assert "every day at 19:00" in said["daily 7 pm"]
    assert "every Friday at 06:00" in said["friday 6 "]
    assert "Quiet hours: 22:00–07:00" in said["quiet 10pm-7am"]
    assert "every Friday at 00:00" in said["hour 12am"]
    r = await app.router.dispatch(cmd("ann", "tz new york", "t8"))  # as /profile reads it
    assert "(America/New_York)" in r[0].text
    r = await app.router.dispatch(cmd("ann", "weekly mon 8:30", "t9"))
    assert r[0].text == "Digests go out on the hour: pick 8 or 9, e.g. /digest hour 8."
    for i, wrong in enumerate(("hour 25", "hour -1", "daily 24")):  # was "I didn't understand"
        r = await app.router.dispatch(cmd("ann", wrong, f"r{i}"))
        assert r[0].text.startswith("An hour of the day is 0 to 23"), wrong
    async with db.session() as s:  # the refused line changed nothing, not even the day
        m = (await s.execute(select(Member))).scalar_one()
        assert (m.digest_frequency, m.digest_weekday, m.digest_hour) == ("weekly", 4, 0)


async def test_schedules_written_as_sentences(app):
    """ "day monday", "weekly on friday at 6pm", "every day at 8" were "I didn't understand"."""
    said = {}
    for i, args in enumerate(
        ("day monday", "weekly on friday at 6pm", "every day at 8", "every wednesday", "on")
    ):
        said[args] = (await app.router.dispatch(cmd("ann", args, f"s{i}")))[0].text
    assert "every Monday at 09:00" in said["day monday"]
    assert "every Friday at 18:00" in said["weekly on friday at 6pm"]
    assert "every day at 08:00" in said["every day at 8"]
    assert "every Wednesday at 08:00" in said["every wednesday"]
    assert "every Wednesday at 08:00" in said["on"]  # "on" alone is still "turn it on"


async def test_parts_of_the_day_and_quiet_hours_as_members_write_them(app):
    """ "every monday morning" and "quiet 10pm to 7am" were "I didn't understand"."""
    said = {}
    for i, args in enumerate(
        (
            "every monday morning",
            "daily in the evening",
            "weekly friday afternoon",
            "每周一早上",
            "quiet 10pm to 7am",
            "quiet from 11pm until 6am",
        )
    ):
        said[args] = (await app.router.dispatch(cmd("ann", args, f"p{i}")))[0].text
    assert "every Monday at 09:00" in said["every monday morning"]
    assert "every day at 18:00" in said["daily in the evening"]
    assert "every Friday at 14:00" in said["weekly friday afternoon"]
    assert "every Monday at 09:00" in said["每周一早上"]
    assert "Quiet hours: 22:00–07:00" in said["quiet 10pm to 7am"]
    assert "Quiet hours: 23:00–06:00" in said["quiet from 11pm until 6am"]
    # the reply's own Chinese labels as the words to change them, and "quiet hours …"
    for i, args in enumerate(("免打扰 22-7", "quiet hours 23-6", "时区 上海")):
        said[args] = (await app.router.dispatch(cmd("ann", args, f"z{i}")))[0].text
    assert "Quiet hours: 22:00–07:00" in said["免打扰 22-7"]
    assert "Quiet hours: 23:00–06:00" in said["quiet hours 23-6"]
    assert "(Asia/Shanghai)" in said["时区 上海"]
    out = (await app.router.dispatch(cmd("ann", "免打扰 关闭", "z9")))[0].text
    assert "Quiet hours: none" in out
    # a frequency digests do not have is told the two they do, and changes nothing
    for i, args in enumerate(("twice a week", "monthly", "每两周一次")):
        out = (await app.router.dispatch(cmd("ann", args, f"f{i}")))[0].text
        assert out.startswith("Digests come every day or once a week"), args
    async with app.services.session_factory() as s:
        m = (await s.execute(select(Member))).scalar_one()
    assert (m.digest_frequency, m.digest_weekday, m.digest_hour) == ("weekly", 0, 9)


async def test_with_the_digest_off_the_quiet_hours_still_show(app):
    """They still hold invitations and hush other messages, so the member sees they were
    saved rather than only "your digest is off"."""
    r = await app.router.dispatch(cmd("ann", "off", "o1"))
    assert "Your digest is off" in r[-1].text and "Quiet hours" not in r[-1].text
    r = await app.router.dispatch(cmd("ann", "quiet 22-7", "o2"))
    assert "Your digest is off" in r[-1].text
    assert "Quiet hours: 22:00–07:00 (UTC)" in r[-1].text and "without a sound" in r[-1].text


async def test_digest_on_takes_the_schedule_up_again(app):
    """ "/digest off" is easy to undo: "/digest on" is what members type, and it was not
    understood; it brings back the day and hour they had, weekly."""
    await app.router.dispatch(cmd("ann", "weekly fri 18", "n1"))
    await app.router.dispatch(cmd("ann", "off", "n2"))
    r = await app.router.dispatch(cmd("ann", "on", "n3"))
    assert "every Friday at 18:00" in r[-1].text
    await app.router.dispatch(cmd("ann", "daily 7", "n4"))
    r = await app.router.dispatch(cmd("ann", "on", "n5"))  # already on: stays daily
    assert "every day at 07:00" in r[-1].text


async def test_digest_never_is_off_as_the_profile_calls_it(app):
    """/profile shows a digest that is off as "never", yet "/digest never" was "I didn't
    understand"; the words for off are the profile's, in both places."""
    for i, word in enumerate(("never", "停止", "disable")):
        await app.router.dispatch(cmd("ann", "weekly", f"v{i}"))
        r = await app.router.dispatch(cmd("ann", word, f"w{i}"))
        assert "Your digest is off" in r[-1].text, word


async def test_chinese_schedules_written_without_spaces(app):
    """ "每周五 18点" was "I didn't understand"; Chinese writes a schedule without spaces."""
    said = {}
    for i, args in enumerate(("每周五 18点", "每天8点", "星期三", "每周日20点", "每天晚上9点")):
        said[args] = (await app.router.dispatch(cmd("ann", args, f"z{i}")))[0].text
    assert "every Friday at 18:00" in said["每周五 18点"]
    assert "every day at 08:00" in said["每天8点"]
    assert "every Wednesday at 08:00" in said["星期三"]
    assert "every Sunday at 20:00" in said["每周日20点"]
    assert "every day at 21:00" in said["每天晚上9点"]


async def test_chinese_member_gets_chinese_settings(app):
    ev = Command(
        Actor("telegram", "u-li", locale="zh-hans"),
        Chat("telegram", "c-li"),
        "z1",
        name="digest",
        args="daily 8",
    )
    r = await app.router.dispatch(ev)
    assert "每天 08:00" in r[0].text


async def test_preview_and_button_click_recorded_as_interaction(app, db, clock):
    async with db.session() as s, s.begin():
        course = await add_course(s, "intro-sql", clock.now())
        await add_member(s, "bo", clock.now())
    preview = await app.router.dispatch(cmd("bo", "now", "p1"))
    assert "Preview" in preview[0].text and "Intro Sql" in preview[0].text
    # the real digest, delivered, then its 👍 and open buttons pressed
    await compose_due(app.services)
    fake = RecordingDeliverer()
    await drain(app.services, senders={"telegram": fake})
    ((_, payload),) = fake.sent
    open_btn, up_btn = payload["buttons"][0][0], payload["buttons"][0][1]
    actor, chat = Actor("telegram", "u-bo"), Chat("telegram", "c-bo")
    r = await app.router.dispatch(Button(actor, chat, "b1", data=up_btn["data"]))
    assert "more like this" in r[0].text
    await app.router.dispatch(Button(actor, chat, "b2", data=up_btn["data"]))  # pressed twice
    r = await app.router.dispatch(Button(actor, chat, "b3", data=open_btn["data"]))
    assert "Intro Sql" in r[0].text and "/enroll intro-sql" in r[0].text
    async with db.session() as s:
        rows = (
            await s.execute(select(Interaction.kind, Interaction.course_id, Interaction.source))
        ).all()
    assert sorted(rows) == [
        ("digest_click", course.id, "digest"),
        ("thumbs_up", course.id, "digest"),
    ]
    # the course's card enrolls in one tap (it only named the command to type)
    (enroll,) = [b for row in r[0].buttons for b in row if b.label == "Enroll"]
    out = await app.router.dispatch(Button(actor, chat, "b5", data=enroll.data))
    assert "enrolled in “Intro Sql”" in out[0].text
    r = await app.router.dispatch(Button(actor, chat, "b6", data=open_btn["data"]))
    assert "You are taking it: /next" in r[0].text
    assert not [b for row in r[0].buttons for b in row if b.label == "Enroll"]
    # someone else pressing bo's button is refused and records nothing
    r = await app.router.dispatch(
        Button(Actor("telegram", "u-eve"), Chat("telegram", "c-eve"), "b4", data=up_btn["data"])
    )
    assert "someone else's digest" in r[0].text
    # moderators see it in the stats; members may not
    r = await app.router.dispatch(cmd("bo", "stats", "s1"))
    assert "moderators only" in r[0].text
    mod = Command(
        Actor("telegram", "9000"), Chat("telegram", "9000"), "s2", name="digest", args="stats"
    )
    r = await app.router.dispatch(mod)
    assert "2026-03-02: 1 / 1 / 1 / 1 / 0" in r[0].text


async def test_console_demo_shows_a_digest_after_clock_jump(console_bot, db, clock):
    async with db.session() as s, s.begin():
        await add_course(s, "intro-sql", clock.now())
        await add_member(s, "cleo", clock.now(), platform="console", hour=10)
    out = await console_bot.send("/clock +1h", as_member="cleo")
    assert "📨 to @cleo: Your digest, cleo" in out and "Intro Sql" in out
    out = await console_bot.send("/clock +1h")
    assert "Your digest" not in out  # sent once


async def test_upcoming_event_in_member_timezone_and_open_button(app, db, clock):
    from datetime import timedelta

    from models.admin import CommunityEvent, EventRsvp

    async with db.session() as s, s.begin():
        await add_member(s, "kai", clock.now(), timezone="Asia/Shanghai", hour=17)
        s.add(
            CommunityEvent(
                title="SQL office hours",
                starts_at=clock.now() + timedelta(days=2),  # Wed 09:00 UTC = 17:00 Shanghai
                link="https://meet.example/sql",
                created_at=clock.now(),
            )
        )
        s.add(
            CommunityEvent(
                title="Mock interview",  # one place, taken: its waiting list is all that is open
                starts_at=clock.now() + timedelta(days=3),
                capacity=1,
                created_at=clock.now(),
            )
        )
        s.add(
            CommunityEvent(
                title="Next month",
                starts_at=clock.now() + timedelta(days=30),
                created_at=clock.now(),
            )
        )
    async with db.session() as s, s.begin():
        kai = (await s.execute(select(Member).where(Member.display_name == "kai"))).scalar_one()
        lee = await add_member(s, "lee", clock.now(), frequency="off")
        ids = dict((await s.execute(select(CommunityEvent.title, CommunityEvent.id))).all())
        s.add(EventRsvp(event_id=ids["Mock interview"], member_id=lee.id, created_at=clock.now()))
        s.add(EventRsvp(event_id=ids["SQL office hours"], member_id=kai.id, created_at=clock.now()))
    await compose_due(app.services)
    fake = RecordingDeliverer()
    await drain(app.services, senders={"telegram": fake})
    ((_, payload),) = fake.sent
    assert "SQL office hours — 2026-03-04 17:00 (your time) · you are going" in payload["text"]
    assert (
        "Mock interview — 2026-03-05 17:00 (your time) · full, waiting list open"
        in (payload["text"])
    )
    assert "Next month" not in payload["text"]
    kai_at = Actor("telegram", "u-kai"), Chat("telegram", "c-kai")

    async def open_item(row: int):
        data = payload["buttons"][row][0]["data"]
        return (await app.router.dispatch(Button(*kai_at, f"e{row}", data=data)))[0]

    # opened from the digest: the event as /events shows it, in the time zone she reads;
    # she has a place, so the link is one tap away, beside "I can't come"
    r = await open_item(-2)
    assert r.text == "#1 SQL office hours — 2026-03-04 17:00 CST (1/∞ going)\nYou are going."
    assert [(b.label, b.url) for b in r.buttons[0]] == [
        ("I can't come", None),
        ("Open", "https://meet.example/sql"),
    ]
    # the full one offers its waiting list (before, "Open" handed out any event's link)
    r = await open_item(-1)
    assert r.text == "#2 Mock interview — 2026-03-05 17:00 CST (1/1 going)"
    assert [b.label for b in r.buttons[0]] == ["Join the waiting list"]


async def test_enroll_reads_the_numbers_of_the_digest_last_read(console_bot, db, clock):
    """ "/enroll 2" under a digest meant the second course of the whole catalogue (or a
    guess at a course called "2"): the numbers are those of the digest, unless the member
    asked for a list after it."""
    async with db.session() as s, s.begin():
        for slug in ("intro-sql", "sql-joins", "window-functions", "query-plans"):
            await add_course(s, slug, clock.now(), lessons=2)
    out = await console_bot.send("/courses", as_member="cleo")  # read before the digest
    assert "4. Query Plans" in out
    async with db.session() as s, s.begin():
        cleo = (await s.execute(select(Member))).scalar_one()
        cleo.digest_frequency, cleo.digest_hour, cleo.tags = "daily", 10, ["sql"]
    out = await console_bot.send("/clock +1h")
    listed = [line for line in out.splitlines() if line[:1].isdigit()]
    assert out.count("Your digest, ") == 1 and len(listed) == 3, out
    second = listed[1].split(". ", 1)[1].split(" — ")[0]
    assert f"enrolled in “{second}”" in await console_bot.send("/enroll 2")
    out = await console_bot.send("/enroll 4")  # the catalogue's 4th, but not the digest's
    assert out.startswith("Your last list ended at number 3, so there is no number 4")
    out = await console_bot.send("/courses")  # asked for after the digest: its numbers win
    assert "4. Query Plans" in out
    assert "enrolled in “Query Plans”" in await console_bot.send("/enroll 4")


def test_a_number_on_a_line_that_is_not_a_course_is_refused_by_name():
    with pytest.raises(NotFound) as e:
        listed_course_id([11, 12, None], "3")  # a digest's study partner
    assert e.value.key == "catalog.not_a_course_in_list" and e.value.params["numbers"] == "1, 2"
    assert listed_course_id([11, 12, None], "2") == 12
    assert listed_course_id([11, 12, None], "sql") is None


async def test_the_console_prints_the_digest_of_the_member_one_plays_first(console_bot, db, clock):
    """The demo prints three digests in full and counts the rest: after `/as mod` the
    moderator's own digest was usually among the uncounted ones."""
    async with db.session() as s, s.begin():
        await add_course(s, "intro-sql", clock.now())
        for name in ("ada", "bo", "cy", "dee", "eve"):
            await add_member(s, name, clock.now(), platform="console", hour=10)
    await console_bot.send("/as eve")
    out = await console_bot.send("/clock +1h")
    digests = [line for line in out.splitlines() if line.startswith("📨 to @")]
    assert digests[0] == "📨 to @eve: Your digest, eve" and len(digests) == 3
    assert "2 more messages delivered" in out
