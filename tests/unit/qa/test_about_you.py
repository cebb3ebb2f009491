"""A question about the asker's own plan or courses is answered with it: "what plan am I
on?" and "where did I stop?" opened community threads (the built-in answers on how to look
these up matched too weakly), where nobody but the bot could have answered them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.catalog.importer import read_file
from core.catalog.service import apply_catalog
from core.events import Actor, Chat, Command
from core.qa.about_you import command_for, commands_for
from core.replies import OpenThread, Reply
from models.member import Member
from models.qa import Question

CATALOG = Path(__file__).parents[2] / "data" / "catalog" / "catalog.yaml"


async def _send(app, user: str, name: str, args: str, chat: Chat | None = None) -> list:
    return await app.router.dispatch(
        Command(
            Actor("console", user, display_name=user, username=user),
            chat or Chat("console", user, "private"),
            uuid.uuid4().hex,
            name=name,
            args=args,
        )
    )


async def _ask(app, user: str, text: str, chat: Chat | None = None) -> str:
    out = await _send(app, user, "ask", text, chat)
    assert not any(isinstance(r, OpenThread) for r in out), text
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def _questions(app) -> int:
    async with app.services.session_factory() as s:
        return int((await s.execute(select(func.count(Question.id)))).scalar_one())


async def test_own_plan_is_answered_with_it_in_private_only(help_app):
    from core.membership import service as membership

    said = await _ask(help_app, "ivy", "what plan am I on?")
    assert said.startswith("As things stand (/status shows this any time):")
    assert "You have no membership yet" in said
    await _send(help_app, "ivy", "start", "")
    async with help_app.services.session_factory() as s, s.begin():
        ivy = (await s.execute(select(Member).where(Member.display_name == "ivy"))).scalar_one()
        await membership.grant(s, help_app.services, ivy, "monthly", 0, actor="system")
    for asked in ("am I still a member?", "Hey, when does my subscription expire?"):
        said = await _ask(help_app, "ivy", asked)
        assert "Monthly membership: active, ends on" in said, asked
    said = await _ask(help_app, "ivy", "我的会员什么时候到期？")
    assert "/status" in said and "Monthly membership" in said
    # nobody else in a group reads a member's plan: they are told where to ask
    said = await _ask(help_app, "ivy", "what plan am I on?", Chat("console", "g1", "group"))
    assert "private chat" in said and "/status" in said and "Monthly" not in said
    assert await _questions(help_app) == 0  # none of them became a community question


async def test_where_one_stopped_is_the_next_lesson(help_app, db, clock):
    async with db.session() as s, s.begin():
        await apply_catalog(s, clock, read_file(CATALOG))
    said = await _ask(help_app, "lena", "where did I stop?")
    assert "(/next shows this any time)" in said and "not taking any course yet" in said
    await _send(help_app, "lena", "enroll", "intro-sql")
    await _send(help_app, "lena", "done", "")
    for asked in ("where did I stop?", "which lesson am I on?"):
        said = await _ask(help_app, "lena", asked)
        assert "Intro to SQL" in said and "lesson 2/3: GROUP BY" in said, asked
    said = await _ask(help_app, "lena", "我学到哪了？")  # asked in Chinese, answered so
    assert said.startswith("你目前的情况（随时发送 /next 查看）") and "SQL 入门 — 第 2/3 课" in said
    said = await _ask(help_app, "lena", "how far am I?")
    assert "Your progress:" in said and "(1/3)" in said
    assert await _questions(help_app) == 0


async def test_other_questions_still_search_the_knowledge_base(help_app):
    said = await _ask(help_app, "ivy", "which plan should I buy?")  # a thread before
    assert "As things stand" not in said and "Send /plans" in said
    assert "Monthly membership" in said  # the plans themselves, under the answer
    said = await _ask(help_app, "ivy", "how do I check my subscription?")
    assert "Send /status" in said and "Did this help?" in said


async def test_rank_recommendations_and_own_questions_are_shown(help_app):
    """ "我排第几？", "有什么课程推荐给我？" (the course-start answer and the next lesson) and "has
    anyone answered my question?" were posted for the community or answered beside the point."""
    await _ask(help_app, "ivy", "how do I change my language to Chinese?")  # a question of theirs
    said = await _ask(help_app, "ivy", "has anyone answered my question yet?")
    assert said.startswith("As things stand (/questions shows this any time):")
    assert "how do I change my language to Chinese?" in said
    said = await _ask(help_app, "ivy", "我排第几？")
    assert "（随时发送 /leaderboard 查看）" in said and "排行榜" in said
    said = await _ask(help_app, "ivy", "有什么课程推荐给我？")
    assert "（随时发送 /recommend 查看）" in said
    said = await _ask(help_app, "ivy", "which events am I going to?")
    assert "(/events mine shows this any time)" in said and "not signed up" in said
    assert await _questions(help_app) == 1  # only the first was a question


