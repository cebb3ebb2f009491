"""Fold-in cost: how long refreshing members' vectors takes without retraining.

Synthetic community (2,000 members, 300 courses, 64 dims); times one member at a time (the
on-demand path of /recommend) and batches of 256 (the ``recommend.fold_in`` job).

    .venv/bin/python bench/online.py  # writes bench/results/online.json
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from core.recommend.data import RecData
from core.recommend.hybrid import HybridConfig, HybridModel


def main() -> None:
    rng = np.random.default_rng(0)
    n_users, n_items, per = 2000, 300, 8
    rows = np.repeat(np.arange(n_users), per)
    cols = rng.integers(0, n_items, len(rows))
    inter = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), (n_users, n_items))
    cfg = HybridConfig(dim=64, epochs=5, batch_size=1024, seed=0, threads=2)
    t0 = time.perf_counter()
    model = HybridModel(cfg).fit(RecData(inter))
    train_s = time.perf_counter() - t0
    hist = [rng.integers(0, n_items, 5) for _ in range(256)]
    t0 = time.perf_counter()
    for h in hist[:50]:
        model.score_new_users([h])
    single_ms = (time.perf_counter() - t0) / 50 * 1000
    t0 = time.perf_counter()
    model.score_new_users(hist)
    batch_s = time.perf_counter() - t0
    out = {
        "what": "fold-in (items frozen) vs full retrain, synthetic 2000x300, dim 64, 5 epochs",
        "train_s": round(train_s, 2),
        "fold_in_one_member_ms": round(single_ms, 1),
        "fold_in_batch_256_s": round(batch_s, 3),
        "fold_in_per_member_in_batch_ms": round(batch_s / 256 * 1000, 2),
        "note": "2 shared CPU cores, other sessions running: numbers are noisy",
        "machine": platform.machine(),
    }
    Path("bench/results").mkdir(parents=True, exist_ok=True)
    Path("bench/results/online.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
