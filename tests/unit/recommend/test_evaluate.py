"""Metrics and splits of the evaluation harness."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from core.recommend.evaluate import cold_item_split, cold_user_split, rank_metrics, warm_split


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
