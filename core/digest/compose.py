"""Compose digests: gather items, render them in the member's language, queue them.

Composing and sending are separate steps. `compose_due` writes, per member, one Digest row
(UNIQUE member + period) and its outbox row in the same transaction: either both exist or
neither, so a crash before commit means "compose again", after it means "send later".
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog import topics
from core.catalog.access import live_plan_codes
from core.catalog.topics import Topics
from core.context import Services
from core.digest import outbox, providers
from core.digest.providers import Item
from core.digest.schedule import Prefs, due_now
from core.i18n import normalize_locale, translate
from core.members import moderators
from models.catalog import Course
from models.db import conflict_insert
from models.digest import Digest, Outbox
from models.member import Account, Member

log = logging.getLogger("syllabot.digest.compose")

N_COURSES = 3
MAX_PER_RUN = 2000  # digests composed per periodic run (see compose_due)
EXPLORE_EPSILON = 0.1  # share of digests whose last suggestion slot explores
KIND_CODES = {"course": "c", "peer": "p", "question": "q", "event": "e", "nudge": "n"}
CODE_KINDS = {v: k for k, v in KIND_CODES.items()}
SECTION_ORDER = ("streak", "course", "nudge", "peer", "question", "event", "staff")
INFO_ONLY = {"streak", "staff"}  # lines without buttons (nothing to open or rate)


def prefs_of(m: Member) -> Prefs:
    return Prefs(
        frequency=m.digest_frequency or "weekly",
        weekday=m.digest_weekday or 0,
        hour=m.digest_hour if m.digest_hour is not None else 9,
        timezone=m.timezone or "UTC",
        quiet_start=m.quiet_start,
        quiet_end=m.quiet_end,
    )


@dataclass
class Rendered:
    items: list[Item]
    text: str
    buttons: list[list[dict[str, str]]] = field(default_factory=list)

    def payload(self, digest_id: int) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": self.buttons,
            "markup": "plain",
            "digest_id": digest_id,
        }


@dataclass
class Prefetch:
    """What composing many digests reads once per chunk instead of once per member."""

    questions: list[Any] | None = None
    answered_in: dict[int, set[str]] | None = None  # member -> languages they answered in
    progress: dict[int, list[Any]] | None = None
    seen: dict[int, set[int]] | None = None
    events: list[Any] | None = None
    courses: list[Any] | None = None  # (id, title, title_zh, url) of visible courses
    # member -> merged params of the running "digest" experiments they are in, and labels
    params: dict[int, dict[str, Any]] = field(default_factory=dict)
    arms: dict[int, list[str]] = field(default_factory=dict)
    # member -> course suggestions from one batch call of the recommender (recommend_many)
    recs: dict[int, list[Item]] | None = None
    # member -> study partners from one batch call of the recommender (peers_many)
    peers: dict[int, list[Item]] | None = None
    # lesson counts and rows of the courses the chunk's members are part-way through
    facts: providers.CourseFacts | None = None
    names: Topics | None = None  # topic titles, for the reasons the items give
    staff: set[int] | None = None  # moderators and owners, read once (see _is_staff)
    plans: dict[int, set[str]] | None = None  # member -> live plan codes (for the nudges)

    @classmethod
    async def load(cls, session: AsyncSession, member_ids: list[int], now: datetime) -> Prefetch:
        progress = await providers.progress_rows(session, member_ids)
        return cls(
            questions=await providers.recent_open_questions(session),
            answered_in=await providers.answered_languages(session, member_ids),
            names=await topics.load(session),
            progress=progress,
            facts=await providers.CourseFacts.for_progress(session, progress),
            plans=await live_plan_codes(session, member_ids, now),
            seen=await providers.seen_courses(session, member_ids),
            events=await providers.upcoming_event_rows(session, now),
            courses=list(
                (
                    await session.execute(
                        select(Course.id, Course.title, Course.title_zh, Course.url)
                        .where(Course.hidden.is_(False))
                        .order_by(Course.id)
                    )
                ).all()
            ),
            **await _experiment_params(session, member_ids, now),
        )


async def _experiment_params(
    session: AsyncSession, member_ids: list[int], now: datetime
) -> dict[str, Any]:
    """Running experiments that target digests: each member's variant (sticky, recorded)."""
    from core.experiments import service as experiments

    params: dict[int, dict[str, Any]] = {}
    arms: dict[int, list[str]] = {}
    running = [
        *await experiments.running_for(session, "digest"),
        *await experiments.running_for(session, "recommend"),
    ]
    for exp in running:
        for mid, variant in (await experiments.assign_many(session, exp, member_ids, now)).items():
            params.setdefault(mid, {}).update(variant.params)
            arms.setdefault(mid, []).append(f"{exp.name}={variant.name}")
    return {"params": params, "arms": arms}


