"""A payment or access problem typed as a question goes to the moderators, not the forum:
"I paid but I don't have access" was posted for the whole community to read."""

from __future__ import annotations

from sqlalchemy import func, select

from models.qa import Question


async def test_a_problem_typed_as_a_question_is_offered_to_the_moderators(qa_app, console_bot, db):
    await console_bot.send("/whoami", as_member="mod")  # the moderator has met the bot
    out = await console_bot.send("I paid but I don't have access", as_member="lena")
    assert out.startswith("This sounds like one for the moderators")
    assert "Send it to them?" in out and "[1] ✅ Confirm" in out
    out = await console_bot.send("/press 1")
    assert "Sent to the moderators" in out and "«I paid but I don't have access»" in out
    out = await console_bot.send("can I talk to a human?")
    assert "send /support followed by your message" in out
    async with db.session() as s:
        assert (await s.execute(select(func.count(Question.id)))).scalar_one() == 0
    # asked with /ask on purpose, it is the community's question as before
    out = await console_bot.send("/ask I paid but I don't have access")
    assert "This sounds like one for the moderators" not in out


async def test_asking_for_a_person_or_saying_the_bot_is_no_help_is_not_posted(console_bot, db):
    """ "is there a human here or am i talking to a robot", "有真人客服吗？" and "你怎么什么都不会，
    太垃圾了" each opened a public thread; a declined card or an expired gift code was offered
    for the forum."""
    for said in ("is there a human here or am i talking to a robot", "有真人客服吗？"):
        out = await console_bot.send(said, as_member="lena")
        assert "/support" in out and "thread" not in out, said
    for said in (
        "this bot is useless, you never understand anything I ask",
        "你怎么什么都不会，太垃圾了",
    ):
        out = await console_bot.send(said, as_member="lena")
        assert out.startswith(("Sorry I didn't get that right", "抱歉，我没能帮上忙")), said
        assert "/support" in out and "/help" in out, said
    for said in (
        "why did my card get declined, it works everywhere else",
        "支付一直失败，提示银行卡被拒",
        "礼品码显示已过期，可是我昨天才收到的",
    ):
        out = await console_bot.send(said, as_member="lena")
        assert "Send it to them?" in out or "要发给管理员吗" in out, said
    async with db.session() as s:
        assert (await s.execute(select(func.count(Question.id)))).scalar_one() == 0
    # a course question with the same words is still a question
    out = await console_bot.send("is there a machine learning course for beginners?")
    assert "/support" not in out


def test_which_words_ask_for_a_person() -> None:
    from core.admin.support import problem_kind

    assert problem_kind("are you a real person?") == "person"
    assert problem_kind("is there a person who can review my SQL?") is None
    assert problem_kind("这是人工智能课程吗") is None
    assert problem_kind("我没用过 pandas") is None
    assert problem_kind("that's not what i asked") == "fed_up"
    assert problem_kind("you are useless") == "fed_up"
    assert problem_kind("this is useless, my merge still duplicates rows") is None
    assert problem_kind("what payment methods do you accept?") is None
