"""Use cases: define an experiment, assign members (sticky, recorded), log exposures, report."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit
from core.clock import Clock
from core.experiments import stats
from core.experiments.assign import Variant, choose
from core.experiments.errors import (
    BadNameError,
    BadVariantsError,
    ExperimentExistsError,
    UnknownExperimentError,
    UnknownMetricError,
    UnknownParamError,
)
from models.audit import AuditLog
from models.db import conflict_insert
from models.experiments import Experiment, ExperimentAssignment, Exposure
from models.interaction import Interaction

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
VARIANT_RE = re.compile(r"^([a-z0-9_-]{1,32}):(\d{1,3})(?::(.*))?$")
WINDOW = timedelta(days=7)
# metric -> interaction kinds that count as a conversion within WINDOW of assignment
METRICS: dict[str, tuple[str, ...]] = {
    "digest_click": ("digest_click",),
    "enroll_7d": ("enroll", "enrol"),
    "lesson_complete": ("lesson_complete",),
    "thumbs_up": ("thumbs_up",),
}
GUARDRAILS = ("unsubscribe",)
# target -> the variant parameters it reads (core/experiments/variants.py)
PARAMS: dict[str, tuple[str, ...]] = {
    "digest": ("n_courses", "layout", "order", "send_hour"),
    "recommend": ("strategy", "content_weight"),
}


def parse_variants(spec: str) -> list[Variant]:
    """`control:50,five:50:n_courses=5` -> variants; names unique, weights 1..100."""
    out: list[Variant] = []
    for part in spec.split(","):
        m = VARIANT_RE.match(part.strip())
        if not m:
            raise BadVariantsError()
        params: dict[str, Any] = {}
        for kv in filter(None, (m.group(3) or "").split(";")):
            k, eq, v = kv.partition("=")
            if not eq or not re.fullmatch(r"[a-z_]{1,32}", k) or len(v) > 64:
                raise BadVariantsError()
            params[k] = int(v) if v.isdecimal() else v
        weight = int(m.group(2))
        if not 1 <= weight <= 100:
            raise BadVariantsError()
        out.append(Variant(m.group(1), float(weight), params))
    if len(out) < 2 or len({v.name for v in out}) != len(out):
        raise BadVariantsError()
    return out


def variants_of(exp: Experiment) -> list[Variant]:
    return [
        Variant(v["name"], float(v["weight"]), dict(v.get("params") or {})) for v in exp.variants
    ]


async def get(session: AsyncSession, name: str) -> Experiment:
    exp = (
        await session.execute(select(Experiment).where(Experiment.name == name.lower()))
    ).scalar_one_or_none()
    if exp is None:
        raise UnknownExperimentError(name[:64])
    return exp


async def create(
    session: AsyncSession,
    clock: Clock,
    *,
    name: str,
    metric: str,
    variants: list[Variant],
    target: str = "",
    guardrail: str = "unsubscribe",
    created_by: int | None = None,
) -> Experiment:
    name = name.lower()
    if not NAME_RE.match(name):
        raise BadNameError()
    if metric not in METRICS:
        raise UnknownMetricError(metric[:32], ", ".join(METRICS))
    known = PARAMS.get(target, ())
    for v in variants:
        for key in v.params:
            if key not in known:
                raise UnknownParamError(key, target or "-", ", ".join(known) or "-")
    exists = (
        await session.execute(select(Experiment.id).where(Experiment.name == name))
    ).scalar_one_or_none()
    if exists is not None:
        raise ExperimentExistsError(name)
    exp = Experiment(
        name=name,
        variants=[{"name": v.name, "weight": v.weight, "params": v.params} for v in variants],
        metric=metric,
        guardrail=guardrail,
        target=target,
        status="running",
        salt=name,
        description="",
        created_by=created_by,
        created_at=clock.now(),
    )
    session.add(exp)
    await session.flush()
    await audit(
        session,
        clock,
        actor=f"member:{created_by}" if created_by else "system",
        actor_member_id=created_by,
        action="experiment.create",
        target=f"experiment:{name}",
        after={"variants": exp.variants, "metric": metric, "target": target},
    )
    return exp


async def stop(session: AsyncSession, clock: Clock, name: str, by: int | None = None) -> Experiment:
    exp = await get(session, name)
    if exp.status != "stopped":
        exp.status = "stopped"
        exp.stopped_at = clock.now()
        await audit(
            session,
            clock,
            actor=f"member:{by}" if by else "system",
            actor_member_id=by,
            action="experiment.stop",
            target=f"experiment:{exp.name}",
        )
    return exp


async def assign(
    session: AsyncSession, exp: Experiment, member_id: int, now: datetime
) -> Variant | None:
    """The member's variant: the recorded one, else chosen by hash and recorded now.

    A stopped experiment assigns nobody new (callers use their default)."""
    variants = variants_of(exp)
    by_name = {v.name: v for v in variants}
    row = (
        await session.execute(
            select(ExperimentAssignment.variant).where(
                ExperimentAssignment.experiment_id == exp.id,
                ExperimentAssignment.member_id == member_id,
            )
        )
    ).scalar_one_or_none()
    if row is not None:
        return by_name.get(row)
    if exp.status != "running":
        return None
    name = choose(member_id, exp.name, variants, exp.salt)
    try:
        async with session.begin_nested():
            session.add(
                ExperimentAssignment(
                    experiment_id=exp.id, member_id=member_id, variant=name, assigned_at=now
                )
            )
            await session.flush()
    except IntegrityError:  # another process recorded it first: same hash, same variant
        pass
    return by_name[name]


async def assign_many(
    session: AsyncSession, exp: Experiment, member_ids: list[int], now: datetime
) -> dict[int, Variant]:
    """`assign` for many members in two statements (digest composition for 10,000 members)."""
    variants = variants_of(exp)
    by_name = {v.name: v for v in variants}
    if not member_ids:
        return {}
    if exp.status == "running":
        await session.execute(
            conflict_insert(session.get_bind().dialect.name, ExperimentAssignment)
            .values(
                [
                    {
                        "experiment_id": exp.id,
                        "member_id": mid,
                        "variant": choose(mid, exp.name, variants, exp.salt),
                        "assigned_at": now,
                    }
                    for mid in member_ids
                ]
            )
            .on_conflict_do_nothing(index_elements=["experiment_id", "member_id"])
        )
    rows = await session.execute(
        select(ExperimentAssignment.member_id, ExperimentAssignment.variant).where(
            ExperimentAssignment.experiment_id == exp.id,
            ExperimentAssignment.member_id.in_(member_ids),
        )
    )
    return {mid: by_name[v] for mid, v in rows if v in by_name}


async def running_for(session: AsyncSession, target: str) -> list[Experiment]:
    return list(
        (
            await session.execute(
                select(Experiment)
                .where(Experiment.target == target, Experiment.status == "running")
                .order_by(Experiment.id)
            )
        )
        .scalars()
        .all()
    )


async def log_exposures(
    session: AsyncSession,
    *,
    member_id: int,
    course_ids: list[int],
    now: datetime,
    policy: str,
    source: str,
    propensities: list[float] | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    """What a policy showed, with each item's probability of being shown (1.0 = greedy)."""
    props = propensities or [1.0] * len(course_ids)
    session.add_all(
        Exposure(
            member_id=member_id,
            course_id=cid,
            position=i,
            policy=policy[:64],
            propensity=p,
            source=source,
            context=context or {},
            at=now,
        )
        for i, (cid, p) in enumerate(zip(course_ids, props, strict=True))
    )
    await session.flush()