async def test_what_the_bot_can_do_is_its_command_list(help_app):
    """ "What can you do?" opened a community thread ("你能做什么？" one tagged #sql)."""
    for asked in ("what can you do?", "how do I use this bot?"):
        said = await _ask(help_app, "ivy", asked)
        assert said.startswith("Here is what you can do:") and "/ask — " in said, asked
    said = await _ask(help_app, "ivy", "你能做什么？")
    assert said.startswith("你可以使用以下命令") and "/ask — " in said
    said = await _ask(help_app, "ivy", "what can you do?", Chat("console", "g1", "group"))
    assert said.startswith("Here is what you can do:")  # no one's secret: said in the group
    assert await _questions(help_app) == 0


async def test_a_newcomer_asking_where_to_begin_gets_the_welcome(help_app):
    """ "I just joined, what should I do first?" and "how does this work?" opened threads."""
    said = await _ask(help_app, "ivy", "I just joined, what should I do first?")
    assert said.startswith("Welcome to") and "(1/8)" in said  # the setup questions begin
    said = await _ask(help_app, "ivy", "how does this work?")  # again: where they left it
    assert said.startswith("Welcome back! Let's continue your profile")
    assert await _questions(help_app) == 0


async def test_asking_the_bot_to_stop_names_what_can_be_stopped(help_app):
    """ "Stop sending me messages" was offered for the community's forum."""
    said = await _ask(help_app, "ivy", "please unsubscribe me")
    assert said.startswith("To stop digests, send /digest off.") and "/cancel" in said
    assert "/settings lists every message I send" in said
    # every message the bot sends, each with its switch (/settings), and where renewal stops
    said = await _ask(help_app, "ivy", "stop sending me messages")
    assert said.startswith("Here is every message I send you on my own") and "/cancel" in said
    said = await _ask(help_app, "ivy", "别再给我发消息了")
    assert said.startswith("以下是我会主动给你发的所有消息") and "/cancel" in said
    assert await _questions(help_app) == 0


async def test_a_price_question_is_answered_with_the_plans(help_app):
    """ "How much is the yearly membership?" and "年费会员要多少钱？" opened community threads."""
    for asked in ("How much is the yearly membership?", "年费会员要多少钱？"):
        said = await _ask(help_app, "ivy", asked)
        assert "/plans" in said.splitlines()[0], asked
        assert (
            "• Yearly membership [yearly] — 365 days" in said
            or "• 年度会员 [yearly] — 365 天" in said
        ), asked
    assert await _questions(help_app) == 0
    # in a group, the answer on joining: the plans' buttons are the tapper's own
    said = await _ask(help_app, "ivy", "how much is a membership?", Chat("console", "g1", "group"))
    assert "Send /plans" in said and "Monthly membership" not in said


