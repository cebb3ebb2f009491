"""Settings a member asks for in words: "set my timezone to Asia/Shanghai", "my time zone is
Berlin", "reply in Chinese please", "用中文回复", "call me Ann", "把我的昵称改成小明".

Each got the built-in answer on how to do it (and the profile to look at), so the member
had to type the command they had just put in words. The change is made as the command
would make it (`/profile timezone`, `/language`, `/profile name`, with their checks and
replies). Only whole messages of these shapes count, and only a value the command takes:
"set my timezone to something sensible" is left to the knowledge base. "My name is Ann" is
an introduction as often as a request, so the name is offered with one tap, not set.
"""

from __future__ import annotations

import re
from typing import Any

from core.admin.confirm import action
from core.admin.confirm import ask as confirm
from core.context import Context, Role
from core.i18n import LANGUAGE_WORDS
from core.localtime import parse_timezone, timezone_in
from core.qa import help_answers
from core.qa.tokenize import cjk_chars, split_parts
from core.replies import AnyReply, Reply
from core.router import run_command

_ZONE = r"(?:time ?zone|tz)"
_TO_EN = r"(?:please )?(?:set|change|update|switch|put|make) (?:my |the )?{thing} (?:to|as|into) (?P<v>.+)"
_TIMEZONE_EN = [
    _TO_EN.format(thing=_ZONE),
    rf"my {_ZONE} (?:is|should be) (?P<v>.+)",
    rf"(?:i'?m|i am) (?:in|on) (?P<v>.+?) (?:time|{_ZONE})",
    rf"use (?P<v>.+?) (?:time|{_ZONE})(?: for me)?",
]
_TIMEZONE_ZH = [
    r"(?:请)?(?:帮我)?(?:把)?我的时区(?:改|设|设置|换|调|切换)(?:成|为|到)(?P<v>.+)",
    r"(?:请)?(?:帮我)?(?:把)?时区(?:改|设|设置|换|调|切换)(?:成|为|到)(?P<v>.+)",
    r"我的时区(?:是|应该是)(?P<v>.+)",
]
_ZH_OTHER_LANGUAGE = r"[\u4e00-\u9fff]{1,3}语"
_ZH_LANGUAGE = rf"中文|英文|英语|{_ZH_OTHER_LANGUAGE}"
OTHER_LANGUAGES = frozenset(
    {"spanish", "french", "german", "russian", "japanese", "korean", "portuguese", "italian"}
    | {"arabic", "hindi", "vietnamese", "thai", "turkish", "dutch", "polish", "indonesian"}
)
"""Languages members ask for that the bot does not speak: /language says which it does."""
_LANGUAGE_EN = [
    _TO_EN.format(thing=r"(?:language|lang|bot'?s language|reply language)"),
    r"(?:please )?(?:can you |could you )?(?:speak|reply|talk|answer|write)(?: to me)? in (?P<v>\w+)",
    r"(?:please )?switch (?:to|into) (?P<v>\w+)",
]
_LANGUAGE_ZH = [
    rf"(?:请|以后|以后请)?(?:用|说)(?P<v>{_ZH_LANGUAGE})(?:回复|回答|跟我说|和我说|交流|说话)?",
    rf"(?:请)?(?:帮我)?(?:把)?语言(?:改|换|切换|设置|设)(?:成|为|到)(?P<v>{_ZH_LANGUAGE})",
    rf"(?:请)?切换(?:成|到|为)?(?P<v>{_ZH_LANGUAGE})",
    r"(?:我)?(?:现在)?(?:想|要|能不能|能|可不可以|可以)?(?:把语言)?(?:改|换|切换|调)(?:回|成|为|到)(?:简体)?"
    rf"(?P<v>{_ZH_LANGUAGE})(?:回复)?",
]
_NAME_EN = [
    r"(?:please )?call me (?P<v>.+)",
    _TO_EN.format(thing=r"(?:name|display name|nickname|username)"),
    r"(?:please )?rename me (?:to )?(?P<v>.+)",
]
_NAME_ZH = [
    r"(?:以后|你可以|可以|请)+叫我(?P<v>.+?)(?:就行|就好|就可以)?",
    r"叫我(?P<v>.+?)(?:就行|就好|就可以)",
    r"(?:请)?(?:帮我)?(?:把)?我的(?:名字|昵称|显示名)(?:改|换|设|设置)(?:成|为)(?P<v>.+)",
]
_NOT_A_NAME = frozenset(
    [
        "when",
        "later",
        "back",
        "if",
        "at",
        "on",
        "tomorrow",
        "tonight",
        "after",
        "before",
        "now",
        "please",
        "anytime",
        "whenever",
        "a",
        "an",
        "the",
        "in",
        "by",
        "soon",
    ]
)
"""First words of "call me …" that make it a request to be called, not a name."""
_SAID: list[tuple[re.Pattern[str], str]] = [
    *((re.compile(p, re.I), "timezone") for p in _TIMEZONE_EN + _TIMEZONE_ZH),
    *((re.compile(p, re.I), "language") for p in _LANGUAGE_EN + _LANGUAGE_ZH),
    *((re.compile(p, re.I), "name") for p in _NAME_EN + _NAME_ZH),
]
_LEAD = re.compile(r"^(?:(?:hi|hey|hello|ok(?:ay)?|bot|please)\b[\s,:]*)+", re.I)
_ZH_LEAD = re.compile(r"^(?:你好|您好|麻烦你|麻烦|请问)+[，,]?")
_TAIL = re.compile(r"(?:\s*\b(?:please|thanks|thank you|from now on|now))+$", re.I)
_ZH_TAIL = re.compile(r"(?:吧|吗|呢|啊|呀|谢谢|好吗|可以吗)+$")
_ENDS = " ?!.。？！~～,，"


