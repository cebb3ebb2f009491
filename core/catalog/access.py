"""Plan gating: which plan codes a member holds now, checked against `Course.plan_codes`.

Reads the membership tables directly for now; the membership service may replace
`member_plan_codes` later without changing callers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.membership.state import LIVE_STATES

if TYPE_CHECKING:
    from core.engagement.rules import Scoring

from models.catalog import Course
from models.membership import Plan, Subscription


async def member_plan_codes(session: AsyncSession, member_id: int, now: datetime) -> set[str]:
    """Codes of the plans whose subscription is live and whose period (or grace) is not over."""
    return (await live_plan_codes(session, [member_id], now))[member_id]


async def live_plan_codes(
    session: AsyncSession, member_ids: list[int], now: datetime
) -> dict[int, set[str]]:
    """`member_plan_codes` for many members in one query (a digest chunk)."""
    rows = await session.execute(
        select(
            Subscription.member_id,
            Plan.code,
            Subscription.current_period_end,
            Subscription.grace_until,
        )
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(Subscription.member_id.in_(member_ids), Subscription.state.in_(LIVE_STATES))
    )
    codes: dict[int, set[str]] = {m: set() for m in member_ids}
    for member_id, code, period_end, grace_until in rows:
        ends = [d for d in (period_end, grace_until) if d is not None]
        if not ends or max(ends) > now:  # no end = lifetime
            codes.setdefault(member_id, set()).add(code)
    return codes


LEVEL_PREFIX = "level-"  # a plan code "level-3" opens the course to members at level 3+


def _level_code(code: str) -> int | None:
    tail = code[len(LEVEL_PREFIX) :]
    return int(tail) if code.startswith(LEVEL_PREFIX) and tail.isdecimal() else None


async def can_access(
    session: AsyncSession,
    member_id: int,
    course: Course,
    now: datetime,
    scoring: Scoring | None = None,
    *,
    codes: set[str] | None = None,
) -> bool:
    """Free courses are open; otherwise a live plan listed on the course, or a level code
    (levels by the community's points table, `scoring`; the default table without one).
    `codes`: the member's live plan codes when the caller read them already."""
    if not course.plan_codes:
        return True
    if codes is None:
        codes = await member_plan_codes(session, member_id, now)
    if set(course.plan_codes) & codes:
        return True
    levels = [n for n in map(_level_code, course.plan_codes) if n is not None]
    if levels:
        from core.engagement import rules, service

        await service.sync(session, None, member_id, scoring=scoring)
        total = (await service.totals(session)).get(member_id, 0)
        return rules.level_for(total, scoring)[0] >= min(levels)
    return False


async def plan_titles(session: AsyncSession, codes: list[str], locale: str) -> list[str]:
    """Human titles for plan codes (the code itself when the plan is not in the database)."""
    rows = {
        p.code: p
        for p in (await session.execute(select(Plan).where(Plan.code.in_(codes)))).scalars()
    }
    out = []
    for code in codes:
        p = rows.get(code)
        level = _level_code(code)
        if level is not None:
            from core.i18n import translate

            out.append(translate(locale, "catalog.level_unlock", level=level))
        elif p is None:
            out.append(code)
        else:
            out.append((p.title_zh if locale == "zh-CN" and p.title_zh else p.title_en) or code)
    return out
