"""Reciprocal study-partner matching (pure).

``value(a, b)`` says how much member A would gain from member B: shared goals, B knows
or finished what A is learning (complementary progress), similar activity, close time
zones. A pair's score is the harmonic mean of both directions, so a match must be good
for both. Only opted-in members are matched; a pair suggested within the window is not
suggested again; a member is suggested to others at most ``cap`` times per window.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.recommend.serving import Explanation

__all__ = [
    "PastSuggestion",
    "PeerProfile",
    "PeerSuggestion",
    "PeerWeights",
    "peers_for",
    "reciprocal_score",
    "suggest_round",
    "value",
]


@dataclass(frozen=True)
class PeerProfile:
    member_id: int
    opted_in: bool = False
    goals: frozenset[str] = frozenset()  # topics the member wants to learn
    knows: frozenset[str] = frozenset()  # topics the member has mastered / answers
    taking: frozenset[int] = frozenset()  # items in progress
    finished: frozenset[int] = frozenset()  # items completed
    activity: float = 0.0  # interactions per week
    tz_offset_hours: float | None = None
    display_name: str = ""


@dataclass(frozen=True)
class PeerWeights:
    goals: float = 0.35
    complement: float = 0.35
    activity: float = 0.15
    timezone: float = 0.15


@dataclass(frozen=True)
class PastSuggestion:
    a: int
    b: int
    suggested_at: datetime


@dataclass(frozen=True)
class PeerSuggestion:
    member_id: int
    peer_id: int
    score: float
    reason: Explanation
    reasons: tuple[Explanation, ...] = field(default=())


def _jaccard(x: frozenset[str], y: frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def _goal_part(a: PeerProfile, b: PeerProfile) -> float:
    return _jaccard(a.goals, b.goals)


def _complement_part(a: PeerProfile, b: PeerProfile) -> float:
    """B finished what A takes, or B knows the topics A wants to learn."""
    items = len(a.taking & b.finished) / len(a.taking) if a.taking else 0.0
    topics = len(a.goals & b.knows) / len(a.goals) if a.goals else 0.0
    return max(items, topics)


def _activity_part(a: PeerProfile, b: PeerProfile) -> float:
    if a.activity <= 0 and b.activity <= 0:
        return 0.0
    return math.exp(-abs(math.log1p(a.activity) - math.log1p(b.activity)))


def _tz_part(a: PeerProfile, b: PeerProfile) -> float:
    if a.tz_offset_hours is None or b.tz_offset_hours is None:
        return 0.5
    d = abs(a.tz_offset_hours - b.tz_offset_hours) % 24
    d = min(d, 24 - d)
    return 1.0 - d / 12.0


def value(a: PeerProfile, b: PeerProfile, w: PeerWeights = PeerWeights()) -> float:
    """How much A would value B as a study partner, in [0, 1]."""
    return (
        w.goals * _goal_part(a, b)
        + w.complement * _complement_part(a, b)
        + w.activity * _activity_part(a, b)
        + w.timezone * _tz_part(a, b)
    )


def reciprocal_score(a: PeerProfile, b: PeerProfile, w: PeerWeights = PeerWeights()) -> float:
    """Harmonic mean of both directions (0 when either side gains nothing)."""
    ab, ba = value(a, b, w), value(b, a, w)
    if ab <= 0 or ba <= 0:
        return 0.0
    return 2 * ab * ba / (ab + ba)


def explain_pair(
    a: PeerProfile, b: PeerProfile, titles: dict[int, str] | None = None
) -> tuple[Explanation, ...]:
    """Reasons, most specific first, for suggesting B to A."""
    titles = titles or {}
    out: list[Explanation] = []
    done = sorted(a.taking & b.finished)
    if done:
        out.append(
            Explanation("recommend.peer_finished", {"title": titles.get(done[0], str(done[0]))})
        )
    helps = sorted(a.goals & b.knows)
    if helps:
        out.append(Explanation("recommend.peer_knows", {"topic": helps[0]}))
    shared = sorted(a.goals & b.goals)
    if shared:
        out.append(Explanation("recommend.peer_shared_goal", {"topic": shared[0]}))
    if _tz_part(a, b) >= 0.9 and a.tz_offset_hours is not None:
        out.append(Explanation("recommend.peer_timezone"))
    if _activity_part(a, b) >= 0.8 and a.activity > 0:
        out.append(Explanation("recommend.peer_activity"))
    if not out:
        out.append(Explanation("recommend.peer_generic"))
    return tuple(out)


def _recent(
    history: Iterable[PastSuggestion], now: datetime, window: timedelta
) -> tuple[set[frozenset[int]], Counter[int]]:
    pairs: set[frozenset[int]] = set()
    shown: Counter[int] = Counter()
    for h in history:
        if now - h.suggested_at < window:
            pairs.add(frozenset((h.a, h.b)))
            shown[h.b] += 1
    return pairs, shown


def peers_for(
    member: PeerProfile,
    candidates: Sequence[PeerProfile],
    *,
    now: datetime,
    history: Iterable[PastSuggestion] = (),
    k: int = 3,
    window: timedelta = timedelta(days=30),
    cap: int = 3,
    min_score: float = 0.05,
    weights: PeerWeights = PeerWeights(),
    titles: dict[int, str] | None = None,
) -> list[PeerSuggestion]:
    """Top ``k`` partners for ``member`` (empty unless the member opted in)."""
    if not member.opted_in:
        return []
    pairs, shown = _recent(history, now, window)
    scored: list[tuple[float, int, PeerProfile]] = []
    for c in candidates:
        if c.member_id == member.member_id or not c.opted_in:
            continue
        if frozenset((member.member_id, c.member_id)) in pairs:
            continue
        if shown[c.member_id] >= cap:
            continue
        s = reciprocal_score(member, c, weights)
        if s >= min_score:
            scored.append((s, c.member_id, c))
    scored.sort(key=lambda t: (-t[0], t[1]))
    out = []
    for s, _, c in scored[:k]:
        reasons = explain_pair(member, c, titles)
        out.append(PeerSuggestion(member.member_id, c.member_id, s, reasons[0], reasons))
    return out


def suggest_round(
    members: Sequence[PeerProfile],
    *,
    now: datetime,
    history: Iterable[PastSuggestion] = (),
    per_member: int = 1,
    window: timedelta = timedelta(days=30),
    cap: int = 3,
    min_score: float = 0.05,
    weights: PeerWeights = PeerWeights(),
) -> list[PeerSuggestion]:
    """One batch (e.g. for weekly digests): greedy best pairs first, both directions
    recorded, honouring opt-in, the no-repeat window and the per-member cap."""
    history = list(history)
    pairs, shown = _recent(history, now, window)
    opted = [m for m in members if m.opted_in]
    cand: list[tuple[float, int, int]] = []
    for i, a in enumerate(opted):
        for b in opted[i + 1 :]:
            if frozenset((a.member_id, b.member_id)) in pairs:
                continue
            s = reciprocal_score(a, b, weights)
            if s >= min_score:
                cand.append((s, a.member_id, b.member_id))
    cand.sort(key=lambda t: (-t[0], t[1], t[2]))
    by_id = {m.member_id: m for m in opted}
    given: Counter[int] = Counter()
    out: list[PeerSuggestion] = []
    for s, x, y in cand:
        if given[x] >= per_member or given[y] >= per_member:
            continue
        if shown[x] >= cap or shown[y] >= cap:
            continue
        a, b = by_id[x], by_id[y]
        ra, rb = explain_pair(a, b), explain_pair(b, a)
        out.append(PeerSuggestion(x, y, s, ra[0], ra))
        out.append(PeerSuggestion(y, x, s, rb[0], rb))
        given[x] += 1
        given[y] += 1
        shown[x] += 1
        shown[y] += 1
    return out
