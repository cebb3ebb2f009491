"""A moderator's request in words names the command that does it.

"give alice a free month", "remove bob from the group", "给所有人发通知" were held as questions
for the public forum ("Shall I post it?"): the moderator is now shown the command or two that
do it, with how to write them; nothing is done from the words alone."""

from __future__ import annotations

import pytest

from core.admin.staff_words import commands_for
from core.events import Chat, Message
from core.replies import OpenThread, Reply
from core.router import load_features


async def _said(app, bot, who: str, text: str, chat: Chat | None = None) -> tuple[str, list]:
    out = await app.router.dispatch(
        Message(bot.actor(who), chat or Chat("console", who), text=text)
    )
    return "\n".join(r.text for r in out if isinstance(r, Reply)), out


async def test_a_request_in_words_gets_the_commands_that_do_it(bot, app, db):
    before = await bot.counts(skip=("audit_log",))
    for text, shown in [
        ("give alice a free month", ["/extend @user DAYS", "/grant @user PLAN"]),
        ("remove bob from the group", ["/revoke @user", "/ban @user"]),
        ("给所有人发通知", ["/broadcast 文本"]),  # asked in Chinese, answered so
        ("create 10 gift codes for the yearly plan", ["/codes new PLAN"]),
    ]:
        said, out = await _said(app, bot, "mod", text)
        assert said.startswith(("That is done with a moderator command", "这要用管理员命令完成")), (
            text
        )
        assert all(s in said for s in shown), (text, said)
        assert "Usage:" not in said and not any(isinstance(r, OpenThread) for r in out)
    assert await bot.counts(skip=("audit_log",)) == before  # nothing was done, nor asked
    # one only the owner may use is named with that said
    said, _ = await _said(app, bot, "mod", "make carol a moderator")
    assert "/role @user" in said and "(owner only)" in said


async def test_members_and_groups_get_no_staff_commands(bot, app, db):
    said, _ = await _said(app, bot, "alice", "remove bob from the group")
    assert "moderator command" not in said
    said, _ = await _said(
        app, bot, "mod", "give alice a free month", Chat("console", "g1", "group")
    )
    assert "moderator command" not in said


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ("kick @bob", ["revoke", "ban"]),
        ("把bob踢出去", ["revoke", "ban"]),
        ("mute bob for a day", ["ban"]),
        ("怎么给会员延期", ["extend", "grant"]),
        ("send everyone a reminder about friday", ["broadcast"]),
        ("how do I add a new course?", ["course"]),
        ("schedule an office hours session on friday", ["event"]),
        ("how do I edit a knowledge base answer?", ["kb"]),
        ("show me the audit log", ["audit"]),
        ("给王磊加30天会员，他是这次活动的讲师", ["extend", "grant"]),
        ("生成5个年度会员的礼品码", ["codes"]),
        ("how do I post the recording of yesterday's workshop?", ["event"]),
        ("上传一下周六直播的回放", ["event"]),
        ("I need to announce that the workshop moved, please send it to everyone", ["broadcast"]),
        # the moderators' walk of 2026-12-07 (each held for the public forum)
        ("cancel the friday workshop, the host is sick", ["event"]),
        ("how is the onboarding message A/B test doing? is variant B winning yet", ["experiment"]),
        ("现在有哪些正在进行的实验？结果怎么样", ["experiment"]),
        ("stop the digest subject line experiment and roll out the better one", ["experiment"]),
        ("给这个用户退款，他说误买了年费：user id 48211930", ["refund"]),
        ("十二月那批兑换码还有哪些没被使用的？", ["codes"]),
        ("给所有会员发个通知：本周六服务器维护", ["broadcast"]),
        ("what questions did the bot fail to answer this week", ["kb"]),
        ("can you look up the member with email jessica.r@gmail.com?", ["member", "members"]),
        # the moderators' QA session of 2026-12-08 (held for the forum)
        ("can you unban dave please", ["unban"]),
        ("把小林解封吧", ["unban"]),
        ("给alice一个月会员", ["extend", "grant"]),
        ("送bob 7天会员", ["extend", "grant"]),
        ("给他讲一个月的课", []),
        # a moderator's course questions are not requests
        ("how do I remove a duplicate row from a dataframe?", []),
        ("tell me about everyone in the SQL course", []),
        ("what does the new course cover?", []),
        ("how do I create a new branch in git?", []),
        ("extend the deadline of my homework", []),
        ("我加了一个变量，为什么报错", []),
        ("how do I cancel a running query in postgres?", []),
        ("How do I design an A/B test?", []),
        ("what is a refund in accounting", []),
        ("会计里的退款怎么记账", []),
        ("please refund @kevin_b, he paid twice", ["refund"]),
        ("实验设计中对照组怎么选", []),
    ],
)
def test_which_words_name_which_commands(text: str, commands: list[str]) -> None:
    load_features()
    assert commands_for(text) == commands