async def gather_items(
    session: AsyncSession,
    services: Services,
    member: Member,
    now: datetime,
    locale: str,
    pre: Prefetch | None = None,
) -> list[Item]:
    """Everything worth telling this member now, each section optional."""
    pre = pre or Prefetch()
    items: list[Item] = []
    rec = providers.recommender(services)
    seen = pre.seen.get(member.id, set()) if pre.seen is not None else None
    n_courses = _n_courses(pre.params.get(member.id, {}))
    if not member.recommend_opt_out and n_courses:
        if pre.recs is not None and member.id in pre.recs:
            picks = list(pre.recs[member.id])
        else:
            picks = list(
                await _safe(rec, "recommend_for", session, member, n_courses, locale, seen)
            )
        picks = picks[:n_courses]
        if pre.courses is not None:
            picks = explore(member.id, now, picks, pre.courses, seen or set(), locale)
        items += picks
    progress = pre.progress.get(member.id, []) if pre.progress is not None else None
    plans = pre.plans.get(member.id) if pre.plans is not None else None
    items += await providers.progress_nudges(
        session, member, now, locale, rows=progress, facts=pre.facts, plans=plans
    )
    if member.peer_opt_in:
        if pre.peers is not None and member.id in pre.peers:
            items += pre.peers[member.id][:1]
        else:
            items += list(await _safe(rec, "peers_for", session, member, 1, locale, None))[:1]
    answered_in = None if pre.answered_in is None else pre.answered_in.get(member.id, set())
    items += await providers.open_questions(
        session, member, now, locale, rows=pre.questions, names=pre.names, answered_in=answered_in
    )
    items += await providers.upcoming_events(session, member, now, locale, rows=pre.events)
    sections = sorted(providers.SECTIONS.items())
    if providers.STAFF_SECTIONS and await _is_staff(session, services, member, pre):
        sections += sorted(providers.STAFF_SECTIONS.items())
    for name, fn in sections:
        try:
            async with session.begin_nested():
                items += list(await fn(session, member, now, locale))[:3]
        except Exception:  # noqa: BLE001 - another feature's section must not stop the digest
            log.exception("digest section %s failed for member %s", name, member.id)
    order = {k: i for i, k in enumerate(_section_order(pre.params.get(member.id, {})))}
    return sorted(items, key=lambda it: order.get(it.kind, len(order)))


async def _is_staff(
    session: AsyncSession, services: Services, member: Member, pre: Prefetch
) -> bool:
    """Moderators and owners, by role or by the settings, as for moderators' notices."""
    if pre.staff is None:
        pre.staff = {m.id for m in await moderators(session, services)}
    return member.id in pre.staff


def explore(
    member_id: int,
    now: datetime,
    picks: list[Item],
    pool: list[Any],
    seen: set[int],
    locale: str,
    epsilon: float = EXPLORE_EPSILON,
) -> list[Item]:
    """Epsilon-greedy on the last suggestion slot, with its propensity recorded.

    With probability `epsilon` the last slot shows a uniformly drawn course the member has
    not met instead of the recommender's pick, so later logs can evaluate other strategies
    (core/experiments/replay.py) and the recommender learns about items it would not show.
    Seeded by member and day: composing again gives the same digest."""
    if not picks or epsilon <= 0:
        return picks
    shown = {p.ref for p in picks}
    candidates = [c for c in pool if c[0] not in shown and c[0] not in seen]
    if not candidates:
        return picks
    rng = random.Random(f"explore:{member_id}:{now.date().isoformat()}")
    if rng.random() >= epsilon:
        return [*picks[:-1], replace(picks[-1], propensity=1.0 - epsilon)]
    cid, title, title_zh, url = rng.choice(candidates)
    shown_title = title_zh if locale == "zh-CN" and title_zh else title
    pick = Item(
        "course",
        cid,
        shown_title,
        translate(locale, "digest.why_explore"),
        url or "",
        propensity=epsilon / len(candidates),
    )
    return [*picks[:-1], pick]