@pytest.mark.parametrize(
    ("question", "command"),
    [
        ("what plan am I on?", "status"),
        ("Which plan do I have?", "status"),
        ("can you tell me what plan I'm on please", "status"),
        ("is my subscription still active?", "status"),
        ("when will I be charged next?", "status"),
        ("how many days are left on my trial?", "status"),
        ("我是什么会员？", "status"),
        ("我的会员还有效吗", "status"),
        ("请问什么时候扣费？", "status"),
        ("where did I leave off?", "next"),
        ("what was I studying last time?", "next"),
        ("我上次学到哪里了", "next"),
        ("which courses am I taking?", "progress"),
        ("我的进度怎么样？", "progress"),
        ("what else can you do for me?", "help"),
        ("I'm new here, where should I start?", "start"),
        ("我是新来的，应该做什么？", "start"),
        ("where do I start with SQL?", None),
        ("我刚来公司，SQL怎么写", None),
        ("I don't want any more notifications", "stop"),
        ("how do I stop a running query?", None),
        ("which events am I going to?", "events mine"),
        ("我报名了哪些活动？", "events mine"),
        ("how does a hash map work?", None),
        ("我排第几？", "leaderboard"),
        ("where am I on the leaderboard?", "leaderboard"),
        ("有什么课程推荐给我？", "recommend"),
        ("which course should I take next?", "recommend"),
        ("has anyone answered my question yet?", "questions"),
        ("我的问题有人回答了吗", "questions"),
        ("what is the rank of a matrix?", None),
        ("which course covers joins?", None),
        ("机器人有哪些功能", "help"),
        ("what can you do with pandas?", None),
        ("which plan should I buy?", None),
        ("where did I stop the docker container?", None),
        ("when does the SQL course start?", None),
        ("how far is the moon?", None),
        ("what is a query plan?", None),
        ("我应该买什么会员？", None),
        ("Can you tell me how far along I am in the Python basics course?", "progress"),
        ("我的机器学习课程进度到哪了？", "progress"),
        ("how many courses have i completed so far", "progress"),
        ("我已经完成几门课了？", "progress"),
        ("which course should I take first?", "recommend"),
        ("我在论坛提的问题一直没人回答", "questions"),
        ("how far along is the SQL course?", None),
        ("where can I see my rank this month", "leaderboard"),
        ("在哪里看我这个月的排名？", "leaderboard"),
        ("how many lessons does the SQL course have?", None),
        ("How much is the yearly membership?", "plans"),
        ("what does it cost per month?", "plans"),
        ("whats the price of the monthly plan", "plans"),
        ("年费会员要多少钱？", "plans"),
        ("会员怎么收费", "plans"),
        ("加入社区要多少钱", "plans"),
        ("how much memory does pandas use?", None),
        ("what is the cost function in linear regression?", None),
        ("how much is a year in seconds", None),
        ("what's the difference between the monthly and yearly plan?", "plans"),
        ("年度会员和月度会员有什么区别", "plans"),
        ("how much is the yearly plan and does it include the live workshops", "plans"),
    ],
)
def test_which_questions_are_about_the_asker(question: str, command: str | None) -> None:
    assert command_for(question) == command


@pytest.mark.parametrize(
    ("message", "commands"),
    [
        (
            "hi, I just signed up and have no idea where to start. which course should I take first?",
            ["recommend", "start"],
        ),
        ("我刚注册，请问从哪门课开始比较好？", ["recommend", "start"]),
        ("thanks! where did I stop?", ["next"]),
        ("what plan am I on, and when will I be charged next?", ["status"]),
        (
            "I posted a question on the forum three days ago and nobody answered. Is anyone reading it?",
            ["questions"],
        ),
        ("I want to learn window functions in SQL. Where do I start?", []),
        ("what plan am I on? also how do I join two tables in SQL?", []),
        ("年度会员多少钱？和月度会员有什么区别", ["plans"]),
    ],
)
def test_a_message_of_several_parts_is_about_the_asker_only_in_every_part(
    message: str, commands: list[str]
) -> None:
    """Each part a question about the asker (or small talk), each is answered; one part that
    is a question for the community leaves the whole message to the search."""
    assert commands_for(message) == commands


async def test_a_newcomer_s_two_questions_get_the_welcome_and_suggestions(help_app):
    """It opened a thread, with the answer on starting a course as "may help"."""
    said = await _ask(
        help_app,
        "ivy",
        "hi, I just signed up and have no idea where to start. which course should I take first?",
    )
    # the suggestions, then the welcome, whose first question the member answers next
    assert said.startswith("As things stand (/recommend shows this any time)")
    assert "Welcome to" in said
    assert said.rstrip().endswith("Reply in a sentence or two.")
    assert await _questions(help_app) == 0
