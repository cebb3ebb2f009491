"""Loaders for the benchmark datasets (CrossValidated, MARS, the demo community) into one
shape.

The product never needs these files; ``bench/recommend.py`` and
``syllabot recommend evaluate`` pass a path, or ``demo`` (:data:`DEMO`) for the demo
community, which is seeded into a throwaway database rather than read from disk.
"""

from __future__ import annotations

import ast
import asyncio
import csv
import logging
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from core.recommend.data import FeatureIndex, RecData, feature_matrix
from core.recommend.encoders import TextEncoder

log = logging.getLogger(__name__)

__all__ = [
    "DEMO",
    "DEMO_NOW",
    "Dataset",
    "is_demo",
    "load_crossvalidated",
    "load_dataset",
    "load_demo",
    "load_mars",
]

DEMO = "demo"
"""What ``--data`` takes for the demo community (a name, not a folder)."""
DEMO_NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""The demo's fixed clock: seeding and the snapshot's time decay both read it."""


@dataclass
class Dataset:
    """Interactions (weights), their times, and side information, by dense index."""

    name: str
    interactions: sp.csr_matrix  # positive weights
    timestamps: sp.csr_matrix  # same pattern, unix seconds (latest event)
    item_features: sp.csr_matrix | None = None
    user_features: sp.csr_matrix | None = None
    item_texts: list[str] | None = None
    user_texts: list[str] | None = None
    item_text_emb: np.ndarray | None = None
    user_text_emb: np.ndarray | None = None
    item_names: list[str] = field(default_factory=list)
    item_times: np.ndarray | None = None  # creation time per item (NaN = unknown)
    notes: str = ""

    def rec_data(self, interactions: sp.csr_matrix | None = None) -> RecData:
        return RecData(
            interactions=self.interactions if interactions is None else interactions,
            item_features=self.item_features,
            user_features=self.user_features,
            item_text=self.item_text_emb,
            user_text=self.user_text_emb,
            item_times=self.item_times,
        )

    def embed(self, encoder: TextEncoder) -> None:
        """Fill ``item_text_emb`` / ``user_text_emb`` from the texts (empty text -> zeros)."""
        for attr in ("item", "user"):
            texts: list[str] | None = getattr(self, f"{attr}_texts")
            if texts is None:
                continue
            out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
            nonempty = [i for i, t in enumerate(texts) if t.strip()]
            if nonempty:
                out[nonempty] = encoder.encode([texts[i] for i in nonempty], "passage")
            setattr(self, f"{attr}_text_emb", out)


def load_crossvalidated(path: str | Path) -> Dataset:
    """LightFM's CrossValidated data: user answered question; question tags."""
    d = np.load(Path(path) / "data.npz", allow_pickle=False)
    shape = tuple(int(x) for x in d["interactions_shape"].flatten())
    rows, cols = d["interactions_row"], d["interactions_col"]
    times = d["interactions_data"].astype(np.float64)
    ts = sp.coo_matrix((times, (rows, cols)), shape=shape).tocsr()
    ts.sum_duplicates()
    # duplicates were summed: keep the latest time per pair instead
    lastt = sp.coo_matrix((times, (rows, cols)), shape=shape)
    order = np.lexsort((lastt.data, lastt.col, lastt.row))
    r, c, t = lastt.row[order], lastt.col[order], lastt.data[order]
    last = np.r_[(r[1:] != r[:-1]) | (c[1:] != c[:-1]), True]
    ts = sp.csr_matrix((t[last], (r[last], c[last])), shape=shape)
    inter = ts.copy()
    inter.data = np.ones_like(inter.data, dtype=np.float32)
    fshape = tuple(int(x) for x in d["features_shape"].flatten())
    feats = sp.csr_matrix(
        (d["features_data"], (d["features_row"], d["features_col"])), shape=fshape
    )
    labels = [str(x) for x in d["labels"]]
    texts = []
    for i in range(fshape[0]):
        lo, hi = feats.indptr[i], feats.indptr[i + 1]
        texts.append(" ".join(labels[j].replace("-", " ") for j in feats.indices[lo:hi]))
    return Dataset(
        name="crossvalidated",
        interactions=sp.csr_matrix(inter, dtype=np.float32),
        timestamps=ts,
        item_features=sp.csr_matrix(feats, dtype=np.float32),
        item_texts=texts,
        item_names=[f"q{i}" for i in range(fshape[0])],
        # questions are numbered in posting order (the index tracks each question's first
        # answer time, r = 0.95); the file has no dates of its own for questions
        item_times=np.arange(fshape[0], dtype=np.float64),
        notes="CrossValidated (stats.stackexchange.com), Stack Exchange Network, CC BY-SA 3.0",
    )


