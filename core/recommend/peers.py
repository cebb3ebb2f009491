"""Reciprocal study-partner matching (pure).

``value(a, b)`` says how much member A would gain from member B: shared goals, B knows
or finished what A is learning (complementary progress), similar activity, close time
zones. A pair's score is the harmonic mean of both directions, so a match must be good
for both. Only opted-in members are matched; a pair suggested within the window is not
suggested again; a member is suggested to others at most ``cap`` times per window.

``peers_for`` scores one member's candidates pair by pair (the reference, used by /peers);
``PeerIndex`` holds many members' features as sparse matrices and ``match_many`` answers a
whole batch of members (digests) from matrix products, with the same scores and rules.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from core.recommend.serving import Explanation

__all__ = [
    "PastSuggestion",
    "PeerIndex",
    "PeerProfile",
    "PeerSuggestion",
    "PeerWeights",
    "match_many",
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
    declined: bool = False  # "a" asked never to be shown "b" again (the digest's 🚫)


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
    a: PeerProfile, b: PeerProfile, titles: Mapping[int, str] | None = None
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
        if h.declined:
            pairs.add(frozenset((h.a, h.b)))
        elif now - h.suggested_at < window:
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


# ---------------------------------------------------------------- many members at once

V = TypeVar("V")
TABLE_MAX = 1 << 18  # largest lookup table of pairwise activity parts (else computed per pair)
BLOCK_CELLS = 1 << 16  # score cells per block (rows x members): arrays stay in cache
BITS_MAX = 256  # topics / courses up to this many: bit sets, else sparse rows


class _Sets:
    """Members' sets (goals, courses taken, ...) for counting pairwise overlaps exactly.

    Small vocabularies are bit sets (``popcount(a & b)``, a few words per member); larger
    ones sparse 0/1 rows (a sparse product). Neither goes through BLAS, whose threads only
    contend with the rest of the process on a small box."""

    def __init__(self, sets: Sequence[frozenset[V]], pos: Mapping[V, int]) -> None:
        self.empty = not any(sets)
        self.sizes = np.array([len(xs) for xs in sets], dtype=np.float64)
        self.bits: np.ndarray | None = None
        self.rows: sp.csr_matrix | None = None
        if len(pos) <= BITS_MAX and hasattr(np, "bitwise_count"):
            words = np.zeros((len(sets), max(1, -(-len(pos) // 64))), dtype=np.uint64)
            for i, xs in enumerate(sets):
                for x in xs:
                    words[i, pos[x] // 64] |= np.uint64(1) << np.uint64(pos[x] % 64)
            self.bits = words
        else:
            r = [i for i, xs in enumerate(sets) for _ in xs]
            c = [pos[x] for xs in sets for x in xs]
            data = np.ones(len(r), dtype=np.float64)
            self.rows = sp.csr_matrix((data, (r, c)), shape=(len(sets), max(len(pos), 1)))

    def overlap(self, rows: np.ndarray, other: _Sets) -> np.ndarray:
        """|row member's set & each member's set in ``other``| as float64 (exact)."""
        if self.bits is not None and other.bits is not None:
            a, b = self.bits[rows], other.bits
            count = np.bitwise_count(a[:, None, 0] & b[None, :, 0])
            for w in range(1, a.shape[1]):
                count += np.bitwise_count(a[:, None, w] & b[None, :, w])
            return count.astype(np.float64)
        assert self.rows is not None and other.rows is not None
        return np.asarray((self.rows[rows] @ other.rows.T).toarray(), dtype=np.float64)


def _codes(values: Sequence[V]) -> tuple[list[V], np.ndarray]:
    """Distinct values (in first-seen order) and each position's index into them."""
    where: dict[V, int] = {}
    codes = np.fromiter((where.setdefault(v, len(where)) for v in values), dtype=np.int64)
    return list(where), codes


def _table(part: Callable[[PeerProfile, PeerProfile], float], ps: list[PeerProfile]) -> np.ndarray:
    """``part`` for every pair of distinct values (computed once, looked up per pair)."""
    out = np.array([[part(x, y) for y in ps] for x in ps], dtype=np.float64)
    return out.reshape(len(ps), len(ps))


def _lookup(table: np.ndarray, codes: np.ndarray, rows: np.ndarray) -> np.ndarray | float:
    if table.shape == (1, 1):  # everyone alike (e.g. no time zones known): one number
        return float(table[0, 0])
    return table[np.ix_(codes[rows], codes)]


def _share(count: np.ndarray, size: np.ndarray) -> np.ndarray | float:
    """count / size where size > 0, else 0 (as ``len(a & b) / len(a) if a else 0.0``)."""
    if not size.any():
        return 0.0
    out = np.zeros(count.shape)
    return np.divide(count, size, out=out, where=size > 0)


