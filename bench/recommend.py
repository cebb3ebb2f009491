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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    paths = args.data or [ROOT / p for p in DEFAULT_DATASETS]
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


if __name__ == "__main__":
    raise SystemExit(main())
