"""LightFM-style hybrid recommender in torch.

A user vector is ``user id embedding + mean(user feature embeddings) + P·user_text +
global user vector``; an item vector is ``item id embedding + mean(item feature
embeddings) + P·item_text``; the score is ``<u, v> + item bias`` (the bias is also a sum
of an id part, a feature part and a text part). Ids without training interactions are
left out, so new members and new courses are scored from their features alone.

Training uses implicit positives with sampled negatives and either BPR or a WARP-style
loss (hardest of K sampled negatives, weighted by the estimated rank), plus L2 on the
vectors that take part in each step. Everything is seeded: the same data and config give
the same model.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F

from core.recommend.data import RecData, history_matrix

log = logging.getLogger(__name__)

__all__ = ["FORMAT_VERSION", "HybridConfig", "HybridModel", "TrainingError"]

FLAT_STD = 1e-5  # a score row spread less than this carries no ranking (see _zscore)
FORMAT_VERSION = 3  # 2: the content-kNN part of the blend is saved; 3: the period part too


STEPS_PER_EPOCH = 20
MIN_BATCH = 8


def auto_batch_size(n_positives: int) -> int:
    """A batch giving about :data:`STEPS_PER_EPOCH` steps per epoch: a community of a few
    hundred interactions still gets hundreds of steps, a large one keeps batches big."""
    return max(MIN_BATCH, -(-n_positives // STEPS_PER_EPOCH))


class TrainingError(RuntimeError):
    """Training produced no usable model (bad input, NaN loss, ...)."""


@dataclass(frozen=True)
class HybridConfig:
    dim: int = 64
    loss: Literal["warp", "bpr"] = "warp"
    n_negatives: int = 16
    epochs: int = 20
    batch_size: int = 2048  # 0: about STEPS_PER_EPOCH steps per epoch whatever the data size
    lr: float = 0.02
    l2: float = 1e-4
    margin: float = 1.0
    use_item_ids: bool = True
    use_user_ids: bool = True
    max_features: int = 32
    popularity_negatives: float = 0.0  # share of negatives drawn by popularity
    weight_transform: Literal["binary", "log"] = "log"
    seed: int = 0
    threads: int | None = None
    max_seconds: float | None = None
    content_weight: float = 0.0  # blend with content kNN (per-user standardised scores)
    popularity_weight: float = 0.0  # blend with log item popularity (a prior for thin users)
    cf_weight: float = 1.0  # weight of the model's own score in the blend
    period_weight: float = 0.0  # blend with period affinity (needs item creation times)
    history_features: bool = True  # users also described by the features of their items
    fold_in_steps: int = 60
    fold_in_lr: float = 0.05


PRODUCT_CONFIG = HybridConfig(loss="bpr", epochs=30, batch_size=0, content_weight=0.5, threads=2)
"""What ``RecommendService`` trains by default (and the benchmark runs on the demo community)."""


def _padded(mat: sp.csr_matrix | None, n_rows: int, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR -> (idx, weight) padded to the widest row (<= cap), rows normalised to sum 1.

    Padding uses index 0 with weight 0, so it contributes nothing.
    """
    if mat is None or mat.nnz == 0:
        return np.zeros((n_rows, 1), dtype=np.int64), np.zeros((n_rows, 1), dtype=np.float32)
    mat = sp.csr_matrix(mat, dtype=np.float32)
    mat.data = np.abs(mat.data)
    counts = np.diff(mat.indptr)
    width = int(max(1, min(cap, counts.max())))
    idx = np.zeros((n_rows, width), dtype=np.int64)
    wts = np.zeros((n_rows, width), dtype=np.float32)
    for r in range(n_rows):
        lo, hi = mat.indptr[r], mat.indptr[r + 1]
        cols, vals = mat.indices[lo:hi], mat.data[lo:hi]
        if hi - lo > width:
            keep = np.argsort(-vals, kind="stable")[:width]
            cols, vals = cols[keep], vals[keep]
        idx[r, : len(cols)] = cols
        wts[r, : len(cols)] = vals
    sums = wts.sum(axis=1, keepdims=True)
    wts = np.where(sums > 0, wts / np.maximum(sums, 1e-12), 0.0).astype(np.float32)
    return idx, wts


