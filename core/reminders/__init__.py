"""Reminders a member sets for themself: "/remind sat 9 do module 6", "remind me tomorrow
at 8 to review joins", "周六早上提醒我做第6课".

"thanks!! can you remind me on saturday morning to do module 6" was told the bot sets no
reminders. A reminder is one outbox row due at the time asked (the outbox already sends
exactly once, retries, and is wiped by /forget), so no table of its own: its dedupe key
names the member, and /remind lists and cancels the pending ones.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin.args import clean, parse_when
from core.digest.service import DAY_PARTS
from core.errors import BadArguments, DomainError
from core.i18n import translate
from core.localtime import zh_moment
from models.digest import Outbox
from models.member import Member

PREFIX = "remind:"
MAX_PENDING = 20
MAX_TEXT = 300
MAX_AHEAD = timedelta(days=366)
DEFAULT_HOUR = "9:00"
"""A day without a time ("remind me on saturday") is that day's morning."""

_PARTS_EN = {w: f"{h}:00" for w, h in DAY_PARTS.items() if w.isascii() and w != "tonight"}
_PART_EN = re.compile(
    r"\b(?:in the |this )?(" + "|".join(_PARTS_EN) + r")\b|\btonight\b", re.IGNORECASE
)
_PARTS_ZH = {w: int(h) for w, h in DAY_PARTS.items() if not w.isascii()}
"""The digest's parts of the day ("saturday morning" is 9:00); "tonight" is today's night."""
_PART_ZH = re.compile(r"(今晚)|(" + "|".join(_PARTS_ZH) + r")(?!\s*\d)")
_WHEN_ZH = re.compile(
    r"^(?:(?:今天|明天|后天|下?(?:周|星期|礼拜)[一二三四五六日天]|\d{1,2}月\d{1,2}[日号])?\s*"
    r"(?:早上|上午|早晨|中午|下午|傍晚|晚上|今晚)?\s*(?:\d{1,2}(?:[点:：](?:半|\d{1,2}分?)?)?)?"
    r"|\d{1,3}\s*(?:个)?(?:小时|分钟|天)后)"
)
_LEAD = re.compile(r"^(?:to|that|about|of|[:,，：])\s*", re.IGNORECASE)


class ReminderError(DomainError):
    """A reminder that cannot be set, with the member-facing reason."""


@dataclass(frozen=True)
class Pending:
    id: int
    at: datetime
    text: str


def _with_parts(text: str) -> str:
    """Parts of the day as times: "saturday morning" -> "saturday 9:00", "周六早上" ->
    "周六 09:00", "tonight" -> "today 20:00"."""

    def en(m: re.Match[str]) -> str:
        return "today 20:00" if m[1] is None else _PARTS_EN[m[1].lower()]

    def zh(m: re.Match[str]) -> str:
        return "今天 20:00" if m[1] else f" {_PARTS_ZH[m[2]]:02d}:00"

    return _PART_ZH.sub(zh, _PART_EN.sub(en, text))


def _moment(words: str, tz: str, now: datetime) -> datetime | None:
    said = " ".join(_with_parts(words).split()).rstrip(":,，：")
    if not said:
        return None
    for attempt in (said, f"{said} {DEFAULT_HOUR}"):
        try:
            return parse_when(attempt, tz, now)
        except BadArguments:
            continue
    return None


def split_request(text: str, tz: str, now: datetime) -> tuple[datetime, str] | None:
    """The moment a request names and what to be reminded of: the moment first ("sat 9
    do module 6", "on saturday morning to do module 6", "明天早上9点 复习SQL") or last ("do
    module 6 on saturday at 9"); None when no moment is named."""
    text = " ".join(clean(text).split()).rstrip("?？!！。. ")
    m = _WHEN_ZH.match(text)
    if m and m.group(0).strip() and (at := _moment(zh_moment(m.group(0)), tz, now)) is not None:
        return at, _LEAD.sub("", text[m.end() :].strip()).strip()
    words = text.split()
    for n in range(min(len(words), 6), 0, -1):
        if (at := _moment(" ".join(words[:n]), tz, now)) is not None:
            return at, _LEAD.sub("", " ".join(words[n:])).strip()
    for n in range(min(len(words) - 1, 6), 0, -1):
        tail = words[-n:]
        if tail[0].lower() not in ("on", "at", "in", "tomorrow", "today", "tonight", "next"):
            continue
        if (at := _moment(" ".join(tail), tz, now)) is not None:
            return at, _LEAD.sub("", " ".join(words[:-n])).strip()
    return None


async def pending(session: AsyncSession, member_id: int) -> list[Pending]:
    rows = (
        await session.execute(
            select(Outbox)
            .where(
                Outbox.member_id == member_id,
                Outbox.dedupe_key.like(f"{PREFIX}%"),
                Outbox.status == "pending",
            )
            .order_by(Outbox.not_before, Outbox.id)
        )
    ).scalars()
    return [Pending(r.id, r.not_before, str(r.payload.get("said", ""))) for r in rows]


async def create(
    session: AsyncSession, member: Member, at: datetime, said: str, now: datetime
) -> Outbox:
    """Queue the reminder; refused when past, too far ahead, too long or one too many."""
    from core.digest.outbox import enqueue

    if at <= now:
        raise ReminderError("reminders.past")
    if at - now > MAX_AHEAD:
        raise ReminderError("reminders.too_far")
    if len(said) > MAX_TEXT:
        raise ReminderError("reminders.too_long", limit=MAX_TEXT)
    if len(await pending(session, member.id)) >= MAX_PENDING:
        raise ReminderError("reminders.too_many", n=MAX_PENDING)
    text = translate(member.locale, "reminders.due", text=said) if said else None
    row = await enqueue(
        session,
        member_id=member.id,
        payload={
            "text": text or translate(member.locale, "reminders.due_plain"),
            "markup": "plain",
            "said": said,
        },
        dedupe_key=f"{PREFIX}{member.id}:{uuid.uuid4().hex[:16]}",
        not_before=at,
        now=now,
    )
    if row is None:  # no private chat to reach them in
        raise ReminderError("reminders.unreachable")
    return row


async def cancel(session: AsyncSession, member_id: int, row_id: int) -> Outbox | None:
    row = await session.get(Outbox, row_id)
    if (
        row is None
        or row.member_id != member_id
        or not (row.dedupe_key or "").startswith(PREFIX)
        or row.status != "pending"
    ):
        return None
    row.status = "cancelled"
    return row
