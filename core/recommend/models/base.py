"""The interface every recommender model implements (baselines and the hybrid)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData

__all__ = ["Recommender", "mean_history_vectors"]


@runtime_checkable
class Recommender(Protocol):
    """``fit`` on :class:`RecData`; ``score`` known users; ``score_new_users`` from
    a few interactions (and features/text) of members the model has not seen."""

    name: str

    def fit(self, data: RecData) -> Recommender: ...

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray: ...

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray: ...


def mean_history_vectors(item_vecs: np.ndarray, histories: Sequence[np.ndarray]) -> np.ndarray:
    """A new user's vector as the mean of the vectors of the items they touched."""
    out = np.zeros((len(histories), item_vecs.shape[1]), dtype=np.float32)
    for r, h in enumerate(histories):
        if len(h):
            out[r] = item_vecs[np.asarray(h, dtype=np.int64)].mean(axis=0)
    return out