def _padded_fast(mat: sp.csr_matrix | None, n_rows: int, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`_padded` for rows that already fit under ``cap``."""
    if mat is None or mat.nnz == 0:
        return _padded(None, n_rows, cap)
    mat = sp.csr_matrix(mat, dtype=np.float32)
    counts = np.diff(mat.indptr)
    if counts.max() > cap:
        return _padded(mat, n_rows, cap)
    width = int(max(1, counts.max()))
    rows = np.repeat(np.arange(n_rows), counts)
    pos = np.arange(mat.nnz) - np.repeat(mat.indptr[:-1], counts)
    idx = np.zeros((n_rows, width), dtype=np.int64)
    wts = np.zeros((n_rows, width), dtype=np.float32)
    idx[rows, pos] = mat.indices
    wts[rows, pos] = np.abs(mat.data)
    sums = wts.sum(axis=1, keepdims=True)
    wts = np.where(sums > 0, wts / np.maximum(sums, 1e-12), 0.0).astype(np.float32)
    return idx, wts


class _Net(nn.Module):
    def __init__(
        self,
        n_users: int,
        n_items: int,
        n_user_feats: int,
        n_item_feats: int,
        text_dim: int,
        dim: int,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        scale = 1.0 / math.sqrt(dim)

        def init(*shape: int, s: float = scale) -> nn.Parameter:
            return nn.Parameter(torch.randn(*shape, generator=generator) * s * 0.1)

        self.user_id = init(max(n_users, 1), dim)
        self.item_id = init(max(n_items, 1), dim)
        self.user_feat = init(max(n_user_feats, 1), dim)
        self.item_feat = init(max(n_item_feats, 1), dim)
        self.user_global = nn.Parameter(torch.zeros(dim))
        self.text_proj = init(max(text_dim, 1), dim, s=1.0)
        self.item_bias_id = nn.Parameter(torch.zeros(max(n_items, 1), 1))
        self.item_bias_feat = nn.Parameter(torch.zeros(max(n_item_feats, 1), 1))
        self.text_bias = nn.Parameter(torch.zeros(max(text_dim, 1)))


@dataclass
class _Side:
    """Padded features, text and "id is trained" mask for users or items."""

    feat_idx: torch.Tensor
    feat_w: torch.Tensor
    text: torch.Tensor | None
    known: torch.Tensor  # float 0/1

    def rows(self, ids: torch.Tensor) -> _Side:
        return _Side(
            self.feat_idx[ids],
            self.feat_w[ids],
            None if self.text is None else self.text[ids],
            self.known[ids],
        )


@dataclass
class HybridModel:
    """Hybrid collaborative + content model (see module docstring)."""

    config: HybridConfig = field(default_factory=HybridConfig)
    name: str = "hybrid"

    def __post_init__(self) -> None:
        self._net: _Net | None = None
        self._users: _Side | None = None
        self._items: _Side | None = None
        self._item_pop: np.ndarray | None = None
        self._U: np.ndarray | None = None
        self._V: np.ndarray | None = None
        self._b: np.ndarray | None = None
        self.n_user_feats = 0
        self.n_base_user_feats = 0
        self._item_feats: sp.csr_matrix | None = None
        self._content: Any = None
        self._period: Any = None  # PeriodAffinity when the blend uses it
        self.n_item_feats = 0
        self.text_dim = 0
        self.train_seconds = 0.0
        self.epochs_run = 0
        self.loss_history: list[float] = []

    # ------------------------------------------------------------------ helpers

    @property
    def fitted(self) -> bool:
        return self._net is not None

    @property
    def n_users(self) -> int:
        return 0 if self._users is None else int(self._users.known.shape[0])

    @property
    def n_items(self) -> int:
        return 0 if self._items is None else int(self._items.known.shape[0])

    def _threads(self) -> Any:
        return _Threads(self.config.threads)

    def _side(
        self,
        feats: sp.csr_matrix | None,
        text: np.ndarray | None,
        n: int,
        known: np.ndarray,
        n_feats: int,
    ) -> _Side:
        if feats is not None and feats.shape[1] > n_feats:
            feats = sp.csr_matrix(feats)[:, :n_feats]  # unseen feature columns dropped
        idx, w = _padded_fast(feats, n, self.config.max_features)
        t = None
        if self.text_dim:
            arr = np.zeros((n, self.text_dim), dtype=np.float32)
            if text is not None:
                arr[:, : min(self.text_dim, text.shape[1])] = text[:, : self.text_dim]
            t = torch.from_numpy(arr)
        return _Side(
            torch.from_numpy(idx),
            torch.from_numpy(w),
            t,
            torch.from_numpy(known.astype(np.float32)),
        )

    def _user_rep(self, ids: torch.Tensor | None, side: _Side) -> torch.Tensor:
        net = self._require()
        rep = F.embedding_bag(
            side.feat_idx, net.user_feat, per_sample_weights=side.feat_w, mode="sum"
        )
        rep = rep + net.user_global
        if ids is not None and self.config.use_user_ids:
            rep = rep + F.embedding(ids, net.user_id) * side.known.unsqueeze(-1)
        if side.text is not None:
            rep = rep + side.text @ net.text_proj
        return rep

    def _item_rep(self, ids: torch.Tensor | None, side: _Side) -> tuple[torch.Tensor, torch.Tensor]:
        net = self._require()
        rep = F.embedding_bag(
            side.feat_idx, net.item_feat, per_sample_weights=side.feat_w, mode="sum"
        )
        bias = F.embedding_bag(
            side.feat_idx, net.item_bias_feat, per_sample_weights=side.feat_w, mode="sum"
        ).squeeze(-1)
        if ids is not None and self.config.use_item_ids:
            rep = rep + F.embedding(ids, net.item_id) * side.known.unsqueeze(-1)
            bias = bias + F.embedding(ids, net.item_bias_id).squeeze(-1) * side.known
        if side.text is not None:
            rep = rep + side.text @ net.text_proj
            bias = bias + side.text @ net.text_bias
        return rep, bias

    def _require(self) -> _Net:
        if self._net is None:
            raise RuntimeError("model is not fitted")
        return self._net

    # ------------------------------------------------------------------ training

    def fit(self, data: RecData) -> HybridModel:
        cfg = self.config
        start = time.perf_counter()
        pos = data.positives().tocoo()
        if pos.nnz == 0:
            raise TrainingError("no positive interactions to learn from")
        batch_size = cfg.batch_size or auto_batch_size(pos.nnz)
        n_users, n_items = data.n_users, data.n_items
        self.n_item_feats = 0 if data.item_features is None else data.item_features.shape[1]
        self.n_base_user_feats = 0 if data.user_features is None else data.user_features.shape[1]
        self._item_feats = None if data.item_features is None else sp.csr_matrix(data.item_features)
        user_features = self._augment_user_features(
            data.user_features, sp.csr_matrix(data.positives(), dtype=np.float32)
        )
        self.n_user_feats = 0 if user_features is None else user_features.shape[1]
        dims = [t.shape[1] for t in (data.item_text, data.user_text) if t is not None]
        self.text_dim = max(dims) if dims else 0
        gen = torch.Generator().manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        with self._threads():
            self._net = _Net(
                n_users,
                n_items,
                self.n_user_feats,
                self.n_item_feats,
                self.text_dim,
                cfg.dim,
                gen,
            )
            user_known = np.asarray(data.positives().getnnz(axis=1) > 0)
            item_counts = np.asarray(data.positives().getnnz(axis=0)).ravel()
            self._item_pop = item_counts.astype(np.float64)
            self._users = self._side(
                user_features, data.user_text, n_users, user_known, self.n_user_feats
            )
            self._items = self._side(
                data.item_features, data.item_text, n_items, item_counts > 0, self.n_item_feats
            )
            weights = pos.data.astype(np.float32)
            if cfg.weight_transform == "binary":
                weights = np.ones_like(weights)
            else:
                weights = 1.0 + np.log1p(np.maximum(weights, 0.0) / np.median(weights))
                weights = weights / weights.mean()
            u_all = torch.from_numpy(pos.row.astype(np.int64))
            i_all = torch.from_numpy(pos.col.astype(np.int64))
            w_all = torch.from_numpy(weights.astype(np.float32))
            pop_p = None
            if cfg.popularity_negatives > 0:
                p = np.power(item_counts.astype(np.float64) + 1.0, 0.75)
                pop_p = torch.from_numpy(p / p.sum())
            opt = torch.optim.Adam(self._net.parameters(), lr=cfg.lr)
            n = pos.nnz
            self.loss_history = []
            for epoch in range(cfg.epochs):
                perm = torch.randperm(n, generator=gen)
                total = 0.0
                for lo in range(0, n, batch_size):
                    b = perm[lo : lo + batch_size]
                    loss = self._step_loss(u_all[b], i_all[b], w_all[b], n_items, gen, pop_p)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(b)
                mean = total / n
                if not math.isfinite(mean):
                    raise TrainingError(f"loss became {mean} in epoch {epoch}")
                self.loss_history.append(mean)
                self.epochs_run = epoch + 1
                if cfg.max_seconds and time.perf_counter() - start > cfg.max_seconds:
                    log.info("hybrid: time budget reached after %d epochs", epoch + 1)
                    break
            del rng
            self._refresh_cache()
        self._content = None
        if cfg.content_weight > 0 and (
            data.item_text is not None or data.item_features is not None
        ):
            from core.recommend.models.content import ContentKNN

            self._content = ContentKNN().fit(data)
        self._period = None
        if cfg.period_weight > 0 and data.item_times is not None:
            from core.recommend.models.period import PeriodAffinity

            self._period = PeriodAffinity().fit(data)
        self.train_seconds = time.perf_counter() - start
        return self

    def _augment_user_features(
        self, base: sp.csr_matrix | None, history: sp.csr_matrix | None
    ) -> sp.csr_matrix | None:
        """[base user features | normalised feature profile of the items they liked]."""
        if not self.config.history_features or self._item_feats is None or history is None:
            return base
        n = history.shape[0]
        hist = sp.csr_matrix(history, dtype=np.float32)
        hist.data = np.ones_like(hist.data)
        feats = sp.csr_matrix(self._item_feats[:, : self.n_item_feats], dtype=np.float32)
        feats.data = np.abs(feats.data)
        prof = sp.csr_matrix(hist @ feats)
        sums = np.asarray(prof.sum(axis=1)).ravel()
        prof = sp.csr_matrix(sp.diags(1.0 / np.maximum(sums, 1e-12)) @ prof)
        if base is None:
            base = sp.csr_matrix((n, self.n_base_user_feats), dtype=np.float32)
        base = sp.csr_matrix(base, dtype=np.float32)[:, : self.n_base_user_feats]
        if base.shape[1] < self.n_base_user_feats:
            base = sp.csr_matrix(
                (base.data, base.indices, base.indptr), shape=(n, self.n_base_user_feats)
            )
        return sp.hstack([base, prof]).tocsr()

    def _negatives(
        self, size: tuple[int, int], n_items: int, gen: torch.Generator, pop_p: Any
    ) -> torch.Tensor:
        neg = torch.randint(0, n_items, size, generator=gen)
        if pop_p is not None:
            share = self.config.popularity_negatives
            mask = torch.rand(size, generator=gen) < share
            k = int(mask.sum())
            if k:
                neg[mask] = torch.multinomial(pop_p, k, replacement=True, generator=gen)
        return neg

    def _step_loss(
        self,
        users: torch.Tensor,
        items: torch.Tensor,
        weights: torch.Tensor,
        n_items: int,
        gen: torch.Generator,
        pop_p: Any,
    ) -> torch.Tensor:
        cfg = self.config
        assert self._users is not None and self._items is not None
        B, K = len(users), cfg.n_negatives
        neg = self._negatives((B, K), n_items, gen, pop_p)
        uniq, inv = torch.unique(torch.cat([items, neg.reshape(-1)]), return_inverse=True)
        v_all, b_all = self._item_rep(uniq, self._items.rows(uniq))
        u = self._user_rep(users, self._users.rows(users))
        v_pos, b_pos = v_all[inv[:B]], b_all[inv[:B]]
        v_neg, b_neg = v_all[inv[B:]].reshape(B, K, -1), b_all[inv[B:]].reshape(B, K)
        s_pos = (u * v_pos).sum(-1) + b_pos
        s_neg = torch.einsum("bd,bkd->bk", u, v_neg) + b_neg
        if cfg.loss == "bpr":
            per = nn.functional.softplus(s_neg - s_pos.unsqueeze(1)).mean(1)
        else:
            with torch.no_grad():
                violating = (s_neg > (s_pos.unsqueeze(1) - cfg.margin)).float().sum(1)
                rank = torch.floor((n_items - 1) * violating / K)
                rank_w = torch.log1p(rank) / math.log(max(n_items, 2))
            hardest = s_neg.max(1).values
            per = rank_w * nn.functional.softplus(cfg.margin + hardest - s_pos)
            # a little BPR keeps gradients flowing when no negative violates
            per = per + 0.1 * nn.functional.softplus(s_neg - s_pos.unsqueeze(1)).mean(1)
        reg = (u.pow(2).sum(-1) + v_pos.pow(2).sum(-1) + v_neg.pow(2).sum(-1).mean(1)) * cfg.l2
        return (per * weights).mean() + reg.mean()

    @torch.no_grad()
    def _refresh_cache(self) -> None:
        assert self._users is not None and self._items is not None
        n_u, n_i = self.n_users, self.n_items
        self._U = self._user_rep(torch.arange(n_u), self._users).numpy().copy()
        vs, bs = [], []
        for lo in range(0, n_i, 65536):
            ids = torch.arange(lo, min(n_i, lo + 65536))
            v, b = self._item_rep(ids, self._items.rows(ids))
            vs.append(v.numpy())
            bs.append(b.numpy())
        self._V = np.concatenate(vs).astype(np.float32) if vs else np.zeros((0, 1), np.float32)
        self._b = np.concatenate(bs).astype(np.float32) if bs else np.zeros(0, np.float32)

    # ------------------------------------------------------------------ scoring

    def item_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        assert self._V is not None and self._b is not None
        return self._V, self._b

    def user_vectors(self, user_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        assert self._U is not None
        return self._U[np.asarray(user_ids, dtype=np.int64)]

    def score(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        """(len(user_ids), n_items or len(item_ids)) scores for known user indices."""
        return self.blend(self.score_parts(user_ids, item_ids))

    def _blended(self) -> bool:
        cfg = self.config
        return (
            self._content is not None
            or self._period is not None
            or cfg.popularity_weight != 0
            or cfg.cf_weight != 1
        )

    def _popularity_row(self, item_ids: Sequence[int] | np.ndarray | None) -> np.ndarray | None:
        if self._item_pop is None:
            return None
        pop = np.log1p(self._item_pop).astype(np.float32)
        return pop if item_ids is None else pop[np.asarray(item_ids, dtype=np.int64)]

    def score_parts(
        self,
        user_ids: Sequence[int] | np.ndarray,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> dict[str, np.ndarray | None]:
        """The blend's inputs for known users: ``cf``, ``content``, ``popularity``, ``period``."""
        return {
            "cf": self.score_vectors(self.user_vectors(user_ids), item_ids),
            "content": None if self._content is None else self._content.score(user_ids, item_ids),
            "popularity": self._popularity_row(item_ids),
            "period": None if self._period is None else self._period.score(user_ids, item_ids),
        }

    def blend(
        self,
        parts: dict[str, np.ndarray | None],
        weights: dict[str, float] | None = None,
    ) -> np.ndarray:
        """``cf_weight·z(cf) + content_weight·z(content) + popularity_weight·z(log pop) +
        period_weight·z(period)``.

        Each part is standardised per user (row), so the weights compare like with like;
        with the default weights (no content model) the raw model score comes back.
        """
        cfg = self.config
        w = weights or {
            "cf": cfg.cf_weight,
            "content": cfg.content_weight,
            "popularity": cfg.popularity_weight,
            "period": cfg.period_weight,
        }
        cf = np.asarray(parts["cf"], dtype=np.float32)
        if weights is None and not self._blended():
            return cf
        return self.combine(self.standardise(parts, w), w)

    @staticmethod
    def standardise(
        parts: dict[str, np.ndarray | None], weights: dict[str, float] | None = None
    ) -> dict[str, np.ndarray | None]:
        """Per-row z-scores of the parts ``weights`` uses (all parts when ``None``).

        Separate from :meth:`combine` so blend selection standardises once per chunk and
        then tries every weight triple on the same arrays.
        """

        def used(name: str) -> bool:
            return weights is None or bool(weights.get(name, 0.0))

        cf = np.asarray(parts["cf"], dtype=np.float32)
        content = parts.get("content")
        pop = parts.get("popularity")
        period = parts.get("period")
        return {
            "cf": _zscore(cf),
            "content": None if content is None or not used("content") else _zscore(content),
            "period": None if period is None or not used("period") else _zscore(period),
            # one row for all users: standardised once, broadcast when combined
            "popularity": None
            if pop is None or not used("popularity")
            else _zscore(np.atleast_2d(np.asarray(pop, dtype=np.float32))),
        }

    @staticmethod
    def combine(z: dict[str, np.ndarray | None], weights: dict[str, float]) -> np.ndarray:
        """``Σ weight · z(part)`` over standardised parts (see :meth:`standardise`)."""
        cf = z["cf"]
        assert cf is not None
        out = weights.get("cf", 1.0) * cf
        content = z.get("content")
        if content is not None and weights.get("content", 0.0):
            out += weights["content"] * content
        pop = z.get("popularity")
        if pop is not None and weights.get("popularity", 0.0):
            out += weights["popularity"] * pop
        period = z.get("period")
        if period is not None and weights.get("period", 0.0):
            out += weights["period"] * period
        return out

    def score_vectors(
        self, user_vecs: np.ndarray, item_ids: Sequence[int] | np.ndarray | None = None
    ) -> np.ndarray:
        V, b = self.item_vectors()
        if item_ids is not None:
            sel = np.asarray(item_ids, dtype=np.int64)
            V, b = V[sel], b[sel]
        return np.asarray(user_vecs, dtype=np.float32) @ V.T + b

    def user_vector(
        self,
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
    ) -> np.ndarray:
        """Vector of a member unknown to the model, from features/text alone."""
        return self.user_vectors_from_features(
            user_features, None if user_text is None else np.atleast_2d(user_text), 1
        )[0]

    @torch.no_grad()
    def user_vectors_from_features(
        self,
        user_features: sp.csr_matrix | None,
        user_text: np.ndarray | None,
        n: int,
        histories: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        if self.config.history_features and self._item_feats is not None:
            hist = history_matrix(histories or [np.zeros(0, np.int64)] * n, self.n_items)
            user_features = self._augment_user_features(user_features, hist)
        side = self._side(user_features, user_text, n, np.zeros(n, bool), self.n_user_feats)
        return self._user_rep(None, side).numpy().copy()

    def top_k(
        self,
        user: int | np.ndarray,
        k: int = 10,
        exclude: Sequence[int] | np.ndarray | set[int] | None = None,
        candidates: Sequence[int] | np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` item indices (and scores) for a user index or a user vector."""
        if isinstance(user, int | np.integer):
            row = self.score([int(user)], candidates)[0]
        else:
            row = self.score_vectors(np.asarray(user)[None, :], candidates)[0]
        return top_k_from_scores(row, k, exclude, candidates)

    def top_k_many(
        self, user_ids: Sequence[int] | np.ndarray, k: int = 10, chunk: int = 4096
    ) -> np.ndarray:
        """(len(user_ids), k) item indices, best first (no exclusions)."""
        users = np.asarray(user_ids, dtype=np.int64)
        out = np.zeros((len(users), min(k, self.n_items)), dtype=np.int64)
        for lo in range(0, len(users), chunk):
            s = self.score(users[lo : lo + chunk])
            out[lo : lo + chunk] = top_k_rows(s, k)
        return out

    def score_new_users(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        """Scores for members the model has not seen, folded in from their history."""
        return self.blend(self.score_new_user_parts(histories, user_features, user_text, item_ids))

    def score_new_user_parts(
        self,
        histories: Sequence[np.ndarray],
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
        item_ids: Sequence[int] | np.ndarray | None = None,
    ) -> dict[str, np.ndarray | None]:
        """:meth:`score_parts` for members the model has not seen (folded in)."""
        vecs = self.fold_in_users(histories, None, user_features, user_text)
        content = None
        if self._content is not None:
            content = self._content.score_new_users(histories, None, None, item_ids)
        period = None
        if self._period is not None:
            period = self._period.score_new_users(histories, item_ids)
        return {
            "cf": self.score_vectors(vecs, item_ids),
            "content": content,
            "popularity": self._popularity_row(item_ids),
            "period": period,
        }

    # ------------------------------------------------------------------ fold-in

    def fold_in_user(
        self,
        item_ids: Sequence[int] | np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
    ) -> np.ndarray:
        """Vector for a new member from a few interactions (items frozen; ~ms)."""
        return self.fold_in_users(
            [np.asarray(item_ids, dtype=np.int64)],
            None if weights is None else [np.asarray(weights, dtype=np.float32)],
            user_features,
            None if user_text is None else np.atleast_2d(user_text),
        )[0]

    def fold_in_users(
        self,
        histories: Sequence[np.ndarray],
        weights: Sequence[np.ndarray] | None = None,
        user_features: sp.csr_matrix | None = None,
        user_text: np.ndarray | None = None,
    ) -> np.ndarray:
        """Vectors for many new members at once; rows with no history keep features only."""
        cfg = self.config
        n = len(histories)
        base = self.user_vectors_from_features(user_features, user_text, n, histories)
        rows = np.concatenate(
            [np.full(len(h), r, dtype=np.int64) for r, h in enumerate(histories)]
            or [np.zeros(0, np.int64)]
        )
        items = np.concatenate(
            [np.asarray(h, np.int64) for h in histories] or [np.zeros(0, np.int64)]
        )
        if len(items) == 0:
            return base
        if weights is None:
            w = np.ones(len(items), dtype=np.float32)
        else:
            w = np.concatenate([np.asarray(x, np.float32) for x in weights])
        keep = w > 0
        rows, items, w = rows[keep], items[keep], w[keep]
        if len(items) == 0:
            return base
        w = w / w.mean()
        V, b = self.item_vectors()
        Vt, bt = torch.from_numpy(V), torch.from_numpy(b)
        gen = torch.Generator().manual_seed(cfg.seed + 7)
        delta = torch.zeros((n, base.shape[1]), requires_grad=True)
        base_t = torch.from_numpy(base)
        r_t, i_t, w_t = (torch.from_numpy(x) for x in (rows, items, w))
        opt = torch.optim.Adam([delta], lr=cfg.fold_in_lr)
        K = max(cfg.n_negatives, 8)
        n_items = V.shape[0]
        with self._threads():
            for _ in range(cfg.fold_in_steps):
                u = base_t[r_t] + delta[r_t]
                s_pos = (u * Vt[i_t]).sum(-1) + bt[i_t]
                neg = torch.randint(0, n_items, (len(i_t), K), generator=gen)
                s_neg = torch.einsum("bd,bkd->bk", u, Vt[neg]) + bt[neg]
                per = nn.functional.softplus(s_neg - s_pos.unsqueeze(1)).mean(1)
                loss = (per * w_t).sum() / n + cfg.l2 * 10 * delta.pow(2).sum() / n
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        return (base_t + delta.detach()).numpy().copy()

    # ------------------------------------------------------------------ new items

    @torch.no_grad()
    def add_items(
        self,
        item_features: sp.csr_matrix | None = None,
        item_text: np.ndarray | None = None,
        n_new: int | None = None,
        item_times: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append new items (scored from features/text, no retraining). Returns indices.

        ``item_times`` places them in the period part (unknown times score 0 there)."""
        assert self._items is not None and self._V is not None and self._b is not None
        if n_new is None:
            if item_features is not None:
                n_new = item_features.shape[0]
            elif item_text is not None:
                n_new = item_text.shape[0]
            else:
                raise ValueError("add_items needs features, text or n_new")
        side = self._side(item_features, item_text, n_new, np.zeros(n_new, bool), self.n_item_feats)
        v, b = self._item_rep(None, side)
        old = self._items
        width = max(old.feat_idx.shape[1], side.feat_idx.shape[1])

        def pad(t: torch.Tensor) -> torch.Tensor:
            return nn.functional.pad(t, (0, width - t.shape[1]))

        self._items = _Side(
            torch.cat([pad(old.feat_idx), pad(side.feat_idx)]),
            torch.cat([pad(old.feat_w), pad(side.feat_w)]),
            None if old.text is None or side.text is None else torch.cat([old.text, side.text]),
            torch.cat([old.known, side.known]),
        )
        net = self._require()
        extra = torch.zeros(n_new, net.item_id.shape[1])
        net.item_id = nn.Parameter(torch.cat([net.item_id.detach(), extra]))
        net.item_bias_id = nn.Parameter(
            torch.cat([net.item_bias_id.detach(), torch.zeros(n_new, 1)])
        )
        start = self._V.shape[0]
        self._V = np.concatenate([self._V, v.numpy()]).astype(np.float32)
        self._b = np.concatenate([self._b, b.numpy()]).astype(np.float32)
        if self._item_pop is not None:
            self._item_pop = np.concatenate([self._item_pop, np.zeros(n_new)])
        if self._period is not None:
            self._period.add_items(item_times, n_new)
        if self._content is not None:
            self._content.add_items(item_text, item_features)
            if self._content.profiles is not None:
                prof = self._content.profiles
                self._content.profiles = sp.csr_matrix(prof)
        if self._item_feats is not None:
            extra_f = (
                sp.csr_matrix((n_new, self._item_feats.shape[1]), dtype=np.float32)
                if item_features is None
                else sp.csr_matrix(item_features, dtype=np.float32)[:, : self._item_feats.shape[1]]
            )
            if extra_f.shape[1] < self._item_feats.shape[1]:
                extra_f = sp.csr_matrix(
                    (extra_f.data, extra_f.indices, extra_f.indptr),
                    shape=(n_new, self._item_feats.shape[1]),
                )
            self._item_feats = sp.vstack([self._item_feats, extra_f]).tocsr()
        return np.arange(start, start + n_new)

    # ------------------------------------------------------------------ persistence

    def save(self, directory: str | Path) -> None:
        net = self._require()
        assert self._users is not None and self._items is not None
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        tensors: dict[str, torch.Tensor] = {f"net.{k}": v for k, v in net.state_dict().items()}
        for prefix, side in (("users", self._users), ("items", self._items)):
            tensors[f"{prefix}.feat_idx"] = side.feat_idx
            tensors[f"{prefix}.feat_w"] = side.feat_w
            tensors[f"{prefix}.known"] = side.known
            if side.text is not None:
                tensors[f"{prefix}.text"] = side.text
        if self._item_feats is not None:
            _put_csr(tensors, "item_feats", self._item_feats)
        if self._item_pop is not None:
            tensors["item_pop"] = torch.from_numpy(np.asarray(self._item_pop, dtype=np.float64))
        content = self._content
        if content is not None:
            # the blend's content part: without it a loaded model would rank by cf alone
            assert content.items is not None and content.profiles is not None
            _put_csr(tensors, "content.items", content.items)
            _put_csr(tensors, "content.profiles", content.profiles)
            if content.idf is not None:
                tensors["content.idf"] = torch.from_numpy(np.asarray(content.idf, np.float32))
        period = self._period
        if period is not None:
            assert period.edges is not None and period.item_bins is not None
            assert period.profiles is not None
            tensors["period.edges"] = torch.from_numpy(np.asarray(period.edges, np.float64))
            tensors["period.item_bins"] = torch.from_numpy(period.item_bins.astype(np.int64))
            tensors["period.profiles"] = torch.from_numpy(period.profiles)
            tensors["period.sigma"] = torch.tensor([period.sigma], dtype=torch.float64)
        torch.save(tensors, d / "hybrid.pt")
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": "hybrid",
            "config": asdict(self.config),
            "n_user_feats": self.n_user_feats,
            "n_base_user_feats": self.n_base_user_feats,
            "n_item_feats": self.n_item_feats,
            "text_dim": self.text_dim,
            "train_seconds": self.train_seconds,
            "epochs_run": self.epochs_run,
        }
        (d / "hybrid.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, directory: str | Path) -> HybridModel:
        d = Path(directory)
        meta = json.loads((d / "hybrid.json").read_text())
        version = meta.get("format_version")
        if version not in (1, 2, FORMAT_VERSION):
            raise ValueError(f"unsupported hybrid format {version}")
        config = HybridConfig(**meta["config"])
        if version == 1 and config.content_weight > 0:
            # format 1 dropped the content part: serving it would silently rank by cf alone
            raise ValueError("hybrid format 1 lacks the content part of its blend; retrain")
        tensors = torch.load(d / "hybrid.pt", weights_only=True)
        model = cls(config)
        model.n_user_feats = int(meta["n_user_feats"])
        model.n_base_user_feats = int(meta.get("n_base_user_feats", 0))
        if "item_feats.indptr" in tensors:
            model._item_feats = _get_csr(tensors, "item_feats")
        model.n_item_feats = int(meta["n_item_feats"])
        model.text_dim = int(meta["text_dim"])
        model.train_seconds = float(meta.get("train_seconds", 0.0))
        model.epochs_run = int(meta.get("epochs_run", 0))
        state = {k[4:]: v for k, v in tensors.items() if k.startswith("net.")}
        net = _Net(
            state["user_id"].shape[0],
            state["item_id"].shape[0],
            state["user_feat"].shape[0],
            state["item_feat"].shape[0],
            state["text_proj"].shape[0],
            state["user_id"].shape[1],
            torch.Generator().manual_seed(0),
        )
        net.load_state_dict(state)
        model._net = net
        if "item_pop" in tensors:
            model._item_pop = tensors["item_pop"].numpy().copy()
        for prefix in ("users", "items"):
            side = _Side(
                tensors[f"{prefix}.feat_idx"],
                tensors[f"{prefix}.feat_w"],
                tensors.get(f"{prefix}.text"),
                tensors[f"{prefix}.known"],
            )
            setattr(model, f"_{prefix}", side)
        if "content.items.indptr" in tensors:
            from core.recommend.models.content import ContentKNN

            content = ContentKNN()
            content.items = _get_csr(tensors, "content.items")
            content.profiles = _get_csr(tensors, "content.profiles")
            idf = tensors.get("content.idf")
            content.idf = None if idf is None else idf.numpy().copy()
            model._content = content
        if "period.edges" in tensors:
            from core.recommend.models.period import PeriodAffinity

            period = PeriodAffinity(sigma=float(tensors["period.sigma"][0]))
            period.edges = tensors["period.edges"].numpy().copy()
            period.n_bins = len(period.edges) + 1
            period.item_bins = tensors["period.item_bins"].numpy().copy()
            period.profiles = tensors["period.profiles"].numpy().copy()
            model._period = period
        elif config.period_weight > 0:
            raise ValueError("hybrid file lacks the period part of its blend; retrain")
        model._refresh_cache()
        return model


def _put_csr(tensors: dict[str, torch.Tensor], name: str, mat: sp.spmatrix) -> None:
    """Store a float32 CSR matrix as plain tensors (``torch.load(weights_only=True)`` safe)."""
    m = sp.csr_matrix(mat, dtype=np.float32)
    tensors[f"{name}.indptr"] = torch.from_numpy(m.indptr.astype(np.int64))
    tensors[f"{name}.indices"] = torch.from_numpy(m.indices.astype(np.int64))
    tensors[f"{name}.data"] = torch.from_numpy(np.ascontiguousarray(m.data))
    tensors[f"{name}.shape"] = torch.tensor(m.shape, dtype=torch.int64)


def _get_csr(tensors: dict[str, torch.Tensor], name: str) -> sp.csr_matrix:
    shape = tuple(int(x) for x in tensors[f"{name}.shape"].tolist())
    return sp.csr_matrix(
        (
            tensors[f"{name}.data"].numpy().copy(),
            tensors[f"{name}.indices"].numpy().copy(),
            tensors[f"{name}.indptr"].numpy().copy(),
        ),
        shape=shape,
    )


class _Threads:
    """Temporarily set torch's intra-op thread count."""

    def __init__(self, n: int | None) -> None:
        self.n = n
        self.old = torch.get_num_threads()

    def __enter__(self) -> None:
        if self.n:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        if self.n:
            torch.set_num_threads(self.old)


def _zscore(x: np.ndarray) -> np.ndarray:
    """Standardise each row (a flat row, spread under ``FLAT_STD``, becomes zeros: in
    float32 its mean can miss the values by an ulp, and 1/(std + 1e-6) would rank that)."""
    x = np.asarray(x, dtype=np.float32)
    std = x.std(1, keepdims=True)
    scale = np.where(std > FLAT_STD, 1.0 / (std + 1e-6), 0.0).astype(np.float32)
    return (x - x.mean(1, keepdims=True)) * scale


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Row-wise indices of the ``k`` largest scores, best first."""
    k = min(k, scores.shape[1])
    if k <= 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def top_k_from_scores(
    scores: np.ndarray,
    k: int,
    exclude: Sequence[int] | np.ndarray | set[int] | None = None,
    candidates: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` of one score row; ``candidates`` maps row positions to item indices."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    ids = np.arange(len(scores)) if candidates is None else np.asarray(candidates, np.int64)
    if exclude is not None and len(exclude):
        ex = np.isin(ids, np.fromiter(exclude, dtype=np.int64))
        scores[ex] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0)
    part = np.argpartition(-scores, k - 1)[:k]
    part = part[np.argsort(-scores[part], kind="stable")]
    return ids[part], scores[part]