_SPACE_FIX = re.compile(r"([a-z])([A-Z])")


def _lit(value: str) -> list[str]:
    try:
        out = ast.literal_eval(value) if value else []
    except (ValueError, SyntaxError):
        return []
    return [str(x) for x in out] if isinstance(out, list) else []


def _epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").timestamp()


def _item_time(text: str) -> float:
    """An item's ``created_at`` (MARS gives only the year) as unix seconds, NaN if absent."""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).timestamp()
        except ValueError:
            continue
    return float("nan")


def load_mars(path: str | Path) -> Dataset:
    """MARS (English): page views + watch percentages; rich item metadata and text."""
    base = Path(path)
    with open(base / "items_en.csv", newline="", encoding="utf-8") as fh:
        items = list(csv.DictReader(fh))
    item_ix = {row["item_id"]: i for i, row in enumerate(items)}
    feats: list[list[str]] = []
    texts: list[str] = []
    for row in items:
        f = [f"type:{row['type']}"]
        if row["Difficulty"]:
            f.append(f"level:{row['Difficulty'].lower()}")
        f += [f"job:{x.lower()}" for x in _lit(row["Job"])]
        f += [f"software:{x.lower()}" for x in _lit(row["Software"])]
        f += [f"theme:{x.lower()}" for x in _lit(row["Theme"])]
        try:
            dur = float(row["duration"])
            f.append(f"duration:{int(np.clip(np.log2(max(dur, 1) / 30), 0, 6))}")
        except ValueError:
            pass
        feats.append(f)
        desc = _SPACE_FIX.sub(r"\1 \2", row["description"] or "")
        texts.append(f"{row['name']}. {desc}"[:1000])
    user_ix: dict[str, int] = {}
    triples: dict[tuple[int, int], list[float]] = {}
    with open(base / "implicit_ratings_en.csv", newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["item_id"] not in item_ix:
                continue
            u = user_ix.setdefault(rec["user_id"], len(user_ix))
            key = (u, item_ix[rec["item_id"]])
            cur = triples.setdefault(key, [0.0, 0.0])
            cur[0] += 1.0
            cur[1] = max(cur[1], _epoch(rec["created_at"]))
    with open(base / "explicit_ratings_en.csv", newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["item_id"] not in item_ix:
                continue
            u = user_ix.setdefault(rec["user_id"], len(user_ix))
            key = (u, item_ix[rec["item_id"]])
            cur = triples.setdefault(key, [0.0, 0.0])
            cur[0] += float(rec["rating"]) / 5.0  # watched most of it: a strong signal
            cur[1] = max(cur[1], _epoch(rec["created_at"]))
    jobs: dict[str, str] = {}
    with open(base / "users_en.csv", newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["job"] and rec["job"] != "N/A":
                jobs[rec["user_id"]] = rec["job"].lower()
    n_users, n_items = len(user_ix), len(items)
    keys = list(triples)
    r = np.array([k[0] for k in keys], dtype=np.int64)
    c = np.array([k[1] for k in keys], dtype=np.int64)
    w = np.array([triples[k][0] for k in keys], dtype=np.float32)
    t = np.array([triples[k][1] for k in keys], dtype=np.float64)
    inv_user = {v: k for k, v in user_ix.items()}
    ufeats = [[f"job:{jobs[inv_user[u]]}"] if inv_user[u] in jobs else [] for u in range(n_users)]
    return Dataset(
        name="mars",
        interactions=sp.csr_matrix((w, (r, c)), shape=(n_users, n_items)),
        timestamps=sp.csr_matrix((t, (r, c)), shape=(n_users, n_items)),
        item_features=feature_matrix(feats, FeatureIndex()),
        user_features=feature_matrix(ufeats, FeatureIndex()),
        item_texts=texts,
        item_names=[row["name"] for row in items],
        item_times=np.array([_item_time(row.get("created_at") or "") for row in items]),
        notes="MARS (Hafsa et al. 2023, doi:10.7910/DVN/BMY3UD)",
    )


def is_demo(path: str | Path) -> bool:
    """``demo`` names the demo community unless a folder of that name exists."""
    return str(path) == DEMO and not Path(path).exists()


def load_demo(encoder: TextEncoder | None = None, now: datetime = DEMO_NOW) -> Dataset:
    """The demo community (``core.demo.seed``) as the product's recommender sees it.

    Seeds a throwaway SQLite database (migrated with the project's Alembic upgrade, as the
    console demo does) at the fixed clock ``now`` and reads ``RecommendService.load_snapshot``
    so the weights (decay included), features and item times are exactly the product's.
    Timestamps are each (member, course) pair's latest interaction or enrolment event.
    Without ``encoder`` the course and member texts are returned for :func:`embed` (the
    benchmark's encoder); with one, the snapshot's embeddings from it are kept.
    """
    with tempfile.TemporaryDirectory(prefix="syllabot-demo-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        return asyncio.run(_load_demo(url, encoder, now))


async def _load_demo(url: str, encoder: TextEncoder | None, now: datetime) -> Dataset:
    from sqlalchemy import select

    from core.clock import FrozenClock
    from core.demo.seed import seed_demo
    from core.recommend.encoders import HashingEncoder
    from core.recommend.service import RecommendService
    from models.catalog import Enrollment
    from models.db import make_engine, session_factory, upgrade
    from models.interaction import Interaction
    from models.member import Member

    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    try:
        factory = session_factory(engine)
        async with factory() as session, session.begin():
            await seed_demo(session, FrozenClock(now), staff=False)
        async with factory() as session:
            # the hashing encoder only fills vectors that are replaced by the texts below
            svc = RecommendService(encoder or HashingEncoder(16))
            snap = await svc.load_snapshot(session, now)
            events: list[tuple[int, int | None, datetime | None]] = [
                (m, c, at)
                for m, c, at in await session.execute(
                    select(Interaction.member_id, Interaction.course_id, Interaction.at).where(
                        Interaction.course_id.is_not(None)
                    )
                )
            ]
            for e in (await session.execute(select(Enrollment))).scalars():
                for at in (e.enrolled_at, e.last_activity_at, e.completed_at):
                    events.append((e.member_id, e.course_id, at))
            members = {
                m.id: m
                for m in (
                    await session.execute(select(Member).where(Member.id.in_(snap.member_ids)))
                ).scalars()
            }
    finally:
        await engine.dispose()
    m_pos, c_pos = snap.member_pos(), snap.course_pos()
    latest: dict[tuple[int, int], float] = {}
    for mid, cid, at in events:
        if at is None or mid not in m_pos or cid not in c_pos:
            continue
        t = at.timestamp()  # UTC columns load aware
        key = (m_pos[mid], c_pos[cid])
        latest[key] = max(latest.get(key, t), t)
    inter = snap.data.positives().tocoo()
    # every positive pair has an event: a KeyError here would be a seeding bug
    stamps = np.array(
        [latest[(int(r), int(c))] for r, c in zip(inter.row, inter.col, strict=True)],
        dtype=np.float64,
    )
    shape = inter.shape
    data = snap.data
    embedded = encoder is not None
    return Dataset(
        name=DEMO,
        interactions=sp.csr_matrix(inter, dtype=np.float32),
        timestamps=sp.csr_matrix((stamps, (inter.row, inter.col)), shape=shape),
        item_features=data.item_features,
        user_features=data.user_features,
        item_texts=None
        if embedded
        else [snap.course_text(snap.courses[c]) for c in snap.course_ids],
        user_texts=None if embedded else [snap.member_text(members[m]) for m in snap.member_ids],
        item_text_emb=data.item_text if embedded else None,
        user_text_emb=data.user_text if embedded else None,
        item_names=[snap.courses[c].slug for c in snap.course_ids],
        item_times=data.item_times,
        notes="Syllabot demo community (core.demo.seed, seed 7), at " + now.isoformat(),
    )


def load_dataset(path: str | Path) -> Dataset:
    if is_demo(path):
        return load_demo()
    p = Path(path)
    if (p / "data.npz").exists():
        return load_crossvalidated(p)
    if (p / "items_en.csv").exists():
        return load_mars(p)
    raise FileNotFoundError(f"no known recommender dataset in {p}")
