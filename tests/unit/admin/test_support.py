"""Members write to the moderators privately, and a moderator answers in their chat.

"I paid but I don't have access" was posted for the whole community (or offered for its
forum), and nothing in the bot reached a moderator: the ban notice's "contact a moderator"
named no way to."""

from __future__ import annotations

from sqlalchemy import func, select

from core.admin.support import PER_DAY, problem_kind, waiting_section
from core.replies import Reply
from models.audit import AuditLog
from models.member import Member
from models.qa import Question


async def _id(db, name: str) -> int:
    async with db.session() as s:
        return (await s.execute(select(Member.id).where(Member.display_name == name))).scalar_one()


def _to(out: list, member_id: int) -> list[str]:
    return [r.text for r in out if isinstance(r, Reply) and r.member_id == member_id]


async def test_a_member_writes_to_the_moderators_and_one_answers(bot, db, clock):
    alice, mod, owner = await _id(db, "Alice"), await _id(db, "Mod"), await _id(db, "Owner")
    assert "send /support followed by your message" in await bot.text("alice", "/support")
    out = await bot.say("alice", "/support   I paid for   monthly but see no lessons")
    assert out[0].text.startswith("Sent to the moderators; only they read it.")
    for staff in (mod, owner):
        (notice,) = _to(out, staff)
        assert notice.startswith(f"✉️ #{alice} Alice (no plan) writes to the moderators:")
        assert "«I paid for monthly but see no lessons»" in notice
        assert f"/reply #{alice} YOUR ANSWER" in notice
    (notice,) = [r for r in out if isinstance(r, Reply) and r.member_id == mod]
    card = await bot.press("mod", notice.buttons[0][0].data)  # its Member card button
    assert card[0].text.startswith(f"#{alice} Alice — role member")
    # the words go to the moderators only, never into the append-only audit log
    async with db.session() as s:
        rows = (
            await s.execute(select(AuditLog).where(AuditLog.action.like("support.%")))
        ).scalars()
        assert [(r.action, r.target) for r in rows] == [("support.requested", f"member:{alice}")]
    # a moderator's own /support lists who waits, and their digest counts them
    waiting = await bot.text("mod", "/support")
    assert waiting.startswith("1 member waits for an answer")
    assert f"#{alice} Alice — wrote 2026-03-02" in waiting and "(1 message)" in waiting
    async with db.session() as s:
        staff = await waiting_section(s, await s.get(Member, mod), clock.now(), "en")
    assert [i.title for i in staff] == [
        "1 member waits for an answer to /support: /support lists them."
    ]
    out = await bot.say("mod", "/reply @alice We found it: your payment is applied now.")
    assert _to(out, alice) == [
        "✉️ A moderator answers:\nWe found it: your payment is applied now.\n"
        "(Write back with /support.)"
    ]
    assert f"Sent to #{alice} Alice." in [r.text for r in out if r.member_id is None]
    assert _to(out, owner) == [f"✔ Mod answered #{alice} Alice."]  # nobody answers twice
    assert "No member is waiting" in await bot.text("mod", "/support")  # answered
    await bot.say("alice", "/support thanks, but the lessons are still locked")
    assert "(1 message)" in await bot.text("mod", "/support")  # only what came after it
    # the notice reads the writer's plan as /members does
    await bot.say("mod", "/grant @alice monthly 30")
    await bot.confirm("mod")
    out = await bot.say("alice", "/support the lessons open now, thank you")
    assert _to(out, mod)[0].startswith(f"✉️ #{alice} Alice (monthly active until 2026-04-01)")
    assert "Usage: /reply" in await bot.text("mod", "/reply @alice")
    assert "for moderators" in (await bot.text("bob", "/reply @alice hi")).lower()


async def test_a_flood_is_stopped_after_a_few_messages_a_day(bot, db, clock):
    from datetime import timedelta

    for i in range(PER_DAY):
        assert "Sent to the moderators" in await bot.text("eve", f"/support message {i}")
    out = await bot.say("eve", "/support one more")
    assert "5 times in the last 24 hours" in out[0].text and len(out) == 1  # no notices
    clock.advance(timedelta(days=1, minutes=1))
    assert "Sent to the moderators" in await bot.text("eve", "/support one more")


def test_which_messages_are_for_the_moderators() -> None:
    assert problem_kind("I paid but I don't have access") == "problem"
    assert problem_kind("我付了钱但是没有权限") == "problem"
    assert problem_kind("the link in lesson 2 is broken") == "problem"
    assert problem_kind("I forgot my voucher code") == "problem"  # /redeem's answer, before
    assert problem_kind("我找不到我的兑换码了") == "problem"
    assert problem_kind("how do I contact the moderators?") == "person"
    assert problem_kind("我想联系管理员") == "person"
    assert problem_kind("how do I get access to a private repo on GitHub?") is None
    assert problem_kind("what is a broken pipe error?") is None


async def test_who_the_moderators_are_is_answered_with_their_names(bot, db):
    """ "Who are the moderators?" opened a thread, and "谁是管理员？" got the answer on
    reporting a message."""
    for question in ("who are the moderators?", "who is the admin here"):
        said = await bot.text("alice", f"/ask {question}")
        assert "The moderators: Mod, Owner." in said, question
        assert "send /support followed by your message" in said, question
    # asked in Chinese, a Chinese list, whatever the member's language
    assert "管理员：Mod、Owner。" in await bot.text("alice", "/ask 谁是管理员？")
    await bot.say("bob", "/language zh")
    assert "管理员：Mod、Owner。" in await bot.text("bob", "/ask 谁是管理员？")
    async with db.session() as s:
        asked = (await s.execute(select(func.count()).select_from(Question))).scalar_one()
    assert asked == 0
    said = await bot.text("alice", "/ask who are the moderators of a SQL database?")
    assert "The moderators:" not in said
