"""Most-interacted items first: the baseline every model must beat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData

__all__ = ["Popularity"]


class Popularity:
    name = "popularity"

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.float32)

    def fit(self, data: RecData) -> Popularity:
        pos = data.positives()
        self.counts = np.asarray(pos.getnnz(axis=0), dtype=np.float32).ravel()
        return self

    def _row(self, item_ids: Sequence[int] | np.ndarray | None) -> np.ndarray:
        return self.counts if item_ids is None else self.counts[np.asarray(item_ids, np.int64)]

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        return np.tile(self._row(item_ids), (len(user_ids), 1))

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        return np.tile(self._row(item_ids), (len(histories), 1))
