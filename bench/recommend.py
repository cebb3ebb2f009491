"""Recommender benchmark: every model, same split, one process.

    .venv/bin/python bench/recommend.py                      # both shared datasets
    .venv/bin/python bench/recommend.py --data PATH [--data PATH2] [--seed 0]

Writes ``bench/results/recommend-<dataset>.json`` and prints a table. The logic lives in
``core.recommend.evaluate`` (``syllabot recommend evaluate`` runs the same thing).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.recommend.bench import DEFAULT_DATASETS, run, run_extras  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", action="append", type=Path, help="dataset folder (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-users", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--split", action="append", help="warm, cold-items, cold-users")
    parser.add_argument("--model", action="append", help="only these models")
    parser.add_argument("--no-peers", action="store_true", help="skip the peers benchmark")
    parser.add_argument(
        "--extras-only", action="store_true", help="only serving latency and the peers benchmark"
    )
    parser.add_argument(
        "--serving-only",
        action="store_true",
        help="only serving latency: per-member scoring vs the batch scorer (BlendedScorer)",
    )
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    paths = args.data or [ROOT / p for p in DEFAULT_DATASETS]
    if args.serving_only:
        serving_bench(paths, args.out, args.seed, args.threads, args.members)
        return 0
    if args.extras_only:
        run_extras(paths, args.out, args.seed, args.threads)
        return 0
    run(
        paths,
        seed=args.seed,
        threads=args.threads,
        max_users=args.max_users,
        out_dir=args.out,
        splits=args.split,
        only=args.model,
        peers=not args.no_peers,
    )
    return 0


def serving_bench(
    paths: list[Path], out_dir: Path, seed: int, threads: int, members: int
) -> list[dict[str, object]]:
    """Top-10 for ``members`` members: ``HybridModel.top_k_many`` (materialises every
    member's full score row and z-scores it) vs ``BlendedScorer`` (analytic per-member
    normalisation, chunked matmul + sparse content + torch.topk). Training is shortened to
    1 epoch: latency does not depend on it. Records wall and CPU seconds and load average
    (the 2-core box is shared, so wall time is noisy)."""
    import json
    import os
    import time
    from dataclasses import replace

    import numpy as np
    import torch

    from core.recommend.bench import prepare
    from core.recommend.datasets import load_dataset
    from core.recommend.evaluate import environment, hybrid_config
    from core.recommend.hybrid import HybridModel
    from core.recommend.serving import BlendedScorer

    torch.set_num_threads(threads)
    rows: list[dict[str, object]] = []
    for path in paths:
        ds = prepare(load_dataset(path))
        model = HybridModel(replace(hybrid_config(ds.name, seed, threads), epochs=1))
        model.fit(ds.rec_data())
        users = np.resize(np.arange(ds.interactions.shape[0]), members)
        row: dict[str, object] = {"dataset": ds.name, "members": members}
        row["items"] = int(ds.interactions.shape[1])
        t, c, la = time.perf_counter(), time.process_time(), os.getloadavg()[0]
        ref = model.top_k_many(users, 10)
        row["top_k_many"] = {
            "seconds": round(time.perf_counter() - t, 3),
            "cpu_seconds": round(time.process_time() - c, 3),
            "load_average_before": round(la, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
        }
        t, c, la = time.perf_counter(), time.process_time(), os.getloadavg()[0]
        scorer = BlendedScorer.for_model(model)
        prep = time.perf_counter() - t
        content = getattr(model, "_content", None)
        profiles = None if content is None else content.profiles[users]
        got, _ = scorer.top_k(model.user_vectors(users), 10, profiles)
        row["blended_scorer"] = {
            "seconds": round(time.perf_counter() - t, 3),
            "cpu_seconds": round(time.process_time() - c, 3),
            "prepare_seconds": round(prep, 3),
            "load_average_before": round(la, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
        }
        same = np.mean([set(a) == set(b) for a, b in zip(got, ref, strict=True)])
        row["same_top10_set_share"] = round(float(same), 4)
        row["note"] = (
            "differences are near-ties (items with the same tags differ by < 1e-4 after "
            "blending) ordered differently by float32 summation order"
        )
        rows.append(row)
        print(json.dumps(row, indent=2), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "recommend-serving.json").write_text(
        json.dumps({"environment": environment(), "serving": rows}, indent=2) + "\n"
    )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
