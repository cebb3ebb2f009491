"""/week: a day-by-day plan of the member's lessons for the next seven days."""

from __future__ import annotations

import re

from core.catalog import service, week_plan
from core.context import Context
from core.qa import help_answers
from core.replies import AnyReply, Reply
from core.router import command


def _time(ctx: Context, minutes: int) -> str:
    if minutes % 60 == 0 or minutes > 90:
        return ctx.t("catalog.week_hours", h=service.hours(minutes))
    return ctx.t("catalog.week_minutes", m=minutes)


def _said(ctx: Context, week: list[int]) -> str:
    """The time per day, as the member might have said it: "1 h on weekdays, 3 h on Saturday"."""
    if len(set(week)) == 1:
        return ctx.t("catalog.week_every_day", time=_time(ctx, week[0]))
    parts = []
    if len(set(week[:5])) == 1 and week[0]:
        parts.append(ctx.t("catalog.week_weekdays", time=_time(ctx, week[0])))
        rest = [5, 6]
    else:
        rest = list(range(7))
    for d in rest:
        if week[d]:
            parts.append(f"{ctx.t(f'digest.weekday_{d}')} {_time(ctx, week[d])}")
    return ", ".join(parts) or ctx.t("catalog.week_none_time")


async def show(ctx: Context, args: str) -> list[AnyReply]:
    said = week_plan.availability(args) if args.strip() else None
    if args.strip() and said is None:
        return [Reply(ctx.t("usage.week"))]
    if said is not None:
        week_plan.remember(ctx.member, said)
    week = said or week_plan.said_of(ctx.member)
    source = "said" if week is not None else "profile" if ctx.member.weekly_minutes else "assumed"
    if week is None:  # the profile's weekly time, or half an hour a day
        weekly = ctx.member.weekly_minutes
        week = week_plan.from_weekly(weekly) if weekly else [week_plan.DAILY_DEFAULT] * 7
    if not any(week):
        return [Reply(ctx.t("usage.week"))]
    planned = await week_plan.plan(ctx.session, ctx.member, week, ctx.clock.now())
    if not any(d.lessons for d in planned.days) and not planned.left_lessons:
        # finished, or closed: not "not taking any course yet"
        return [Reply(ctx.t(await service.nothing_next(ctx.session, ctx.member.id)))]
    total = sum(d.used for d in planned.days)
    n = sum(len(d.lessons) for d in planned.days)
    lines = [ctx.t("catalog.week_head", n=n, time=_time(ctx, total), said=_said(ctx, week))]
    for d in planned.days:
        day = f"{ctx.t(f'digest.weekday_{d.day.weekday()}')} {d.day:%m-%d}"
        if not d.lessons:
            lines.append(f"{day}: {ctx.t('catalog.week_free')}")
            continue
        items = "; ".join(
            f"{service.course_title(c, ctx.locale)} · {service.lesson_title(ls, ctx.locale)}"
            f" ({_time(ctx, m)})"
            for c, ls, m in d.lessons
        )
        lines.append(f"{day}: {items}")
    if any(d.used > d.minutes for d in planned.days):
        lines.append(ctx.t("catalog.week_longer"))
    if planned.left_lessons:
        lines.append(
            ctx.t(
                "catalog.week_left",
                n=planned.left_lessons,
                time=_time(ctx, planned.left_minutes),
                weeks=max(1, -(-planned.left_minutes // max(sum(week), 1))),
            )
        )
    else:
        lines.append(ctx.t("catalog.week_all_done"))
    if source == "profile":
        per_week = _time(ctx, ctx.member.weekly_minutes or 0)
        lines.append(ctx.t("catalog.week_from_profile", time=per_week))
    else:
        lines.append(ctx.t("catalog.week_assumed" if source == "assumed" else "catalog.week_hint"))
    return [Reply("\n".join(lines))]


@command("week", help_key="help.week", usage_key="usage.week", private_only=True)
async def week_cmd(ctx: Context, args: str) -> list[AnyReply]:
    return await show(ctx, args)


_ASKED = re.compile(
    r"\b(?:plan|schedule|organi[sz]e|map out)\b[^.?!]{0,12}\b(?:my|this|the|a|next) ?(?:study )?"
    r"(?:week|weekly schedule|days?)\b|\bstudy (?:plan|schedule)\b|\bday[- ]by[- ]day (?:plan|"
    r"schedule)\b|\bweekly (?:study )?(?:plan|schedule)\b"
    r"|学习计划|(?:安排|规划|计划)(?:一下)?(?:我的)?(?:这周|本周|下周|一周|每天)(?:的)?(?:学习)?",
    re.IGNORECASE,
)


_ARRANGE = re.compile(
    r"帮我(?:排|安排|规划|计划)|排一下|安排一下|\b(?:plan|schedule|organi[sz]e) (?:it|them|that|my "
    r"lessons|my studying) (?:out )?for me\b",
    re.IGNORECASE,
)
"""With a time said: "这周我每天有两个小时，帮我排一下" (it was posted for the forum)."""


@help_answers.lookup
async def week_asked(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "can you help me plan my week? i have maybe 1h on weekdays and 3h saturday"."""
    if ctx.event.chat.kind != "private":
        return None
    said = week_plan.availability(question)
    if not _ASKED.search(question) and not (said is not None and _ARRANGE.search(question)):
        return None
    return await show(ctx, question if said is not None else "")
