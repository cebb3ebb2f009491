"""Cohort digests: one digest per period posted to a cohort's channel or thread.

Communities that prefer a channel to mass DMs list `[[digest_channels]]` in the config: a
cohort (members with access to a plan, and/or of one language), where its digest goes
(`platform`, `channel_id`, `thread_id`), when (`frequency`, `weekday`, `hour` in the
community's timezone), and whether its members still get their personal DM digests
(`personal`). The routing decision is `channel_only()`: compose skips the personal digest of
a member whose every cohort has `personal = false`, and the drain cancels one still queued
(e.g. composed before the member joined such a cohort).

Content is not personal: what the cohort opened most in the last week (the newest courses
when it opened nothing), each with a link button. One outbox row per cohort and period
(dedupe key `cohort:<name>:<period>`), so composing twice posts once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import DigestChannelConfig, Settings
from core.context import Services
from core.digest import outbox
from core.digest.schedule import Prefs, due_now
from core.i18n import translate
from core.jobs import periodic
from core.membership.state import ACCESS_STATES
from core.replies import AnyReply
from models.catalog import Course
from models.digest import Outbox
from models.interaction import Interaction
from models.member import Member
from models.membership import Plan, Subscription

log = logging.getLogger("syllabot.digest.cohorts")

N_COURSES = 5
WINDOW = timedelta(days=7)
CHANNEL_ONLY = "cohort channel"  # why a personal digest was not sent (outbox last_error)


def target_of(ch: DigestChannelConfig) -> tuple[str, str]:
    """(platform, outbox target) of a cohort's channel."""
    if ch.platform == "discord":
        return "discord", f"channel:{ch.channel_id}"
    return "telegram", str(ch.channel_id)


async def members_of(session: AsyncSession, ch: DigestChannelConfig) -> list[int]:
    """Member ids in the cohort: access to `plan` (if set) and of `locale` (if set)."""
    q = select(Member.id).where(Member.forgotten_at.is_(None), Member.role != "banned")
    if ch.locale is not None:
        q = q.where(Member.locale == ch.locale)
    if ch.plan is not None:
        q = q.where(
            Member.id.in_(
                select(Subscription.member_id)
                .join(Plan, Plan.id == Subscription.plan_id)
                .where(
                    Plan.code == ch.plan, Subscription.state.in_([st.value for st in ACCESS_STATES])
                )
            )
        )
    return list((await session.execute(q)).scalars())


async def channel_only(
    session: AsyncSession, settings: Settings, member_ids: Iterable[int]
) -> set[int]:
    """Members whose digest goes to their cohort's channel only (no personal DM digest)."""
    ids = set(member_ids)
    quiet = [c for c in settings.digest_channels if not c.personal]
    if not ids or not quiet:
        return set()
    personal = [c for c in settings.digest_channels if c.personal]
    out: set[int] = set()
    for ch in quiet:
        out |= ids & set(await members_of(session, ch))
    for ch in personal:  # in a cohort that keeps personal digests too: they keep theirs
        out -= set(await members_of(session, ch))
    return out


async def popular(
    session: AsyncSession, member_ids: list[int], now: datetime, locale: str
) -> list[tuple[str, str]]:
    """(title, url) of what the cohort opened most lately; the newest courses otherwise."""
    visible = Course.hidden.is_(False)
    ranked: list[Course] = []
    if member_ids:
        n = func.count(Interaction.id)
        rows = await session.execute(
            select(Course, n)
            .join(Interaction, Interaction.course_id == Course.id)
            .where(visible, Interaction.member_id.in_(member_ids), Interaction.at >= now - WINDOW)
            .group_by(Course.id)
            .order_by(n.desc(), Course.id)
            .limit(N_COURSES)
        )
        ranked = [c for c, _ in rows.all()]
    if not ranked:
        newest = select(Course).where(visible).order_by(Course.id.desc()).limit(N_COURSES)
        ranked = list((await session.execute(newest)).scalars())
    return [((c.title_zh if locale == "zh-CN" and c.title_zh else c.title), c.url) for c in ranked]


def render(ch: DigestChannelConfig, locale: str, courses: list[tuple[str, str]]) -> dict[str, Any]:
    t = lambda key, **kw: translate(locale, key, **kw)  # noqa: E731
    lines = [t("cohort.header", name=ch.name), ""]
    lines += [f"{i}. {title}" for i, (title, _) in enumerate(courses, 1)]
    buttons = [
        [{"label": f"{i} {t('cohort.open')}", "url": url}]
        for i, (_, url) in enumerate(courses, 1)
        if url.startswith(("https://", "http://"))
    ]
    lines += ["", t("cohort.footer")]
    payload: dict[str, Any] = {"text": "\n".join(lines), "markup": "plain", "buttons": buttons[:5]}
    if ch.platform == "telegram" and ch.thread_id:
        payload["thread_id"] = str(ch.thread_id)
    return payload


async def compose_cohorts(services: Services, now: datetime | None = None) -> int:
    """Queue each cohort digest that is due and not queued yet; returns how many were queued."""
    now = now or services.clock.now()
    settings = services.settings
    queued = 0
    for ch in settings.digest_channels:
        due = due_now(Prefs(ch.frequency, ch.weekday, ch.hour, settings.timezone), now)
        if due is None:
            continue
        key = f"cohort:{ch.name}:{due.period_key}"
        locale = ch.locale or settings.locale
        async with services.session_factory() as s, s.begin():
            if await s.scalar(select(Outbox.id).where(Outbox.dedupe_key == key)) is not None:
                continue
            ids = await members_of(s, ch)
            courses = await popular(s, ids, now, locale)
            if not courses:
                continue
            platform, target = target_of(ch)
            await outbox.enqueue(
                s,
                platform=platform,
                target=target,
                payload=render(ch, locale, courses),
                dedupe_key=key,
                not_before=now,
                now=now,
            )
            queued += 1
    if queued:
        log.info("cohort digests queued: %d", queued)
    return queued


@periodic("digest.compose_cohorts", every=timedelta(minutes=5))
async def compose_cohorts_job(services: Services) -> list[AnyReply]:
    if services.settings.digest_channels:
        await compose_cohorts(services)
    return []
