"""Settings a member asks for in words are made, as the command would make them.

"set my timezone to Asia/Shanghai" or "用中文回复" got the built-in answer on how to do it,
so the member had to type the command they had just put in words."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.events import Actor, Chat, Command
from core.profile.said import setting_for
from core.replies import Reply
from models.member import Account, Member


async def _member(db, user: str) -> Member:
    async with db.session() as s:
        return (
            await s.execute(select(Member).join(Account).where(Account.platform_user_id == user))
        ).scalar_one()


async def test_time_zone_name_and_language_said_in_words_are_set(console_bot, db):
    await console_bot.send("/profile", as_member="tess")
    out = await console_bot.send("set my timezone to Asia/Shanghai")
    assert "Saved." in out and "• Timezone: Asia/Shanghai" in out
    out = await console_bot.send("my time zone is Berlin")
    assert "• Timezone: Europe/Berlin" in out
    out = await console_bot.send("please call me Tess Wu.")
    assert "you are shown as Tess Wu from now on"  # the full stop ends the sentence in out
    out = await console_bot.send("用中文回复")
    assert "语言已设置为中文" in out
    tess = await _member(db, "tess")
    assert (tess.timezone, tess.display_name, tess.locale) == ("Europe/Berlin", "Tess Wu", "zh-CN")
    out = await console_bot.send("把我的时区改成纽约")
    assert "America/New_York" in out
    out = await console_bot.send("switch to english")
    assert (await _member(db, "tess")).locale == "en"


async def test_other_messages_of_that_look_change_nothing(console_bot, db):
    await console_bot.send("/profile", as_member="uma")
    before = await _member(db, "uma")
    for text in [
        "set my timezone to something sensible",  # not a zone
        "call me later",  # not a name
        "call me when the event starts",
        "my name is Bob",  # an introduction as often as a request
        "how do I set my timezone?",  # a question: the answer on how
        "switch to the yearly plan",
        "speak python",
        "/profile name #1",  # the command's own checks still hold
    ]:
        await console_bot.send(text)
    after = await _member(db, "uma")
    assert (after.timezone, after.display_name, after.locale) == (
        before.timezone,
        before.display_name,
        before.locale,
    )


async def test_in_a_group_the_profile_is_not_shown_there(app, db):
    """The profile card that follows a change shows goals and interests: in a group the
    member is told the command to send in a private chat, and nothing changes."""
    out = await app.router.dispatch(
        Command(
            Actor("console", "vic", display_name="Vic", username="vic"),
            Chat("console", "g1", "group"),
            uuid.uuid4().hex,
            name="ask",
            args="set my timezone to Berlin",
        )
    )
    said = "\n".join(r.text for r in out if isinstance(r, Reply))
    assert "/profile timezone Europe/Berlin" in said and "private chat" in said
    assert (await _member(db, "vic")).timezone == "UTC"


def test_the_value_is_taken_as_the_command_takes_it():
    assert setting_for("I'm in Beijing time") == ("timezone", "Asia/Shanghai")
    assert setting_for("Please change my timezone to UTC+8.") == ("timezone", "Etc/GMT-8")
    assert setting_for("can you speak in English?") == ("language", "en")
    assert setting_for("以后叫我阿强吧") == ("name", "阿强")
    assert setting_for("change my name to Ann Lee") == ("name", "Ann Lee")
    assert setting_for("叫我起床") is None  # "wake me up", not a name
    # one part of a longer message asks for it
    said = "注册的时候不小心选了英文，现在想改回简体中文，怎么弄？"
    assert setting_for(said) == ("language", "zh")
    assert setting_for("I'm busy today, call me Ann") == ("name", "Ann")
    assert setting_for("call me Ann, reply in Chinese please") is None  # two changes: neither
    assert setting_for("call me later, I'm in a meeting") is None
    # a language the bot does not speak goes to /language, which says which two it does
    assert setting_for("Is it possible to get your replies in Spanish?") is None  # a question
    assert setting_for("can you reply in Spanish?") == ("language", "Spanish")
    assert setting_for("能不能换成俄语回复？我是俄罗斯人，中文只能看懂一点点") == (
        "language",
        "俄语",
    )
    assert setting_for("can you write in python?") is None


async def test_an_introduction_offers_the_name_with_one_tap(console_bot, db):
    """ "My name is Ann" was offered for the community's forum; it may or may not be a wish
    to be shown by it, so the change is offered, not made."""
    await console_bot.send("/profile", as_member="wes")
    out = await console_bot.send("my name is Ann")
    assert "Nice to meet you, Ann! Shall I show you as Ann" in out and "forum" not in out
    assert (await _member(db, "wes")).display_name != "Ann"  # not before the tap
    assert "you are shown as Ann from now on" in await console_bot.send("/press 1")
    assert "That is the name I show you by already" in await console_bot.send("hi, my name is Ann")
    assert "小明" in await console_bot.send("我叫小明")
    out = await console_bot.send("my name is not important")
    assert "Nice to meet you" not in out


async def test_interests_said_in_words_are_added(console_bot, db):
    """ "我的兴趣是机器学习、统计、Python，帮我加上" opened a public thread tagged with all three."""
    from models.catalog import Tag

    async with db.session() as s, s.begin():
        for slug, en, zh in (
            ("machine-learning", "Machine learning", "机器学习"),
            ("statistics", "Statistics", "统计"),
            ("python", "Python", "Python"),
            ("sql", "SQL", "SQL"),
        ):
            s.add(Tag(slug=slug, title=en, title_zh=zh))
    await console_bot.send("/profile", as_member="chen")
    await console_bot.send("我的兴趣是机器学习、统计、Python，帮我加上")
    assert sorted((await _member(db, "chen")).tags) == ["machine-learning", "python", "statistics"]
    await console_bot.send("please add SQL to my interests")
    assert "sql" in (await _member(db, "chen")).tags
    before = sorted((await _member(db, "chen")).tags)
    await console_bot.send("what are my interests?")  # a question: nothing added
    assert sorted((await _member(db, "chen")).tags) == before


async def test_commands_typed_with_extra_words_do_what_was_meant(console_bot, db):
    """ "/profile set interests …" and "/leaderboard top 10" were answered with their usage."""
    from models.catalog import Tag

    async with db.session() as s, s.begin():
        s.add(Tag(slug="statistics", title="Statistics", title_zh="统计"))
    out = await console_bot.send("/profile set interests statistics", as_member="raj")
    assert "• Interests: Statistics" in out
    for typed in ("/leaderboard top 10", "/leaderboard 前10"):
        out = await console_bot.send(typed)
        assert not out.startswith("Usage") and "leaderboard" in out.lower(), (typed, out)
    assert (await console_bot.send("/profile set")).startswith("Usage: /profile")
