"""Onboarding steps, answer validation and the profile text used for cold start.

Pure where possible: `parse_answer` turns a typed or tapped answer into a value or a
refusal key, `apply_answer` writes it onto the Member; the state row lives in `onboarding`.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog.topics import Topics
from core.common import smalltalk
from core.digest.schedule import FREQUENCY_WORDS
from core.i18n import LANGUAGE_WORDS
from core.localtime import timezone_in
from core.qa.tokenize import cjk_ratio
from models.catalog import Course, Tag
from models.member import Member
from models.profile import Onboarding

STEPS = ("goals", "tags", "level", "weekly", "timezone", "language", "digest", "peer")
FIELDS = (*STEPS, "experts")
"""What /profile shows and edits: the interview's answers, plus whether the member may be
invited to answer questions (on unless they say no; not asked of newcomers)."""
YES_NO = ("peer", "experts")
"""Fields answered yes or no."""
GOALS_MAX = 500
TAGS_MAX = 10
OFFERED_TAGS = 12
LEVELS = ("beginner", "intermediate", "advanced")
WEEKLY_CHOICES = (30, 60, 120, 240, 480)
WEEKLY_RANGE = (10, 3000)
TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Shanghai",
    "Asia/Tokyo",
)
DIGESTS = ("daily", "weekly", "off")

_LEVEL_WORDS = {
    "beginner": "beginner",
    "intermediate": "intermediate",
    "advanced": "advanced",
    "入门": "beginner",
    "初级": "beginner",
    "中级": "intermediate",
    "高级": "advanced",
    "新手": "beginner",
    "专家": "advanced",
    "novice": "beginner",
    "new": "beginner",
    "basic": "beginner",
    "medium": "intermediate",
    "middle": "intermediate",
    "expert": "advanced",
    "pro": "advanced",
    "1": "beginner",
    "2": "intermediate",
    "3": "advanced",
}
_LEVEL_PHRASES = {
    **{w: lvl for w, lvl in _LEVEL_WORDS.items() if not w.isdecimal()},
    **dict.fromkeys(("beginners", "newbie", "starter", "starting", "零基础", "小白"), "beginner"),
    **dict.fromkeys(("初学", "刚开始"), "beginner"),
    **dict.fromkeys(("有基础", "有点基础", "有一定基础", "有些基础", "一般"), "intermediate"),
    **dict.fromkeys(("experienced", "精通", "熟练"), "advanced"),
}
"""Level words inside an answer: "中级吧", "I'm a complete beginner", "零基础"."""


def named_in(
    text: str, words: Mapping[str, str], phrases: Mapping[str, str] | None = None
) -> str | None:
    """The one choice an answer names: the answer itself as one of ``words``, else the
    one value that its words (English, whole) or characters (Chinese) name among ``words``
    and ``phrases``; None when none does, or two different ones ("入门到中级")."""
    low = " ".join(text.lower().split())
    if low in words:
        return words[low]
    english = re.findall(r"[a-z][a-z'-]*", low)
    said, spaced = set(english), " " + " ".join(english) + " "
    found = {
        value
        for phrase, value in {**words, **(phrases or {})}.items()
        if not phrase.isdecimal()
        and (
            (phrase in said or (" " in phrase and f" {phrase} " in spaced))
            if phrase.isascii()
            else phrase in low
        )
    }
    return found.pop() if len(found) == 1 else None


def level_in(text: str) -> str | None:
    """The level an answer names ("intermediate", "2", "中级吧", "I'm a complete beginner")."""
    return named_in(text, _LEVEL_WORDS, _LEVEL_PHRASES)


_YES = {"yes", "y", "true", "on", "是", "好", "好的", "愿意"}
_YES |= {"sure", "ok", "okay", "yeah", "yep", "of course", "可以", "行", "要", "想", "当然", "好啊"}
_NO = {"no", "n", "false", "off", "否", "不", "不要", "不愿意"}
_NO |= {"nope", "no thanks", "not now", "不用", "不用了", "不想", "算了", "不需要"}
"""Yes and no as members type them, the profile's own words among them ("不用了")."""
_YES_NO_WORDS = {
    **{w: "yes" for w in _YES if w.isascii() and len(w) > 1},
    **{w: "no" for w in _NO if w.isascii() and w not in ("n", "off")},
}
_ZH_NO_IN = (
    *("不要", "不用", "不想", "不需要", "不愿意", "不太", "不感兴趣", "没兴趣", "算了"),
    *("不必", "不了", "不行", "不好", "不可以", "别", "拒绝"),
)
_ZH_YES_IN = (
    *("可以", "好的", "好啊", "好呀", "好吧", "愿意", "没问题", "当然", "行啊", "行吧"),
    *("也行", "想要", "要的", "挺好", "不错", "乐意"),
)
"""A Chinese yes or no inside a sentence ("我觉得可以吧", "我不太想"): a no is looked for
first, since it holds a yes ("不可以" holds "可以")."""
_DIGEST_PHRASES = {
    **dict.fromkeys(("day", "days", "一天", "每晚", "每早"), "daily"),
    **dict.fromkeys(("week", "一周", "每星期", "每个星期"), "weekly"),
    **dict.fromkeys(("no", "nope", "nothing", "不用", "不需要"), "off"),
}
"""Words for a digest frequency inside a sentence: "every day", "once a week", "no thanks"."""


