"""A moderator's question about the community gets what the command shows, not a thread.

"how much money did we make this month?" from a moderator in a private chat opened a thread
in the community's public forum."""

from __future__ import annotations

from sqlalchemy import func, select

from core.admin.asked import command_for
from core.admin.typed import staff_command as command_for_typed
from core.context import Role
from core.events import Chat, Command, Message
from core.replies import OpenThread, Reply
from models.qa import Question


async def _questions(db) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(Question))).scalar_one()


async def test_a_moderator_s_questions_about_the_community_get_its_numbers(bot, db):
    asked = {
        "how many members do we have?": "Community statistics",
        "How much money did we make this month?": "Community statistics",
        "这个月收入多少？": "社区统计",  # asked in Chinese, answered so
        "who is waiting for an answer?": "No member is waiting for an answer to /support",
        "any unanswered questions?": "No question is waiting for an answer",
        "who joined this week?": "joined=7",
        # these three opened threads too
        "how many people cancelled this month?": "Community statistics",
        "show me the newest members": "/members shows this any time",
        "who reported messages today?": "/audit member.report shows this any time",
    }
    for question, shown in asked.items():
        out = await bot.say("mod", f"/ask {question}")
        said = "\n".join(r.text for r in out if isinstance(r, Reply))
        assert shown in said and ("shows this any time" in said or "随时发送" in said), question
        assert not any(isinstance(r, OpenThread) for r in out), question
    assert await _questions(db) == 0  # nothing was asked of the community


async def test_a_moderator_s_other_questions_are_posted_only_when_confirmed(bot, app, db):
    """ "what did bob do recently?" from a moderator's private chat opened a public thread."""
    out = await app.router.dispatch(
        Message(bot.actor("mod"), Chat("console", "mod"), text="what did bob do recently?")
    )
    said = "\n".join(r.text for r in out if isinstance(r, Reply))
    assert "Shall I post it in the community's discussion forum" in said
    assert await _questions(db) == 0
    bot.last["mod"] = out
    await bot.confirm("mod")
    assert await _questions(db) == 1  # confirmed: the community is asked
    # /ask is asking the community on purpose
    out = await bot.say("mod", "/ask why does my window function return duplicates?")
    assert any(isinstance(r, OpenThread) for r in out)


async def test_a_member_asking_the_same_is_not_shown_them(bot, db):
    said = await bot.text("alice", "/ask how many members do we have?")
    assert "Community statistics" not in said
    assert await _questions(db) == 1  # asked of the community, as any question


async def test_in_a_group_the_moderator_is_told_to_ask_in_private(bot, app):
    out = await app.router.dispatch(
        Command(
            bot.actor("mod"), Chat("console", "g1", "group"), name="ask", args="show me the stats"
        )
    )
    said = "\n".join(r.text for r in out if isinstance(r, Reply))
    assert "private chat" in said and "/stats" in said and "Community statistics" not in said


def test_the_window_a_question_names_is_the_command_s():
    assert command_for("how many members joined this week?") == "stats 7"
    assert command_for("今年我们赚了多少钱") == "stats 365"
    assert command_for("show me the stats") == "stats"
    assert command_for("who is banned?") == "members state=banned"
    assert command_for("这个月有多少人取消了？") == "stats 30"
    assert command_for("最近加入的会员") == "members"
    assert command_for("有人举报吗") == "audit member.report"
    assert command_for("how many people are on a trial?") == "stats"
    assert command_for("有多少人在试用") == "stats"
    assert command_for("who are the top contributors?") == "leaderboard"
    assert command_for("谁最活跃") == "leaderboard"
    assert command_for("what was reported in the SQL course?") is None
    assert command_for("谁在等回复") == "support"
    assert command_for("how many members does a SQL table have?") is None
    assert command_for("how much money does a data analyst make?") is None


async def test_a_staff_command_typed_without_its_slash_is_offered_as_the_command(bot, app, db):
    """ "ban bob for spam" from a moderator was offered for the public forum."""
    out = await app.router.dispatch(
        Message(bot.actor("mod"), Chat("console", "mod", "private"), "m1", text="ban bob for spam")
    )
    said = "\n".join(r.text for r in out if isinstance(r, Reply))
    assert "run “/ban bob for spam”?" in said and "forum" not in said
    bot.last["mod"] = out
    said = await bot.confirm("mod")  # runs it: the ban asks its own confirmation
    assert "Ban #" in said and "Bob" in said and "Confirm?" in said
    assert "Reason: spam" in said  # "Reason: for spam" before
    assert await _questions(db) == 0
    # a question about a command, a member's line, or an owner's command for a moderator
    assert command_for_typed("ban?") is None
    assert command_for_typed("ban") is None
    assert command_for_typed("role @bob moderator", Role.MODERATOR) is None
    assert command_for_typed("role @bob moderator", Role.OWNER) == ("role", "@bob moderator")
    out = await app.router.dispatch(
        Message(bot.actor("alice"), Chat("console", "alice", "private"), "m2", text="ban bob")
    )
    assert "/ban bob" not in "\n".join(r.text for r in out if isinstance(r, Reply))


