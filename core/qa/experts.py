"""Expert routing: who should be invited into a new discussion thread.

Pure scoring. The service gathers, per member, evidence that they know the topic (they
answered similar questions, or finished course material that matches the question) and
their answer history; :func:`rank_experts` drops those who opted out, are in their quiet
hours, are at their load cap or asked the question, and ranks the rest (members who use the
question's language first) by a linear score over six features (:func:`expert_features`):

- share of the candidates' recent activity (answers, each weight halving every 5 days);
- share of the candidates' topical relevance (similar material answered or finished);
- hour affinity: how often they answered at this time of day (UTC);
- how many earlier questions of this asker they answered;
- tag recency: recent answers on questions sharing this question's tags;
- accepted-answer rate, smoothed.

The weights (:data:`ROUTING_WEIGHTS`) are a conditional-logit fit (``fit_routing_weights``)
on Quantum Computing SE questions before the held-out latest 20%; the feature set was
chosen on rolling time folds of that earlier part only (bench/README.md). Who answers is
mostly who is around, so the activity share carries most weight. Responsiveness
(``1 / (1 + median_hours / 12)``, 0.7 when unknown) breaks ties.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

ACCEPTED_WEIGHT = 2.0
FINISHED_WEIGHT = 0.5
UNKNOWN_RESPONSIVENESS = 0.7
ACTIVITY_HALF_LIFE_DAYS = 5.0
"""An answer's weight in ``activity`` halves every this many days."""
TAG_HALF_LIFE_DAYS = 15.0
"""An answer's weight in ``tag_recency`` halves every this many days."""
HOUR_WIDTH = 3.0
"""Hours: an earlier answer given ``HOUR_WIDTH`` hours from this time of day counts 1/e."""
HOUR_PRIOR = 0.25
"""Hour affinity of a member whose answer times are unknown (that of one with none)."""


@dataclass(frozen=True)
class RoutingWeights:
    """Weights of :func:`expert_features`' columns, in that order."""

    activity_share: float
    relevance_share: float
    hour_affinity: float
    asker: float
    tag_recency: float
    accept_rate: float

    def vector(self) -> npt.NDArray[np.float64]:
        return np.array(
            [
                self.activity_share,
                self.relevance_share,
                self.hour_affinity,
                self.asker,
                self.tag_recency,
                self.accept_rate,
            ]
        )


ROUTING_WEIGHTS = RoutingWeights(4.366, 6.089, 0.858, 0.603, 1.34, 1.303)
"""Fitted by ``bench/qa.py`` on the questions before the held-out slice (see module doc)."""


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
    hour_affinity: float = HOUR_PRIOR
    asker_answers: int = 0
    """Earlier questions of this asker the member answered."""
    tag_recency: float = 0.0
    open_threads: int = 0
    opted_out: bool = False
    in_quiet_hours: bool = False
    other_language: bool = False
    """Their language is not the question's: ranked after every eligible member whose is."""


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


@dataclass(frozen=True)
class PastAnswer:
    """One earlier answer by a member, as routing sees it."""

    at: datetime
    accepted: bool = False
    delay_hours: float | None = None
    """How long after its question it came."""
    question_tags: tuple[str, ...] = ()
    question_asker: int | None = None


def hour_affinity(answer_hours: Sequence[float], hour: float) -> float:
    """How much of a member's answering happens near ``hour`` (UTC), smoothed towards
    :data:`HOUR_PRIOR` for members with few answers."""
    total = 0.0
    for h in answer_hours:
        d = abs((h - hour + 12.0) % 24.0 - 12.0)
        total += math.exp(-((d / HOUR_WIDTH) ** 2))
    return (total + 0.5) / (len(answer_hours) + 2)


def _hour(at: datetime) -> float:
    return at.hour + at.minute / 60.0


def candidate_from_history(
    member_id: int,
    relevance: float,
    history: Sequence[PastAnswer],
    *,
    now: datetime,
    question_tags: Iterable[str] = (),
    asker: int | None = None,
    open_threads: int = 0,
    opted_out: bool = False,
    in_quiet_hours: bool = False,
    other_language: bool = False,
) -> ExpertCandidate:
    """The candidate's features from their earlier answers (both the bot and the benchmark
    build candidates here, so they rank with the same evidence)."""
    tags = set(question_tags)
    ages = [(now - a.at).total_seconds() / 86400.0 for a in history]
    delays = [a.delay_hours for a in history if a.delay_hours is not None]
    tag_recency = 0.0
    if tags:
        for a, age in zip(history, ages, strict=True):
            shared = len(tags.intersection(a.question_tags))
            if shared:
                tag_recency += shared / len(tags) * 0.5 ** (max(0.0, age) / TAG_HALF_LIFE_DAYS)
    return ExpertCandidate(
        member_id=member_id,
        relevance=relevance,
        accepted=sum(1 for a in history if a.accepted),
        answers=len(history),
        median_response_hours=median_hours([timedelta(hours=d) for d in delays]),
        recent_answers=recent_activity(ages),
        hour_affinity=hour_affinity([_hour(a.at) for a in history], _hour(now)),
        asker_answers=(
            0 if asker is None else sum(1 for a in history if a.question_asker == asker)
        ),
        tag_recency=tag_recency,
        open_threads=open_threads,
        opted_out=opted_out,
        in_quiet_hours=in_quiet_hours,
        other_language=other_language,
    )


