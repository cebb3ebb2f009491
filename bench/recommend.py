"""Recommender benchmark: every model, same split, one process.

    .venv/bin/python bench/recommend.py                      # CrossValidated, MARS, demo
    .venv/bin/python bench/recommend.py --data PATH [--data PATH2] [--seed 0]
    .venv/bin/python bench/recommend.py --data demo          # the seeded demo community

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

from core.recommend.bench import DEFAULT_DATASETS, resolve, run, run_extras  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data",
        action="append",
        type=Path,
        help="dataset folder, or 'demo' for the seeded demo community (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-users", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--split", action="append", help="warm, cold-items, cold-users")
    parser.add_argument("--model", action="append", help="only these models")
    parser.add_argument("--no-peers", action="store_true", help="skip the peers benchmark")
    parser.add_argument(
        "--no-serving", action="store_true", help="skip the training/serving resource run"
    )
    parser.add_argument(
        "--extras-only", action="store_true", help="only serving latency and the peers benchmark"
    )
    parser.add_argument(
        "--serving-only",
        action="store_true",
        help="only training time, top-10 latency (BlendedScorer) and peak RSS",
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--period-baselines",
        action="store_true",
        help="also run content kNN and LightFM with item periods as features",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    paths = args.data or resolve(DEFAULT_DATASETS, ROOT)
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
        serving=not args.no_serving,
        period_baselines=args.period_baselines,
    )
    return 0


def serving_bench(
    paths: list[Path], out_dir: Path, seed: int, threads: int, members: int
) -> list[dict[str, object]]:
    """Issue 7's resource targets per dataset, in this (fresh) process: the product's hybrid
    trained on all data (wall and CPU seconds), top-10 for ``members`` members through the
    batch path (``BlendedScorer``, as ``recommend_many`` serves digests), and peak RSS.
    CPU seconds and the load average are recorded with every timing: the 2-core box is
    shared, so wall time alone says little."""
    import json

    import torch

    from core.recommend.bench import prepare, serving_latency
    from core.recommend.datasets import load_dataset
    from core.recommend.evaluate import environment

    torch.set_num_threads(threads)
    rows: list[dict[str, object]] = []
    for path in paths:
        row = serving_latency(prepare(load_dataset(path)), seed, threads, members)
        rows.append(row)
        print(json.dumps(row, indent=2), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "recommend-serving.json").write_text(
        json.dumps({"environment": environment(), "serving": rows}, indent=2) + "\n"
    )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
