"""Growth metrics computed from the tables, as plain data: /stats, `syllabot stats` and charts.

Definitions (so numbers mean the same everywhere):
- state of a member: the state of their most recent subscription, "none" without one.
- new: first subscription started in the window (a free trial counts); new paying: those of
  them with a payment of money (applied or later refunded; codes are not money); churned: a
  subscription that reached an ended state (CHURN_STATES) in the window, for members with no
  paying subscription left.
- MRR: paying subscriptions (PAYING_STATES, not a grant, code or trial) x their plan's
  price, scaled to 30 days, by currency, in minor units. The price is the member's last
  applied payment for that plan, else the plan's first configured price. Lifetime plans
  (period 0) add nothing.
- trial -> paid: trial claims (at least `TRIAL_MIN_AGE` old) followed by an applied payment.
- cohorts: members grouped by the month they joined; cell k = share active (any interaction)
  in week k after joining.
- recommendation click-through: clicks (interaction kind `digest_click`, or source
  `recommend`) over impressions (the courses listed by `/recommend`, kind `recommend_shown`, + items listed
  in sent digests).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.digest import Digest
from models.interaction import Interaction
from models.member import Member
from models.membership import Code, CodeRedemption, Payment, Plan, Subscription, TrialClaim
from models.qa import Answer, Question, Thread
from models.qa_extra import QAFeedback

PAYING_STATES = frozenset({"active", "past_due"})  # cancelled ones do not renew
FREE_SOURCES = frozenset({"grant", "code", "trial"})  # access nobody pays for: not revenue
CHURN_STATES = frozenset({"expired", "removed", "refunded", "banned"})
COHORT_WEEKS = 8
COHORT_MONTHS = 6


@dataclass
class Stats:
    since: datetime
    until: datetime
    members_by_state: dict[str, int] = field(default_factory=dict)
    members_total: int = 0
    new: int = 0
    new_paying: int = 0
    churned: int = 0
    mrr: dict[str, int] = field(default_factory=dict)  # currency -> minor units per 30 days
    trials: int = 0
    trials_converted: int = 0
    gifts: int = 0
    """Gift payments of the window (seats bought for others, `/gift`), with their seats and
    how many of those seats were redeemed so far."""
    gift_seats: int = 0
    gift_seats_used: int = 0
    cohorts: list[tuple[str, int, list[float]]] = field(default_factory=list)
    questions: int = 0
    answered: int = 0
    median_answer_hours: float | None = None
    bot_answered: int = 0
    """Questions of the window the bot answered from the knowledge base (and kept answered)."""
    helpful: int = 0
    unhelpful: int = 0
    threads: int = 0
    threads_solved: int = 0
    threads_stale: int = 0
    threads_failed: int = 0
    """Threads a platform could not open (the question went to the moderators instead)."""
    digests_sent: int = 0
    digests_opened: int = 0
    digests_clicked: int = 0
    rec_impressions: int = 0
    rec_clicks: int = 0

    @property
    def net(self) -> int:
        return self.new - self.churned

    @property
    def conversion(self) -> float | None:
        return self.trials_converted / self.trials if self.trials else None

    @property
    def open_rate(self) -> float | None:
        return self.digests_opened / self.digests_sent if self.digests_sent else None

    @property
    def click_rate(self) -> float | None:
        return self.digests_clicked / self.digests_sent if self.digests_sent else None

    @property
    def rec_ctr(self) -> float | None:
        return self.rec_clicks / self.rec_impressions if self.rec_impressions else None


ZERO_DECIMAL = frozenset({"XTR", "JPY", "KRW", "VND", "CLP", "ISK", "UGX"})  # Stars have no cents


def major(amount_minor: int, currency: str) -> float:
    """Minor units -> the amount people read (Telegram Stars and zero-decimal currencies as is)."""
    return float(amount_minor) if currency.upper() in ZERO_DECIMAL else amount_minor / 100


def money(amount_minor: int, currency: str) -> str:
    if currency.upper() in ZERO_DECIMAL:
        return f"{amount_minor:,} {currency}"
    return f"{amount_minor / 100:,.2f} {currency}"


def _month(d: datetime) -> str:
    return f"{d.year:04d}-{d.month:02d}"


async def _latest_subs(session: AsyncSession) -> dict[int, Subscription]:
    rows = (
        (await session.execute(select(Subscription).order_by(Subscription.started_at)))
        .scalars()
        .all()
    )
    latest: dict[int, Subscription] = {}
    for s in rows:
        latest[s.member_id] = s  # ordered by start: the last one wins
    return latest


async def _members_and_flow(session: AsyncSession, st: Stats) -> None:
    members = (await session.execute(select(Member.id))).scalars().all()
    st.members_total = len(members)
    latest = await _latest_subs(session)
    counts: Counter[str] = Counter(latest[m].state if m in latest else "none" for m in members)
    st.members_by_state = dict(sorted(counts.items()))
    first_start = (
        await session.execute(
            select(Subscription.member_id, func.min(Subscription.started_at)).group_by(
                Subscription.member_id
            )
        )
    ).all()
    new = {m for m, start in first_start if st.since <= start <= st.until}
    st.new = len(new)
    paid = (
        await session.execute(
            select(Payment.member_id)
            .where(
                Payment.status.in_(("applied", "refunded")),
                Payment.amount > 0,
                Payment.provider != "code",
                Payment.created_at <= st.until,
            )
            .distinct()
        )
    ).scalars()
    st.new_paying = len(new & set(paid))
    st.churned = sum(
        1
        for s in latest.values()
        if s.state in CHURN_STATES and st.since <= s.updated_at <= st.until
    )


def _price_of(plan: Plan) -> tuple[int, str] | None:
    for p in (plan.prices or {}).values():
        if isinstance(p, dict) and "amount" in p and "currency" in p:
            return int(p["amount"]), str(p["currency"]).upper()
    return None


async def _mrr(session: AsyncSession, st: Stats) -> None:
    latest = await _latest_subs(session)
    plans = {p.id: p for p in (await session.execute(select(Plan))).scalars().all()}
    pays = (
        await session.execute(
            select(Payment.member_id, Payment.plan_id, Payment.amount, Payment.currency)
            .where(Payment.status == "applied", Payment.currency != "CODE")
            .order_by(Payment.created_at)
        )
    ).all()
    last_pay = {(m, p): (a, c.upper()) for m, p, a, c in pays}
    mrr: defaultdict[str, float] = defaultdict(float)
    for s in latest.values():
        if s.state not in PAYING_STATES or s.source in FREE_SOURCES:
            continue
        plan = plans.get(s.plan_id)
        if plan is None or plan.period_days <= 0:
            continue
        price = last_pay.get((s.member_id, s.plan_id)) or _price_of(plan)
        if price is None:
            continue
        amount, currency = price
        mrr[currency] += amount * 30 / plan.period_days
    st.mrr = {c: round(v) for c, v in sorted(mrr.items())}


async def _trials(session: AsyncSession, st: Stats) -> None:
    claims = (await session.execute(select(TrialClaim.member_id, TrialClaim.at))).all()
    paid = (
        await session.execute(
            select(Payment.member_id, func.max(Payment.created_at))
            .where(Payment.status.in_(("applied", "refunded")), Payment.member_id.is_not(None))
            .group_by(Payment.member_id)
        )
    ).all()
    last_paid = {m: at for m, at in paid}
    st.trials = len(claims)
    st.trials_converted = sum(1 for m, at in claims if m in last_paid and last_paid[m] >= at)


async def _gifts(session: AsyncSession, st: Stats) -> None:
    bought = (
        await session.execute(
            select(Payment.id, Payment.meta).where(
                Payment.id.in_(select(Code.payment_id).where(Code.payment_id.is_not(None))),
                Payment.status == "applied",
                Payment.created_at >= st.since,
                Payment.created_at <= st.until,
            )
        )
    ).all()
    st.gifts = len(bought)
    st.gift_seats = sum(int((meta or {}).get("gift_seats") or 0) for _, meta in bought)
    if bought:
        st.gift_seats_used = int(
            await session.scalar(
                select(func.count(CodeRedemption.id))
                .join(Code, Code.id == CodeRedemption.code_id)
                .where(Code.payment_id.in_([pid for pid, _ in bought]))
            )
            or 0
        )


async def _cohorts(session: AsyncSession, st: Stats) -> None:
    start = st.until - timedelta(days=31 * COHORT_MONTHS)
    members = (
        await session.execute(
            select(Member.id, Member.created_at).where(Member.created_at >= start)
        )
    ).all()
    joined = {m: at for m, at in members}
    if not joined:
        return
    acts = (
        await session.execute(
            select(Interaction.member_id, Interaction.at).where(Interaction.at >= start)
        )
    ).all()
    active_weeks: defaultdict[int, set[int]] = defaultdict(set)
    for m, at in acts:
        if m in joined and at >= joined[m]:
            active_weeks[m].add((at - joined[m]).days // 7)
    by_month: defaultdict[str, list[int]] = defaultdict(list)
    for m, at in joined.items():
        by_month[_month(at)].append(m)
    for month in sorted(by_month):
        ids = by_month[month]
        row: list[float] = []
        for k in range(COHORT_WEEKS):
            eligible = [m for m in ids if joined[m] + timedelta(weeks=k) <= st.until]
            if not eligible:
                break
            row.append(sum(1 for m in eligible if k in active_weeks[m]) / len(eligible))
        st.cohorts.append((month, len(ids), row))


async def first_answers(
    session: AsyncSession, since: datetime, until: datetime
) -> tuple[list[tuple[int, datetime]], list[float]]:
    """The questions asked in the window and, for those answered, the hours to the first
    answer (also what a member asking "how long until someone answers?" is told)."""
    qs = [
        (q, at)
        for q, at in (
            await session.execute(
                select(Question.id, Question.created_at).where(
                    Question.created_at >= since, Question.created_at <= until
                )
            )
        ).all()
    ]
    if not qs:
        return [], []
    first = dict(
        (
            await session.execute(
                select(Answer.question_id, func.min(Answer.created_at))
                .where(Answer.question_id.in_([q for q, _ in qs]))
                .group_by(Answer.question_id)
            )
        ).all()
    )
    return qs, [(first[q] - at).total_seconds() / 3600 for q, at in qs if q in first]


async def _questions(session: AsyncSession, st: Stats) -> None:
    qs, delays = await first_answers(session, st.since, st.until)
    st.questions = len(qs)
    if not qs:
        return
    st.answered = len(delays)
    st.median_answer_hours = round(statistics.median(delays), 1) if delays else None
    ids = [q for q, _ in qs]
    st.bot_answered = (
        await session.execute(
            select(func.count()).where(Question.id.in_(ids), Question.status == "answered")
        )
    ).scalar_one()
    votes = dict(
        (
            await session.execute(
                select(QAFeedback.helpful, func.count())
                .where(QAFeedback.question_id.in_(ids))
                .group_by(QAFeedback.helpful)
            )
        ).all()
    )
    st.helpful, st.unhelpful = int(votes.get(True, 0)), int(votes.get(False, 0))
    threads = Counter(
        (await session.execute(select(Thread.status).where(Thread.question_id.in_(ids)))).scalars()
    )
    st.threads_failed = threads["failed"]
    st.threads = sum(threads.values()) - st.threads_failed
    st.threads_solved, st.threads_stale = threads["solved"], threads["stale"]


async def _engagement(session: AsyncSession, st: Stats) -> None:
    digests = (
        await session.execute(
            select(Digest.opened_at, Digest.clicked_at, Digest.content).where(
                Digest.sent_at.is_not(None), Digest.sent_at >= st.since, Digest.sent_at <= st.until
            )
        )
    ).all()
    st.digests_sent = len(digests)
    st.digests_opened = sum(1 for o, c, _ in digests if o is not None or c is not None)
    st.digests_clicked = sum(1 for _, c, _ in digests if c is not None)
    shown = sum(_items_in(content) for _, _, content in digests)
    window = (Interaction.at >= st.since) & (Interaction.at <= st.until)
    shown += sum(
        len((meta or {}).get("courses") or [])
        for meta in (
            await session.execute(
                select(Interaction.meta).where(window, Interaction.kind == "recommend_shown")
            )
        ).scalars()
    )
    st.rec_impressions = shown
    st.rec_clicks = (
        await session.execute(
            select(func.count(Interaction.id)).where(
                window,
                Interaction.kind != "recommend_shown",
                (Interaction.kind == "digest_click") | (Interaction.source == "recommend"),
            )
        )
    ).scalar_one()


def _items_in(content: Any) -> int:
    if not isinstance(content, dict):
        return 0
    for key in ("items", "recommendations", "courses"):
        v = content.get(key)
        if isinstance(v, list):
            return len(v)
    return 0


async def compute(session: AsyncSession, now: datetime, days: int = 30) -> Stats:
    """All metrics for the `days` before `now` (state counts and MRR are as of now)."""
    st = Stats(since=now - timedelta(days=days), until=now)
    await _members_and_flow(session, st)
    await _mrr(session, st)
    await _trials(session, st)
    await _gifts(session, st)
    await _cohorts(session, st)
    await _questions(session, st)
    await _engagement(session, st)
    return st


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v * 100:.1f}"


def to_rows(st: Stats) -> list[tuple[str, str, str]]:
    """Flat (metric, key, value) rows: the CSV export and the tests read these."""
    rows: list[tuple[str, str, str]] = [
        ("window", "since", st.since.isoformat()),
        ("window", "until", st.until.isoformat()),
        ("members", "total", str(st.members_total)),
    ]
    rows += [("members_by_state", k, str(v)) for k, v in st.members_by_state.items()]
    rows += [("flow", "new", str(st.new)), ("flow", "new_paying", str(st.new_paying))]
    rows += [("flow", "churned", str(st.churned))]
    rows += [("flow", "net", str(st.net))]
    rows += [("mrr_minor", c, str(v)) for c, v in st.mrr.items()]
    rows += [
        ("trial", "claims", str(st.trials)),
        ("trial", "converted", str(st.trials_converted)),
        ("gifts", "bought", str(st.gifts)),
        ("gifts", "seats", str(st.gift_seats)),
        ("gifts", "seats_used", str(st.gift_seats_used)),
        ("trial", "conversion_pct", _pct(st.conversion)),
    ]
    for month, size, cells in st.cohorts:
        rows.append(("cohort_size", month, str(size)))
        rows += [(f"cohort_{month}", f"week_{k}", _pct(v)) for k, v in enumerate(cells)]
    rows += [
        ("questions", "asked", str(st.questions)),
        ("questions", "answered", str(st.answered)),
        ("questions", "answered_by_bot", str(st.bot_answered)),
        ("questions", "helpful_votes", str(st.helpful)),
        ("questions", "unhelpful_votes", str(st.unhelpful)),
        ("questions", "threads_opened", str(st.threads)),
        ("questions", "threads_solved", str(st.threads_solved)),
        ("questions", "threads_stale", str(st.threads_stale)),
        ("questions", "threads_failed", str(st.threads_failed)),
        (
            "questions",
            "median_hours_to_answer",
            "" if st.median_answer_hours is None else str(st.median_answer_hours),
        ),
        ("digest", "sent", str(st.digests_sent)),
        ("digest", "open_rate_pct", _pct(st.open_rate)),
        ("digest", "click_rate_pct", _pct(st.click_rate)),
        ("recommend", "impressions", str(st.rec_impressions)),
        ("recommend", "clicks", str(st.rec_clicks)),
        ("recommend", "ctr_pct", _pct(st.rec_ctr)),
    ]
    return rows


def to_csv(st: Stats) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "key", "value"])
    w.writerows(to_rows(st))
    return buf.getvalue()
