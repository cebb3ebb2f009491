"""Dense-guided feedback for the hybrid's lexical side: a study, not adopted.

    DEV=1 .venv/bin/python bench/feedback_study.py '{"NAME": {HybridSearcher options}, ...}'

For each named setting: the training duplicates under both protocols (MRR per mode and the
hybrid's ranks), then, with DEV=1, the dev sets the fusion was chosen on. Options are
``feedback_docs`` / ``feedback_terms`` / ``feedback_weight`` (``core.qa.hybrid``); ``{}`` is
the shipped setting. Results and the decision: bench/README.md, "Dense-guided feedback".
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import qa as bq  # noqa: E402

from core.qa import evaluate as ev  # noqa: E402
from core.recommend.encoders import EmbeddingCache, MiniLMEncoder  # noqa: E402


def main() -> None:
    grid = json.loads(sys.argv[1])
    ds = ev.load_dataset(bq.DEFAULT_DATA)
    cache = EmbeddingCache(ROOT / "var" / "qa-bench-embeddings.npz")
    enc = bq.QueryCached(MiniLMEncoder(), cache)
    for name, options in grid.items():
        for answers in ("none", "as_of"):
            r = ev.eval_duplicates(ds, enc, options=options, answers=answers)
            mrr = {m: round(r[m]["mrr"], 3) for m in ev.MODES}
            ranks = [q["rank"]["hybrid"] for q in r["queries"]]
            print(name, answers, mrr, ranks, flush=True)
    cache.save()
    if os.environ.get("DEV"):
        out = ev.eval_dev_sets(ds, enc, configs=grid)
        cache.save()
        for dev_set, row in out.items():
            print(dev_set, row, flush=True)


if __name__ == "__main__":
    main()