# ---------------------------------------------------------------------------- the report


@dataclass
class VariantResult:
    name: str
    weight: float
    n: int
    conversions: int
    rate: float
    ci: tuple[float, float]
    guardrail_events: int
    test: stats.ZTest | None = None  # against the control (the first variant)


@dataclass
class Report:
    name: str
    metric: str
    status: str
    variants: list[VariantResult]
    srm: stats.SRM
    needed_per_variant: int | None
    verdict: str  # i18n key
    verdict_params: dict[str, Any] = field(default_factory=dict)
    daily: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    guardrail_alarm: bool = False


async def report(session: AsyncSession, name: str, now: datetime) -> Report:
    exp = await get(session, name)
    variants = variants_of(exp)
    assigned = (
        await session.execute(
            select(
                ExperimentAssignment.member_id,
                ExperimentAssignment.variant,
                ExperimentAssignment.assigned_at,
            ).where(ExperimentAssignment.experiment_id == exp.id)
        )
    ).all()
    members = {mid: (variant, at) for mid, variant, at in assigned}
    converted_at: dict[int, datetime] = {}
    if members:
        for mid, at in await session.execute(
            select(Interaction.member_id, Interaction.at)
            .where(
                Interaction.member_id.in_(list(members)),
                Interaction.kind.in_(METRICS[exp.metric]),
            )
            .order_by(Interaction.at)
        ):
            start = members[mid][1]
            if start <= at <= start + WINDOW and mid not in converted_at:
                converted_at[mid] = at
    unsubscribed: set[int] = set()
    if members:
        for actor, when in await session.execute(
            select(AuditLog.actor_member_id, AuditLog.at).where(
                AuditLog.action == "digest.unsubscribe",
                AuditLog.actor_member_id.in_(list(members)),
            )
        ):
            if actor is not None and members[actor][1] <= when <= members[actor][1] + WINDOW:
                unsubscribed.add(actor)
    results: list[VariantResult] = []
    for v in variants:
        ids = [m for m, (vn, _) in members.items() if vn == v.name]
        conv = sum(1 for m in ids if m in converted_at)
        n = len(ids)
        results.append(
            VariantResult(
                v.name,
                v.weight,
                n,
                conv,
                conv / n if n else 0.0,
                stats.wilson(conv, n),
                sum(1 for m in ids if m in unsubscribed),
            )
        )
    control = results[0]
    for r in results[1:]:
        if control.n and r.n:
            r.test = stats.two_proportion_z(control.conversions, control.n, r.conversions, r.n)
    srm = stats.sample_ratio_mismatch([r.n for r in results], [r.weight for r in results])
    base = control.rate if control.n else 0.0
    needed = stats.needed_per_variant(base) if 0 < base < 1 else None
    guard = False
    for r in results[1:]:
        if control.n and r.n and r.guardrail_events:
            t = stats.two_proportion_z(control.guardrail_events, control.n, r.guardrail_events, r.n)
            guard = guard or (t.significant and t.diff > 0)
    verdict, params = _verdict(results, srm, needed)
    return Report(
        exp.name,
        exp.metric,
        exp.status,
        results,
        srm,
        needed,
        verdict,
        params,
        _daily(members, converted_at, variants, now),
        guard,
    )