async def batch_recommendations(
    session: AsyncSession, services: Services, members: list[Member], pre: Prefetch
) -> dict[int, list[Item]] | None:
    """Course suggestions for a chunk of members in one recommender pass.

    Members in a running experiment (their variant may change how many suggestions or
    which strategy) and a recommender without ``recommend_many`` keep the per-member path;
    if the batch call fails, every member falls back to it (and from there to the built-in
    recommender), so a digest still goes."""
    many = getattr(providers.recommender(services), "recommend_many", None)
    if many is None:
        return None
    want = [m for m in members if not m.recommend_opt_out and not pre.arms.get(m.id)]
    if not want:
        return None
    try:
        async with session.begin_nested():
            got: dict[int, list[Item]] | None = await many(session, want, N_COURSES)
            return got
    except Exception:  # noqa: BLE001 - the per-member path (and its fallback) still answers
        log.exception("batch recommendations failed for %d members", len(want))
        return None


async def batch_peers(
    session: AsyncSession, services: Services, members: list[Member]
) -> dict[int, list[Item]] | None:
    """Study partners for a chunk's opted-in members in one recommender pass, in chunk order
    (each pick still counts against the next: no repeated pair, the per-member cap).

    A recommender without ``peers_many`` keeps the per-member path; if the batch fails,
    nothing it wrote stays (savepoint) and every member falls back to that path."""
    many = getattr(providers.recommender(services), "peers_many", None)
    want = [m for m in members if m.peer_opt_in]
    if many is None or not want:
        return None
    try:
        async with session.begin_nested():
            got: dict[int, list[Item]] | None = await many(session, want, 1)
            return got
    except Exception:  # noqa: BLE001 - the per-member path (and its fallback) still answers
        log.exception("batch study partners failed for %d members", len(want))
        return None


def policy_label(services: Services, arms: list[str]) -> str:
    """Which policy chose the suggestions: the recommender, plus any experiment arms."""
    name = type(providers.recommender(services)).__name__
    return ";".join([name, *arms])[:64]


def _section_order(params: dict[str, Any]) -> tuple[str, ...]:
    """Section order (an experiment may put some sections first)."""
    from core.experiments.variants import section_order

    return section_order(params, SECTION_ORDER)


async def _variant_hours(factory: Any, member_ids: list[int], now: datetime) -> dict[int, int]:
    """Send hours set by running digest experiments (members assigned before their first
    digest of the experiment is due)."""
    from core.experiments.variants import send_hours

    if not member_ids:
        return {}
    async with factory() as s, s.begin():
        return await send_hours(s, member_ids, now)


def _n_courses(params: dict[str, Any]) -> int:
    """How many suggestions (an experiment may vary it; kept to 0..8)."""
    try:
        return max(0, min(8, int(params.get("n_courses", N_COURSES))))
    except (TypeError, ValueError):
        return N_COURSES


async def _safe(
    rec: providers.RecommenderPort,
    method: str,
    session: AsyncSession,
    member: Member,
    k: int,
    locale: str,
    seen: set[int] | None,
) -> list[Item]:
    """Ask the recommender; if it fails, the built-in fallback answers (a digest still goes)."""
    fallback = _FALLBACK
    try:
        if isinstance(rec, providers.FallbackRecommender):
            if method == "recommend_for":
                return list(await rec.recommend_for(session, member, k, locale, seen=seen))
            return list(await rec.peers_for(session, member, k, locale))
        async with session.begin_nested():  # a failed query must not poison our transaction
            return list(await getattr(rec, method)(session, member, k, locale))
    except Exception:  # noqa: BLE001 - another feature's failure must not stop digests
        log.exception("recommender %s failed for member %s; using the fallback", method, member.id)
    if method == "recommend_for":
        return list(await fallback.recommend_for(session, member, k, locale, seen=seen))
    return list(await fallback.peers_for(session, member, k, locale))


_FALLBACK = providers.FallbackRecommender()


