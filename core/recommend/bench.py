"""Glue for ``bench/recommend.py`` and ``syllabot recommend evaluate``."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.recommend.datasets import DEMO, Dataset, is_demo, load_dataset
from core.recommend.encoders import CachedEncoder, EmbeddingCache, MiniLMEncoder
from core.recommend.evaluate import (
    EvalResult,
    default_models,
    environment,
    format_table,
    hybrid_config,
    run_benchmark,
)

log = logging.getLogger(__name__)

# folders relative to the repository root, and the demo community (seeded, not a folder)
DEFAULT_DATASETS = (
    "../shared/datasets/recsys/crossvalidated",
    "../shared/datasets/recsys/mars",
    DEMO,
)
DEFAULT_PEERS_DATA = "../shared/datasets/qa/quantumcomputing"
CACHE = Path("var/cache/recommend-embeddings.npz")


def prepare(dataset: Dataset, cache_path: Path = CACHE) -> Dataset:
    """Embed item/user text with MiniLM (cached on disk) where the dataset has prose (MARS;
    the demo's course and member texts, as the product embeds them for an English
    community)."""
    if dataset.name == "crossvalidated":
        # only tag names: tags are already item features, text adds nothing but time
        dataset.item_texts = None
        return dataset
    cache = EmbeddingCache(cache_path)
    encoder = CachedEncoder(MiniLMEncoder(), cache)
    t = time.perf_counter()
    dataset.embed(encoder)
    cache.save()
    log.info("embedded %s in %.1fs (%d new)", dataset.name, time.perf_counter() - t, encoder.misses)
    return dataset


def serving_latency(
    dataset: Dataset, seed: int = 0, threads: int = 2, n: int = 10_000, epochs: int | None = None
) -> dict:
    """Train the product's hybrid on all of ``dataset`` and serve top-10 for ``n`` members.

    Records training wall/CPU seconds, top-10 wall/CPU seconds through the batch path
    (``BlendedScorer``, what ``RecommendService.recommend_many`` uses) and the process's peak
    RSS; the load average goes with each timing because the 2-core box is shared.
    ``epochs`` shortens training when only the serving latency is wanted.
    """
    import os
    import resource
    from dataclasses import replace

    from core.recommend.hybrid import HybridModel
    from core.recommend.serving import BlendedScorer

    cfg = hybrid_config(dataset.name, seed, threads)
    if epochs is not None:
        cfg = replace(cfg, epochs=epochs)
    la = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    model = HybridModel(cfg).fit(dataset.rec_data())
    train_s, train_cpu = time.perf_counter() - t, time.process_time() - c
    la_train = os.getloadavg()[0]
    users = np.resize(np.arange(dataset.interactions.shape[0]), n)
    t, c = time.perf_counter(), time.process_time()
    scorer = BlendedScorer.for_model(model)
    content = getattr(model, "_content", None)
    profiles = None if content is None else content.profiles[users]
    period = getattr(model, "_period", None)
    scorer.top_k(
        model.user_vectors(users),
        10,
        profiles,
        period_profiles=None if period is None else period.profiles[users],
    )
    secs, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "dataset": dataset.name,
        "members": n,
        "items": int(dataset.interactions.shape[1]),
        "top10_seconds": round(secs, 3),
        "top10_cpu_seconds": round(cpu, 3),
        "load_average": round(os.getloadavg()[0], 2),
        "train_epochs": model.epochs_run,
        "train_seconds_full_data": round(train_s, 2),
        "train_cpu_seconds_full_data": round(train_cpu, 2),
        "train_load_average": [round(la, 2), round(la_train, 2)],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "path": "BlendedScorer.top_k (batch serving)",
    }


def resolve(paths: Sequence[str | Path], root: Path) -> list[Path]:
    """Dataset folders under ``root``; the demo's name stays a name."""
    return [Path(p) if is_demo(p) else root / p for p in paths]


def _peers_data(paths: Sequence[Path]) -> Path | None:
    """The Q&A set next to the first dataset folder (the demo has no folder)."""
    folders = [Path(p) for p in paths if not is_demo(p)]
    if not folders:
        return None
    qa = folders[0].parent.parent / "qa" / "quantumcomputing"
    return qa if qa.exists() else None


def run_extras(
    paths: Sequence[Path], out_dir: Path | None, seed: int = 0, threads: int = 2
) -> None:
    """Serving latency (short training) and the peers benchmark, without the model runs."""
    import torch

    torch.set_num_threads(threads)
    latency = [serving_latency(prepare(load_dataset(p)), seed, threads, epochs=1) for p in paths]
    for row in latency:
        print(
            f"serving: top-10 for {row['members']} members over {row['items']} items "
            f"in {row['top10_seconds']:.2f}s (CPU {row['top10_cpu_seconds']:.2f}s, "
            f"load {row['load_average']:.1f})"
        )
    from core.recommend.peers_eval import run_peers_benchmark

    qa = _peers_data(paths)
    peer_rows = run_peers_benchmark(qa) if qa is not None else []
    for r in peer_rows:
        print(
            f"peers: {r['model']:<28} Recall@10 {r['recall_at_10']:.3f} ({r['n_members']} askers)"
        )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "recommend-serving.json").write_text(
            json.dumps({"environment": environment(), "serving": latency}, indent=2) + "\n"
        )
        (out_dir / "recommend-peers.json").write_text(
            json.dumps({"environment": environment(), "peers": peer_rows}, indent=2) + "\n"
        )


def run(
    paths: Sequence[Path],
    *,
    seed: int = 0,
    threads: int = 2,
    max_users: int | None = 3000,
    out_dir: Path | None = None,
    splits: Sequence[str] | None = None,
    only: Sequence[str] | None = None,
    peers: bool = True,
    serving: bool = True,
    period_baselines: bool = False,
) -> list[EvalResult]:
    import torch

    torch.set_num_threads(threads)
    all_results: list[EvalResult] = []
    latency = []
    for path in paths:
        dataset = prepare(load_dataset(path))
        models = default_models(dataset.name, seed, threads, period_baselines=period_baselines)
        if only:
            models = {k: v for k, v in models.items() if k in only}
        results = run_benchmark(
            dataset,
            seed=seed,
            threads=threads,
            splits=splits or ("warm", "cold-items", "cold-users"),
            models=models,
            max_users=max_users,
            out_dir=out_dir,
        )
        all_results.extend(results)
        if serving and (not only or "hybrid" in only):
            latency.append(serving_latency(dataset, seed, threads))
    print()
    print(format_table(all_results))
    for row in latency:
        print(
            f"serving: top-10 for {row['members']} members over {row['items']} items "
            f"in {row['top10_seconds']:.2f}s"
        )
    peer_rows = []
    if peers:
        from core.recommend.peers_eval import run_peers_benchmark

        qa = _peers_data(paths)
        if qa is not None:
            peer_rows = run_peers_benchmark(qa)
            for r in peer_rows:
                print(
                    f"peers: {r['model']:<22} Recall@10 {r['recall_at_10']:.3f} "
                    f"(members {r['n_members']})"
                )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        if latency:
            (out_dir / "recommend-serving.json").write_text(
                json.dumps({"environment": environment(), "serving": latency}, indent=2) + "\n"
            )
        if peers:
            (out_dir / "recommend-peers.json").write_text(
                json.dumps({"environment": environment(), "peers": peer_rows}, indent=2) + "\n"
            )
    return all_results
