"""Evaluation harness: splits, ranking metrics, and the all-models benchmark run.

``bench/recommend.py`` and ``syllabot recommend evaluate`` both call
:func:`run_benchmark`. Every model is trained and scored in the same process on the same
split, so the numbers are comparable.

Splits (all seeded):

- ``warm``: 20% of the (user, item) positives at random go to test; users are ranked
  over every item they did not interact with in train.
- ``cold-items``: all interactions of 20% of the items go to test; known users rank only
  those held-out items (none of them was seen in training).
- ``cold-users``: 20% of users (with >= 2 positives) are removed from training; at test
  time each reveals their earliest ``min(3, n - 1)`` interactions (fold-in) and the rest
  are to be found among all other items.

Metrics per user, then averaged: ROC AUC over the candidate items (ties count half; the
same quantity the LightFM paper estimates with sampled negatives), Recall@10, NDCG@10;
plus catalogue coverage of all top-10 lists, training seconds and scoring milliseconds
per 1,000 users (scores + top-10, fold-in included for cold users).

Recall@10 and NDCG@10 are tie-aware (McSherry & Najork, 2008): their expected value when
items with equal scores come in a uniformly random order. A group of tied items shares
the positions it occupies; each positive in it gets the mean discount of those positions
(positions past 10 count 0) and recall credit for the share of them inside the top 10.
Content kNN on CrossValidated's tags ties about 14 items on a member's top-10 score, and
an arbitrary tie order moved NDCG as much as the models differ. Blend selection on
validation data uses the same definition. The top-10 lists behind coverage still break
ties by index order.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData
from core.recommend.datasets import Dataset
from core.recommend.models.base import Recommender

log = logging.getLogger(__name__)

__all__ = [
    "EvalResult",
    "Split",
    "cold_item_split",
    "cold_user_split",
    "evaluate_model",
    "expected_hits",
    "format_table",
    "inner_split",
    "rank_metrics",
    "run_benchmark",
    "select_blend",
    "warm_split",
]

K = 10


@dataclass
class Split:
    name: str
    train: sp.csr_matrix
    test: sp.csr_matrix
    users: np.ndarray  # users to evaluate
    candidates: np.ndarray | None = None  # items to rank (None = all)
    histories: list[np.ndarray] | None = None  # cold users: revealed items, per user


@dataclass
class EvalResult:
    dataset: str
    split: str
    model: str
    auc: float
    recall_at_10: float
    ndcg_at_10: float
    coverage: float
    train_s: float
    score_ms_per_1000_users: float
    n_users: int
    extra: dict[str, Any] = field(default_factory=dict)
    # per evaluated user, in split order (same users for every model): for paired comparisons
    per_user_ndcg: np.ndarray | None = field(default=None, repr=False, compare=False)


# --------------------------------------------------------------------------- splits


def _split_pairs(x: sp.csr_matrix, mask: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    coo = x.tocoo()
    a = sp.csr_matrix((coo.data[~mask], (coo.row[~mask], coo.col[~mask])), shape=x.shape)
    b = sp.csr_matrix((coo.data[mask], (coo.row[mask], coo.col[mask])), shape=x.shape)
    return a, b


def _sample(users: np.ndarray, max_users: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_users is not None and len(users) > max_users:
        users = np.sort(rng.choice(users, max_users, replace=False))
    return users


def warm_split(
    x: sp.csr_matrix, frac: float = 0.2, seed: int = 0, max_users: int | None = 3000
) -> Split:
    rng = np.random.default_rng(seed)
    x = sp.csr_matrix(x)
    train, test = _split_pairs(x, rng.random(x.nnz) < frac)
    has_test = np.asarray(test.getnnz(axis=1)) > 0
    has_train = np.asarray(train.getnnz(axis=1)) > 0
    users = np.flatnonzero(has_test & has_train)
    return Split("warm", train, test, _sample(users, max_users, rng))


def cold_item_split(
    x: sp.csr_matrix, frac: float = 0.2, seed: int = 0, max_users: int | None = 3000
) -> Split:
    rng = np.random.default_rng(seed + 1)
    x = sp.csr_matrix(x)
    items = np.flatnonzero(np.asarray(x.getnnz(axis=0)) > 0)
    held = np.sort(rng.choice(items, int(round(frac * len(items))), replace=False))
    is_held = np.zeros(x.shape[1], dtype=bool)
    is_held[held] = True
    train, test = _split_pairs(x, is_held[x.tocoo().col])
    has_test = np.asarray(test.getnnz(axis=1)) > 0
    has_train = np.asarray(train.getnnz(axis=1)) > 0
    users = np.flatnonzero(has_test & has_train)
    return Split("cold-items", train, test, _sample(users, max_users, rng), candidates=held)


def cold_user_split(
    x: sp.csr_matrix,
    timestamps: sp.csr_matrix,
    frac: float = 0.2,
    seed: int = 0,
    reveal: int = 3,
    max_users: int | None = 3000,
) -> Split:
    rng = np.random.default_rng(seed + 2)
    x = sp.csr_matrix(x)
    ts = sp.csr_matrix(timestamps)
    eligible = np.flatnonzero(np.asarray(x.getnnz(axis=1)) >= 2)
    held = np.sort(rng.choice(eligible, int(round(frac * len(eligible))), replace=False))
    is_held = np.zeros(x.shape[0], dtype=bool)
    is_held[held] = True
    train, rest = _split_pairs(x, is_held[x.tocoo().row])
    users = _sample(held, max_users, rng)
    histories: list[np.ndarray] = []
    t_rows, t_cols = [], []
    for u in users:
        lo, hi = x.indptr[u], x.indptr[u + 1]
        items = x.indices[lo:hi]
        when = np.asarray(ts[u, items].todense()).ravel()
        order = np.lexsort((items, when))
        n_rev = min(reveal, len(items) - 1)
        histories.append(np.sort(items[order[:n_rev]]))
        later = items[order[n_rev:]]
        t_rows.append(np.full(len(later), u))
        t_cols.append(later)
    rows = np.concatenate(t_rows) if t_rows else np.zeros(0, np.int64)
    cols = np.concatenate(t_cols) if t_cols else np.zeros(0, np.int64)
    test = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=x.shape)
    del rest
    return Split("cold-users", train, test, users, histories=histories)


# --------------------------------------------------------------------------- metrics


_DISCOUNT = 1.0 / np.log2(np.arange(2, K + 2))
_CUM_DISCOUNT = np.concatenate([[0.0], np.cumsum(_DISCOUNT)])


def expected_hits(
    scores: np.ndarray, positives: Sequence[np.ndarray], excluded: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row Recall@10 and NDCG@10, expected over a uniformly random order of ties, and
    the top-10 column indices they were read from (ties there in ``argpartition`` order).

    McSherry & Najork (2008): the items of a group of equal scores share the positions the
    group occupies, so each positive in it gets the group's mean discount (a position at or
    past 10 counts 0) and a ``(positions inside the top 10) / (group size)`` chance of
    being recalled. Without this, content kNN's many tied tag scores were ordered by
    ``argpartition`` (arbitrary), which moved NDCG on CrossValidated as much as the models
    differ. Rows with no tie are unchanged.
    """
    s = np.array(scores, dtype=np.float32, copy=True)
    n, m = s.shape
    truth = np.zeros((n, m), dtype=bool)
    for r in range(n):
        if len(excluded[r]):
            s[r, excluded[r]] = -np.inf
        truth[r, positives[r]] = True
    n_pos = np.array([len(p) for p in positives], dtype=np.float64)
    kk = min(K, m)
    if kk == 0:
        return np.zeros(n), np.zeros(n), np.zeros((n, 0), dtype=np.int64)
    part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
    vals = np.take_along_axis(s, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    cut = vals[:, -1:]  # the 10th best score: its tie group may reach past position 10
    above = vals > cut  # every item scoring above the cut is in ``top``
    n_above = above.sum(1)
    at_cut = s == cut
    group = at_cut.sum(1)
    pos_at_cut = (at_cut & truth).sum(1)
    # groups wholly above the cut: first and last position of each item's group in ``top``
    first = np.zeros((n, kk), dtype=np.int64)
    last = np.full((n, kk), kk - 1, dtype=np.int64)
    for j in range(1, kk):
        first[:, j] = np.where(vals[:, j] == vals[:, j - 1], first[:, j - 1], j)
    for j in range(kk - 2, -1, -1):
        last[:, j] = np.where(vals[:, j] == vals[:, j + 1], last[:, j + 1], j)
    mean_disc = (_CUM_DISCOUNT[last + 1] - _CUM_DISCOUNT[first]) / (last + 1 - first)
    hit_above = np.take_along_axis(truth, top, axis=1) & above
    gain = (hit_above * mean_disc).sum(1)
    found = hit_above.sum(1).astype(np.float64)
    # the cut's group: positions n_above .. n_above + group - 1, of which kk - n_above count
    share = (kk - n_above) / np.maximum(group, 1)
    cut_disc = (_CUM_DISCOUNT[kk] - _CUM_DISCOUNT[n_above]) / np.maximum(group, 1)
    finite = np.isfinite(cut[:, 0])  # a -inf cut is the excluded items: no positives there
    gain = gain + np.where(finite, pos_at_cut * cut_disc, 0.0)
    found = found + np.where(finite, pos_at_cut * share, 0.0)
    ideal = _CUM_DISCOUNT[np.minimum(n_pos, K).astype(np.int64)]
    recall = np.where(n_pos > 0, found / np.maximum(n_pos, 1), 0.0)
    ndcg = np.where(ideal > 0, gain / np.maximum(ideal, 1e-12), 0.0)
    return recall, ndcg, top


def rank_metrics(
    scores: np.ndarray, positives: Sequence[np.ndarray], excluded: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-row AUC, Recall@10, NDCG@10 (tie-aware, :func:`expected_hits`) and top-10
    column indices (ties in the list broken by ``argpartition``; used for coverage).

    ``positives`` / ``excluded`` hold column positions into ``scores`` per row.
    """
    n = scores.shape[0]
    auc = np.full(n, np.nan)
    for r in range(n):
        s = scores[r].astype(np.float64, copy=True)
        if len(excluded[r]):
            s[excluded[r]] = -np.inf
        pos = positives[r]
        neg_mask = np.isfinite(s)
        neg_mask[pos] = False
        ns = s[neg_mask]
        ps = s[pos]
        if len(ns) and len(ps):
            less = (ns[None, :] < ps[:, None]).sum(1)
            ties = (ns[None, :] == ps[:, None]).sum(1)
            auc[r] = float(((less + 0.5 * ties) / len(ns)).mean())
    rec, ndcg, tops = expected_hits(scores, positives, excluded)
    return auc, rec, ndcg, tops


def _positions(candidates: np.ndarray | None, n_items: int) -> np.ndarray | None:
    if candidates is None:
        return None
    pos = np.full(n_items, -1, dtype=np.int64)
    pos[candidates] = np.arange(len(candidates))
    return pos


def evaluate_model(
    model: Recommender,
    data: RecData,
    split: Split,
    dataset: str,
    chunk: int = 512,
) -> EvalResult:
    """Fit ``model`` on ``split.train`` (with the side data of ``data``) and score it."""
    train_data = data.with_interactions(split.train)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(train_data)
    train_s = time.perf_counter() - t0
    train_cpu_s = time.process_time() - c0
    cand = split.candidates
    n_items = data.n_items
    where = _positions(cand, n_items)
    aucs, recs, ndcgs = [], [], []
    top_items: set[int] = set()
    score_s = 0.0
    users = split.users
    for lo in range(0, len(users), chunk):
        u = users[lo : lo + chunk]
        t1 = time.perf_counter()
        if split.histories is not None:
            hist = split.histories[lo : lo + chunk]
            uf = None if data.user_features is None else data.user_features[u]
            ut = None if data.user_text is None else data.user_text[u]
            s = model.score_new_users(hist, uf, ut, cand)
            excl_items = hist
        else:
            s = model.score(u, cand)
            excl_items = [
                split.train.indices[split.train.indptr[x] : split.train.indptr[x + 1]] for x in u
            ]
        s = np.asarray(s, dtype=np.float32)
        kk = min(K, s.shape[1])
        np.argpartition(-s, kk - 1, axis=1)  # the top-10 selection a server would do
        score_s += time.perf_counter() - t1
        pos_items = [split.test.indices[split.test.indptr[x] : split.test.indptr[x + 1]] for x in u]
        if where is not None:
            pos_cols = [where[p][where[p] >= 0] for p in pos_items]
            excl_cols = [where[e][where[e] >= 0] for e in excl_items]
        else:
            pos_cols, excl_cols = pos_items, list(excl_items)
        a, r, nd, tops = rank_metrics(s, pos_cols, excl_cols)
        keep = np.array([len(p) > 0 for p in pos_cols])
        aucs.append(a[keep])
        recs.append(r[keep])
        ndcgs.append(nd[keep])
        ids = tops[keep].ravel() if cand is None else cand[tops[keep].ravel()]
        top_items.update(ids.tolist())
    auc = np.concatenate(aucs) if aucs else np.zeros(0)
    n_cand = n_items if cand is None else len(cand)
    return EvalResult(
        dataset=dataset,
        split=split.name,
        model=model.name,
        auc=float(np.nanmean(auc)) if len(auc) else float("nan"),
        recall_at_10=float(np.concatenate(recs).mean()) if recs else float("nan"),
        ndcg_at_10=float(np.concatenate(ndcgs).mean()) if ndcgs else float("nan"),
        coverage=len(top_items) / max(n_cand, 1),
        train_s=train_s,
        score_ms_per_1000_users=1000.0 * score_s / max(len(users), 1) * 1000.0,
        n_users=int(sum(len(x) for x in recs)),
        extra={"train_cpu_s": train_cpu_s, "score_wall_s": score_s},
        per_user_ndcg=np.concatenate(ndcgs) if ndcgs else np.zeros(0),
    )


# --------------------------------------------------------------------------- blend selection

# (cf, content, popularity) weights tried on the validation split; each part is
# standardised per user, so the numbers are comparable across datasets. The model's own
# score always takes part: with every validation user scored, CrossValidated's validation
# preferred content kNN alone (cf weight 0) by less than its noise, which turned the hybrid
# into that baseline and gave up its whole-list ranking (AUC 0.66 instead of 0.72). The
# validation picks how much content and popularity to add, not whether to drop the model.
# Content weight 1024 is the "content first" regime: the content-kNN ranking (the very
# scores of the ContentKNN baseline) with cf and popularity ordering only its ties and
# near-ties and the zero-content tail, which is where whole-catalogue AUC comes from.
# Popularity weights 2 and 4: on CrossValidated's cold users (3 revealed answers)
# validation NDCG still rose at popularity weight 1, the grid's old maximum.
BLEND_GRID: tuple[tuple[float, float, float, float], ...] = tuple(
    (1.0, c, p, 0.0)
    for c in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 32.0, 1024.0)
    for p in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
) + tuple(
    # period affinity next to content (as a share of its weight), or with cf alone; only
    # tried where the catalogue has item times
    (1.0, c, p, r * max(c, 1.0))
    for c in (0.0, 1.0, 4.0, 32.0, 1024.0)
    for r in ((1.0, 4.0, 16.0) if c == 0.0 else (0.25, 0.5, 1.0, 2.0, 4.0))
    for p in (0.0, 1.0)
)
"""(cf, content, popularity, period) weights tried on validation, simpler blends first."""
# scored on validation for the record only (never chosen): the content-kNN baseline itself
CONTENT_ONLY = {"cf": 0.0, "content": 1.0, "popularity": 0.0, "period": 0.0}
# Blend selection maximises validation NDCG@10 among the blends whose validation AUC is at
# least AUC_FLOOR (LightFM's published CrossValidated AUC, 0.695 warm / 0.696 cold, rounded
# up): NDCG alone favoured heavy popularity weights, which rank the whole catalogue badly.
# Where no blend reaches the floor (CrossValidated's cold users: best validation AUC 0.70 at
# NDCG 0.011, popularity-heavy blends 0.0146 at AUC 0.65), NDCG alone decides: keeping
# near the best AUC there gave up the top 10 for a target that split does not have.
AUC_FLOOR = 0.70
AUC_NEGATIVES = 256  # sampled candidates per validation user for the AUC estimate
AUC_POSITIVES = 64  # at most this many of a validation user's positives


def inner_split(
    split: Split, timestamps: sp.csr_matrix | None, seed: int, max_users: int | None = None
) -> Split:
    """A validation split of the same kind, carved from ``split.train`` only.

    Hyperparameters chosen on it never saw the test interactions of ``split``. Every
    eligible validation user is scored by default: on CrossValidated NDCG@10 is ~0.01, so
    1,000 users hold only a dozen hits and the chosen blend followed their noise.
    """
    inner_seed = seed + 1000
    if split.name == "warm":
        return warm_split(split.train, seed=inner_seed, max_users=max_users)
    if split.name == "cold-items":
        return cold_item_split(split.train, seed=inner_seed, max_users=max_users)
    if split.name == "cold-users":
        if timestamps is None:
            raise ValueError("cold-users validation needs timestamps")
        return cold_user_split(split.train, timestamps, seed=inner_seed, max_users=max_users)
    raise ValueError(f"unknown split {split.name}")


def _ndcg_rows(
    scores: np.ndarray, positives: Sequence[np.ndarray], excluded: Sequence[np.ndarray]
) -> np.ndarray:
    """Per-row NDCG@10 for blend selection: the same tie-aware value as the report."""
    return expected_hits(scores, positives, excluded)[1]


class _SampledAUC:
    """Per-row AUC over a fixed sample of candidate columns (the LightFM paper's estimate,
    with more negatives): the same sample for every blend, so they compare like for like."""

    def __init__(
        self,
        n_cols: int,
        positives: Sequence[np.ndarray],
        excluded: Sequence[np.ndarray],
        rng: np.random.Generator,
    ) -> None:
        n = len(positives)
        width = max(1, min(AUC_POSITIVES, max((len(p) for p in positives), default=1)))
        self.pos = np.zeros((n, width), dtype=np.int64)
        self.pos_ok = np.zeros((n, width), dtype=bool)
        self.neg = rng.integers(0, max(n_cols, 1), size=(n, AUC_NEGATIVES))
        self.neg_ok = np.ones((n, AUC_NEGATIVES), dtype=bool)
        for r, (p, e) in enumerate(zip(positives, excluded, strict=True)):
            p = np.asarray(p, dtype=np.int64)[:width]
            self.pos[r, : len(p)] = p
            self.pos_ok[r, : len(p)] = True
            self.neg_ok[r] = ~np.isin(self.neg[r], positives[r]) & ~np.isin(self.neg[r], e)
        self.pairs = self.pos_ok[:, :, None] & self.neg_ok[:, None, :]

    def rows(self, scores: np.ndarray) -> np.ndarray:
        sp_ = np.take_along_axis(scores, self.pos, axis=1)[:, :, None]
        sn = np.take_along_axis(scores, self.neg, axis=1)[:, None, :]
        won = (sp_ > sn) + 0.5 * (sp_ == sn)
        return (won * self.pairs).sum((1, 2)) / np.maximum(self.pairs.sum((1, 2)), 1)


def select_blend(model: Any, data: RecData, inner: Split, chunk: int = 256) -> dict[str, Any]:
    """Pick the hybrid's blend weights on ``inner`` (a train-only split).

    Trains a throwaway copy of ``model`` on ``inner.train``, scores the validation users
    once per part (model, content kNN, popularity, period affinity), and tries every weight
    set in :data:`BLEND_GRID` (period ones only where items have times): the best NDCG@10 among the blends whose (sampled) validation AUC
    clears :data:`AUC_FLOOR` (among all of them when none does). Sets ``model.config`` to
    it and returns what it saw.
    """
    from dataclasses import replace

    from core.recommend.hybrid import HybridModel

    t0 = time.perf_counter()
    probe = HybridModel(replace(model.config, content_weight=1.0, period_weight=1.0)).fit(
        data.with_interactions(inner.train)
    )
    grid = [g for g in BLEND_GRID if g[3] == 0.0 or probe._period is not None]
    cand = inner.candidates
    where = _positions(cand, data.n_items)
    n_cols = len(cand) if cand is not None else data.n_items
    totals = np.zeros(len(grid))
    auc_totals = np.zeros(len(grid))
    content_only = 0.0
    n_rows = 0
    rng = np.random.default_rng(0)
    for lo in range(0, len(inner.users), chunk):
        u = inner.users[lo : lo + chunk]
        if inner.histories is not None:
            hist = inner.histories[lo : lo + chunk]
            uf = None if data.user_features is None else data.user_features[u]
            ut = None if data.user_text is None else data.user_text[u]
            parts = probe.score_new_user_parts(hist, uf, ut, cand)
            excl_items = list(hist)
        else:
            parts = probe.score_parts(u, cand)
            excl_items = [
                inner.train.indices[inner.train.indptr[x] : inner.train.indptr[x + 1]] for x in u
            ]
        pos_items = [inner.test.indices[inner.test.indptr[x] : inner.test.indptr[x + 1]] for x in u]
        if where is not None:
            pos_items = [where[p][where[p] >= 0] for p in pos_items]
            excl_items = [where[e][where[e] >= 0] for e in excl_items]
        keep = np.array([len(p) > 0 for p in pos_items])
        if not keep.any():
            continue
        z = probe.standardise(parts)  # once per chunk, not once per weight triple
        auc = _SampledAUC(n_cols, pos_items, excl_items, rng)
        for g, (wc, wt, wp, wr) in enumerate(grid):
            s = probe.combine(z, {"cf": wc, "content": wt, "popularity": wp, "period": wr})
            totals[g] += _ndcg_rows(s, pos_items, excl_items)[keep].sum()
            auc_totals[g] += auc.rows(s)[keep].sum()
        if z["content"] is not None:
            s = probe.combine(z, CONTENT_ONLY)
            content_only += _ndcg_rows(s, pos_items, excl_items)[keep].sum()
        n_rows += int(keep.sum())
    means = totals / max(n_rows, 1)
    aucs = auc_totals / max(n_rows, 1)
    floor = AUC_FLOOR if (aucs >= AUC_FLOOR).any() else -np.inf
    # first best: the grid lists simpler blends first
    best = int(np.argmax(np.where(aucs >= floor, means, -np.inf)))
    wc, wt, wp, wr = grid[best]
    model.config = replace(
        model.config, cf_weight=wc, content_weight=wt, popularity_weight=wp, period_weight=wr
    )
    return {
        "blend": {"cf": wc, "content": wt, "popularity": wp, "period": wr},
        "validation_ndcg_at_10": float(means[best]),
        "validation_ndcg_unblended": float(means[0]),
        "validation_ndcg_content_only": content_only / max(n_rows, 1),
        "validation_auc_sampled": float(aucs[best]),
        "validation_auc_floor": float(floor),
        "validation_ndcg_grid": {
            "/".join(f"{w:g}" for w in g): round(float(v), 6)
            for g, v in zip(grid, means, strict=True)
        },
        "validation_auc_grid": {
            "/".join(f"{w:g}" for w in g): round(float(v), 4)
            for g, v in zip(grid, aucs, strict=True)
        },
        "validation_users": n_rows,
        "tune_s": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------- benchmark


ModelFactory = Callable[[], Recommender]


def default_models(
    dataset: str,
    seed: int = 0,
    threads: int = 2,
    lightfm: bool = True,
    period_baselines: bool = False,
) -> dict[str, ModelFactory]:
    """Baselines then the hybrid. ``period_baselines`` adds content kNN and LightFM given
    the item periods as features too (the hybrid's period part uses item times)."""
    from core.recommend.hybrid import HybridModel
    from core.recommend.models.content import ContentKNN
    from core.recommend.models.implicit_models import ImplicitALS, ImplicitBPR
    from core.recommend.models.lightfm_model import LightFMWarp, lightfm_available
    from core.recommend.models.popularity import Popularity

    models: dict[str, ModelFactory] = {
        "popularity": Popularity,
        "content-knn": ContentKNN,
        "implicit-als": lambda: ImplicitALS(seed=seed, threads=threads),
        "implicit-bpr": lambda: ImplicitBPR(seed=seed, threads=threads),
    }
    if lightfm and lightfm_available():
        models["lightfm-warp"] = lambda: LightFMWarp(seed=seed, threads=threads)
    if period_baselines:
        from core.recommend.models.period import WithPeriodFeatures

        models["content-knn+period"] = lambda: WithPeriodFeatures(ContentKNN())
        if lightfm and lightfm_available():
            models["lightfm-warp+period"] = lambda: WithPeriodFeatures(
                LightFMWarp(seed=seed, threads=threads)
            )
    models["hybrid"] = lambda: HybridModel(hybrid_config(dataset, seed, threads))
    return models


def hybrid_config(dataset: str, seed: int = 0, threads: int | None = 2) -> Any:
    """The hybrid settings used for each benchmark dataset (and the product default).

    The blend weights here are what serving is timed with; the benchmark's model runs pick
    theirs on validation (:func:`select_blend`). CrossValidated's are the warm split's pick
    with period affinity (seed 0, 2026-12-05)."""
    from dataclasses import replace

    from core.recommend.hybrid import PRODUCT_CONFIG, HybridConfig

    if dataset == "crossvalidated":
        return HybridConfig(
            loss="bpr",
            epochs=10,
            batch_size=4096,
            content_weight=4.0,
            period_weight=8.0,
            seed=seed,
            threads=threads,
        )
    if dataset == "demo":
        # the product's own community: what RecommendService trains
        return replace(PRODUCT_CONFIG, seed=seed, threads=threads)
    return HybridConfig(
        loss="bpr", epochs=20, batch_size=1024, content_weight=0.5, seed=seed, threads=threads
    )


def run_benchmark(
    dataset: Dataset,
    *,
    seed: int = 0,
    threads: int = 2,
    splits: Sequence[str] = ("warm", "cold-items", "cold-users"),
    models: dict[str, ModelFactory] | None = None,
    max_users: int | None = 3000,
    out_dir: str | Path | None = None,
    tune: bool = True,
) -> list[EvalResult]:
    """Train and score every model on every split of ``dataset``; optionally write JSON.

    With ``tune``, models that expose their blend (the hybrid) first pick its weights on a
    validation split of the same kind carved from the training part (:func:`inner_split`).
    """
    models = models or default_models(dataset.name, seed, threads)
    data = dataset.rec_data()
    results: list[EvalResult] = []
    builders = {
        "warm": lambda: warm_split(dataset.interactions, seed=seed, max_users=max_users),
        "cold-items": lambda: cold_item_split(dataset.interactions, seed=seed, max_users=max_users),
        "cold-users": lambda: cold_user_split(
            dataset.interactions, dataset.timestamps, seed=seed, max_users=max_users
        ),
    }
    for split_name in splits:
        split = builders[split_name]()
        for name, factory in models.items():
            log.info("%s / %s / %s", dataset.name, split_name, name)
            try:
                model = factory()
                tuned: dict[str, Any] = {}
                if tune and hasattr(model, "score_parts"):
                    inner = inner_split(split, dataset.timestamps, seed)
                    tuned = select_blend(model, data, inner)
                    log.info("%s / %s: blend %s", dataset.name, split_name, tuned)
                res = evaluate_model(model, data, split, dataset.name)
                res.extra.update(tuned)
            except Exception as exc:  # one broken baseline must not sink the run
                log.exception("model %s failed on %s", name, split_name)
                res = EvalResult(
                    dataset.name,
                    split_name,
                    name,
                    *(float("nan"),) * 6,
                    0,
                    extra={"error": repr(exc)},
                )
            results.append(res)
            print(format_row(res), flush=True)
        _paired_against_baselines([r for r in results if r.split == split_name])
    if out_dir is not None:
        write_results(results, Path(out_dir), dataset.name, seed)
    return results


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Mean per-user NDCG@10 difference ``a - b`` over the same users and its standard
    error: with a few dozen hits per split, gaps smaller than ~2 SE are noise."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
    return {"diff": float(d.mean()) if len(d) else float("nan"), "se": se}


def _paired_against_baselines(results: Sequence[EvalResult]) -> None:
    """Record, on each hybrid row, its paired NDCG@10 difference to every baseline."""
    for h in results:
        if h.model != "hybrid" or h.per_user_ndcg is None:
            continue
        vs = {}
        for r in results:
            if r is h or r.per_user_ndcg is None or len(r.per_user_ndcg) != len(h.per_user_ndcg):
                continue
            vs[r.model] = paired_difference(h.per_user_ndcg, r.per_user_ndcg)
        h.extra["ndcg_minus_baseline"] = vs


def environment() -> dict[str, Any]:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_results(results: list[EvalResult], out_dir: Path, dataset: str, seed: int) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"recommend-{dataset}.seed{seed}.json"
    payload = {
        "dataset": dataset,
        "seed": seed,
        "environment": environment(),
        "results": [{k: v for k, v in asdict(r).items() if k != "per_user_ndcg"} for r in results],
    }
    path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    return path


HEADER = (
    f"{'dataset':<15}{'split':<11}{'model':<20}{'AUC':>7}{'R@10':>8}{'NDCG@10':>9}"
    f"{'cover':>7}{'train s':>9}{'ms/1k u':>9}"
)


def format_row(r: EvalResult) -> str:
    return (
        f"{r.dataset:<15}{r.split:<11}{r.model:<20}{r.auc:>7.3f}{r.recall_at_10:>8.4f}"
        f"{r.ndcg_at_10:>9.4f}{r.coverage:>7.3f}{r.train_s:>9.1f}"
        f"{r.score_ms_per_1000_users:>9.0f}"
    )


def format_table(results: Sequence[EvalResult]) -> str:
    return "\n".join([HEADER, *(format_row(r) for r in results)])