def _verdict(
    results: list[VariantResult], srm: stats.SRM, needed: int | None
) -> tuple[str, dict[str, Any]]:
    if not results or results[0].n == 0:
        return "experiments.verdict_no_data", {}
    if srm.mismatch:
        return "experiments.verdict_srm", {"p": f"{srm.p_value:.2g}"}
    if needed is None:
        return "experiments.verdict_no_conversions", {}
    short = max(needed - r.n for r in results)
    winners = [r for r in results[1:] if r.test and r.test.significant]
    if winners:
        best = max(winners, key=lambda r: r.test.diff if r.test else 0.0)
        assert best.test is not None
        key = "experiments.verdict_better" if best.test.diff > 0 else "experiments.verdict_worse"
        return key, {
            "variant": best.name,
            "control": results[0].name,
            "lift": f"{(best.test.lift or 0.0) * 100:+.1f}%",
            "p": f"{best.test.p_value:.3g}",
        }
    if short > 0:
        return "experiments.verdict_need_more", {"n": short}
    return "experiments.verdict_no_difference", {}


def _daily(
    members: dict[int, tuple[str, datetime]],
    converted_at: dict[int, datetime],
    variants: list[Variant],
    now: datetime,
) -> dict[str, list[tuple[str, float]]]:
    """Cumulative conversion rate per variant at the end of each day (for the chart)."""
    if not members:
        return {}
    first = min(at for _, at in members.values()).date()
    days = [first + timedelta(days=i) for i in range((now.date() - first).days + 1)][-60:]
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for v in variants:
        ids = [(m, at) for m, (vn, at) in members.items() if vn == v.name]
        for d in days:
            upto = [m for m, at in ids if at.date() <= d]
            conv = sum(1 for m in upto if m in converted_at and converted_at[m].date() <= d)
            out[v.name].append((d.isoformat(), conv / len(upto) if upto else 0.0))
    return dict(out)