def _plain(text: str) -> str:
    """The message without greetings, "please" and end punctuation; its case is kept (a
    name keeps its capitals), the patterns ignore it."""
    kept = " ".join(text.replace("’", "'").split()).strip(_ENDS)
    zh = bool(cjk_chars(kept))
    for pattern in (_ZH_LEAD, _ZH_TAIL) if zh else (_LEAD, _TAIL):
        kept = pattern.sub("", kept, count=1).strip(_ENDS)
    return kept


def setting_for(text: str) -> tuple[str, str] | None:
    """("timezone" | "language" | "name", the value the command takes) for a message that
    asks for that change, None for any other. A message of two or three parts asks for it
    when exactly one part does ("注册的时候不小心选了英文，现在想改回简体中文，怎么弄？" opened a
    thread)."""
    found = _setting_in(text)
    if found is not None:
        return found
    parts = split_parts(text)
    if not 2 <= len(parts) <= 3:
        return None
    each = [f for p in parts if (f := _setting_in(p)) is not None]
    return each[0] if len(each) == 1 else None


def _setting_in(text: str) -> tuple[str, str] | None:
    kept = _plain(text)
    for pattern, what in _SAID:
        m = pattern.fullmatch(kept)
        if m is None:
            continue
        said = m.group("v").strip(" \"'“”‘’「」")
        value = _value(what, said)
        if value is not None:
            return what, value
    return None


def _value(what: str, said: str) -> str | None:
    if not said:
        return None
    if what == "timezone":
        return parse_timezone(said) or timezone_in(said)
    if what == "language":
        code = LANGUAGE_WORDS.get(said.lower())
        if code:
            return code.split("-")[0]
        # another language: /language answers which two it speaks ("reply in Spanish", "俄语")
        other = said.lower() in OTHER_LANGUAGES or re.fullmatch(_ZH_OTHER_LANGUAGE, said)
        return said if other else None
    words = said.split()
    if cjk_chars(said):
        return said if len(said) <= 12 and not re.search(r"什么|吗|谁", said) else None
    if len(words) > 3 or words[0].lower() in _NOT_A_NAME:
        return None
    return said  # /profile name checks it and says what it refuses