def render(
    services: Services,
    member: Member,
    items: list[Item],
    digest_id: int,
    locale: str,
    params: dict[str, Any] | None = None,
) -> Rendered:
    """Text plus one button row per item: open, 👍, 👎, not interested (signed callbacks).

    `params` are the member's digest-experiment parameters (layout=compact: no section
    headers and no reasons)."""
    from core.experiments.variants import compact as _compact

    compact = _compact(params or {})
    t = lambda key, **kw: translate(locale, key, **kw)  # noqa: E731
    lines = [t("digest.header", name=member.display_name or "")]
    rows: list[list[dict[str, str]]] = []
    current = None
    for n, it in enumerate(items, 1):
        if it.kind != current and not compact:
            current = it.kind
            lines.append("")
            lines.append(t(f"digest.section_{it.kind}"))
        line = f"{n}. {it.title}"
        if it.reason and not compact:
            line += f" — {it.reason}"
        lines.append(line)
        if it.kind in INFO_ONLY:
            continue
        code = KIND_CODES.get(it.kind, "x")
        sign = services.signer.encode
        rows.append(
            [
                {
                    "label": f"{n} {t('digest.btn_open')}",
                    "data": sign("dg", "o", digest_id, code, it.ref),
                },
                {"label": f"{n} 👍", "data": sign("dg", "u", digest_id, code, it.ref)},
                {"label": f"{n} 👎", "data": sign("dg", "d", digest_id, code, it.ref)},
                {
                    "label": f"{n} {t('digest.btn_not_interested')}",
                    "data": sign("dg", "x", digest_id, code, it.ref),
                },
            ]
        )
    lines.append("")
    lines.append(t("digest.footer"))
    return Rendered(items, "\n".join(lines).strip(), rows)


async def build(
    session: AsyncSession,
    services: Services,
    member: Member,
    now: datetime,
    digest_id: int = 0,
    pre: Prefetch | None = None,
) -> Rendered:
    locale = normalize_locale(member.locale)
    items = await gather_items(session, services, member, now, locale, pre)
    return render(
        services, member, items, digest_id, locale, pre.params.get(member.id) if pre else None
    )


@dataclass
class ComposeReport:
    due: int = 0
    composed: int = 0
    queued: int = 0
    empty: int = 0
    skipped: int = 0  # already composed (by us earlier or by another process)
    deferred: int = 0  # due but left for the next run (max_members)
    channel_only: int = 0  # due, but their digest is their cohort's channel post (no DM)


