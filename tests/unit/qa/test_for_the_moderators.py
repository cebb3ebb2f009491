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
