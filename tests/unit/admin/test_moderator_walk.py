"""Moderators' requests from the walk of 2026-12-07: attendance ("who RSVP'd to the data viz
workshop and how many actually showed up" got the members' "no events planned"), a broadcast
whose text says who it is for ("/broadcast only to members interested in machine learning:
…" was drafted to everyone), and commands typed as moderators say them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.events import Chat, Message
from core.replies import Reply
from models.catalog import Tag
from models.member import Account, Member
from models.qa import KBEntry


async def _said(bot, who: str, text: str) -> str:
    out = await bot.app.router.dispatch(Message(bot.actor(who), Chat("console", who), text=text))
    bot.last[who] = out
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def test_attendance_report_best_attended_first_and_asked_in_words(bot, db, clock):
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    await bot.text("mod", "/event new SQL workshop | 2026-03-02 12:00 UTC")
    await bot.text(
        "mod", "/event new Data viz clinic | 2026-03-03 12:00 UTC | https://m.example | 1"
    )
    for who in ("alice", "bob"):  # both go to the first; alice gets the clinic's one place
        await bot.say(who, "/events join 1")
        await bot.say(who, "/events join 2")
    clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    await bot.text("mod", "/event attended 2 @alice")
    out = await bot.text("mod", "/event report")
    assert out.splitlines() == [
        "Events of the last 90 days (2), best attended first:",
        "#2 Data viz clinic — 2026-03-03 12:00 UTC: 1 signed up, 1 came (100%), 1 waiting",
        "#1 SQL workshop — 2026-03-02 12:00 UTC: 2 signed up, 0 came (0%), 0 waiting",
        "/event who ID lists the names; /event attended ID @user… records who came.",
    ]
    said = await _said(
        bot, "mod", "who RSVP'd to the data viz workshop and how many actually showed up"
    )
    assert said.startswith("I read this as one for /event report 90")
    assert "#2 Data viz clinic" in said
    said = await _said(bot, "mod", "上周的机器学习直播有多少人报名，多少人实际参加了")
    assert "/event report 7" in said and "#1 SQL workshop" in said
    one_day = await bot.text("mod", "/event report 1")  # the clinic only
    assert "#2 Data viz clinic" in one_day and "#1 SQL workshop" not in one_day
    # a member asking the same is not given the moderators' report
    assert "/event report" not in await _said(bot, "alice", "how many people showed up?")


async def test_a_broadcast_text_that_names_its_audience_is_warned_and_topic_filters(bot, db):
    async with db.session() as s, s.begin():
        alice = (
            await s.execute(select(Member).join(Account).where(Account.platform_user_id == "alice"))
        ).scalar_one()
        alice.tags = ["machine-learning"]
        s.add(Tag(slug="machine-learning", title="Machine learning", title_zh="机器学习"))
    text = await bot.text(
        "mod", "/broadcast only to members interested in machine learning: ML capstone friday"
    )
    assert "to 5 members (all)" in text
    assert "⚠️ The text opens by saying who it is for, but it goes to all 5 members." in text
    assert "/broadcast topic=machine-learning |" in text
    await bot.press("mod", bot.button("mod", 1))  # cancel
    text = await bot.text("mod", "/broadcast topic=ml | ML capstone friday")
    assert (
        "to 1 members (topic=machine-learning)" in text
        or "to 1 member (topic=machine-learning)" in text
    )
    assert "⚠️" not in text
    assert "#" in await bot.text("mod", "/members topic=机器学习") and "Alice" in await bot.text(
        "mod", "/members topic=machine-learning"
    )
    assert await bot.text("mod", "/members topic=cooking") == "No member matches (topic=cooking)."
    assert "topic=kochen!" in await bot.text("mod", "/members topic=Kochen!")


async def test_commands_typed_as_moderators_say_them(bot, db):
    assert "Community statistics" in await bot.text("mod", "/stats weekly")
    assert "Alice" in await bot.text("mod", "/member find @alice")
    out = await bot.text("mod", "/kb add how to change payment card -> go to the billing link")
    assert "how to change payment card" in out
    async with db.session() as s:
        entry = (
            await s.execute(select(KBEntry).where(KBEntry.title == "how to change payment card"))
        ).scalar_one()
    assert entry.answer == "go to the billing link"


async def test_who_joined_in_the_last_days_lists_them(bot, db):
    said = await _said(bot, "mod", "show me everyone who joined in the last 7 days")
    assert said.startswith("I read this as one for /members joined=7")
    said = await _said(bot, "mod", "最近30天新加入的会员有哪些")
    assert "/members joined=30" in said


async def test_a_broadcast_that_starts_with_a_plan_code_is_warned(bot):
    """ "/broadcast yearly 年度会员专属：…" (a blind walk) was drafted to every member."""
    text = await bot.text("mod", "/broadcast yearly 年度会员专属：下周一起可提前参加结业项目")
    assert "to 5 members (all)" in text
    assert "starts with “yearly”, a plan's code, but it goes to all 5 members" in text
    assert "/broadcast plan=yearly | TEXT" in text
    await bot.press("mod", bot.button("mod", 1))  # cancel
    text = await bot.text("mod", "/broadcast New course out today: Docker basics")
    assert "to 5 members (all)" in text and "⚠️" not in text