def _activity(c: ExpertCandidate) -> float:
    return c.recent_answers if c.recent_answers is not None else float(c.answers)


def _shares(values: Sequence[float]) -> list[float]:
    total = sum(values)
    return [v / total if total > 0 else 0.0 for v in values]


def expert_features(candidates: Sequence[ExpertCandidate]) -> npt.NDArray[np.float64]:
    """One row per candidate, columns as in :class:`RoutingWeights`. Activity and
    relevance are shares among ``candidates``, which keeps them on one scale whatever
    the community's size."""
    act = _shares([_activity(c) for c in candidates])
    rel = _shares([max(0.0, c.relevance) for c in candidates])
    rows = [
        (
            act[i],
            rel[i],
            c.hour_affinity,
            math.log1p(max(0, c.asker_answers)),
            math.log1p(max(0.0, c.tag_recency)),
            (c.accepted + 1.0) / (c.answers + 2.0),
        )
        for i, c in enumerate(candidates)
    ]
    return np.array(rows, dtype=np.float64).reshape(len(candidates), 6)


def expert_scores(
    candidates: Sequence[ExpertCandidate], weights: RoutingWeights = ROUTING_WEIGHTS
) -> dict[int, float]:
    """Linear score of :func:`expert_features` per member."""
    if not candidates:
        return {}
    scores = expert_features(candidates) @ weights.vector()
    return {c.member_id: float(s) for c, s in zip(candidates, scores, strict=True)}


def fit_routing_weights(
    queries: Sequence[tuple[npt.ArrayLike, int]], l2: float = 30.0, iters: int = 50
) -> RoutingWeights:
    """Conditional-logit (softmax over each question's candidates) fit of the weights.

    ``queries``: per question, its candidates' :func:`expert_features` rows and the row
    of the member who gave the accepted answer. Features are standardised for the fit
    (``l2`` applies there) and the weights returned on the raw scale; Newton steps with
    step halving."""
    data = [(np.asarray(x, dtype=np.float64), int(t)) for x, t in queries]
    data = [(x, t) for x, t in data if x.shape[0]]
    if not data:
        raise ValueError("no questions to fit on")
    allx = np.concatenate([x for x, _ in data])
    mu, sd = allx.mean(axis=0), allx.std(axis=0) + 1e-9
    zs = [((x - mu) / sd, t) for x, t in data]
    dim = allx.shape[1]

    def loss(w: npt.NDArray[np.float64]) -> float:
        total = 0.5 * l2 * float(w @ w)
        for z, t in zs:
            s = z @ w
            m = float(s.max())
            total -= float(s[t]) - (m + math.log(float(np.exp(s - m).sum())))
        return total

    w = np.zeros(dim)
    current = loss(w)
    for _ in range(iters):
        grad = l2 * w
        hess = l2 * np.eye(dim)
        for z, t in zs:
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad = grad + z.T @ p - z[t]
            zp = z.T @ p
            hess = hess + (z * p[:, None]).T @ z - np.outer(zp, zp)
        step = np.linalg.solve(hess + 1e-9 * np.eye(dim), grad)
        t_step = 1.0
        while t_step > 1e-4:
            trial = w - t_step * step
            trial_loss = loss(trial)
            if trial_loss <= current:
                break
            t_step /= 2.0
        else:
            break
        w, current = trial, trial_loss
        if float(np.abs(t_step * step).max()) < 1e-8:
            break
    raw = w / sd
    return RoutingWeights(*(round(float(v), 3) for v in raw))


def can_invite(
    member_id: int,
    *,
    opted_out: bool,
    in_quiet_hours: bool,
    open_threads: int,
    load_cap: int,
    skip: Collection[int] = (),
) -> bool:
    """Whether a member may be invited to answer now: not the asker nor someone already
    asked (``skip``), not opted out of invitations, not in their quiet hours, and under the
    per-expert load cap. Experts and the moderator a question on no topic goes to alike."""
    return (
        member_id not in skip and not opted_out and not in_quiet_hours and open_threads < load_cap
    )


def rank_experts(
    candidates: Iterable[ExpertCandidate],
    n: int,
    *,
    load_cap: int,
    exclude: Iterable[int] = (),
    weights: RoutingWeights = ROUTING_WEIGHTS,
) -> list[tuple[int, float]]:
    """Up to ``n`` eligible members with positive relevance, best first; those who use the
    question's language come before those who do not, who only fill the places left."""
    skip = set(exclude)
    eligible = [
        c
        for c in candidates
        if c.relevance > 0
        and can_invite(
            c.member_id,
            opted_out=c.opted_out,
            in_quiet_hours=c.in_quiet_hours,
            open_threads=c.open_threads,
            load_cap=load_cap,
            skip=skip,
        )
    ]
    scores = expert_scores(eligible, weights)
    eligible.sort(
        key=lambda c: (
            c.other_language,
            -round(scores[c.member_id], 12),
            -responsiveness(c.median_response_hours),
            c.member_id,
        )
    )
    return [(c.member_id, scores[c.member_id]) for c in eligible[: max(0, n)]]


def median_hours(delays: Sequence[timedelta]) -> float | None:
    if not delays:
        return None
    hours = sorted(d.total_seconds() / 3600.0 for d in delays)
    mid = len(hours) // 2
    return hours[mid] if len(hours) % 2 else (hours[mid - 1] + hours[mid]) / 2.0
