"""Content-only kNN: a user is the weighted mean of the items they liked; items are
ranked by cosine similarity of their content vector (text embedding and/or features)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData, history_matrix
from core.recommend.encoders import l2_normalize

__all__ = ["ContentKNN", "item_content_vectors"]

DENSE_LIMIT = 20_000_000  # items x dims under which scoring uses dense matrices


def feature_idf(features: sp.csr_matrix) -> np.ndarray:
    """Inverse document frequency per feature column: rare tags say more."""
    df = np.asarray((features > 0).sum(axis=0)).ravel()
    return np.log((1 + features.shape[0]) / (1 + df)).astype(np.float32) + 1.0


def item_content_vectors(
    item_text: np.ndarray | None,
    item_features: sp.csr_matrix | None,
    idf: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Row-normalised [text | idf-weighted features] item vectors (sparse)."""
    parts: list[sp.csr_matrix] = []
    if item_text is not None:
        parts.append(sp.csr_matrix(l2_normalize(item_text)))
    if item_features is not None and item_features.nnz:
        f = sp.csr_matrix(item_features, dtype=np.float32)
        if idf is None:
            idf = feature_idf(f)
        idf = idf[: f.shape[1]]
        if f.shape[1] > len(idf):
            f = f[:, : len(idf)]
        f = sp.csr_matrix(f.multiply(idf[None, :]))
        norms = np.sqrt(np.asarray(f.multiply(f).sum(axis=1)).ravel())
        f = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ f)
        parts.append(f)
    if not parts:
        raise ValueError("content model needs item text or item features")
    out = sp.hstack(parts).tocsr() if len(parts) > 1 else parts[0]
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ out, dtype=np.float32)


class ContentKNN:
    name = "content-knn"

    def __init__(self) -> None:
        self.items: sp.csr_matrix | None = None
        self.profiles: sp.csr_matrix | None = None
        self.idf: np.ndarray | None = None

    def fit(self, data: RecData) -> ContentKNN:
        self.idf = (
            None if data.item_features is None else feature_idf(sp.csr_matrix(data.item_features))
        )
        self.items = item_content_vectors(data.item_text, data.item_features, self.idf)
        pos = data.positives()
        self.profiles = sp.csr_matrix(pos @ self.items)
        return self

    def add_items(self, item_text: np.ndarray | None, item_features: sp.csr_matrix | None) -> None:
        """Append content vectors for new items (same idf as at fit time)."""
        assert self.items is not None
        new = item_content_vectors(item_text, item_features, self.idf)
        if new.shape[1] != self.items.shape[1]:
            new = sp.csr_matrix(
                (new.data, new.indices, new.indptr), shape=(new.shape[0], self.items.shape[1])
            )
        self.items = sp.vstack([self.items, new]).tocsr()

    def _score_profiles(
        self, profiles: sp.csr_matrix, item_ids: Sequence[int] | np.ndarray | None
    ) -> np.ndarray:
        assert self.items is not None
        items = self.items if item_ids is None else self.items[np.asarray(item_ids, np.int64)]
        norms = np.sqrt(np.asarray(profiles.multiply(profiles).sum(axis=1)).ravel())
        if items.shape[0] * items.shape[1] <= DENSE_LIMIT:
            # dense text columns: a BLAS product is far faster than sparse x sparse
            out = np.asarray(profiles.toarray(), np.float32) @ items.toarray().T.astype(np.float32)
        else:
            out = (profiles @ items.T).toarray()
        return np.asarray(out / np.maximum(norms, 1e-12)[:, None], dtype=np.float32)

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        assert self.profiles is not None
        return self._score_profiles(self.profiles[np.asarray(user_ids, np.int64)], item_ids)

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        assert self.items is not None
        hist = history_matrix(histories, self.items.shape[0])
        return self._score_profiles(sp.csr_matrix(hist @ self.items), item_ids)
