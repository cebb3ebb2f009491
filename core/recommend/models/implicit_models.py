"""Matrix-factorisation baselines from the ``implicit`` package (ALS and BPR)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData, history_matrix
from core.recommend.models.base import mean_history_vectors

__all__ = ["ImplicitALS", "ImplicitBPR"]


class _ImplicitBase:
    name = "implicit"

    def __init__(self) -> None:
        self.model: Any = None
        self.n_items = 0
        self.params: dict[str, Any] = {}

    def _model_class(self) -> Any:
        raise NotImplementedError

    def fit(self, data: RecData) -> Self:
        pos = data.positives()
        pos.data = np.ones_like(pos.data)  # implicit feedback: seen or not
        self.n_items = pos.shape[1]
        self.model = self._model_class()(**self.params)
        self.model.fit(pos, show_progress=False)
        return self

    def _factors(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.model.user_factors), np.asarray(self.model.item_factors)

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        U, V = self._factors()
        if item_ids is not None:
            V = V[np.asarray(item_ids, np.int64)]
        return U[np.asarray(user_ids, np.int64)] @ V.T

    def _new_user_vectors(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        _, V = self._factors()
        return mean_history_vectors(V, histories)

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        _, V = self._factors()
        if item_ids is not None:
            V = V[np.asarray(item_ids, np.int64)]
        return self._new_user_vectors(histories) @ V.T


class ImplicitALS(_ImplicitBase):
    name = "implicit-als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        seed: int = 0,
        threads: int = 2,
    ) -> None:
        super().__init__()
        self.params = dict(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=seed,
            num_threads=threads,
        )

    def _model_class(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares

    def _new_user_vectors(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        if not histories:
            return np.zeros((0, int(self.params["factors"])), np.float32)
        hist = history_matrix(histories, self.n_items)
        vecs = self.model.recalculate_user(np.arange(len(histories)), hist)
        return np.atleast_2d(np.asarray(vecs, dtype=np.float32))


class ImplicitBPR(_ImplicitBase):
    name = "implicit-bpr"

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        regularization: float = 0.01,
        iterations: int = 100,
        seed: int = 0,
        threads: int = 2,
    ) -> None:
        super().__init__()
        self.params = dict(
            factors=factors,
            learning_rate=learning_rate,
            regularization=regularization,
            iterations=iterations,
            random_state=seed,
            num_threads=threads,
        )

    def _model_class(self) -> Any:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking

    def _new_user_vectors(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        vecs = super()._new_user_vectors(histories)
        vecs[:, -1] = 1.0  # implicit's BPR keeps the item bias in the last factor
        return vecs
