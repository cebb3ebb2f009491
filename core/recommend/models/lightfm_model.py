"""LightFM WARP baseline (benchmark-only optional dependency ``lightfm``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData
from core.recommend.models.base import mean_history_vectors

__all__ = ["LightFMWarp", "lightfm_available"]


def lightfm_available() -> bool:
    try:
        import lightfm  # noqa: F401
    except ImportError:
        return False
    return True


def _with_identity(features: sp.csr_matrix | None, n: int) -> sp.csr_matrix:
    eye = sp.identity(n, dtype=np.float32, format="csr")
    if features is None or features.nnz == 0:
        return eye
    return sp.hstack([eye, sp.csr_matrix(features, dtype=np.float32)]).tocsr()


class LightFMWarp:
    """LightFM with id + metadata features ("tags + ids" in Kula 2015)."""

    name = "lightfm-warp"

    def __init__(
        self,
        no_components: int = 64,
        learning_rate: float = 0.05,
        epochs: int = 20,
        item_alpha: float = 1e-6,
        user_alpha: float = 1e-6,
        seed: int = 0,
        threads: int = 2,
    ) -> None:
        self.params: dict[str, Any] = dict(
            no_components=no_components,
            learning_rate=learning_rate,
            loss="warp",
            item_alpha=item_alpha,
            user_alpha=user_alpha,
            random_state=seed,
        )
        self.epochs = epochs
        self.threads = threads
        self.model: Any = None
        self.U: np.ndarray | None = None
        self.ub: np.ndarray | None = None
        self.V: np.ndarray | None = None
        self.vb: np.ndarray | None = None

    def fit(self, data: RecData) -> LightFMWarp:
        from lightfm import LightFM

        pos = data.positives()
        pos.data = np.ones_like(pos.data)
        uf = _with_identity(data.user_features, data.n_users)
        itf = _with_identity(data.item_features, data.n_items)
        self.model = LightFM(**self.params)
        self.model.fit(
            pos.tocoo(),
            user_features=uf,
            item_features=itf,
            epochs=self.epochs,
            num_threads=self.threads,
        )
        self.ub, self.U = self.model.get_user_representations(uf)
        self.vb, self.V = self.model.get_item_representations(itf)
        return self

    def _items(self, item_ids: Sequence[int] | np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        assert self.V is not None and self.vb is not None
        if item_ids is None:
            return self.V, self.vb
        sel = np.asarray(item_ids, np.int64)
        return self.V[sel], self.vb[sel]

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        assert self.U is not None and self.ub is not None
        V, vb = self._items(item_ids)
        u = np.asarray(user_ids, np.int64)
        return self.U[u] @ V.T + vb[None, :] + self.ub[u][:, None]

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        # LightFM has no fold-in: a new user is the mean of the items they touched.
        assert self.V is not None
        V, vb = self._items(item_ids)
        return mean_history_vectors(self.V, histories) @ V.T + vb[None, :]