def chart_png(rep: Report) -> bytes:
    """Cumulative conversion rate per variant over time, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    try:
        for name, series in rep.daily.items():
            ax.plot([d for d, _ in series], [r * 100 for _, r in series], marker="o", label=name)
        ax.set_title(f"{rep.name}: {rep.metric} (cumulative, %)")
        ax.set_ylabel("%")
        ax.tick_params(axis="x", rotation=45, labelsize=7)
        ax.legend()
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------- offline replay

REWARD_KINDS = ("digest_click", "thumbs_up", "enroll", "enrol", "lesson_complete")


@dataclass
class ReplayResult:
    policy: str
    logged_value: float  # mean reward per logged exposure (what the logging policy got)
    estimate: Any  # replay.Estimate of the candidate
    coverage: float  # share of logged exposures the candidate would also have shown
    exposures: int
    deterministic_logging: bool


async def logged(
    session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[int, int, float, float, datetime]]:
    """(member, course, propensity, reward, at) for exposures in [since, until); reward 1 when
    the member clicked, liked, enrolled in or studied that course within WINDOW after."""
    rows = (
        await session.execute(
            select(Exposure.member_id, Exposure.course_id, Exposure.propensity, Exposure.at).where(
                Exposure.at >= since, Exposure.at < until
            )
        )
    ).all()
    if not rows:
        return []
    members = list({r[0] for r in rows})
    hits: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for mid, cid, at in await session.execute(
        select(Interaction.member_id, Interaction.course_id, Interaction.at).where(
            Interaction.member_id.in_(members),
            Interaction.kind.in_(REWARD_KINDS),
            Interaction.course_id.is_not(None),
        )
    ):
        if cid is not None:
            hits[(mid, cid)].append(at)
    out = []
    for mid, cid, p, at in rows:
        r = any(at <= h <= at + WINDOW for h in hits.get((mid, cid), []))
        out.append((mid, cid, float(p), 1.0 if r else 0.0, at))
    return out


async def candidate_topk(
    session: AsyncSession, policy: str, members: list[int], k: int, before: datetime
) -> dict[int, set[int]]:
    """Top-k courses per member under a candidate policy, using only data before `before`.

    Built-in candidates: `popularity` (most positive interactions) and `tag_match` (shared
    interest tags, then popularity). A model from core/recommend plugs in the same way."""
    from collections import Counter

    from models.catalog import Course
    from models.member import Member

    pop: Counter[int] = Counter()
    for cid, n in await session.execute(
        select(Interaction.course_id, func.count())
        .where(Interaction.weight > 0, Interaction.at < before, Interaction.course_id.is_not(None))
        .group_by(Interaction.course_id)
    ):
        if cid is not None:
            pop[cid] = int(n)
    courses = (
        await session.execute(select(Course.id, Course.tags).where(Course.hidden.is_(False)))
    ).all()
    if policy == "popularity":
        top = {
            cid
            for cid, _ in sorted(((c, -pop[c]) for c, _ in courses), key=lambda t: (t[1], t[0]))[:k]
        }
        return {m: top for m in members}
    if policy != "tag_match":
        raise ValueError(f"unknown candidate policy {policy!r}")
    tags = dict(
        (await session.execute(select(Member.id, Member.tags).where(Member.id.in_(members)))).all()
    )
    out: dict[int, set[int]] = {}
    for m in members:
        mine = set(tags.get(m) or [])
        ranked = sorted(courses, key=lambda c: (-len(mine & set(c[1] or [])), -pop[c[0]], c[0]))
        out[m] = {cid for cid, _ in ranked[:k]}
    return out


async def replay_policy(
    session: AsyncSession, policy: str, since: datetime, until: datetime, k: int = 3
) -> ReplayResult:
    """IPS estimate of a candidate's reward per exposure slot on the logged exposures."""
    from core.experiments.replay import Logged, ips

    rows = await logged(session, since, until)
    if not rows:
        return ReplayResult(policy, 0.0, ips([], lambda _x, _a: 0.0), 0.0, 0, True)
    top = await candidate_topk(session, policy, list({r[0] for r in rows}), k, since)
    log = [Logged(mid, cid, p, r) for mid, cid, p, r, _ in rows]
    est = ips(log, lambda x, a: 1.0 if a in top.get(x, set()) else 0.0)
    covered = sum(1 for mid, cid, *_ in rows if cid in top.get(mid, set()))
    return ReplayResult(
        policy,
        sum(r for _, _, _, r, _ in rows) / len(rows),
        est,
        covered / len(rows),
        len(rows),
        all(p >= 1.0 for _, _, p, _, _ in rows),
    )
