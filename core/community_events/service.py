"""Event rules: capacity-respecting RSVPs, one reminder per RSVP, attendance as an interaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin.args import parse_when
from core.errors import BadArguments, DomainError
from models.admin import CommunityEvent, EventRsvp
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Member

REMIND_BEFORE = timedelta(hours=1)
MAX_CAPACITY = 100_000


@dataclass(frozen=True)
class NewEvent:
    title: str
    starts_at: datetime
    link: str
    capacity: int


def is_link(text: str) -> bool:
    """An event's link or recording: a web address."""
    return text.startswith(("https://", "http://"))


def parse_new(text: str, now: datetime, tz: str | None = None) -> NewEvent:
    """`TITLE | YYYY-MM-DD HH:MM | LINK | CAPACITY` (link and capacity optional; the time in
    the zone `tz`, the moderator's, unless it ends in UTC)."""
    if "|" not in text and (said := _in_a_line(text, tz, now)) is not None:
        parts = said
    else:
        parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2 or not parts[0] or len(parts) > 4:
        raise BadArguments("events.usage_new")
    try:
        starts = parse_when(parts[1], tz, now)
        if len(parts) > 2 and parts[2].isdecimal():  # `Title | time | 20`: no link, a capacity
            parts, starts = _by_shape(parts, tz, now) or (parts, starts)
    except BadArguments:
        if (mixed := _by_shape(parts, tz, now)) is None:
            raise
        parts, starts = mixed
    title = parts[0][:200]
    if starts <= now:
        raise DomainError("events.in_past")
    link = parts[2] if len(parts) > 2 else ""
    if link and not is_link(link):
        raise DomainError("events.bad_link")
    cap_txt = parts[3] if len(parts) > 3 else "0"
    if not cap_txt.isdecimal() or int(cap_txt) > MAX_CAPACITY:
        raise DomainError("events.bad_capacity", max=MAX_CAPACITY)
    return NewEvent(title, starts, link[:500], int(cap_txt))


_LINK = re.compile(r"https?://\S+")
_CAPACITY = re.compile(
    r"(?i)(?:\b(?:cap(?:acity)?|max|for|limit)\s*[:=]?\s*(\d{1,5})"
    r"(?:\s*(?:seats|places|spots|people|members))?"
    r"|\b(\d{1,5})\s*(?:seats|places|spots|people|members)"
    r"|(?:最多|限|上限|名额|人数)\s*[:：]?\s*(\d{1,5})\s*(?:人|位|个名额)?"  # "最多 10 人"
    r"|(?<![\d:])(\d{1,5})\s*(?:人|位|个名额))\s*$"  # "10人"
)


def _in_a_line(text: str, tz: str | None, now: datetime) -> list[str] | None:
    """`/event new` written as a sentence, without bars: "Office hours: SQL tomorrow 6pm
    https://meet.example/abc 20 seats". The link and a capacity ("20", "max 20", "20
    seats", "最多 10 人", "10人") are taken out; the longest run of words at the end (or, failing that, at the
    start) that reads as a time is the time, the rest the title. None: no such split."""
    link = _LINK.search(text)
    rest = _LINK.sub(" ", text) if link else text
    rest = " ".join(rest.split())
    cap = "0"
    if m := _CAPACITY.search(rest):
        cap, rest = next(g for g in m.groups() if g), rest[: m.start()].strip()
    words = rest.split()
    tries = [words]
    if cap == "0" and len(words) > 2 and words[-1].isdecimal():  # "… tomorrow 6pm 20"
        tries.insert(0, words[:-1])
    for ws in tries:
        for i in range(1, len(ws)):  # the title keeps at least one word
            for title, when in ((ws[:i], ws[i:]), (ws[len(ws) - i :], ws[: len(ws) - i])):
                try:
                    parse_when(" ".join(when), tz, now)
                except BadArguments:
                    continue
                number = words[-1] if ws is not words else cap
                return [
                    " ".join(title).strip(" :-–,"),
                    " ".join(when),
                    link.group(0) if link else "",
                    number,
                ]
    return None


def _by_shape(parts: list[str], tz: str | None, now: datetime) -> tuple[list[str], datetime] | None:
    """The fields in another order (`18:00 | Title`, `Title | 20 | 2026-03-10 18:00`), told
    apart by their shape: a link, a number, a time; the one left is the title. None when
    that does not leave exactly one of each."""
    title, when, link, cap = [], [], [], []
    for p in parts:
        if is_link(p):
            link.append(p)
        elif p.isdecimal():
            cap.append(p)
        else:
            try:
                when.append((p, parse_when(p, tz, now)))
            except BadArguments:
                title.append(p)
    if len(title) != 1 or len(when) != 1 or len(link) > 1 or len(cap) > 1:
        return None
    return [title[0], when[0][0], link[0] if link else "", cap[0] if cap else "0"], when[0][1]


async def signed_up(session: AsyncSession, event_id: int) -> tuple[int, int]:
    """How many are going, and how many wait, in one query."""
    counts = dict(
        (
            await session.execute(
                select(EventRsvp.waitlisted, func.count(EventRsvp.id))
                .where(EventRsvp.event_id == event_id)
                .group_by(EventRsvp.waitlisted)
            )
        ).all()
    )
    return counts.get(False, 0), counts.get(True, 0)


