"""The in-memory training data every recommender model takes.

Users and items are dense indices ``0..n-1``; the service maps database ids to them.
Features are sparse matrices (rows = users or items, columns = named features such as
``tag:sql`` or ``level:beginner``); text is a dense matrix of L2-normalised embeddings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

__all__ = [
    "FeatureIndex",
    "INTERACTION_WEIGHTS",
    "RecData",
    "decayed_weight",
    "feature_matrix",
    "history_matrix",
]

# Implicit-feedback strength of each interaction kind (negative = dislike).
INTERACTION_WEIGHTS: Mapping[str, float] = {
    "enrol": 3.0,
    "enroll": 3.0,
    "complete": 5.0,
    "view": 1.0,
    "digest_click": 1.5,
    "click": 1.5,
    "thumbs_up": 4.0,
    "thumbs_down": -3.0,
    "not_interested": -5.0,
    "dismiss": -5.0,
    "answer_accepted": 4.0,
    "thread_reply": 2.0,
}


def decayed_weight(base: float, age_days: float, half_life_days: float = 180.0) -> float:
    """Exponential time decay: an interaction loses half its weight every half-life."""
    if half_life_days <= 0:
        return base
    return base * math.pow(0.5, max(age_days, 0.0) / half_life_days)


def history_matrix(histories: Sequence[np.ndarray], n_items: int) -> sp.csr_matrix:
    """(members, items) CSR with 1 for each item in a member's history (repeats add up):
    how members unknown to a model are handed to it."""
    empty = np.zeros(0, np.int64)
    rows = np.concatenate(
        [np.full(len(h), r, np.int64) for r, h in enumerate(histories)] or [empty]
    )
    cols = np.concatenate([np.asarray(h, np.int64) for h in histories] or [empty])
    return sp.csr_matrix(
        (np.ones(len(cols), np.float32), (rows, cols)), shape=(len(histories), n_items)
    )


@dataclass
class FeatureIndex:
    """Feature name <-> column index (append-only, so old columns keep their meaning)."""

    names: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {n: i for i, n in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    def add(self, name: str) -> int:
        idx = self._index.get(name)
        if idx is None:
            idx = len(self.names)
            self.names.append(name)
            self._index[name] = idx
        return idx

    def get(self, name: str) -> int | None:
        return self._index.get(name)


def feature_matrix(
    rows: Sequence[Iterable[str] | Mapping[str, float]],
    index: FeatureIndex,
    *,
    grow: bool = True,
) -> sp.csr_matrix:
    """Build a CSR matrix from per-row feature names (weight 1) or {name: weight}.

    With ``grow=False`` unknown names are dropped (scoring new rows with a fixed model).
    """
    data: list[float] = []
    cols: list[int] = []
    indptr = [0]
    for row in rows:
        items = row.items() if isinstance(row, Mapping) else ((n, 1.0) for n in row)
        seen: dict[int, float] = {}
        for name, weight in items:
            idx = index.add(name) if grow else index.get(name)
            if idx is not None:
                seen[idx] = seen.get(idx, 0.0) + float(weight)
        cols.extend(seen)
        data.extend(seen.values())
        indptr.append(len(cols))
    return sp.csr_matrix(
        (np.asarray(data, dtype=np.float32), np.asarray(cols, dtype=np.int64), indptr),
        shape=(len(rows), max(len(index), 1)),
    )


@dataclass
class RecData:
    """Interactions plus side information.

    ``interactions``: (n_users, n_items) CSR with positive weights for positive
    feedback (zeros/negatives are ignored for training, but count as "seen").
    ``item_features`` / ``user_features``: CSR, or None. ``item_text`` /
    ``user_text``: dense (n, d) embeddings or None; an all-zero row means "no text".
    ``item_times``: each item's creation time on any increasing scale (unix seconds, or
    posting order), NaN where unknown; None when the catalogue has no times.
    """

    interactions: sp.csr_matrix
    item_features: sp.csr_matrix | None = None
    user_features: sp.csr_matrix | None = None
    item_text: np.ndarray | None = None
    user_text: np.ndarray | None = None
    item_feature_names: list[str] | None = None
    user_feature_names: list[str] | None = None
    item_times: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.interactions = sp.csr_matrix(self.interactions, dtype=np.float32)
        n_users, n_items = self.interactions.shape
        for name, mat, n in (
            ("item_features", self.item_features, n_items),
            ("user_features", self.user_features, n_users),
            ("item_text", self.item_text, n_items),
            ("user_text", self.user_text, n_users),
            ("item_times", self.item_times, n_items),
        ):
            if mat is not None and mat.shape[0] != n:
                raise ValueError(f"{name} has {mat.shape[0]} rows, expected {n}")

    @property
    def n_users(self) -> int:
        return int(self.interactions.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.interactions.shape[1])

    def positives(self) -> sp.csr_matrix:
        """Only the positive entries, as CSR."""
        x = self.interactions.copy()
        x.data[x.data < 0] = 0
        x.eliminate_zeros()
        return x

    def with_interactions(self, interactions: sp.csr_matrix) -> RecData:
        return replace(self, interactions=sp.csr_matrix(interactions, dtype=np.float32))
