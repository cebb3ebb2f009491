"""Q&A retrieval and expert-routing benchmark (issue 8).

    .venv/bin/python bench/qa.py [DATASET_DIR] [--out bench/results/qa.json]

DATASET_DIR defaults to ../shared/datasets/qa/quantumcomputing (Quantum Computing Stack
Exchange, CC BY-SA; see its README for attribution). Runs, with the production
``KnowledgeIndex`` and the English encoder (MiniLM):

1. duplicate retrieval (real, tiny): lexical / dense / hybrid Recall@1, @5, MRR, latency;
2. title -> question proxy (larger, synthetic task) with the same three modes, and the
   confidence calibration fitted on it (``--calibrate`` also fits E5's);
3. latency on a 10,000-entry KB and time-to-findable of a new entry;
4. expert routing Recall@5 vs the most-active-answerer baseline.

Embeddings are cached in var/qa-bench-embeddings.npz (gitignored) so reruns are quick.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core.qa import evaluate as ev  # noqa: E402
from core.qa.hybrid import calibration_for  # noqa: E402
from core.recommend.encoders import (  # noqa: E402
    CachedEncoder,
    E5Encoder,
    EmbeddingCache,
    MiniLMEncoder,
)

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "qa" / "quantumcomputing"


class PassageCached:
    """Caches passage embeddings only: every query is encoded for real, so latencies
    include the query encoder on every run."""

    def __init__(self, inner, cache) -> None:  # type: ignore[no-untyped-def]
        self.raw = inner
        self.cached = CachedEncoder(inner, cache)

    @property
    def name(self) -> str:
        return self.raw.name

    @property
    def dim(self) -> int:
        return self.raw.dim

    def encode(self, texts, kind="passage"):  # type: ignore[no-untyped-def]
        return (self.cached if kind == "passage" else self.raw).encode(texts, kind)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("dataset", nargs="?", default=str(DEFAULT_DATA))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "qa.json"))
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument(
        "--latency-only",
        action="store_true",
        help="rerun only the 10k latency part and update it in --out",
    )
    ap.add_argument("--calibrate", action="store_true", help="also fit E5's confidence model")
    ap.add_argument("--cache", default=str(ROOT / "var" / "qa-bench-embeddings.npz"))
    args = ap.parse_args()

    ds = ev.load_dataset(args.dataset)
    cache = EmbeddingCache(args.cache)
    minilm = PassageCached(MiniLMEncoder(), cache)
    if args.latency_only:
        out = Path(args.out)
        previous = json.loads(out.read_text(encoding="utf-8"))
        print(f"latency on {args.entries} entries ...", flush=True)
        previous["latency"] = ev.eval_latency(ds, minilm, n_entries=args.entries)
        previous["latency"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        out.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(json.dumps(previous["latency"], indent=1))
        return 0
    results: dict[str, object] = {
        "dataset": str(Path(args.dataset).name),
        "attribution": "Quantum Computing Stack Exchange (CC BY-SA), "
        "https://quantumcomputing.stackexchange.com",
        "encoder": minilm.name,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    t0 = time.perf_counter()
    print("duplicates ...", flush=True)
    results["duplicates"] = ev.eval_duplicates(ds, minilm)
    cache.save()
    print(json.dumps({m: results["duplicates"][m] for m in ev.MODES}, indent=1))  # type: ignore[index]

    print("title -> question proxy ...", flush=True)
    proxy, calib = ev.eval_title_proxy(ds, minilm)
    cache.save()
    current = calibration_for(minilm.name)
    proxy["fitted_calibration"] = ev.fit_confidence(calib).__dict__
    proxy["threshold_report_current_calibration"] = ev.threshold_report(calib, current.probability)
    results["title_proxy"] = proxy
    print(json.dumps({m: proxy[m] for m in ev.MODES}, indent=1))
    print("fitted", proxy["fitted_calibration"])

    if args.calibrate:
        e5 = PassageCached(E5Encoder(), cache)
        print("title proxy with E5 ...", flush=True)
        proxy_e5, calib_e5 = ev.eval_title_proxy(ds, e5)
        cache.save()
        proxy_e5["fitted_calibration"] = ev.fit_confidence(calib_e5).__dict__
        proxy_e5["threshold_report_current_calibration"] = ev.threshold_report(
            calib_e5, calibration_for(e5.name).probability
        )
        results["title_proxy_e5"] = proxy_e5
        print(json.dumps({m: proxy_e5[m] for m in ev.MODES}, indent=1))
        print("fitted e5", proxy_e5["fitted_calibration"])

    print("experts ...", flush=True)
    results["experts"] = ev.eval_experts(ds, minilm)
    print(results["experts"])

    if not args.skip_latency:
        print(f"latency on {args.entries} entries ...", flush=True)
        results["latency"] = ev.eval_latency(ds, minilm, n_entries=args.entries)
        results["latency"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        cache.save()
        print(json.dumps(results["latency"], indent=1))
    results["total_s"] = round(time.perf_counter() - t0, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