async def going(session: AsyncSession, event_id: int) -> int:
    return (await signed_up(session, event_id))[0]


async def place_in_line(session: AsyncSession, row: EventRsvp) -> int:
    """1 for the first on the waiting list."""
    return (
        await session.execute(
            select(func.count(EventRsvp.id)).where(
                EventRsvp.event_id == row.event_id,
                EventRsvp.waitlisted.is_(True),
                (EventRsvp.created_at < row.created_at)
                | ((EventRsvp.created_at == row.created_at) & (EventRsvp.id <= row.id)),
            )
        )
    ).scalar_one()


@dataclass(frozen=True)
class Rsvp:
    going: bool
    """False: on the waiting list, at `place`."""
    place: int = 0


async def _locked_event(session: AsyncSession, event_id: int) -> CommunityEvent | None:
    """The event row, locked: RSVPs, leaving and promotions take turns, so a freed place
    goes to one member and a full event never takes one too many."""
    return (
        await session.execute(
            select(CommunityEvent).where(CommunityEvent.id == event_id).with_for_update()
        )
    ).scalar_one_or_none()


async def _row(session: AsyncSession, event_id: int, member_id: int) -> EventRsvp | None:
    return (
        await session.execute(
            select(EventRsvp).where(
                EventRsvp.event_id == event_id, EventRsvp.member_id == member_id
            )
        )
    ).scalar_one_or_none()


async def rsvp(session: AsyncSession, event_id: int, member_id: int, now: datetime) -> Rsvp:
    """Going, or on the waiting list when the event is full (asking again changes nothing)."""
    ev = await _locked_event(session, event_id)
    if ev is None or ev.cancelled_at is not None:
        raise DomainError("events.unknown")
    if ev.starts_at <= now:
        raise DomainError("events.started")
    row = await _row(session, event_id, member_id)
    if row is None:
        full = bool(ev.capacity) and await going(session, event_id) >= ev.capacity
        try:
            async with session.begin_nested():
                row = EventRsvp(
                    event_id=event_id, member_id=member_id, created_at=now, waitlisted=full
                )
                session.add(row)
                await session.flush()
        except IntegrityError:  # the same member twice at once: the other press won
            row = await _row(session, event_id, member_id)
            assert row is not None
    if not row.waitlisted:
        return Rsvp(True)
    return Rsvp(False, await place_in_line(session, row))


async def unrsvp(
    session: AsyncSession, event_id: int, member_id: int, now: datetime
) -> tuple[str | None, int | None]:
    """Leave the event ("going") or its waiting list ("waiting"); None: nothing to leave.
    Also returns the member who takes a freed place: the first on the waiting list."""
    ev = await _locked_event(session, event_id)
    row = await _row(session, event_id, member_id)
    if ev is None or row is None or row.attended_at is not None:
        return None, None
    left = "waiting" if row.waitlisted else "going"
    await session.delete(row)
    await session.flush()
    if left == "waiting" or ev.cancelled_at is not None or ev.starts_at <= now:
        return left, None
    if ev.capacity and await going(session, event_id) >= ev.capacity:
        return left, None
    first = (
        await session.execute(
            select(EventRsvp)
            .join(Member, Member.id == EventRsvp.member_id)
            .where(
                EventRsvp.event_id == event_id,
                EventRsvp.waitlisted.is_(True),
                Member.role != "banned",  # a banned member's place in line is not honoured
            )
            .order_by(EventRsvp.created_at, EventRsvp.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if first is None:
        return left, None
    first.waitlisted = False
    await session.flush()
    return left, first.member_id


async def release_places(
    session: AsyncSession, member_id: int, now: datetime
) -> list[tuple[CommunityEvent, int]]:
    """A member who can no longer come (banned, data erased) gives up their places in
    upcoming events and on their waiting lists; each freed place goes to the next in line.
    Returns (event, member who now has the place) pairs."""
    events = (
        await session.execute(
            select(EventRsvp.event_id)
            .join(CommunityEvent, CommunityEvent.id == EventRsvp.event_id)
            .where(
                EventRsvp.member_id == member_id,
                EventRsvp.attended_at.is_(None),
                CommunityEvent.starts_at > now,
                CommunityEvent.cancelled_at.is_(None),
            )
        )
    ).scalars()
    out: list[tuple[CommunityEvent, int]] = []
    for event_id in list(events):
        _, promoted = await unrsvp(session, event_id, member_id, now)
        if promoted is not None:
            out.append((await session.get_one(CommunityEvent, event_id), promoted))
    return out


async def mark_attended(
    session: AsyncSession, ev: CommunityEvent, member_id: int, now: datetime
) -> bool:
    """Record attendance once (RSVP row + `event_attended` interaction for the recommender)."""
    row = (
        await session.execute(
            select(EventRsvp).where(EventRsvp.event_id == ev.id, EventRsvp.member_id == member_id)
        )
    ).scalar_one_or_none()
    if row is None:
        row = EventRsvp(event_id=ev.id, member_id=member_id, created_at=now)
        session.add(row)
    elif row.attended_at is not None:
        return False
    row.attended_at = now
    row.waitlisted = False  # they came: whatever the list said
    session.add(
        Interaction(
            member_id=member_id,
            kind="event_attended",
            weight=KIND_WEIGHTS["event_attended"],
            at=now,
            source="event",
            meta={"event_id": ev.id},
        )
    )
    await session.flush()
    return True
