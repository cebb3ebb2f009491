"""Broadcast segments: `plan=pro state=active lang=zh active=30 inactive=60 joined=7 ends=7
course=sql topic=machine-learning all` (also what /members lists).

Parsing is pure; `members_in` turns a segment into member ids. Forgotten members are never
in a segment, banned and unreachable ones only in a moderator's list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadArguments
from core.membership.state import LIVE_STATES
from models.catalog import Course
from models.interaction import Interaction
from models.member import Member
from models.membership import Plan, Subscription

KEYS = ("plan", "state", "lang", "active", "inactive", "joined", "ends", "course", "topic")


@dataclass(frozen=True)
class Segment:
    plan: str | None = None
    state: str | None = None
    lang: str | None = None
    active: int | None = None  # interacted in the last N days
    inactive: int | None = None  # no interaction in the last N days
    joined: int | None = None  # became a member in the last N days
    ends: int | None = None  # a live plan whose period ends within the next N days
    course: str | None = None
    topic: str | None = None  # a topic (tag slug) among the member's interests

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.as_dict().items()) or "all"


def parse(text: str) -> Segment:
    """Words of the form key=value (or the word `all`); anything else is refused."""
    values: dict[str, Any] = {}
    for word in text.split():
        if word.lower() == "all":
            continue
        key, sep, value = word.partition("=")
        key = key.lower()
        if not sep or key not in KEYS or not value or key in values:
            raise BadArguments("broadcast.bad_segment", word=word[:40])
        if key in {"active", "inactive", "joined", "ends"}:
            if not value.isdecimal() or not 1 <= int(value) <= 3660:
                raise BadArguments("broadcast.bad_segment", word=word[:40])
            values[key] = int(value)
        elif key == "lang":
            low = value.lower()
            if low not in {"en", "zh", "zh-cn"}:
                raise BadArguments("broadcast.bad_segment", word=word[:40])
            values[key] = "en" if low == "en" else "zh-CN"
        else:
            values[key] = value.lower()[:64]
    return Segment(**values)


def from_dict(d: dict[str, Any]) -> Segment:
    return Segment(**{k: v for k, v in d.items() if k in KEYS})


async def members_in(
    session: AsyncSession, seg: Segment, now: datetime, *, everyone: bool = False
) -> list[int]:
    """`everyone`: banned and unreachable members too (a moderator's list, not a send)."""
    q = select(Member.id).where(Member.forgotten_at.is_(None))
    if not everyone:
        q = q.where(Member.role != "banned", Member.reachable.is_(True))
    if seg.lang:
        q = q.where(Member.locale == seg.lang)
    if seg.joined is not None:
        q = q.where(Member.created_at >= now - timedelta(days=seg.joined))
    state = seg.state
    if state == "banned":  # a ban is the member's, whether or not they held a plan
        q = q.where(Member.role == "banned")
        state = None
    ids = set((await session.execute(q)).scalars().all())
    if seg.plan or state or seg.ends is not None:
        latest = await latest_plans(session)
        ids = {
            m
            for m in ids
            if (seg.plan is None or (m in latest and latest[m][0] == seg.plan))
            and (state is None or latest.get(m, ("", "none", None))[1] == state)
            and (seg.ends is None or _ends_within(latest.get(m), now, seg.ends))
        }
    if seg.active is not None:
        recent = set(
            (
                await session.execute(
                    select(Interaction.member_id)
                    .where(Interaction.at >= now - timedelta(days=seg.active))
                    .distinct()
                )
            )
            .scalars()
            .all()
        )
        ids &= recent
    if seg.inactive is not None:
        recent = set(
            (
                await session.execute(
                    select(Interaction.member_id)
                    .where(Interaction.at >= now - timedelta(days=seg.inactive))
                    .distinct()
                )
            )
            .scalars()
            .all()
        )
        ids -= recent
    if seg.topic:
        tagged = (
            await session.execute(select(Member.id, Member.tags).where(Member.id.in_(ids)))
        ).all()
        ids &= {mid for mid, tags in tagged if seg.topic in (tags or [])}
    if seg.course:
        took = set(
            (
                await session.execute(
                    select(Interaction.member_id)
                    .join(Course, Course.id == Interaction.course_id)
                    .where(Course.slug == seg.course)
                    .distinct()
                )
            )
            .scalars()
            .all()
        )
        ids &= took
    return sorted(ids)


def _ends_within(latest: tuple[str, str, datetime | None] | None, now: datetime, days: int) -> bool:
    """A live plan (trial, active, cancelled or past due) whose period ends in the next days."""
    if latest is None:
        return False
    _, state, end = latest
    return state in LIVE_STATES and end is not None and now <= end <= now + timedelta(days=days)


async def latest_plans(
    session: AsyncSession, member_ids: list[int] | None = None
) -> dict[int, tuple[str, str, datetime | None]]:
    """Each member's latest subscription (plan code, state, period end), as `plan=` and
    `state=` read it; every member's when `member_ids` is None."""
    q = (
        select(
            Subscription.member_id, Plan.code, Subscription.state, Subscription.current_period_end
        )
        .join(Plan, Plan.id == Subscription.plan_id)
        .order_by(Subscription.started_at)
    )
    if member_ids is not None:
        q = q.where(Subscription.member_id.in_(member_ids))
    return {m: (code, state, end) for m, code, state, end in (await session.execute(q)).all()}