def _insert(session: AsyncSession, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's dialect (both support RETURNING)."""
    return conflict_insert(session.get_bind().dialect.name, model)


async def compose_chunk(
    session: AsyncSession,
    services: Services,
    part: list[tuple[Member, str]],
    now: datetime,
    pre: Prefetch | None = None,
) -> Counter[str]:
    """Digest rows + outbox rows for many members, in the caller's transaction.

    Content is gathered first (reads only); then one INSERT of digests that skips any
    (member, period) already composed (by us earlier, or by another process right now) and
    one INSERT of outbox rows for exactly the digests this call created."""
    out: Counter[str] = Counter()
    prepared: dict[int, tuple[Member, str, list[Item], str, Account | None]] = {}
    for member, key in part:
        await asyncio.sleep(0)  # let the adapters' handlers run between members
        locale = normalize_locale(member.locale)
        items = await gather_items(session, services, member, now, locale, pre)
        acc = outbox.pick_account(member) if member.reachable else None
        status = "empty" if not items else "queued" if acc is not None else "no_route"
        prepared[member.id] = (member, key, items, status, acc)
    if not prepared:
        return out
    rows = [
        {
            "member_id": m.id,
            "period_key": key,
            "content": {
                "items": [i.as_dict() for i in items],
                "locale": normalize_locale(m.locale),
            },
            "status": status,
            "created_at": now,
        }
        for m, key, items, status, _ in prepared.values()
    ]
    # Core inserts with a parameter list: one cached statement sent as multi-row batches
    # (insertmanyvalues), instead of compiling a new 200-row VALUES per chunk
    digests = Digest.__table__
    created = (
        await session.execute(
            _insert(session, digests)
            .on_conflict_do_nothing(index_elements=["member_id", "period_key"])
            .returning(digests.c.id, digests.c.member_id),
            rows,
        )
    ).all()
    out["skipped"] = len(prepared) - len(created)
    queue = []
    for digest_id, mid in created:
        m, key, items, status, acc = prepared[mid]
        out[status] += 1
        dm = outbox.dm_target(acc) if acc is not None else None
        if status != "queued" or acc is None or dm is None:
            continue
        variant = pre.params.get(m.id) if pre else None
        rendered = render(services, m, items, digest_id, normalize_locale(m.locale), variant)
        row = outbox.new_row(
            member_id=m.id,
            platform=acc.platform,
            target=dm,
            payload=rendered.payload(digest_id),
            dedupe_key=f"digest:{m.id}:{key}",
            not_before=now,
            now=now,
        )
        queue.append(
            {
                c: getattr(row, c)
                for c in (
                    "dedupe_key",
                    "member_id",
                    "platform",
                    "target",
                    "payload",
                    "not_before",
                    "attempts",
                    "status",
                    "last_error",
                    "created_at",
                )
            }
        )
    exposures = [
        {
            "member_id": mid,
            "course_id": it.ref,
            "position": pos,
            "policy": policy_label(services, pre.arms.get(mid, []) if pre else []),
            "propensity": it.propensity,
            "source": "digest",
            "context": {"digest_id": digest_id},
            "at": now,
        }
        for digest_id, mid in created
        for pos, it in enumerate(i for i in prepared[mid][2] if i.kind == "course")
    ]
    if exposures:
        from sqlalchemy import insert

        from models.experiments import Exposure

        await session.execute(insert(cast(Table, Exposure.__table__)), exposures)
    if queue:
        await session.execute(
            _insert(session, Outbox.__table__).on_conflict_do_nothing(
                index_elements=["dedupe_key"]
            ),
            queue,
        )
    return out


async def compose_due(
    services: Services,
    *,
    now: datetime | None = None,
    chunk: int = 200,
    only: set[int] | None = None,
    max_members: int | None = None,
) -> ComposeReport:
    """Compose and queue every digest due at `now` that is not composed yet.

    `max_members` bounds one run (the periodic job passes MAX_PER_RUN): the rest stay due
    and the next run, minutes later, takes them, so a slow recommender delays some digests
    a little instead of holding the process for a long stretch."""
    now = now or services.clock.now()
    report = ComposeReport()
    factory = services.session_factory
    async with factory() as s:
        q = select(
            Member.id,
            Member.digest_frequency,
            Member.digest_weekday,
            Member.digest_hour,
            Member.timezone,
            Member.quiet_start,
            Member.quiet_end,
            Member.created_at,
        ).where(
            Member.digest_frequency != "off",
            Member.reachable.is_(True),
            Member.forgotten_at.is_(None),
            Member.role != "banned",
        )
        if only is not None:
            q = q.where(Member.id.in_(only))
        candidates = (await s.execute(q)).all()
        have = set(
            (
                await s.execute(
                    select(Digest.member_id, Digest.period_key).where(
                        Digest.created_at >= now - timedelta(days=10)
                    )
                )
            ).all()
        )
    hours = await _variant_hours(factory, [c[0] for c in candidates], now)
    todo: list[tuple[int, str]] = []
    for mid, freq, wd, hour, tz, qs, qe, joined in candidates:
        hour = hours.get(mid, hour)  # a digest experiment may move the send hour
        due = due_now(Prefs(freq, wd or 0, 9 if hour is None else hour, tz or "UTC", qs, qe), now)
        if due is None or due.due_at < joined:
            # sent late only to those who were members at its time: a newcomer got last
            # Monday's digest five minutes after the interview, at midnight, while /digest
            # said the next one was the coming Monday
            continue
        report.due += 1
        if (mid, due.period_key) in have:
            report.skipped += 1
            continue
        todo.append((mid, due.period_key))
    if services.settings.digest_channels and todo:
        # the drain would cancel their DM anyway: not composing it saves the work (and keeps
        # course suggestions from being logged as shown); the drain still checks at send
        from core.digest.cohorts import channel_only

        async with factory() as s:
            quiet = await channel_only(s, services.settings, [mid for mid, _ in todo])
        if quiet:
            report.channel_only = sum(1 for mid, _ in todo if mid in quiet)
            todo = [(mid, key) for mid, key in todo if mid not in quiet]
    if max_members is not None and len(todo) > max_members:
        report.deferred = len(todo) - max_members
        todo = todo[:max_members]
    for i in range(0, len(todo), chunk):
        part = todo[i : i + chunk]
        async with factory() as s, s.begin():
            members = {
                m.id: m
                for m in (
                    await s.execute(select(Member).where(Member.id.in_([mid for mid, _ in part])))
                )
                .scalars()
                .all()
            }
            pre = await Prefetch.load(s, list(members), now)
            ordered = [(members[mid], key) for mid, key in part if mid in members]
            pre.recs = await batch_recommendations(s, services, list(members.values()), pre)
            pre.peers = await batch_peers(s, services, [m for m, _ in ordered])
            counts = await compose_chunk(s, services, ordered, now, pre)
            report.skipped += counts["skipped"]
            report.queued += counts["queued"]
            report.empty += counts["empty"]
            report.composed += counts["queued"] + counts["empty"] + counts["no_route"]
    if report.composed:
        log.info("digests: %s", report)
    return report