class PeerIndex:
    """Members' peer features as matrices, built once and reused for every batch.

    Set overlaps become matrix products (0/1 rows; counts are exact), so a block of members
    is scored against everyone at once; activity and time-zone parts come from small
    tables computed with the same scalar functions as ``value``: the scores equal
    ``reciprocal_score`` exactly (activity values too varied for a table are computed per
    pair with numpy, which may differ in the last bit)."""

    def __init__(self, profiles: Iterable[PeerProfile]) -> None:
        self.profiles = sorted(profiles, key=lambda p: p.member_id)
        ps = self.profiles
        self.ids = np.array([p.member_id for p in ps], dtype=np.int64)
        self.pos = {p.member_id: i for i, p in enumerate(ps)}
        topics = {t: i for i, t in enumerate(sorted({t for p in ps for t in p.goals | p.knows}))}
        items = {c: i for i, c in enumerate(sorted({c for p in ps for c in p.taking | p.finished}))}
        self.goals = _Sets([p.goals for p in ps], topics)
        self.knows = _Sets([p.knows for p in ps], topics)
        self.taking = _Sets([p.taking for p in ps], items)
        self.finished = _Sets([p.finished for p in ps], items)
        self.topics_any = _Sets([p.goals | p.knows for p in ps], topics)
        self.items_any = _Sets([p.taking | p.finished for p in ps], items)
        self.opted = np.array([p.opted_in for p in ps], dtype=bool)
        self.activity = np.array([p.activity for p in ps], dtype=np.float64)
        self.log_activity = np.array([math.log1p(p.activity) for p in ps], dtype=np.float64)
        acts, self.act_code = _codes([p.activity for p in ps])
        self.act_table: np.ndarray | None = None
        if len(acts) ** 2 <= TABLE_MAX:
            a = [PeerProfile(0, activity=x) for x in acts]
            self.act_table = _table(_activity_part, a)
        zones, self.tz_code = _codes([p.tz_offset_hours for p in ps])
        self.tz_table = _table(_tz_part, [PeerProfile(0, tz_offset_hours=z) for z in zones])
        # busiest first (activity, then id): the pool that widens a sparse member's candidates
        self.busiest = np.lexsort((self.ids, -self.activity))

    def __len__(self) -> int:
        return len(self.profiles)

    def _activity(self, rows: np.ndarray) -> np.ndarray | float:
        if self.act_table is not None:
            return _lookup(self.act_table, self.act_code, rows)
        la = self.log_activity
        part = np.exp(-np.abs(la[rows, None] - la[None, :]))
        idle = (self.activity[rows, None] <= 0) & (self.activity[None, :] <= 0)
        return np.where(idle, 0.0, part)

    def _complement(self, rows: np.ndarray, forward: bool) -> np.ndarray | float:
        """``_complement_part`` of row members with everyone (``forward``: what the row
        member gains; else what each member gains from the row member)."""
        n = (len(rows), len(self))
        sizes_t = self.taking.sizes[rows, None] if forward else self.taking.sizes[None, :]
        sizes_g = self.goals.sizes[rows, None] if forward else self.goals.sizes[None, :]
        items: np.ndarray | float = 0.0
        if not (self.taking.empty or self.finished.empty):
            both = (
                self.taking.overlap(rows, self.finished)
                if forward
                else self.finished.overlap(rows, self.taking)
            )
            items = _share(both, np.broadcast_to(sizes_t, n))
        topics: np.ndarray | float = 0.0
        if not (self.goals.empty or self.knows.empty):
            both = (
                self.goals.overlap(rows, self.knows)
                if forward
                else self.knows.overlap(rows, self.goals)
            )
            topics = _share(both, np.broadcast_to(sizes_g, n))
        if isinstance(items, float) and isinstance(topics, float):
            return max(items, topics)
        return np.maximum(items, topics)

    def scores(self, rows: np.ndarray, w: PeerWeights = PeerWeights()) -> np.ndarray:
        """``reciprocal_score`` of each row member (index positions) with every member."""
        rows = np.asarray(rows, dtype=np.int64)
        shape = (len(rows), len(self))
        goal = np.zeros(shape)
        if not self.goals.empty:
            shared = self.goals.overlap(rows, self.goals)
            union = self.goals.sizes[rows, None] + self.goals.sizes[None, :] - shared
            # one side empty: 0 / |other| = 0.0, as _jaccard; both empty: stays 0
            np.divide(shared, union, out=goal, where=union > 0)
        act = self._activity(rows)
        tz = _lookup(self.tz_table, self.tz_code, rows)
        # the same operations in the same order as value() (in place, to spare memory
        # traffic): ((goals + complement) + activity) + timezone, equal to the last bit
        ab, ba = goal * w.goals, goal * w.goals
        for out, forward in ((ab, True), (ba, False)):
            out += w.complement * self._complement(rows, forward)  # type: ignore[operator]
            out += w.activity * act  # type: ignore[operator]
            out += w.timezone * tz  # type: ignore[operator]
        both = (ab > 0) & (ba > 0)
        den = ab + ba
        ab *= 2
        ab *= ba  # (2 * ab) * ba
        return np.divide(ab, den, out=np.zeros(shape), where=both)

    def related(self, rows: np.ndarray) -> np.ndarray:
        """Whether each row member shares a topic (goal or known) or a course with each
        member: the candidates worth scoring."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), len(self)), dtype=bool)
        for sets in (self.topics_any, self.items_any):
            if not sets.empty:
                out |= sets.overlap(rows, sets) > 0
        return out


def _best(s: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest allowed scores, best first, ties to the lower index."""
    if k == 1:
        masked = np.where(allowed, s, -np.inf)
        j = int(np.argmax(masked))  # the first of equal maxima: the lower member id
        return np.array([j]) if allowed[j] else np.array([], dtype=np.int64)
    idx = np.flatnonzero(allowed)
    if len(idx) > k:  # keep those at least as good as the k-th, then order just those
        kth = np.partition(-s[idx], k - 1)[k - 1]
        idx = idx[-s[idx] <= kth]
    return idx[np.argsort(-s[idx], kind="stable")[:k]]


