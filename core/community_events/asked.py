"""Questions about when an event is ("when is the next office hours?", "下次SQL答疑是什么
时候？"), answered with the event itself: no knowledge-base entry knows the schedule, so
such a question opened a thread for the community to tell the asker the date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from core.qa.tokenize import tokenize
from models.admin import CommunityEvent

_ASKS_WHEN = re.compile(
    r"\b(when|what time|what day|which day|next|schedule[ds]?|soon|today|tonight|tomorrow|"
    r"this week|next week|upcoming|starts?|starting|date|is there|are there|any)\b"
    r"|什么时候|几点|哪天|下次|下一次|时间|今天|今晚|明天|这周|本周|下周|开始|有没有",
    re.IGNORECASE,
)
EVENT_WORDS = frozenset(
    {
        *("event", "session", "workshop", "meetup", "webinar", "class", "call", "hour"),
        *("office", "live", "talk", "lecture", "stream", "q&a", "ama"),
        *("活动", "直播", "讲座", "答疑", "分享", "分享会", "会议", "课"),
    }
)
"""Words that make a question about an event: with one of them, one word of a title is
enough ("when is the next pandas session?")."""
MAX_SHOWN = 3


def asks_when(text: str) -> bool:
    return bool(_ASKS_WHEN.search(text))


def names_event(question: str, title: str) -> bool:
    """Whether a question names the event: two words of its title, all of them, or one
    with a word for an event ("when should I use SQL?" names no "Live session: SQL")."""
    asked = set(tokenize(question))
    named = set(tokenize(title))
    shared = asked & named
    if len(shared) >= 2 or (shared and shared == named):
        return True
    return bool(shared - EVENT_WORDS) and bool(asked & EVENT_WORDS)


def named_in(
    question: str, events: Sequence[CommunityEvent], now: datetime
) -> tuple[list[CommunityEvent], CommunityEvent | None]:
    """The coming events the question names (soonest first, at most three) and, when none
    is coming, the last past one it names. Cancelled events are left out."""
    if not asks_when(question):
        return [], None
    live = [ev for ev in events if ev.cancelled_at is None and names_event(question, ev.title)]
    coming = sorted((ev for ev in live if ev.starts_at > now), key=lambda ev: ev.starts_at)
    if coming:
        return coming[:MAX_SHOWN], None
    past = max(live, key=lambda ev: ev.starts_at, default=None)
    return [], past


GENERIC_WORDS = frozenset(
    {
        *("event", "meetup", "workshop", "webinar", "活动", "讲座", "直播", "聚会", "分享会"),
        *("工作坊", "研讨会"),
    }
)
"""Words that name events in general ("any events this week?"); a session or a class may
be a lesson, so those need a title word (see `names_event`)."""
_FILLER = frozenset(
    {
        *("any", "what", "which", "when", "next", "coming", "up", "upcoming", "soon", "week"),
        *("weekend", "today", "tonight", "tomorrow", "month", "planned", "scheduled", "on"),
        *("community", "there", "new", "later", "this", "schedule", "calendar"),
        *("有", "什么", "哪些", "最近", "近期", "接下来", "安排", "社区", "下周", "本周", "这周"),
        *("今天", "今晚", "明天", "周末", "这个月", "本月", "以后", "之后", "新"),
    }
)
_TODAY = frozenset({"today", "tonight", "今天", "今晚"})
_TOMORROW = frozenset({"tomorrow", "明天"})
_WEEKEND = frozenset({"weekend", "周末"})
_THIS_WEEK = frozenset({"本周", "这周"})
_NEXT_WEEK = frozenset({"下周"})


def asks_about_events(question: str) -> bool:
    """ "Any events this week?", "下周有什么活动？": events in general, no title named (every
    word a word for an event or for when)."""
    words = set(tokenize(question))
    return bool(words & GENERIC_WORDS) and words <= GENERIC_WORDS | _FILLER


def window(question: str, local_now: datetime) -> tuple[datetime, datetime] | None:
    """The stretch of days a question about events names, in the asker's own time
    (today, tomorrow, this or next week, the weekend); None for "whenever"."""
    words = set(tokenize(question))
    day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day - timedelta(days=day.weekday())
    if words & _TODAY:
        return local_now, day + timedelta(days=1)
    if words & _TOMORROW:
        return day + timedelta(days=1), day + timedelta(days=2)
    if words & _WEEKEND:
        saturday = monday + timedelta(days=5)
        return max(local_now, saturday), monday + timedelta(days=7)
    if words & _NEXT_WEEK or ("week" in words and "next" in words):
        return monday + timedelta(days=7), monday + timedelta(days=14)
    if words & _THIS_WEEK or "week" in words:
        return local_now, monday + timedelta(days=7)
    return None


_SIGN_UP = re.compile(
    r"\b(?:sign ?(?:me )?up|register|rsvp|book|enrol+|join|attend|go to|spots?|places?|seats?|"
    r"full)\b|报名|名额|参加|预约|满了",
    re.IGNORECASE,
)
_NOT_THE_CALENDAR = re.compile(
    r"\bevents? ?(?:listeners?|loops?|handlers?|driven|emitters?|bus|queues?|logs?|sourcing|"
    r"stud(?:y|ies)|data|times?|streams?|objects?|types?|probabilit(?:y|ies)|space|rates?)\b|"
    r"\b(?:independent|dependent|random|exclusive|dom|click|keyboard|mouse|rare|two|disjoint|"
    r"complementary|pandas|python|javascript|js) events?\b|事件|概率",
    re.IGNORECASE,
)


_HOW = frozenset(
    {
        *("how", "do", "can", "could", "sign", "signup", "up", "register", "rsvp", "book"),
        *("join", "attend", "go", "where", "time", "date", "day", "is", "are", "the", "an", "a"),
        *("怎么", "如何", "怎样", "报名", "参加", "预约", "在哪", "哪里", "时间"),
    }
)


def asks_about_an_event(question: str) -> bool:
    """ "what time is the data viz workshop on thursday?", "怎么报名周六的工作坊": when an
    event is, or how to sign up for one, whether or not the calendar holds it (such a
    question opened a thread when no event's title matched)."""
    if _NOT_THE_CALENDAR.search(question):
        return False
    words = set(tokenize(question))
    if {"office", "hour"} <= words or words & {"答疑", "ama"}:
        # "office hours", "下次SQL答疑" are events with no title word (the latter opened a
        # thread with three SQL experts invited when none was planned)
        words |= {"event"}
    if not words & GENERIC_WORDS or not words - GENERIC_WORDS - _FILLER - _HOW:
        return False  # "how do I sign up for an event?": the answer on signing up
    return asks_when(question) or bool(_SIGN_UP.search(question))


_RECORDING = re.compile(
    r"\b(?:record(?:ed|ing|ings)?|replays?|re-?watch|watch (?:\w+ ){0,3}(?:later|again|afterwards))\b"
    r"|回放|录像|录播|录屏|重播|录下来|录了",
    re.IGNORECASE,
)
_SHOWN_LIVE = frozenset(
    {*GENERIC_WORDS, "session", "live", "lecture", "stream", "talk", "ama", "office", "课", "分享"}
)


def asks_about_recording(question: str) -> bool:
    """ "are the live sessions recorded?", "直播有回放吗": whether (and where) an event's
    recording is; "how do I record audio in python?" is not."""
    if not _RECORDING.search(question) or _NOT_THE_CALENDAR.search(question):
        return False
    return bool(set(tokenize(question)) & _SHOWN_LIVE) or bool(re.search("回放|录播", question))
