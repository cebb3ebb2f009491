"""The demo community as a benchmark dataset (issue 7): `--data demo` gives the product's
view of the seeded community, and the harness runs on it like on the public datasets."""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from core.clock import FrozenClock
from core.demo.seed import seed_demo
from core.recommend.bench import DEFAULT_DATASETS, resolve
from core.recommend.datasets import DEMO_NOW, Dataset, is_demo, load_dataset
from core.recommend.encoders import HashingEncoder
from core.recommend.evaluate import run_benchmark
from core.recommend.hybrid import HybridConfig, HybridModel
from core.recommend.models.content import ContentKNN
from core.recommend.models.popularity import Popularity
from models.catalog import Course, Enrollment
from models.db import make_engine, session_factory
from models.member import Member


@pytest.fixture(scope="module")
def demo() -> Dataset:
    ds = load_dataset("demo")
    ds.embed(HashingEncoder(64))  # the benchmark embeds with MiniLM; any encoder will do here
    return ds


def test_the_default_benchmark_includes_the_demo_community(tmp_path):
    paths = resolve(DEFAULT_DATASETS, tmp_path)
    assert [p for p in paths if is_demo(p)] == [Path("demo")]
    assert all(p.is_relative_to(tmp_path) for p in paths if not is_demo(p))


async def test_demo_dataset_is_the_seeded_community(demo, tmp_path, sqlite_template):
    """One row per member, one column per course, a positive exactly where the seed
    enrolled someone, stamped with that enrolment's latest event (cold-users order)."""
    path = tmp_path / "seed.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, FrozenClock(DEMO_NOW), staff=False)  # as the loader
            members = (await session.execute(select(Member.id).order_by(Member.id))).all()
            courses = (await session.execute(select(Course).order_by(Course.id))).scalars().all()
            enrolments = (await session.execute(select(Enrollment))).scalars().all()
    finally:
        await engine.dispose()
    m_pos = {m.id: i for i, m in enumerate(members)}
    c_pos = {c.id: i for i, c in enumerate(courses)}
    want: dict[tuple[int, int], float] = {}
    for e in enrolments:
        times = [t for t in (e.enrolled_at, e.last_activity_at, e.completed_at) if t is not None]
        want[(m_pos[e.member_id], c_pos[e.course_id])] = max(
            t.replace(tzinfo=UTC).timestamp() for t in times
        )

    x, ts = demo.interactions, demo.timestamps
    assert x.shape == (len(members), len(courses)) == (60, len(courses))
    assert demo.item_names == [c.slug for c in courses]
    coo = x.tocoo()
    assert set(zip(coo.row.tolist(), coo.col.tolist(), strict=True)) == set(want)
    assert (x.data > 0).all()
    assert (np.asarray(x.getnnz(axis=1)) > 0).all()  # the seed gives every member a history
    assert (ts.indptr == x.indptr).all() and (ts.indices == x.indices).all()
    tco = ts.tocoo()
    pairs = zip(tco.row.tolist(), tco.col.tolist(), strict=True)
    got = dict(zip(pairs, tco.data.tolist(), strict=True))
    assert got == pytest.approx(want)
    assert demo.item_times is not None and np.isfinite(demo.item_times).all()
    assert demo.item_features is not None and demo.item_features.shape[0] == len(courses)
    assert demo.item_text_emb is not None and demo.user_text_emb is not None


def test_benchmark_scores_every_split_of_the_demo(demo):
    fast = HybridConfig(dim=16, epochs=5, batch_size=64, lr=0.05, seed=0, threads=1)
    results = run_benchmark(
        demo,
        models={
            "popularity": Popularity,
            "content-knn": ContentKNN,
            "hybrid": lambda: HybridModel(fast),
        },
        max_users=None,
    )
    by_split: dict[str, list[str]] = {}
    for r in results:
        assert r.dataset == "demo"
        assert "error" not in r.extra, r.extra
        assert r.n_users > 0 and np.isfinite(r.auc) and 0.0 <= r.ndcg_at_10 <= 1.0
        by_split.setdefault(r.split, []).append(r.model)
    assert by_split == {
        s: ["popularity", "content-knn", "hybrid"] for s in ("warm", "cold-items", "cold-users")
    }
    hybrids = [r for r in results if r.model == "hybrid"]
    assert all(
        set(h.extra["ndcg_minus_baseline"]) == {"popularity", "content-knn"} for h in hybrids
    )
