"""Expert routing: who should be invited into a new discussion thread.

Pure scoring. The service gathers, per member, evidence that they know the topic (they
answered similar questions, or finished course material that matches the question),
their track record and their current state; :func:`rank_experts` drops those who opted
out, are in their quiet hours, are at their load cap or asked the question, and ranks the
rest by a smoothed mixture of "knows this topic" and "is answering these days":

    score = 0.2 * relevance / sum(relevance) + 0.8 * activity / sum(activity)

``relevance`` is the summed similarity of the matching material they answered (accepted
answers count double) or finished (half weight); ``activity`` is their answer count with
each answer's weight halving every 5 days (all-time count when the caller has no dates).
Who answers is mostly who is around: on Quantum Computing SE a most-active-answerer list
beat topical routing, and a recent-activity prior beats both (bench/README.md, weights
chosen on an earlier time slice than the held-out one). Responsiveness (``1 / (1 +
median_hours / 12)``, 0.7 when unknown) breaks ties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ACCEPTED_WEIGHT = 2.0
FINISHED_WEIGHT = 0.5
UNKNOWN_RESPONSIVENESS = 0.7
RELEVANCE_SHARE = 0.2
"""Weight of the topical share in the mixture; the rest is the recent-activity share."""
ACTIVITY_HALF_LIFE_DAYS = 5.0
"""An answer's weight in ``activity`` halves every this many days."""


@dataclass(frozen=True)
class Contribution:
    """A member's link to a knowledge item: answered it (accepted or not) or finished it."""

    member_id: int
    kind: str = "answered"  # answered | accepted | finished

    @property
    def weight(self) -> float:
        if self.kind == "accepted":
            return ACCEPTED_WEIGHT
        if self.kind == "finished":
            return FINISHED_WEIGHT
        return 1.0


@dataclass(frozen=True)
class ExpertCandidate:
    member_id: int
    relevance: float
    accepted: int = 0
    answers: int = 0
    median_response_hours: float | None = None
    recent_answers: float | None = None
    """Answers weighted by age (:func:`recent_activity`); ``None``: use ``answers``."""
    open_threads: int = 0
    opted_out: bool = False
    in_quiet_hours: bool = False


def relevance_by_member(
    hits: Iterable[tuple[str, float]], contributions: Mapping[str, Sequence[Contribution]]
) -> dict[int, float]:
    """Sum of ``similarity * weight`` over the retrieved items each member contributed to."""
    out: dict[int, float] = {}
    for item_id, similarity in hits:
        sim = max(0.0, similarity)
        if sim == 0.0:
            continue
        seen: dict[int, float] = {}
        for c in contributions.get(item_id, ()):
            seen[c.member_id] = max(seen.get(c.member_id, 0.0), c.weight)
        for member_id, weight in seen.items():
            out[member_id] = out.get(member_id, 0.0) + sim * weight
    return out


def responsiveness(median_hours: float | None) -> float:
    if median_hours is None:
        return UNKNOWN_RESPONSIVENESS
    return 1.0 / (1.0 + max(0.0, median_hours) / 12.0)


def recent_activity(
    ages_days: Iterable[float], half_life: float = ACTIVITY_HALF_LIFE_DAYS
) -> float:
    """Answer count with each answer weighted ``0.5 ** (age / half_life)``."""
    return sum(0.5 ** (max(0.0, age) / half_life) for age in ages_days)


def _activity(c: ExpertCandidate) -> float:
    return c.recent_answers if c.recent_answers is not None else float(c.answers)


def expert_scores(
    candidates: Sequence[ExpertCandidate], relevance_share: float = RELEVANCE_SHARE
) -> dict[int, float]:
    """Mixture of each member's share of the topical relevance and of the recent activity
    among ``candidates``; shares keep the two on one scale whatever the corpus."""
    rel_total = sum(max(0.0, c.relevance) for c in candidates)
    act_total = sum(_activity(c) for c in candidates)
    out: dict[int, float] = {}
    for c in candidates:
        rel = max(0.0, c.relevance) / rel_total if rel_total > 0 else 0.0
        act = _activity(c) / act_total if act_total > 0 else 0.0
        out[c.member_id] = relevance_share * rel + (1.0 - relevance_share) * act
    return out


def rank_experts(
    candidates: Iterable[ExpertCandidate],
    n: int,
    *,
    load_cap: int,
    exclude: Iterable[int] = (),
    relevance_share: float = RELEVANCE_SHARE,
) -> list[tuple[int, float]]:
    """Up to ``n`` eligible members with positive relevance, best first."""
    skip = set(exclude)
    eligible = [
        c
        for c in candidates
        if c.member_id not in skip
        and not c.opted_out
        and not c.in_quiet_hours
        and c.open_threads < load_cap
        and c.relevance > 0
    ]
    scores = expert_scores(eligible, relevance_share)
    eligible.sort(
        key=lambda c: (
            -round(scores[c.member_id], 12),
            -responsiveness(c.median_response_hours),
            c.member_id,
        )
    )
    return [(c.member_id, scores[c.member_id]) for c in eligible[: max(0, n)]]


def parse_quiet_hours(spec: str | None) -> tuple[time, time] | None:
    """``"22:00-07:00"`` -> (22:00, 07:00); empty or malformed -> None."""
    if not spec or "-" not in spec:
        return None
    try:
        a, b = (part.strip() for part in spec.split("-", 1))
        return time.fromisoformat(a), time.fromisoformat(b)
    except ValueError:
        return None


def in_quiet_hours(now_utc: datetime, tz_name: str | None, spec: str | None) -> bool:
    """Whether ``now_utc`` falls in the member's quiet window, in their own time zone."""
    window = parse_quiet_hours(spec)
    if window is None:
        return False
    try:
        tz = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = now_utc.astimezone(tz).time().replace(tzinfo=None)
    start, end = window
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # wraps midnight


def median_hours(delays: Sequence[timedelta]) -> float | None:
    if not delays:
        return None
    hours = sorted(d.total_seconds() / 3600.0 for d in delays)
    mid = len(hours) // 2
    return hours[mid] if len(hours) % 2 else (hours[mid - 1] + hours[mid]) / 2.0


def in_quiet_hours_h(
    now_utc: datetime, tz_name: str | None, start_hour: int | None, end_hour: int | None
) -> bool:
    """Quiet hours stored as whole local hours (``member.quiet_start``/``quiet_end``)."""
    if start_hour is None or end_hour is None or start_hour == end_hour:
        return False
    spec = f"{start_hour % 24:02d}:00-{end_hour % 24:02d}:00"
    return in_quiet_hours(now_utc, tz_name, spec)
