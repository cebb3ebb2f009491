"""Q&A retrieval and expert-routing benchmark (issue 8).

    .venv/bin/python bench/qa.py [DATASET_DIR] [--out bench/results/qa.json]

DATASET_DIR defaults to ../shared/datasets/qa/quantumcomputing (Quantum Computing Stack
Exchange, CC BY-SA; see its README for attribution). Runs, with the production
``KnowledgeIndex`` and the English encoder (MiniLM):

1. duplicate retrieval (real, tiny; the test set): lexical / dense / hybrid Recall@1, @5,
   MRR, latency and per-query ranks, once per fusion setting in ``FUSION_CONFIGS`` (the
   last is the default) with earlier questions indexed without answers, and for the
   default setting only with the knowledge base as it stood when each duplicate was asked
   (question + the answer written by then; ``duplicates_with_answers``, what the issue's
   target is judged on; ``--duplicates-only`` reruns just this part);
2. dev sets the fusion was chosen on (body, answer->question, question->answer, linked
   questions; ``evaluate.dev_sets``): MRR per mode and fusion setting;
3. title -> question proxy (larger, synthetic task) with the same three modes, and the
   confidence calibration fitted on it (``--calibrate`` also fits E5's);
4. expert routing Recall@5 vs the most-active-answerer baseline: rolling time folds
   before the held-out slice (what the features were chosen on), the weights refitted on
   everything before the held-out slice (``--experts-only`` reruns just this part), then
   the held-out latest 20%;
5. latency on a 10,000-entry KB and time-to-findable of a new entry (``--latency-ab``:
   earlier vs current fusion, same process, random passage vectors).

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
from core.qa.experts import ROUTING_WEIGHTS  # noqa: E402
from core.qa.hybrid import calibration_for  # noqa: E402
from core.recommend.encoders import (  # noqa: E402
    CachedEncoder,
    E5Encoder,
    EmbeddingCache,
    MiniLMEncoder,
)

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "qa" / "quantumcomputing"


class QueryCached:
    """Caches queries too (dev sets, where nothing is timed). Only for symmetric encoders
    such as MiniLM, which embeds a query and a passage alike."""

    def __init__(self, inner, cache) -> None:  # type: ignore[no-untyped-def]
        self.cached = CachedEncoder(inner, cache)

    @property
    def name(self) -> str:
        return self.cached.name

    @property
    def dim(self) -> int:
        return self.cached.dim

    def encode(self, texts, kind="passage"):  # type: ignore[no-untyped-def]
        return self.cached.encode(texts, "passage")


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


ROUTING_FOLDS = ((0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8))
"""Validation slices of the timeline; each is scored with weights fitted on all before it."""


def experts_section(ds, encoder) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Routing: rolling-origin folds before the held-out slice, the fit on everything before
    it (compare with the shipped ``ROUTING_WEIGHTS``), then the held-out latest 20%."""
    cases = ev.routing_cases(ds, encoder, (0.0, 1.0))

    def part(lo: float, hi: float) -> list[ev.RoutingCase]:
        return cases[int(len(cases) * lo) : int(len(cases) * hi)]

    folds = []
    for lo, hi in ROUTING_FOLDS:
        weights = ev.fit_experts(ds, encoder, cases=part(0.0, lo))
        folds.append(
            ev.eval_experts(ds, encoder, window=(lo, hi), cases=part(lo, hi), weights=weights)
        )
    n = sum(int(f["held_out_questions"]) for f in folds)  # type: ignore[call-overload]

    def pooled(key: str) -> float:
        return round(sum(float(f[key]) * int(f["held_out_questions"]) for f in folds) / n, 3)  # type: ignore[arg-type,call-overload]

    fitted = ev.fit_experts(ds, encoder, cases=part(0.0, 0.8))
    return {
        "experts_dev_folds": {
            "folds": folds,
            "pooled": {
                "questions": n,
                "recall@5_routing": pooled("recall@5_routing"),
                "recall@5_most_active_baseline": pooled("recall@5_most_active_baseline"),
            },
        },
        "experts_fit_before_holdout": {
            "fitted": fitted.__dict__,
            "shipped": ROUTING_WEIGHTS.__dict__,
        },
        "experts_tuning_slice": ev.eval_experts(
            ds, encoder, window=(0.4, 0.8), cases=part(0.4, 0.8)
        ),
        "experts": ev.eval_experts(ds, encoder, cases=part(0.8, 1.0)),
    }