class Refusal(Exception):
    """An answer we cannot use: `key` is an i18n key under profile., params fill it."""

    def __init__(self, key: str, params: tuple[tuple[str, Any], ...] = ()) -> None:
        super().__init__(key)
        self.key = key
        self.params = dict(params)


def _clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise Refusal("bad_characters")
    return text


_PER_WEEK = re.compile(
    r"(?:per|a|each|every)\s+week|/\s*(?:week|wk|w)\b|\bweekly\b|\bweek\b|"
    r"每个?星期|每周|一周|周|about|around|roughly|approx\.?|maybe|~|约|大概|大约|左右"
)
_ZH_DIGITS = {"零": 0, "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_ZH_DIGITS |= {"七": 7, "八": 8, "九": 9, "十": 10}
_HOURS = r"(?:h|hr|hrs|hour|hours|小时|个小时|个钟头|钟头)"
_MINUTES = r"(?:m|min|mins|minute|minutes|分钟|分)"
_NUM = r"(\d+(?:\.\d+)?)"


def _zh_number(text: str) -> str:
    """ "三小时" -> "3小时", "十二" -> "12", "一个半小时" -> "1.5小时", "半小时" -> "0.5小时"."""

    def tens(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        return str((_ZH_DIGITS[a] if a else 1) * 10 + (_ZH_DIGITS[b] if b else 0))

    text = re.sub(r"([一二两三四五六七八九])?十([一二三四五六七八九])?", tens, text)
    text = re.sub("[零一两二三四五六七八九]", lambda m: str(_ZH_DIGITS[m.group(0)]), text)
    text = re.sub(r"(\d+)个?半", r"\1.5", text)
    return re.sub(r"(?<![\d.])半", "0.5", text)


_HEDGE = re.compile(
    r"^(?:(?:dunno|idk|i don'?t know|not sure|maybe|probably|perhaps|about|around|roughly|"
    r"approximately|approx\.?|like|i guess|i'd say|say|大概|可能|差不多|大约|估计|也许)[\s,，.…]*)+"
)
"""Words before a weekly time that do not change it."""


def parse_minutes(text: str) -> int | None:
    """A weekly time as members write it -> minutes, None when it is not one: '90', '90 min',
    '2h', '1.5 hours', '1h30', '2-3 hours', '3 hours a week', '每周3小时', '三个小时'. A bare
    number is minutes from 10 on, hours below."""
    said = _HEDGE.sub("", text.strip().lower())  # "dunno, maybe 3-4 hours" was refused
    t = _zh_number(said.replace(",", "."))
    t = " ".join(_PER_WEEK.sub(" ", t).split())
    if m := re.fullmatch(
        _NUM + r"\s*(?:[-–~到至]|or|或者?)\s*" + _NUM + r"\s*(" + _HOURS + "|" + _MINUTES + ")?",
        t,
    ):
        low, high, unit = float(m.group(1)), float(m.group(2)), m.group(3) or ""
        value = (low + high) / 2
        return round(value * 60) if re.fullmatch(_HOURS, unit) else round(value)
    if m := re.fullmatch(_NUM + r"\s*" + _HOURS + r"(?:\s*(\d+)\s*" + _MINUTES + "?)?", t):
        return round(float(m.group(1)) * 60) + int(m.group(2) or 0)
    if m := re.fullmatch(_NUM + r"\s*(" + _MINUTES + ")?", t):
        value = float(m.group(1))
        # a bare number below 10 is hours ("3"): a weekly time of 3 minutes is never meant
        return round(value * 60) if not m.group(2) and 0 < value < 10 else round(value)
    return None


_TOPIC_JOINS = re.compile(r"[,，;；、/&+]+|\s+(?:and|or|plus|also)\s+|以及|还有|和|与|及")
"""Between topics as members list them: "SQL, Python and statistics", "SQL和Python"."""
_TOPIC_FILLER = frozenset(
    [
        "i",
        "im",
        "i'm",
        "i’m",
        "am",
        "like",
        "love",
        "want",
        "to",
        "learn",
        "learning",
        "interested",
        "in",
        "into",
        "about",
        "some",
        "a",
        "an",
        "the",
        "of",
        "bit",
        "mostly",
        "mainly",
        "especially",
        "maybe",
        "also",
        "and",
        "or",
        "我",
        "想",
        "学",
        "学习",
        "喜欢",
        "对",
        "感兴趣",
    ]
)
"""Words around the topics in a sentence ("I'm interested in SQL"), passed over."""


def topics_typed(text: str, offered: list[str], topics: Topics) -> tuple[list[str], list[str]]:
    """(tags meant, words not understood): each part between commas or "and" is a tag's
    slug or title ("Machine learning", "机器学习"); else its words are read left to right,
    the longest run of up to three words that names a tag first, then a word that misspells
    one ("statisticks", `Topics.near`), filler words skipped."""
    meant: list[str] = []
    unknown: list[str] = []

    def known(word: str) -> str | None:
        tag = word.lower() if word.lower() in offered else topics.slug(word)
        return tag if tag in offered else None

    for part in filter(None, (p.strip() for p in _TOPIC_JOINS.split(text))):
        if (tag := known(part)) is not None:
            meant.append(tag)
            continue
        if cjk_ratio(part) > 0:  # "我想学SQL": no spaces between the words; "统记": a slip
            found = topics.found_in(part, offered) or topics.sounds_in(part, offered)
            meant += found
            unknown += [] if found else [part.lower()]
            continue
        words = part.split()
        i = 0
        while i < len(words):
            runs = [" ".join(words[i : i + n]) for n in (3, 2, 1) if i + n <= len(words)]
            # a topic named right, else one misspelt ("machine lerning"), longest run first
            named = ((run, known(run)) for run in runs)
            misspelt = ((run, topics.near(run, offered)) for run in runs)
            run, tag = next(
                (found for found in itertools.chain(named, misspelt) if found[1] is not None),
                ("", None),
            )
            if tag is not None:
                meant.append(tag)
                i += len(run.split())
                continue
            if words[i].lower().strip(".!?") not in _TOPIC_FILLER:
                unknown.append(words[i].lower())
            i += 1
    return list(dict.fromkeys(meant)), unknown


def tags_not_known(
    text: str, offered: list[str], topics: Topics, locale: str | None
) -> dict[str, str] | None:
    """The words of a topics answer that named no topic, with the topics there are, for the
    note under "Saved" (None when every word was understood)."""
    _, unknown = topics_typed(text, offered, topics)
    if not unknown:
        return None
    return {"unknown": ", ".join(unknown[:5])[:100], "options": topics.names(offered, locale)}


def parse_answer(
    step: str,
    text: str,
    offered_tags: list[str],
    topics: Topics | None = None,
    locale: str | None = None,
) -> Any:
    """The value for `step` from a typed answer; raises Refusal saying what is expected.
    Topics are typed as their slugs or titles (``topics``); refusals list them in ``locale``."""
    text = _clean_text(text)
    if not text:
        raise Refusal("empty_answer")
    low = text.lower()
    if step == "goals":
        if len(text) > GOALS_MAX:
            raise Refusal("goals_too_long", (("limit", GOALS_MAX), ("length", len(text))))
        if len(text) < 3:
            raise Refusal("goals_too_short")
        if smalltalk.kind(text) is not None:  # "hello" / "ok" is not a goal to plan for
            raise Refusal("goals_smalltalk")
        return text
    if step == "tags":
        words, unknown = topics_typed(text, offered_tags, topics or Topics())
        if not words:  # some understood: saved, and the rest named (`tags_not_known`)
            names = (topics or Topics()).names(offered_tags, locale)
            said = ", ".join(unknown[:5]) or text
            raise Refusal("tags_unknown", (("unknown", said[:100]), ("options", names)))
        if len(words) > TAGS_MAX:
            raise Refusal("tags_too_many", (("limit", TAGS_MAX),))
        return words
    if step == "level":
        if (level := level_in(text)) is None:
            raise Refusal("level_expected")
        return level
    if step == "weekly":
        minutes = parse_minutes(low)
        if minutes is None:
            raise Refusal("weekly_expected")
        lo, hi = WEEKLY_RANGE
        if not lo <= minutes <= hi:
            raise Refusal("weekly_range", (("min", lo), ("max", hi)))
        return minutes
    if step == "timezone":
        tz = timezone_in(text)  # "I live in London"
        if tz is None:
            raise Refusal("timezone_expected", (("answer", text[:40]),))
        return tz
    if step == "language":  # "English please"
        if (language := named_in(text, LANGUAGE_WORDS)) is None:
            raise Refusal("language_expected")
        return language
    if step == "digest":  # "every day", "weekly is fine", "一周一次"
        if (frequency := named_in(text, FREQUENCY_WORDS, _DIGEST_PHRASES)) is None:
            raise Refusal("digest_expected")
        return frequency
    if step in YES_NO:
        low = low.rstrip("!.。！~ ").removeprefix("我")  # "我不要", "我愿意"
        if low in _YES:
            return True
        if low in _NO:
            return False
        # "yes please", "no thanks, not now": English words only, since a Chinese "no"
        # holds a "yes" ("不要" holds "要")
        if (yes_no := named_in(low, _YES_NO_WORDS)) is not None:
            return yes_no == "yes"
        if cjk_ratio(low) > 0:  # a no first: "不可以" holds "可以"
            if any(w in low for w in _ZH_NO_IN):
                return False
            if any(w in low for w in _ZH_YES_IN):
                return True
        raise Refusal("peer_expected")
    raise Refusal("empty_answer")


def apply_answer(member: Member, step: str, value: Any) -> None:
    """Write one answer onto the member's profile fields (used for cold start at once)."""
    if step == "goals":
        member.goals = str(value)
    elif step == "tags":
        member.tags = list(value)
    elif step == "level":
        member.level = str(value)
    elif step == "weekly":
        member.weekly_minutes = int(value)
    elif step == "timezone":
        member.timezone = str(value)
    elif step == "language":
        member.locale = str(value)
    elif step == "digest":
        member.digest_frequency = str(value)
    elif step == "peer":
        member.peer_opt_in = bool(value)
    elif step == "experts":
        member.expert_opt_out = not value


def next_step(step: str) -> str | None:
    i = STEPS.index(step)
    return STEPS[i + 1] if i + 1 < len(STEPS) else None


async def offered_tags(session: AsyncSession) -> list[str]:
    """The tags a new member picks from: the most used by visible courses, then the rest."""
    counts: Counter[str] = Counter()
    for tags in (
        await session.execute(select(Course.tags).where(Course.hidden.is_(False)))
    ).scalars():
        counts.update(tags or [])
    for slug in (await session.execute(select(Tag.slug))).scalars():
        counts.setdefault(slug, 0)
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:OFFERED_TAGS]


async def state_of(session: AsyncSession, member_id: int) -> Onboarding | None:
    return (
        await session.execute(select(Onboarding).where(Onboarding.member_id == member_id))
    ).scalar_one_or_none()


async def begin(
    session: AsyncSession,
    member_id: int,
    now: datetime,
    *,
    step: str = "goals",
    single: bool = False,
) -> Onboarding:
    """Start (or restart at `step`) the interview; one row per member, whatever the platform."""
    row = await state_of(session, member_id)
    if row is None:
        row = Onboarding(
            member_id=member_id,
            status="active",
            step=step,
            answers={},
            single=single,
            started_at=now,
            updated_at=now,
        )
        session.add(row)
    else:
        row.status, row.step, row.single, row.updated_at = "active", step, single, now
        row.finished_at = None
    if step == "tags":
        row.answers = dict(row.answers, _offered=await offered_tags(session))
    await session.flush()
    return row


async def advance(session: AsyncSession, row: Onboarding, now: datetime) -> None:
    """Move to the next question, or finish (single-answer edits finish at once)."""
    nxt = None if row.single else next_step(row.step)
    row.updated_at = now
    if nxt is None:
        row.status = "done"
        row.finished_at = now
        row.single = False
        return
    row.step = nxt
    if nxt == "tags":
        row.answers = dict(row.answers, _offered=await offered_tags(session))


def record_answer(row: Onboarding, member: Member, step: str, value: Any) -> None:
    answers = dict(row.answers)
    answers[step] = value
    row.answers = answers
    apply_answer(member, step, value)


def profile_text(member: Member) -> str:
    """One text describing what the member wants: embedded for cold-start recommendations."""
    parts = [member.goals.strip()]
    if member.tags:
        parts.append("Interests: " + ", ".join(member.tags))
    if member.level:
        parts.append(f"Level: {member.level}")
    return ". ".join(p for p in parts if p)


def profile_features(member: Member) -> dict[str, float]:
    """Sparse features (tag:*, level:*, weekly:*) matching the recommender's naming."""
    feats = {f"tag:{t}": 1.0 for t in member.tags}
    if member.level:
        feats[f"level:{member.level}"] = 1.0
    if member.weekly_minutes:
        bucket = (
            "low"
            if member.weekly_minutes < 60
            else "mid"
            if member.weekly_minutes < 240
            else "high"
        )
        feats[f"weekly:{bucket}"] = 1.0
    return feats


NAME_MAX = 64
_LINKISH = re.compile(r"https?://|www\.|t\.me/|discord\.gg/|\.(?:com|net|org|io)\b", re.IGNORECASE)


def check_name(typed: str) -> str:
    """The name a member chose to be shown by (threads, leaderboard, moderators' lists):
    the platform's name is taken once, at the first message, and a renamed account kept it.
    Refused: a link (a spam name on the leaderboard), a leading @ or # (the way members are
    named in commands, so "#1" would read as member 1), digits alone, and over 64 characters."""
    name = " ".join(typed.split())
    if not name:
        raise Refusal("name_missing")
    if len(name) > NAME_MAX:
        raise Refusal("name_too_long", (("limit", NAME_MAX),))
    if _LINKISH.search(name):
        raise Refusal("name_link")
    if name[0] in "@#＃" or name.isdecimal():
        raise Refusal("name_reference")
    return name
