"""What counts as small talk (a short reply) and what is still a question or an answer."""

from __future__ import annotations

import pytest

from core.common import smalltalk
from core.common.smalltalk import kind, says_nothing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thank you very much!", "thanks"),
        ("great, thanks!", "thanks"),
        ("谢谢你的帮助", "thanks"),
        ("hello there, how are you?", "greeting"),
        ("早上好各位", "greeting"),
        ("is anyone there?", "greeting"),
        ("有人吗？", "greeting"),
        ("你好，我想问一下", "greeting"),
        ("thanks, that helped a lot!", "thanks"),
        ("谢谢，问题解决了", "thanks"),
        ("ok bye, see you next week", "bye"),
        ("Hey bot, how are you today?", "greeting"),
        ("how are you doing today", "greeting"),
        ("how are you doing with the SQL course", None),
        ("好的，拜拜", "bye"),
        ("that helped me understand joins", None),
        ("有用吗", None),
        ("ok cool", "ack"),
        ("all done, thanks", "thanks"),
        ("same here", "ack"),
        ("+1", "ack"),
        ("hi, how do I reset my password?", None),
        ("his code fails on import", None),
        ("how much is the yearly plan", None),
        ("请问怎么重置密码？", None),
        ("Thank you for the answer about joins", None),
    ],
)
def test_small_talk_and_questions_told_apart(text, expected):
    assert kind(text) == expected


def test_emoji_alone_says_nothing_but_an_answer_does():
    assert says_nothing("👍🙏") and says_nothing("同问")
    assert not says_nothing("Pin the version to 0.24.")


@pytest.mark.parametrize(
    "text",
    [
        "how do I join two tables",
        "hi, how do I reset my password",
        "my pandas merge gives duplicate rows",
        "I get a KeyError when merging",
        "python list vs tuple",
        "SQL query slow after adding an index",
        "怎么用 git 撤销上一次提交",
        "pandas 合并报错",
        "Is there a recording of the workshop",
        "I need a course on window functions",
        "I'm trying to install qiskit on windows",
        "想知道 SQL 和 pandas 哪个先学",
    ],
)
def test_questions_and_problems_read_as_asking(text: str) -> None:
    assert smalltalk.asks_something(text)


@pytest.mark.parametrize(
    "text",
    [
        "I want to become a data analyst one day",
        "我想学习数据分析，找到一份数据分析师的工作",
        "每周五小时",
        "I finished the SQL course yesterday",
        "my goal is to learn SQL",
    ],
)
def test_statements_about_oneself_do_not(text: str) -> None:
    assert not smalltalk.asks_something(text)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("when is the next office hours?", True),
        ("what does intermediate mean?", True),
        ("how do I pay", True),
        ("Is there a recording of the workshop", True),
        ("会员多少钱？", True),
        ("能退款吗", True),
        ("请问怎么改时区", True),
        # unsure answers to an interview question, not questions
        ("SQL?", False),
        ("maybe weekly?", False),
        ("Intermediate?", False),
        ("中级吧？", False),
        ("什么都行", False),
        ("how to get a data job", False),
        ("I need help with SQL", False),
        ("", False),
    ],
)
def test_a_question_is_told_from_an_unsure_answer(text: str, asked: bool) -> None:
    """Where an answer was asked for, only a message put as a question is taken for one."""
    assert smalltalk.is_question(text) is asked


async def test_a_command_word_alone_in_a_private_chat_is_that_command(console_bot):
    """ "help", "status" or "课程" typed without the slash were "I didn't understand that";
    "stop" could mean digests or the membership: it names both commands and changes nothing."""
    said = {w: await console_bot.send(w, as_member="alice") for w in ("help", "Status.", "menu")}
    assert said["help"] == await console_bot.send("/help") == said["menu"]
    assert said["Status."] == await console_bot.send("/status")
    assert await console_bot.send("课程") == await console_bot.send("/courses")
    stop = await console_bot.send("stop")
    assert "/digest off" in stop and "/cancel" in stop
    assert "/digest off" in await console_bot.send("退订", as_member="xiaoming")
    assert "didn't understand" in await console_bot.send("cancel", as_member="alice")
    assert "didn't understand" in await console_bot.send("done")  # a word that changes things
    # with "my" before it ("my progress" was a question held for the community)
    assert await console_bot.send("my progress") == await console_bot.send("/progress")
    assert await console_bot.send("My courses") == await console_bot.send("/progress")
    assert await console_bot.send("my plan") == await console_bot.send("/status")
    assert await console_bot.send("我的积分") == await console_bot.send("/points")


def test_on_and_off_as_members_type_them() -> None:
    """ "/peers 开启" and "/leaderboard 加入" were the usage text."""
    from core.common.switch import turned

    assert [turned(w) for w in ("on", "Opt in", "开启", "加入", "yes")] == [True] * 5
    assert [turned(w) for w in ("off", "opt-out", "关闭", "退出", "no")] == [False] * 5
    assert turned("sql") is None and turned("") is None


async def test_on_and_off_in_chinese_reach_the_commands(console_bot):
    out = await console_bot.send("/leaderboard 加入", as_member="lan")
    assert out == "Your name will be shown on the leaderboard."
    assert "You are in:" in await console_bot.send("/peers 开启")
    assert "You are out of study-partner matching" in await console_bot.send("/peers 关闭")
    assert "shown anonymously" in await console_bot.send("/leaderboard 退出")


def test_numbers_and_places_as_members_write_them() -> None:
    from core.common.numbers import ordinal, zh_number

    assert [zh_number(t) for t in ("两", "十", "十五", "二十", "九十九", "百")] == [
        2,
        10,
        15,
        20,
        99,
        0,
    ]
    said = ("第一课", "第 2 节", "第十二讲", "lesson 3", "#4", "第零课", "first", "3")
    assert [ordinal(t) for t in said] == [1, 2, 12, 3, 4, None, None, None]