_INTRODUCED = [
    re.compile(r"(?:(?:hi|hello|hey)[\s,!]*)?my name is (?P<v>[^\s,.!]+(?: [^\s,.!]+)?)", re.I),
    re.compile(r"(?:大家好|你好)?[，,]?我(?:叫|的名字是)(?P<v>[^\s，,。！!]{1,8})"),
]


def introduced_as(text: str) -> str | None:
    """The name in "my name is Ann" / "我叫小明": an introduction, which may or may not be a
    wish to be shown by it, so it is offered, not made."""
    kept = _plain(text)
    for pattern in _INTRODUCED:
        m = pattern.fullmatch(kept)
        if m is not None:
            name = m.group("v").strip()
            if name.split()[0].lower() in _NOT_INTRODUCED:
                return None
            return _value("name", name)
    return None


_NOT_INTRODUCED = frozenset(
    ["not", "no", "none", "very", "too", "so", "kind", "what", "secret", "irrelevant", "long"]
)
"""First words after "my name is" that describe the name rather than give it."""


_INTERESTS = [
    re.compile(
        r"(?:my interests are|my topics are|(?:please )?add (?P<a>.+?) to my (?:interests|topics))"
        r"(?P<v>.*)",
        re.I,
    ),
    re.compile(
        r"我的兴趣(?:是|有)(?P<v>[^。！!？?]+?)(?:[，,。]?(?:帮我|请|麻烦)?(?:加上|加进去|添加|设置一下|记一下).*)?"
    ),
    re.compile(
        r"(?:帮我|请|麻烦)?把(?P<v>.+?)(?:加到|加进|添加到)(?:我的)?(?:兴趣|关注的主题)(?:里|中|列表)?.*"
    ),
]


def interests_in(text: str) -> str | None:
    """The topics a member asks to add to their interests in words ("my interests are ML,
    statistics and Python", "我的兴趣是机器学习、统计、Python，帮我加上"); None otherwise."""
    kept = _plain(text)
    for pattern in _INTERESTS:
        m = pattern.fullmatch(kept)
        if m is None:
            continue
        said = (m.groupdict().get("a") or m.group("v") or "").strip(" ,，:：")
        if said and len(said) <= 120:
            return said
    return None


@help_answers.lookup
async def change(ctx: Context, question: str) -> list[AnyReply] | None:
    if (topics_said := interests_in(question)) is not None:
        if ctx.event.chat.kind != "private":
            command = f"/profile interests add {topics_said}"
            return [Reply(ctx.t("qa.about_you_private", command=command))]
        return await run_command(ctx, "profile", f"interests add {topics_said}")
    found = setting_for(question)
    if found is None:
        return await _offer_name(ctx, question)
    what, value = found
    if ctx.event.chat.kind != "private" and what != "language":
        # the profile card that follows shows goals and interests: not for a group
        command = f"/profile {what} {value}"
        return [Reply(ctx.t("qa.about_you_private", command=command))]
    if what == "language":
        return await run_command(ctx, "language", value)
    return await run_command(ctx, "profile", f"{what} {value}")


async def _offer_name(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "My name is Ann" was offered for the community's forum: the member is greeted and
    offered, with one tap, to be shown by it (a private chat only)."""
    name = introduced_as(question)
    if name is None or ctx.event.chat.kind != "private":
        return None
    if name == ctx.member.display_name:
        return [Reply(ctx.t("profile.name_known", name=name))]
    return await confirm(
        ctx, "profile_name", {"name": name}, ctx.t("profile.name_offer", name=name)
    )


@action("profile_name", role=Role.MEMBER)
async def _named(ctx: Context, params: dict[str, Any]) -> list[AnyReply]:
    return await run_command(ctx, "profile", f"name {params.get('name', '')}")
