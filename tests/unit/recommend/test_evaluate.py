"""Metrics and splits of the evaluation harness."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from core.recommend.evaluate import (
    _ndcg_rows,
    cold_item_split,
    cold_user_split,
    inner_split,
    rank_metrics,
    select_blend,
    warm_split,
)
from core.recommend.hybrid import HybridModel


def test_rank_metrics_on_a_known_ranking():
    scores = np.array([[0.9, 0.8, 0.1, 0.7]])
    auc, rec, ndcg, tops = rank_metrics(scores, [np.array([0])], [np.array([3])])
    assert auc[0] == 1.0 and rec[0] == 1.0 and ndcg[0] == 1.0
    assert list(tops[0][:3]) == [0, 1, 2]
    auc, rec, ndcg, _ = rank_metrics(scores, [np.array([2])], [np.array([], dtype=int)])
    assert auc[0] == 0.0 and rec[0] == 1.0  # 4 items: top-10 holds everything
    assert abs(ndcg[0] - 1 / np.log2(5)) < 1e-9


def test_splits_do_not_leak(community):
    x = community.data.interactions
    w = warm_split(x, seed=0)
    assert (w.train.multiply(w.test)).nnz == 0 and w.train.nnz + w.test.nnz == x.nnz
    c = cold_item_split(x, seed=0)
    assert c.train[:, c.candidates].nnz == 0
    ts = sp.csr_matrix(x.copy())
    ts.data = np.arange(ts.nnz, dtype=float)
    u = cold_user_split(x, ts, seed=0)
    assert u.train[u.users].nnz == 0
    for user, hist in zip(u.users, u.histories or [], strict=True):
        assert not set(hist) & set(u.test[user].indices)


def test_fast_validation_ndcg_matches_the_reported_metric():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(40, 30)).astype(np.float32)
    positives = [rng.choice(30, rng.integers(1, 6), replace=False) for _ in range(40)]
    excluded = [np.setdiff1d(rng.choice(30, 4), p) for p in positives]
    _, _, ndcg, _ = rank_metrics(scores, positives, excluded)
    assert np.allclose(_ndcg_rows(scores, positives, excluded), ndcg)


def test_validation_split_is_carved_from_train_only(community):
    x = community.data.interactions
    ts = sp.csr_matrix(x.copy())
    ts.data = np.arange(ts.nnz, dtype=float)
    for outer in (
        warm_split(x, seed=0),
        cold_item_split(x, seed=0),
        cold_user_split(x, ts, seed=0),
    ):
        inner = inner_split(outer, ts, seed=0)
        assert inner.name == outer.name
        seen = (inner.train + inner.test).tocsr()
        assert seen.multiply(outer.test).nnz == 0  # no test pair reaches tuning
        assert (seen - seen.multiply(outer.train)).nnz == 0


def test_select_blend_tunes_on_validation_and_scores_with_the_choice(community, fast):
    x = community.data.interactions
    outer = cold_item_split(x, seed=0)
    model = HybridModel(fast)
    info = select_blend(model, community.data, inner_split(outer, None, seed=0))
    chosen = info["blend"]
    assert (model.config.cf_weight, model.config.content_weight) == (
        chosen["cf"],
        chosen["content"],
    )
    assert model.config.popularity_weight == chosen["popularity"]
    assert info["validation_ndcg_at_10"] >= info["validation_ndcg_unblended"]
    model.fit(community.data.with_interactions(outer.train))
    parts = model.score_parts([0, 1], outer.candidates)
    ranked = np.argsort(-model.score([0, 1], outer.candidates), axis=1)
    assert (ranked == np.argsort(-model.blend(parts, chosen), axis=1)).all()


def test_benchmark_records_the_hybrids_paired_gap_to_each_baseline(community, fast):
    """The JSON says how far the hybrid is from each baseline over the same users, with a
    standard error, so a reader can tell a real win from a one-hit difference."""
    from core.recommend.datasets import Dataset
    from core.recommend.evaluate import run_benchmark
    from core.recommend.models.popularity import Popularity

    x = community.data.interactions
    ds = Dataset("community", x, x.copy(), item_features=community.data.item_features)
    results = run_benchmark(
        ds,
        splits=("warm",),
        models={"popularity": Popularity, "hybrid": lambda: HybridModel(fast)},
        max_users=None,
        tune=False,
    )
    pop, hyb = results
    gap = hyb.extra["ndcg_minus_baseline"]["popularity"]
    assert gap["diff"] == pytest.approx(hyb.ndcg_at_10 - pop.ndcg_at_10, abs=1e-9)
    assert gap["se"] > 0
    assert hyb.ndcg_at_10 > pop.ndcg_at_10 + 2 * gap["se"]  # topics are learnable here


def _dcg(ranks: list[int]) -> float:
    return float(sum(1 / np.log2(r + 2) for r in ranks))


def test_all_tied_scores_give_the_expected_value_of_a_random_order():
    """20 items, one score, 2 positives: each lands in the top 10 half the time and then
    at a uniformly random position 1..10, so the model gets no credit for lucky ties."""
    scores = np.zeros((1, 20), dtype=np.float32)
    _, rec, ndcg, _ = rank_metrics(scores, [np.array([3, 17])], [np.array([], dtype=int)])
    assert rec[0] == pytest.approx(0.5)
    mean_discount = _dcg(list(range(10))) / 20
    assert ndcg[0] == pytest.approx(2 * mean_discount / _dcg([0, 1]))
    assert _ndcg_rows(scores, [np.array([3, 17])], [np.array([], dtype=int)])[0] == (
        pytest.approx(ndcg[0])
    )


def test_strictly_ordered_scores_score_as_a_plain_ranking():
    rng = np.random.default_rng(5)
    scores = rng.permutation(50).astype(np.float32)[None, :]
    positives = [np.array([int(np.argmax(scores)), int(np.argsort(-scores[0])[4]), 7])]
    _, rec, ndcg, tops = rank_metrics(scores, positives, [np.array([], dtype=int)])
    ranks = [int(np.flatnonzero(tops[0] == p)[0]) for p in positives[0] if p in tops[0]]
    assert rec[0] == pytest.approx(len(ranks) / 3)
    assert ndcg[0] == pytest.approx(_dcg(ranks) / _dcg([0, 1, 2]))


def test_a_tie_group_straddling_position_ten_counts_only_its_part_inside():
    """8 distinct leaders, then 6 items tied at positions 9-14: of the tie only positions
    9 and 10 count, shared by its 6 members; a tie inside the top 10 shares its discounts."""
    scores = np.array([[20, 19, 18, 17, 17, 15, 14, 13] + [5] * 6 + [1] * 6], dtype=np.float32)
    excluded = [np.array([], dtype=int)]
    _, rec, ndcg, _ = rank_metrics(scores, [np.array([3, 9])], excluded)
    tie_discount = _dcg([8, 9]) / 6
    assert rec[0] == pytest.approx((1 + 2 / 6) / 2)
    assert ndcg[0] == pytest.approx((_dcg([3, 4]) / 2 + tie_discount) / _dcg([0, 1]))
    # an excluded leader moves the tie up one position: now 3 of its 6 seats count
    _, rec, _, _ = rank_metrics(scores, [np.array([9])], [np.array([0])])
    assert rec[0] == pytest.approx(3 / 6)


def test_select_blend_keeps_whole_catalogue_ranking_above_the_auc_floor(
    community, fast, monkeypatch
):
    """The winning blend must also rank the whole catalogue well: a blend with a better
    top 10 but a validation AUC under the floor is not chosen while another clears it;
    when none can, the best top 10 wins."""
    import core.recommend.evaluate as ev

    x = community.data.interactions
    inner = inner_split(warm_split(x, seed=0), None, seed=0)
    free = select_blend(HybridModel(fast), community.data, inner)
    aucs, ndcg = free["validation_auc_grid"], free["validation_ndcg_grid"]
    median = float(np.median(list(aucs.values())))
    monkeypatch.setattr(ev, "AUC_FLOOR", median - 5e-5)  # the grid's AUCs are rounded to 1e-4
    held = select_blend(HybridModel(fast), community.data, inner)
    eligible = [k for k, a in aucs.items() if a >= median]
    assert held["validation_auc_sampled"] >= median - 5e-5
    assert held["validation_ndcg_at_10"] == pytest.approx(max(ndcg[k] for k in eligible), abs=1e-6)
    monkeypatch.setattr(ev, "AUC_FLOOR", 1.01)
    unreachable = select_blend(HybridModel(fast), community.data, inner)
    assert unreachable["validation_ndcg_at_10"] == pytest.approx(max(ndcg.values()), abs=1e-6)
