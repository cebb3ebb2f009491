"""A member who asks something, or types a command word, in the middle of the onboarding
interview is answered as anywhere else, and the interview's question waits: nothing they
typed is saved as an answer it was not meant as."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from models.member import Account, Member
from models.profile import Onboarding
from models.qa import Question


async def _member(app: Any, user: str) -> tuple[Member, Onboarding]:
    async with app.services.session_factory() as s:
        member = (
            await s.execute(select(Member).join(Account).where(Account.platform_user_id == user))
        ).scalar_one()
        row = (
            await s.execute(select(Onboarding).where(Onboarding.member_id == member.id))
        ).scalar_one()
        return member, row


async def _questions(app: Any) -> list[str]:
    async with app.services.session_factory() as s:
        return list((await s.execute(select(Question.text))).scalars())


async def test_questions_and_command_words_mid_interview_are_not_taken_for_answers(
    qa_app, console_bot
):
    bot = console_bot
    await bot.send("/start", as_member="uma")
    out = await bot.send("help")  # was saved as the goal "help"
    assert "/plans — see the membership plans" in out
    assert "Back to your profile:\n(1/8) What do you want to achieve" in out
    assert "Keep that as my goal" not in out  # a command word is no goal
    member, row = await _member(qa_app, "uma")
    assert (member.goals, row.step) == ("", "goals")

    # a code pasted from the shop's e-mail is redeemed (it was saved as the goal)
    await console_bot.send("/codes new monthly --uses 1", as_member="mod")
    made = await console_bot.send("/press 1", as_member="mod")
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", made).group(1)
    out = await console_bot.send(code, as_member="uma")
    assert "“Monthly membership” is active" in out
    assert "Back to your profile:\n(1/8) What do you want to achieve" in out
    member, row = await _member(qa_app, "uma")
    assert (member.goals, row.step) == ("", "goals")

    # a question from the knowledge base: answered, and the goal still asked
    out = await bot.send("Can I get a refund for my annual plan?")
    assert "within 14 days of payment" in out
    assert out.index("within 14 days") < out.index("(1/8) What do you want to achieve")
    out = await bot.send("What is Grover's search algorithm?")  # about no one: no goal
    assert "(1/8) What do you want" in out and "Keep that as my goal" not in out
    member, row = await _member(qa_app, "uma")
    assert (member.goals, row.step) == ("", "goals")

    # a goal put as a question: one tap keeps it as the goal
    out = await bot.send("How do I become a data analyst?")
    assert "[1] ✔ Keep that as my goal" in out
    out = await bot.send("/press 1")
    assert "(2/8) Which topics" in out
    member, _ = await _member(qa_app, "uma")
    assert member.goals == "How do I become a data analyst?"

    out = await bot.send("unsubscribe")  # what it can stop, and the question again
    assert "/digest off" in out and "(2/8) Which topics" in out
    assert "(3/8) What is your level?" in await bot.send("skip")  # typed like ⏭ Skip
    # "intermediate" inside a question was saved as the level
    out = await bot.send("what does intermediate mean?")
    assert "(3/8) What is your level?" in out and "Back to your profile:" in out
    assert "what does intermediate mean?" in await _questions(qa_app)  # asked, not lost
    member, row = await _member(qa_app, "uma")
    assert (member.level, row.step) == ("", "level")
    assert "(4/8)" in await bot.send("intermediate")
    assert (await _member(qa_app, "uma"))[0].level == "intermediate"

    out = await bot.send("会员可以退款吗？")  # a Chinese question is no weekly time
    assert "Please give a time per week" not in out and "(4/8)" in out
    assert "会员可以退款吗？" in await _questions(qa_app) or "14 days" in out
    out = await bot.send("later")  # typed like ⏸ Later
    assert "Paused" in out
    assert (await _member(qa_app, "uma"))[1].status == "paused"


async def test_a_word_the_question_takes_is_its_answer(qa_app, console_bot):
    """ "stop" asked how often to send digests turns them off; while one field of /profile
    is asked, "cancel" leaves it as it was."""
    bot = console_bot
    out = await bot.send("/profile digest", as_member="vic")
    assert "digest" in out.lower()
    out = await bot.send("stop")
    assert "Saved." in out
    assert (await _member(qa_app, "vic"))[0].digest_frequency == "off"
    await bot.send("/profile weekly")
    assert "Nothing changed." in await bot.send("cancel")
    await bot.send("/profile weekly")  # one field asked: "skip" is its Cancel, not Saved
    assert "Nothing changed." in await bot.send("skip")
    assert (await _member(qa_app, "vic"))[0].weekly_minutes == 0