def match_many(
    index: PeerIndex,
    member_ids: Sequence[int],
    *,
    now: datetime,
    history: Iterable[PastSuggestion] = (),
    shown: Counter[int] | None = None,
    k: int = 1,
    window: timedelta = timedelta(days=30),
    cap: int = 3,
    min_score: float = 0.05,
    weights: PeerWeights = PeerWeights(),
    min_candidates: int = 0,
    titles: Callable[[int], Mapping[int, str] | None] | None = None,
) -> dict[int, list[PeerSuggestion]]:
    """Top ``k`` partners for each member, in the given order, as if asked one by one.

    Candidates are opted-in members sharing a topic or course (widened with the busiest
    members when fewer than ``min_candidates``); never a pair suggested within ``window``
    (``history``, plus the pairs this call makes), never a member already suggested ``cap``
    times (``shown``: suggestions per member within the window, updated in place as members
    are served). Members not opted in or not in the index get none."""
    shown = shown if shown is not None else Counter()
    out: dict[int, list[PeerSuggestion]] = {mid: [] for mid in member_ids}
    pairs: dict[int, set[int]] = {}
    for h in history:
        if h.declined or now - h.suggested_at < window:
            pairs.setdefault(h.a, set()).add(h.b)
            pairs.setdefault(h.b, set()).add(h.a)
    n = len(index)
    if n == 0 or k <= 0:
        return out
    order = [
        mid for mid in dict.fromkeys(member_ids) if mid in index.pos and index.opted[index.pos[mid]]
    ]
    full = np.fromiter((shown.get(int(i), 0) for i in index.ids), dtype=np.int64, count=n)
    open_ = index.opted & (full < cap)  # may still be suggested (updated as we go)
    busiest = np.zeros(n, dtype=bool)
    busiest[index.busiest[:min_candidates]] = True
    step = max(1, BLOCK_CELLS // n)
    for lo in range(0, len(order), step):
        block = order[lo : lo + step]
        rows = np.array([index.pos[mid] for mid in block], dtype=np.int64)
        scores = index.scores(rows, weights)
        # what does not change while the block is served: related (or widened), good enough
        fixed = index.related(rows)
        if min_candidates > 0:
            fixed[fixed.sum(axis=1) < min_candidates] |= busiest
        fixed &= scores >= min_score
        fixed[np.arange(len(rows)), rows] = False
        for r, mid in enumerate(block):
            allowed = fixed[r] & open_
            for other in pairs.get(mid, ()):
                j = index.pos.get(other)
                if j is not None:
                    allowed[j] = False
            me = index.profiles[rows[r]]
            names = titles(mid) if titles is not None else None
            for j in _best(scores[r], allowed, k):
                peer = index.profiles[j]
                reasons = explain_pair(me, peer, names)
                out[mid].append(
                    PeerSuggestion(mid, peer.member_id, float(scores[r, j]), reasons[0], reasons)
                )
                pairs.setdefault(mid, set()).add(peer.member_id)
                pairs.setdefault(peer.member_id, set()).add(mid)
                shown[peer.member_id] += 1
                full[j] += 1
                if full[j] >= cap:
                    open_[j] = False
    return out
