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


async def test_being_removed_a_locked_trial_or_a_complaint_is_not_posted(console_bot, db):
    """ "why was i removed from the telegram group", "为什么我被踢出群了？？？", "trial ended
    yesterday and now everything is locked, can i get a few more days?" and "the forum is
    dead … what am i paying for" each opened a public thread."""
    for said in (
        "why was i removed from the telegram group, i didnt do anything wrong",
        "为什么我被踢出群了？？？",
        "trial ended yesterday and now everything is locked, can i get a few more days?",
    ):
        out = await console_bot.send(said, as_member="lena")
        assert "Send it to them?" in out or "要发给管理员吗" in out, said
    out = await console_bot.send(
        "honestly the forum is dead half my questions never get answered, what am i paying for",
        as_member="lena",
    )
    assert out.startswith("Sorry I didn't get that right") and "/support" in out
    async with db.session() as s:
        assert (await s.execute(select(func.count(Question.id)))).scalar_one() == 0


async def test_a_problem_with_nothing_said_about_it_is_asked_about(console_bot, db):
    """ "it doesnt work" opened a thread titled so; "不好用" was offered for the forum."""
    for said in ("it doesnt work", "不好用", "the button is not working"):
        out = await console_bot.send(said, as_member="lena")
        assert out.startswith(("What isn't working?", "哪里不好用？")), (said, out)
    async with db.session() as s:
        assert (await s.execute(select(func.count(Question.id)))).scalar_one() == 0
    # a problem with something said about it is a question like any other
    from core.admin.support import problem_kind

    assert problem_kind("my for loop doesn't work") is None
    assert problem_kind("how do I fix this error in pandas") is None
    assert problem_kind("这个函数有问题") is None