async def test_a_moderator_s_longer_question_gets_the_command_it_names(bot, app, db):
    """Each was offered for the community's forum ("Shall I post it?")."""
    asked = {
        "who hasn't paid this month or had their payment fail": "/members state=past_due",
        "what's our revenue this month compared to last month": "/stats",
        "what's the trial to paid conversion rate been lately": "/stats",
        "any open reports I haven't looked at yet?": "/audit member.report",
        "how many forum questions from this week are still unanswered": "/kb waiting",
        "can you look up the member called @alice and tell me when her plan expires": "/member @alice",
    }
    for question, command in asked.items():
        out = await app.router.dispatch(
            Message(bot.actor("mod"), Chat("console", "mod"), text=question)
        )
        said = "\n".join(r.text for r in out if isinstance(r, Reply))
        assert said.startswith(f"I read this as one for {command};"), (question, said)
        assert "Shall I post" not in said, question
    out = await app.router.dispatch(
        Message(bot.actor("mod"), Chat("console", "mod"), text="帮我查一下用户 Alice 的付款记录")
    )
    assert "/member Alice" in out[0].text and "Alice" in out[1].text
    assert await _questions(db) == 0
    # a request to do something names its commands; a course question is a question
    out = await app.router.dispatch(
        Message(
            bot.actor("mod"),
            Chat("console", "mod"),
            text="give alice 7 extra days, her payment failed because of the bank outage",
        )
    )
    assert out[0].text.startswith("That is done with a moderator command")
    out = await app.router.dispatch(
        Message(bot.actor("mod"), Chat("console", "mod"), text="how do I compute churn in pandas?")
    )
    assert "I read this as one for" not in "\n".join(r.text for r in out if isinstance(r, Reply))


async def test_the_gift_walks_moderator_requests_get_the_command_not_the_forum(bot, app, db):
    """A blind walk of 37 moderator requests (2026-12-07): these were held for the public
    forum or got a member's answer."""
    from core.membership import service
    from models.member import Account, Member

    said = await bot.text(
        "mod", '/ask add a FAQ: Q "Can I switch to yearly?" A "Yes, with /plans."'
    )
    assert "/kb add Can I switch to yearly? -> Yes, with /plans." in said
    said = await bot.text(
        "mod", "/ask 添加常见问题：问“团队码可以给几个人用？” 答“等于购买的席位数。”"
    )
    assert "/kb add 团队码可以给几个人用？ -> 等于购买的席位数。" in said
    assert "社区统计" not in said  # it was read as "how many people"
    said = await bot.text("mod", "/ask Karen is asking for an invoice for their 10-seat purchase")
    assert said.startswith("I do not write invoices. /member @user shows each payment")
    said = await bot.text("mod", "/ask any questions nobody answered?")
    assert "/kb waiting" in said
    said = await bot.text("mod", "/ask how's the weekly digest doing? open rate, clicks")
    assert "Community statistics" in said
    said = await bot.text("mod", "/ask need 25 voucher codes for our partner, yearly plan")
    assert "/codes new" in said and "Which membership plan" not in said
    # whose plan ends this week: /members ends=7 lists them, a later end is left out
    await bot.text("alice", "/help")
    await bot.text("bob", "/help")
    async with app.services.session_factory() as s, s.begin():
        for who, days in (("alice", 5), ("bob", 20)):
            member = (
                await s.execute(
                    select(Member)
                    .join(Account, Account.member_id == Member.id)
                    .where(Account.platform_user_id == who)
                )
            ).scalar_one()
            await service.grant(s, app.services, member, "monthly", days, actor="test")
    said = await bot.text("mod", "/ask who's plan ends this week")
    assert "/members ends=7" in said and "Alice" in said and "Bob" not in said
    said = await bot.text("mod", "/ask 本周到期的会员有哪些")
    assert "/members ends=7" in said and "Alice" in said
    assert await _questions(db) == 0


async def test_a_member_a_plan_stale_threads_and_a_csv_named_in_words(bot, db):
    """The moderators' QA session of 2026-12-08: each was offered for the public forum, or
    ("who is on the monthly plan?") got the members' answer on choosing a plan with Buy
    buttons."""
    asked = {
        "show me alice": "/member alice shows this any time",
        "查一下alice": "/member alice",
        "who is on the monthly plan?": "/members plan=monthly",
        "哪些人是月度会员": "/members plan=monthly",
        "which threads are stale?": "/kb waiting",
        "export stats as csv": "/stats csv",
    }
    for question, shown in asked.items():
        out = await bot.say("mod", f"/ask {question}")
        said = "\n".join(r.text for r in out if isinstance(r, Reply))
        assert shown in said, (question, said)
        assert not any(isinstance(r, OpenThread) for r in out), question
    # a name that is no member's, or a word that is no plan's, is not looked up
    for question in ("show me pandas", "who is on the gold plan?"):
        said = "\n".join(
            r.text for r in await bot.say("mod", f"/ask {question}") if isinstance(r, Reply)
        )
        assert "/member " not in said and "plan=" not in said, question
