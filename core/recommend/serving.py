"""Pure serving helpers: what to leave out, diversity (MMR), and explanations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "EXCLUDING_KINDS",
    "Explanation",
    "ItemInfo",
    "MemberInfo",
    "excluded_items",
    "explain",
    "mmr",
]

# Interaction kinds after which an item is not recommended again.
EXCLUDING_KINDS = frozenset(
    {"enrol", "enroll", "complete", "not_interested", "dismiss", "thumbs_down"}
)


def excluded_items(history: Iterable[tuple[int, str]]) -> set[int]:
    """Items the member already has, finished, or dismissed."""
    return {item for item, kind in history if kind in EXCLUDING_KINDS}


def mmr(
    candidates: Sequence[int],
    scores: Sequence[float] | np.ndarray,
    item_vecs: np.ndarray,
    k: int,
    lambda_: float = 0.7,
    max_similarity: float | None = 0.95,
) -> list[int]:
    """Maximal marginal relevance: trade score against similarity to what is picked.

    ``item_vecs`` rows are L2-normalised and aligned with ``candidates``. Candidates whose
    similarity to an already chosen one exceeds ``max_similarity`` are near-duplicates
    and only used when nothing else is left.
    """
    n = len(candidates)
    if n == 0 or k <= 0:
        return []
    s = np.asarray(scores, dtype=np.float64)
    span = s.max() - s.min()
    rel = (s - s.min()) / span if span > 0 else np.ones(n)
    vecs = np.asarray(item_vecs, dtype=np.float64)
    sim = vecs @ vecs.T
    chosen: list[int] = []
    max_sim = np.full(n, -np.inf)
    left = np.ones(n, dtype=bool)
    while len(chosen) < min(k, n):
        penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
        value = lambda_ * rel - (1.0 - lambda_) * penalty
        if max_similarity is not None:
            dup = left & (max_sim > max_similarity)
            if (left & ~dup).any():
                value = np.where(dup, -np.inf, value)
        value = np.where(left, value, -np.inf)
        best = int(np.argmax(value))
        chosen.append(best)
        left[best] = False
        max_sim = np.maximum(max_sim, sim[best])
    return [candidates[i] for i in chosen]


@dataclass(frozen=True)
class Explanation:
    """An i18n key and its parameters, e.g. ``recommend.why_finished`` / title."""

    key: str
    params: Mapping[str, str] = field(default_factory=dict)

    def english(self) -> str:
        """Plain English rendering (logs, tests, the CLI); the bot uses the catalog."""
        templates = {
            "recommend.why_finished": "because you finished {title}",
            "recommend.why_taking": "because you are taking {title}",
            "recommend.why_goal": "matches your goal {goal}",
            "recommend.why_popular_topic": "popular with members learning {topic}",
            "recommend.why_popular": "popular in the community",
            "recommend.why_new": "new in the catalogue",
        }
        return templates.get(self.key, self.key).format(**self.params)


@dataclass(frozen=True)
class ItemInfo:
    index: int
    title: str
    tags: tuple[str, ...] = ()


@dataclass
class MemberInfo:
    """What explanations may cite about a member."""

    finished: Sequence[int] = ()  # item indices
    taking: Sequence[int] = ()
    goals: Sequence[str] = ()
    goal_vecs: np.ndarray | None = None  # aligned with goals, L2-normalised
    topics: Sequence[str] = ()  # tags of what they engage with, most frequent first


def explain(
    item: ItemInfo,
    member: MemberInfo,
    item_vecs: np.ndarray,
    titles: Mapping[int, str],
    *,
    item_popularity: float = 0.0,
    similar_threshold: float = 0.45,
    goal_threshold: float = 0.35,
) -> Explanation:
    """Pick the most specific true reason for recommending ``item``.

    1. a finished (then an in-progress) item similar to it -> "because you finished X";
    2. a stated goal similar to it -> "matches your goal Z";
    3. a topic the member engages with among its tags -> "popular with members learning Y";
    4. otherwise popular, or new when nobody has taken it yet.
    """
    v = item_vecs[item.index]
    for key, pool in (
        ("recommend.why_finished", member.finished),
        ("recommend.why_taking", member.taking),
    ):
        pool = [i for i in pool if i != item.index]
        if pool:
            sims = item_vecs[np.asarray(pool, dtype=np.int64)] @ v
            best = int(np.argmax(sims))
            if sims[best] >= similar_threshold:
                return Explanation(key, {"title": titles.get(pool[best], str(pool[best]))})
    if member.goals and member.goal_vecs is not None and len(member.goal_vecs):
        sims = np.asarray(member.goal_vecs) @ v
        best = int(np.argmax(sims))
        if sims[best] >= goal_threshold:
            return Explanation("recommend.why_goal", {"goal": member.goals[best]})
    tags = set(item.tags)
    for topic in member.topics:
        if topic in tags:
            return Explanation("recommend.why_popular_topic", {"topic": topic})
    if item_popularity > 0:
        return Explanation("recommend.why_popular")
    return Explanation("recommend.why_new")
