"""Period affinity: members engage with items from the stretch of time they are active in.

Every item has a creation time (a course's ``created_at``, a question's posting time); the
catalogue is cut into ``n_bins`` equal-count periods of it. A member's profile is the share
of their liked items in each period, smoothed over neighbouring periods (a Gaussian of
``sigma`` periods), and an item scores the profile's value at its own period.

Why it exists: on CrossValidated, where members answer questions, the content-kNN ranking
holds many tied same-tag questions and neither the collaborative model nor popularity
ordered them better than chance; the period a member answers in does (validation NDCG@10
about 2.5x content alone). Items without a known time (NaN) score 0, as does everything
for a member with no history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData, history_matrix

__all__ = ["PeriodAffinity", "WithPeriodFeatures"]

N_BINS = 100
SIGMA = 1.0


class PeriodAffinity:
    name = "period"

    def __init__(self, n_bins: int = N_BINS, sigma: float = SIGMA) -> None:
        self.n_bins = n_bins
        self.sigma = sigma
        self.edges: np.ndarray | None = None  # inner bin edges over item times
        self.item_bins: np.ndarray | None = None  # per item, -1 = unknown time
        self.profiles: np.ndarray | None = None  # (n_users, n_bins) float32

    @property
    def fitted(self) -> bool:
        return self.profiles is not None

    def fit(self, data: RecData) -> PeriodAffinity:
        if data.item_times is None:
            raise ValueError("period affinity needs item_times")
        times = np.asarray(data.item_times, dtype=np.float64)
        known = times[np.isfinite(times)]
        # no more periods than a few items each can fill (a tiny catalogue gets a handful);
        # repeated times (MARS gives only the year) collapse equal edges into one period
        bins = int(max(1, min(self.n_bins, len(known) // 5)))
        qs = np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1]) if len(known) else np.zeros(0)
        edges = np.unique(np.asarray(qs, dtype=np.float64))
        self.edges = edges[edges > known.min()] if len(known) else edges
        self.n_bins = len(self.edges) + 1
        self.item_bins = self.bins_of(times)
        self.profiles = self._profiles(data.positives())
        return self

    def bins_of(self, times: Sequence[float] | np.ndarray) -> np.ndarray:
        """Period index per time (-1 where the time is unknown)."""
        assert self.edges is not None
        t = np.asarray(times, dtype=np.float64)
        out = np.searchsorted(self.edges, np.nan_to_num(t), side="right").astype(np.int64)
        out[~np.isfinite(t)] = -1
        return out

    def item_matrix(self) -> sp.csr_matrix:
        """(n_items, n_bins) one-hot periods (no entry for unknown times)."""
        assert self.item_bins is not None
        ok = np.flatnonzero(self.item_bins >= 0)
        return sp.csr_matrix(
            (np.ones(len(ok), np.float32), (ok, self.item_bins[ok])),
            shape=(len(self.item_bins), self.n_bins),
        )

    def _kernel(self) -> np.ndarray:
        idx = np.arange(self.n_bins, dtype=np.float64)
        if self.sigma <= 0:
            return np.eye(self.n_bins)
        k = np.exp(-0.5 * ((idx[:, None] - idx[None, :]) / self.sigma) ** 2)
        return k / k.sum(axis=0, keepdims=True)

    def _profiles(self, liked: sp.csr_matrix) -> np.ndarray:
        """Share of each member's liked items per period, smoothed (rows sum to <= 1)."""
        x = sp.csr_matrix(liked, dtype=np.float64)
        x.data[:] = 1.0
        hist = np.asarray((x @ self.item_matrix()).todense(), dtype=np.float64)
        totals = hist.sum(axis=1, keepdims=True)
        shares = hist / np.maximum(totals, 1.0)
        return np.asarray(shares @ self._kernel().T, dtype=np.float32)

    def profiles_new(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        """Profiles of members the model has not seen, from the items they liked."""
        assert self.item_bins is not None
        return self._profiles(history_matrix(histories, len(self.item_bins)))

    def gather_index(self) -> np.ndarray:
        """Per item, the profile column it reads: its period, or ``n_bins`` (a zero column
        appended to the profiles) when its time is unknown."""
        assert self.item_bins is not None
        return np.where(self.item_bins >= 0, self.item_bins, self.n_bins)

    def score_profiles(
        self, profiles: np.ndarray, item_ids: Sequence[int] | np.ndarray | None = None
    ) -> np.ndarray:
        index = self.gather_index()
        if item_ids is not None:
            index = index[np.asarray(item_ids)]
        padded = np.concatenate(
            [np.asarray(profiles, np.float32), np.zeros((len(profiles), 1), np.float32)], axis=1
        )
        return padded[:, index]

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        assert self.profiles is not None
        return self.score_profiles(self.profiles[np.asarray(user_ids, np.int64)], item_ids)

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        return self.score_profiles(self.profiles_new(histories), item_ids)

    def add_items(self, times: Sequence[float] | np.ndarray | None, n_new: int) -> None:
        """Append new items: their period from their creation time (unknown: none)."""
        assert self.item_bins is not None
        t = np.full(n_new, np.nan) if times is None else np.asarray(times, np.float64)
        self.item_bins = np.concatenate([self.item_bins, self.bins_of(t)])


class WithPeriodFeatures:
    """A baseline given the same item times the hybrid gets, as one-hot period features
    beside its own item features: a check that the hybrid's gain from periods is not only
    information the baselines were denied."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = f"{inner.name}+period"

    def fit(self, data: RecData) -> WithPeriodFeatures:
        period = PeriodAffinity(sigma=0.0).fit(data)
        onehot = period.item_matrix()
        feats = (
            onehot
            if data.item_features is None
            else sp.hstack([sp.csr_matrix(data.item_features), onehot]).tocsr()
        )
        self.inner.fit(replace(data, item_features=sp.csr_matrix(feats, dtype=np.float32)))
        return self

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        return np.asarray(self.inner.score(user_ids, item_ids))

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        return np.asarray(self.inner.score_new_users(histories, user_features, user_text, item_ids))