def duplicates_section(ds, encoder) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Both duplicate protocols with the shipped fusion (no fusion setting is chosen here)."""
    return {
        "duplicates": ev.eval_duplicates(ds, encoder, answers="none"),
        "duplicates_with_answers": ev.eval_duplicates(ds, encoder, answers="as_of"),
    }


def _write(out: Path, results: dict[str, object]) -> None:
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _update(out: Path, section: dict[str, object]) -> None:
    """Rewrite ``out`` with ``section``'s keys replaced and the other keys (earlier runs'
    studies and recordings) kept."""
    previous = json.loads(out.read_text(encoding="utf-8"))
    previous.update(section)
    _write(out, previous)


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
    ap.add_argument(
        "--latency-ab",
        action="store_true",
        help="latency of the earlier and current fusion settings, random passage vectors",
    )
    ap.add_argument("--calibrate", action="store_true", help="also fit E5's confidence model")
    ap.add_argument(
        "--experts-only",
        action="store_true",
        help="rerun only the expert-routing part and update it in --out",
    )
    ap.add_argument(
        "--duplicates-only",
        action="store_true",
        help="rerun only the duplicates with the shipped fusion, both protocols "
        "(without answers / with the answers written by then), and update them in --out",
    )
    ap.add_argument(
        "--split",
        default="train",
        help="duplicates_<SPLIT>.jsonl for the duplicate part (the held-out one: test)",
    )
    ap.add_argument("--cache", default=str(ROOT / "var" / "qa-bench-embeddings.npz"))
    args = ap.parse_args()

    ds = ev.load_dataset(args.dataset, args.split)
    if not ds.duplicates and not (args.latency_only or args.latency_ab or args.experts_only):
        found = ", ".join(ev.duplicate_splits(args.dataset)) or "none"
        print(f"no duplicates_{args.split}.jsonl in {args.dataset} (splits found: {found})")
        return 2
    cache = EmbeddingCache(args.cache)
    minilm = PassageCached(MiniLMEncoder(), cache)
    if args.latency_ab:
        ab: dict[str, object] = {"load_average_1m_before": round(os.getloadavg()[0], 2)}
        for name in ("zscore_dense2_title_apart", "zscore_dense1.5_title_apart_bm25_k2_b1"):
            print(f"latency {name} on {args.entries} entries ...", flush=True)
            ab[name] = ev.eval_latency(
                ds,
                minilm,
                n_entries=args.entries,
                options=ev.FUSION_CONFIGS[name],
                random_passages=True,
            )
            print(json.dumps(ab[name], indent=1), flush=True)
        ab["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        ab["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        _update(Path(args.out), {"latency_ab": ab})
        return 0
    if args.duplicates_only:
        print("duplicates ...", flush=True)
        section = duplicates_section(ds, minilm)
        cache.save()
        section["duplicates_recorded"] = {
            "split": args.split,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_average_1m_after": round(os.getloadavg()[0], 2),
        }
        _update(Path(args.out), section)
        print(json.dumps(section, indent=1))
        return 0
    if args.experts_only:
        print("experts ...", flush=True)
        section = experts_section(ds, minilm)
        cache.save()
        section["experts_load_average_1m_after"] = round(os.getloadavg()[0], 2)
        _update(Path(args.out), section)
        print(json.dumps(section, indent=1))
        return 0
    if args.latency_only:
        print(f"latency on {args.entries} entries ...", flush=True)
        latency = ev.eval_latency(ds, minilm, n_entries=args.entries)
        latency["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        _update(Path(args.out), {"latency": latency})
        print(json.dumps(latency, indent=1))
        return 0
    results: dict[str, object] = {
        "dataset": str(Path(args.dataset).name),
        "attribution": "Quantum Computing Stack Exchange (CC BY-SA), "
        "https://quantumcomputing.stackexchange.com",
        "encoder": minilm.name,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "duplicates_split": args.split,
    }
    t0 = time.perf_counter()
    print("duplicates ...", flush=True)
    by_fusion: dict[str, object] = {}
    for name, options in ev.FUSION_CONFIGS.items():
        dups = ev.eval_duplicates(ds, minilm, options=options)
        by_fusion[name] = {m: dups[m] for m in ev.MODES}
    results.update(duplicates_section(ds, minilm))  # the last setting is the default one
    results["duplicates_by_fusion"] = by_fusion
    cache.save()
    print(json.dumps(by_fusion, indent=1))
    with_answers = results["duplicates_with_answers"]
    print("with answers:", json.dumps({m: with_answers[m] for m in ev.MODES}, indent=1))  # type: ignore[index]

    print("dev sets ...", flush=True)
    results["dev_sets"] = ev.eval_dev_sets(ds, QueryCached(MiniLMEncoder(), cache))
    cache.save()
    print(json.dumps(results["dev_sets"], indent=1))

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
    results.update(experts_section(ds, minilm))
    print(results["experts_dev_folds"], results["experts"])

    if not args.skip_latency:
        print(f"latency on {args.entries} entries ...", flush=True)
        latency = ev.eval_latency(ds, minilm, n_entries=args.entries)
        latency["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        results["latency"] = latency
        cache.save()
        print(json.dumps(latency, indent=1))
    results["total_s"] = round(time.perf_counter() - t0, 1)
    results["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    out = Path(args.out)
    if out.exists():  # keep what this run does not redo (earlier studies, latency A/B)
        previous = json.loads(out.read_text(encoding="utf-8"))
        for key in (
            "latency",
            "retrieval_only_10k",
            "latency_before_change_same_day",
            "latency_ab",
            "fusion_study",
            "note",
            "title_proxy_e5",
            "experts_previous_rule",
            "retrieval_study_2",
            "latency_quiet_box_before_bm25_change",
            "latency_ab_reversed",
            "stemming_study",
            "lexical_scale_study",
        ):
            if key in previous and key not in results:
                results[key] = previous[key]
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(out, results)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
