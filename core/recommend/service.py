"""Recommender use cases: load the community from the database, train or load the hybrid
model, and answer ``recommend_for`` / ``peers_for`` with explanations.

The trained model lives in ``services.extras["recommend.service"]`` (one per process) and
on disk under ``settings.model_dir`` (versioned; a failed training keeps the last good
model). Training runs when there is no model yet, when the snapshot is older than
``ttl``, or on ``train`` (CLI / scheduler). New courses are added to the current model
without retraining (scored from their tags and text).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog.service import LEVEL_KEYS
from core.peer_declines import DECLINED, declined_ids
from core.recommend import intros, online
from core.recommend.artifacts import Artifact, ModelStore, train_or_keep
from core.recommend.data import FeatureIndex, RecData, decayed_weight, feature_matrix
from core.recommend.encoders import CachedEncoder, EmbeddingCache, TextEncoder
from core.recommend.hybrid import PRODUCT_CONFIG, HybridConfig, HybridModel, TrainingError
from core.recommend.peers import (
    PastSuggestion,
    PeerIndex,
    PeerProfile,
    PeerSuggestion,
    match_many,
)
from core.recommend.peers import peers_for as _peers
from core.recommend.serving import (
    BlendedScorer,
    Explanation,
    ItemInfo,
    MemberInfo,
    explain,
    mmr,
)
from models.catalog import Course, Enrollment, Lesson
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Member
from models.qa import Question
from models.recommend import PeerMatch

log = logging.getLogger("syllabot.recommend")

__all__ = [
    "PeerOut",
    "Recommendation",
    "RecommendService",
    "get_service",
    "peers_for",
    "peers_many",
    "recommend_for",
    "recommend_many",
    "train",
]

SERVICE_KEY = "recommend.service"
ENCODER_KEY = "recommend.encoder"
EXCLUDE_KINDS = frozenset({"enroll", "enrol", "course_complete", "not_interested", "thumbs_down"})
STUDY_KINDS = frozenset({"enroll", "enrol", "lesson_open", "lesson_complete", "course_complete"})
PEER_WINDOW = timedelta(days=30)
PEER_CAP = 3
PEER_CACHE_TTL = timedelta(minutes=10)
PEER_MIN_CANDIDATES = 200
BATCH_IN = 500  # ids per IN (...) list when loading many members
ASKED_IN_TEXT = 5  # a member's latest questions that join their profile text
ASKED_CHARS = 200  # of each
LEVELS = {name: rank for rank, name in enumerate(LEVEL_KEYS)}  # beginner 0 .. advanced 2


@dataclass(frozen=True)
class Recommendation:
    course_id: int
    title: str
    title_zh: str
    url: str
    score: float
    explanation: Explanation


@dataclass(frozen=True)
class PeerOut:
    member_id: int
    display_name: str
    score: float
    explanation: Explanation
    reasons: tuple[Explanation, ...] = ()


ALSO_TOOK_MIN = 3
ALSO_TOOK_SHARE = 0.2
"""The "members who took X often take it too" reason needs this many such members, and
this share of X's takers: fewer is an accident of a small community, not a pattern."""


@dataclass
class Snapshot:
    """The community as the model sees it (dense indices <-> database ids)."""

    taken_at: datetime
    course_ids: list[int]
    member_ids: list[int]
    courses: dict[int, Course]
    data: RecData
    item_vecs: np.ndarray  # L2-normalised course text embeddings (MMR, explanations)
    user_index: FeatureIndex
    history: dict[int, list[tuple[int, str]]] = field(
        default_factory=dict
    )  # member -> (course, kind)
    popularity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lessons: dict[int, list[str]] = field(default_factory=dict)  # course -> lesson titles
    asked: dict[int, list[str]] = field(default_factory=dict)  # member -> latest questions

    def course_text(self, c: Course) -> str:
        return course_text(c, self.lessons.get(c.id, ()))

    def member_text(self, m: Member) -> str:
        return member_text(m, self.asked.get(m.id, ()))

    def course_pos(self) -> dict[int, int]:
        return {c: i for i, c in enumerate(self.course_ids)}

    @cached_property
    def takers(self) -> sp.csc_matrix:
        """Who engaged with each course, by column (binary): the "members who took X often
        take it too" reason compares two columns."""
        x = self.data.interactions.copy()
        x.data = (x.data > 0).astype(np.float32)
        x.eliminate_zeros()
        return x.tocsc()

    def also_took(self, item: int, sources: Sequence[int]) -> tuple[int, int] | None:
        """Of the courses a member took (``sources``), the one whose other takers most often
        took ``item`` too, and how many did: only when at least ``ALSO_TOOK_MIN`` did and
        they are at least ``ALSO_TOOK_SHARE`` of that course's takers."""
        cols = self.takers
        if item >= cols.shape[1]:
            return None
        with_item = cols.indices[cols.indptr[item] : cols.indptr[item + 1]]
        best: tuple[int, int] | None = None
        for src in sources:
            if src >= cols.shape[1] or src == item:
                continue
            with_src = cols.indices[cols.indptr[src] : cols.indptr[src + 1]]
            both = len(np.intersect1d(with_item, with_src, assume_unique=True))
            if (
                both >= ALSO_TOOK_MIN
                and both >= ALSO_TOOK_SHARE * len(with_src)
                and (best is None or both > best[1])
            ):
                best = (src, both)
        return best

    def member_pos(self) -> dict[int, int]:
        return {m: i for i, m in enumerate(self.member_ids)}


@dataclass
class _PeerCache:
    built_at: datetime
    profiles: dict[int, PeerProfile]
    by_topic: dict[str, set[int]]
    by_course: dict[int, set[int]]
    shown: Counter[int]  # how often each member was suggested within the window
    titles: dict[int, tuple[str, str]]
    index: PeerIndex | None = None  # the profiles as matrices (peers_many), built on first use


def course_text(c: Course, lessons: Sequence[str] = ()) -> str:
    """What a course is about: titles, descriptions, tags, then its lesson titles (the
    encoder reads the first few hundred tokens, so the description comes first)."""
    parts = [c.title, c.title_zh, c.description, c.description_zh, " ".join(c.tags or [])]
    if lessons:
        parts.append("Lessons: " + "; ".join(lessons))
    return ". ".join(p for p in parts if p)


def course_features(c: Course) -> list[str]:
    f = [f"tag:{t}" for t in (c.tags or [])]
    if c.level:
        f.append(f"level:{c.level}")
    if c.author:
        f.append(f"author:{c.author.lower()}")
    return f


def member_text(m: Member, asked: Sequence[str] = ()) -> str:
    """A member's stated goals, bio and interests, then the questions they asked lately."""
    parts = [m.goals.strip(), m.bio.strip()]
    if m.tags:
        parts.append("Interests: " + ", ".join(m.tags))
    if asked:
        parts.append("Asked: " + "; ".join(asked))
    return ". ".join(p for p in parts if p)


async def _lesson_titles(session: AsyncSession, course_ids: Sequence[int]) -> dict[int, list[str]]:
    """Lesson titles per course, in course order."""
    out: dict[int, list[str]] = defaultdict(list)
    for lo in range(0, len(course_ids), BATCH_IN):
        rows = await session.execute(
            select(Lesson.course_id, Lesson.title)
            .where(Lesson.course_id.in_(course_ids[lo : lo + BATCH_IN]))
            .order_by(Lesson.course_id, Lesson.position, Lesson.id)
        )
        for cid, title in rows:
            out[cid].append(title)
    return dict(out)


async def _asked(session: AsyncSession) -> dict[int, list[str]]:
    """Each member's latest :data:`ASKED_IN_TEXT` questions, newest first, shortened (the
    database ranks and cuts them: a member's whole question history never loads)."""
    rank = (
        func.row_number()
        .over(
            partition_by=Question.member_id,
            order_by=(Question.created_at.desc(), Question.id.desc()),
        )
        .label("rank")
    )
    latest = (
        select(Question.member_id, func.substr(Question.text, 1, ASKED_CHARS).label("text"), rank)
        .where(Question.member_id.is_not(None))
        .subquery()
    )
    rows = await session.execute(
        select(latest.c.member_id, latest.c.text)
        .where(latest.c.rank <= ASKED_IN_TEXT)
        .order_by(latest.c.member_id, latest.c.rank)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for mid, text in rows:
        out[int(mid)].append(str(text))
    return dict(out)


def stated_goals(m: Member) -> list[str]:
    """A member's goals, one per line or sentence (explanations match items against each)."""
    return [g for g in re.split(r"[\n.;。；]+", m.goals or "") if g.strip()]


def member_features(m: Member) -> dict[str, float]:
    feats = {f"tag:{t}": 1.0 for t in (m.tags or [])}
    if m.level:
        feats[f"level:{m.level}"] = 1.0
    return feats


def _tz_offset(name: str, now: datetime) -> float | None:
    m = re.fullmatch(r"UTC([+-]\d{1,2})(?::?(\d{2}))?", name or "")
    if m:
        sign = -1 if m.group(1).startswith("-") else 1
        return int(m.group(1)) + sign * int(m.group(2) or 0) / 60
    try:
        off = now.astimezone(ZoneInfo(name)).utcoffset()
    except Exception:
        return None
    return None if off is None else off.total_seconds() / 3600


class RecommendService:
    def __init__(
        self,
        encoder: TextEncoder,
        model_dir: str | Path | None = None,
        config: HybridConfig | None = None,
        ttl: timedelta = timedelta(hours=6),
    ) -> None:
        self.encoder = CachedEncoder(encoder, EmbeddingCache())
        self.store = ModelStore(model_dir) if model_dir else None
        self.config = config or PRODUCT_CONFIG
        self.ttl = ttl
        self.snapshot: Snapshot | None = None
        self.artifact: Artifact | None = None
        self.last_error: Exception | None = None
        self._lock = asyncio.Lock()
        self._peers: _PeerCache | None = None
        self._scorer_cache: tuple[tuple[int, int], BlendedScorer] | None = None

    # ------------------------------------------------------------------ loading

    async def load_snapshot(self, session: AsyncSession, now: datetime) -> Snapshot:
        courses = list((await session.execute(select(Course).order_by(Course.id))).scalars().all())
        members = list(
            (
                await session.execute(
                    select(Member).where(Member.forgotten_at.is_(None)).order_by(Member.id)
                )
            )
            .scalars()
            .all()
        )
        c_pos = {c.id: i for i, c in enumerate(courses)}
        m_pos = {m.id: i for i, m in enumerate(members)}
        rows = await session.execute(
            select(
                Interaction.member_id,
                Interaction.course_id,
                Interaction.kind,
                Interaction.weight,
                Interaction.at,
            ).where(Interaction.course_id.is_not(None))
        )
        weights: dict[tuple[int, int], float] = defaultdict(float)
        history: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for mid, cid, kind, weight, at in rows:
            if mid not in m_pos or cid not in c_pos:
                continue
            base = weight if weight else KIND_WEIGHTS.get(kind, 1.0)
            age = (now - at).total_seconds() / 86400
            weights[(m_pos[mid], c_pos[cid])] += decayed_weight(base, age)
            history[mid].append((cid, kind))
        for e in (await session.execute(select(Enrollment))).scalars():
            if e.member_id in m_pos and e.course_id in c_pos:
                key = (m_pos[e.member_id], c_pos[e.course_id])
                weights[key] += 2.0 if e.completed_at is None else 5.0
                history[e.member_id].append(
                    (e.course_id, "course_complete" if e.completed_at else "enroll")
                )
        keys = list(weights)
        mat = sp.csr_matrix(
            (
                np.array([weights[k] for k in keys], np.float32),
                (
                    np.array([k[0] for k in keys], np.int64),
                    np.array([k[1] for k in keys], np.int64),
                ),
            ),
            shape=(len(members), len(courses)),
        )
        lessons = await _lesson_titles(session, [c.id for c in courses])
        asked = await _asked(session)
        texts = [course_text(c, lessons.get(c.id, ())) for c in courses]
        mtexts = [member_text(m, asked.get(m.id, ())) for m in members]
        item_vecs = self._embed(texts)
        user_vecs = self._embed(mtexts)
        item_index = FeatureIndex()
        user_index = FeatureIndex()
        data = RecData(
            interactions=mat,
            item_features=feature_matrix([course_features(c) for c in courses], item_index),
            user_features=feature_matrix([member_features(m) for m in members], user_index),
            item_text=item_vecs,
            user_text=user_vecs,
            item_times=_created(courses),
        )
        pos = data.positives()
        return Snapshot(
            taken_at=now,
            course_ids=[c.id for c in courses],
            member_ids=[m.id for m in members],
            courses={c.id: c for c in courses},
            data=data,
            item_vecs=item_vecs,
            user_index=user_index,
            history=dict(history),
            popularity=np.asarray(pos.getnnz(axis=0)).ravel().astype(float),
            lessons=lessons,
            asked=asked,
        )

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        idx = [i for i, t in enumerate(texts) if t.strip()]
        if idx:
            out[idx] = self.encoder.encode([texts[i] for i in idx], "passage")
        return out

    # ------------------------------------------------------------------ training

    async def train(self, session: AsyncSession, now: datetime) -> Artifact | None:
        """Retrain on the current database; on failure keep serving the previous model."""
        snap = await self.load_snapshot(session, now)

        def fit() -> HybridModel:
            nnz = snap.data.positives().nnz
            if nnz == 0:
                raise TrainingError("no interactions yet")
            return HybridModel(self.config).fit(snap.data)

        meta = {"course_ids": snap.course_ids, "member_ids": snap.member_ids}
        artifact, error = train_or_keep(fit, self.artifact, self.store, meta)
        self.last_error = error
        if error is None or self.artifact is None or self.snapshot is None:
            if (
                error is not None
                and artifact is not None
                and artifact.meta.get("course_ids") != snap.course_ids
            ):
                artifact = None  # a model of another catalogue cannot score this one
            self.snapshot = snap
        self.artifact = artifact
        return artifact

    async def ensure(self, session: AsyncSession, now: datetime) -> Snapshot:
        async with self._lock:
            if self.artifact is None and self.store is not None:
                self.artifact = self.store.load_current()
            stale = self.snapshot is None or now - self.snapshot.taken_at > self.ttl
            if stale or self.artifact is None:
                await self.train(session, now)
            assert self.snapshot is not None
            await self._add_new_courses(session, now)
            return self.snapshot

    async def _add_new_courses(self, session: AsyncSession, now: datetime) -> None:
        """Courses created since training join the model without retraining."""
        snap = self.snapshot
        assert snap is not None
        known = set(snap.course_ids)
        new = [
            c
            for c in (await session.execute(select(Course).order_by(Course.id))).scalars()
            if c.id not in known
        ]
        if not new:
            return
        snap.lessons.update(await _lesson_titles(session, [c.id for c in new]))
        vecs = self._embed([snap.course_text(c) for c in new])
        art = self.artifact
        if art is not None and art.model.fitted and art.model.n_items == len(snap.course_ids):
            # new feature names are unknown to the model and dropped by add_items
            idx = FeatureIndex(list(_item_feature_names(snap)))
            feats = feature_matrix([course_features(c) for c in new], idx, grow=False)
            art.model.add_items(feats, vecs, item_times=_created(new))
        snap.course_ids.extend(c.id for c in new)
        snap.courses.update({c.id: c for c in new})
        snap.item_vecs = np.concatenate([snap.item_vecs, vecs])
        snap.popularity = np.concatenate([snap.popularity, np.zeros(len(new))])

    # ------------------------------------------------------------------ serving

    async def recommend_for(
        self, session: AsyncSession, member_id: int, k: int, now: datetime
    ) -> list[Recommendation]:
        member = await session.get(Member, member_id)
        if member is None or member.recommend_opt_out:
            return []
        snap = await self.ensure(session, now)
        if not snap.course_ids:
            return []
        # this member's history read fresh: what they did since the snapshot counts
        history = (await online.histories(session, snap, [member_id]))[member_id]
        excluded = {c for c, kind in history if kind in EXCLUDE_KINDS}
        scores = self._scores(snap, member, history)
        scores = await online.with_variant(self, session, snap, member, history, scores, now)
        candidates = [
            i
            for i, cid in enumerate(snap.course_ids)
            if cid not in excluded and not snap.courses[cid].hidden
        ]
        if not candidates:
            return []
        cand = np.asarray(candidates)
        order = cand[np.argsort(-scores[cand], kind="stable")][: max(4 * k, 20)]
        top = scores[order]
        if _stated_topics(member, history):  # a newcomer: their topics join the pool
            order, top = _with_stated_topics(
                snap, member, history, order, top, _by_topic(snap, cand)
            )
        goals = stated_goals(member)
        goal_vecs = self._embed(goals) if goals else None
        return self._finish(snap, member, history, order, top, k, goals, goal_vecs)

    # ------------------------------------------------------------------ batch serving

    async def recommend_many(
        self, session: AsyncSession, member_ids: Sequence[int], k: int, now: datetime
    ) -> dict[int, list[Recommendation]]:
        """``recommend_for`` for many members at once (digests): histories in a few queries,
        every member scored in one pass of :class:`BlendedScorer` (no full score rows).

        Same ranking as ``recommend_for`` (same model scores, exclusions, MMR over the same
        candidate pool, same explanations); members opted out or unknown get ``[]``."""
        ids = list(dict.fromkeys(int(i) for i in member_ids))
        out: dict[int, list[Recommendation]] = {i: [] for i in ids}
        members: dict[int, Member] = {}
        for lo in range(0, len(ids), BATCH_IN):
            part = ids[lo : lo + BATCH_IN]
            for m in (await session.execute(select(Member).where(Member.id.in_(part)))).scalars():
                members[m.id] = m
        want = [members[i] for i in ids if i in members and not members[i].recommend_opt_out]
        if not want or k <= 0:
            return out
        snap = await self.ensure(session, now)
        if not snap.course_ids:
            return out
        histories = await online.histories(session, snap, [m.id for m in want])
        pool = max(4 * k, 20)
        cands = self._candidates_many(snap, want, histories, pool)
        goal_lists = {m.id: stated_goals(m) for m in want}
        all_goals = sorted({g for gs in goal_lists.values() for g in gs})
        goal_vec = dict(zip(all_goals, self._embed(all_goals), strict=True)) if all_goals else {}
        topical = _by_topic(
            snap, [i for i, c in enumerate(snap.course_ids) if not snap.courses[c].hidden]
        )
        for m in want:
            order, scores = cands[m.id]
            if len(order) == 0:
                continue
            order, scores = _with_stated_topics(snap, m, histories[m.id], order, scores, topical)
            goals = goal_lists[m.id]
            gv = np.stack([goal_vec[g] for g in goals]) if goals else None
            out[m.id] = self._finish(snap, m, histories[m.id], order, scores, k, goals, gv)
        return out

    def _candidates_many(
        self,
        snap: Snapshot,
        members: list[Member],
        histories: dict[int, list[tuple[int, str]]],
        pool: int,
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per member: up to ``pool`` best allowed item indices (best first) and scores."""
        n = len(snap.course_ids)
        c_pos = snap.course_pos()
        visible = np.array([not snap.courses[c].hidden for c in snap.course_ids], dtype=bool)
        excluded = {
            m.id: {c_pos[c] for c, kd in histories[m.id] if kd in EXCLUDE_KINDS and c in c_pos}
            for m in members
        }
        art = self.artifact
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if art is None or not art.model.fitted:
            for m in members:  # popularity fallback: cheap per member
                s = self._scores(snap, m, histories[m.id])
                allowed = visible.copy()
                allowed[list(excluded[m.id])] = False
                cand = np.flatnonzero(allowed)
                order = cand[np.argsort(-s[cand], kind="stable")][:pool]
                out[m.id] = (order, s[order])
            return out
        model = art.model
        n_model = min(model.n_items, n)
        scorer = self._scorer(model)
        m_pos = snap.member_pos()

        def liked_of(history: list[tuple[int, str]]) -> set[int]:
            return {
                c_pos[c]
                for c, kd in history
                if c in c_pos
                and KIND_WEIGHTS.get(kd, 1.0) > 0
                and kd not in ("not_interested", "thumbs_down")
                and c_pos[c] < n_model
            }

        known: list[tuple[Member, int]] = []
        cold: list[Member] = []
        liked_all = {m.id: liked_of(histories[m.id]) for m in members}
        for m in members:
            row = m_pos.get(m.id)
            # the trained vector serves while the member's positives are what it learned
            # from; anything newer is folded in (as core.recommend.online does per member)
            if (
                row is not None
                and row < model.n_users
                and snap.data.interactions[row].nnz > 0
                and liked_all[m.id] <= liked_of(snap.history.get(m.id, []))
            ):
                known.append((m, row))
            else:
                cold.append(m)
        order_m = [m for m, _ in known] + cold
        vec_parts = []
        prof_parts = []
        period_parts = []
        if known:
            rows = np.asarray([r for _, r in known], dtype=np.int64)
            vec_parts.append(model.user_vectors(rows))
            if scorer.blended:
                prof_parts.append(model._content.profiles[rows])
            if scorer.uses_period:
                period_parts.append(model._period.profiles[rows])
        if cold:
            liked = [np.asarray(sorted(liked_all[m.id]), dtype=np.int64) for m in cold]
            feats = feature_matrix([member_features(m) for m in cold], snap.user_index, grow=False)
            text = self._embed([snap.member_text(m) for m in cold])
            vec_parts.append(model.fold_in_users(liked, None, feats, text))
            if scorer.blended:
                prof_parts.append(scorer.content_profiles_new(liked))
            if scorer.uses_period:
                period_parts.append(model._period.profiles_new(liked))
        U = np.concatenate(vec_parts)
        profiles = sp.vstack(prof_parts).tocsr() if prof_parts else None
        period_profiles = np.concatenate(period_parts) if period_parts else None
        ex_rows = [r for r, m in enumerate(order_m) for _ in excluded[m.id]]
        ex_cols = [c for m in order_m for c in excluded[m.id]]
        keep = [i for i, c in enumerate(ex_cols) if c < n_model]
        exclude = sp.csr_matrix(
            (
                np.ones(len(keep), np.float32),
                (np.asarray(ex_rows, np.int64)[keep], np.asarray(ex_cols, np.int64)[keep]),
            ),
            shape=(len(order_m), n_model),
        )
        idx, vals = scorer.top_k(
            U, pool, profiles, exclude, visible[:n_model], period_profiles=period_profiles
        )
        extra = [i for i in range(n_model, n) if visible[i]]  # courses newer than the model
        for r, m in enumerate(order_m):
            ok = np.isfinite(vals[r])
            order, scores = idx[r][ok], vals[r][ok]
            if len(order) < pool and extra:
                more = [i for i in extra if i not in excluded[m.id]][: pool - len(order)]
                low = float(scores.min()) if len(scores) else 0.0
                order = np.concatenate([order, np.asarray(more, np.int64)])
                scores = np.concatenate([scores, np.full(len(more), low)])
            out[m.id] = (order, scores)
        return out

    def _scorer(self, model: HybridModel) -> BlendedScorer:
        """The batch scorer for the current model (rebuilt when the model or catalogue grows)."""
        key = (id(model), model.n_items)
        if self._scorer_cache is None or self._scorer_cache[0] != key:
            self._scorer_cache = (key, BlendedScorer.for_model(model))
        return self._scorer_cache[1]

    def _finish(
        self,
        snap: Snapshot,
        member: Member,
        history: list[tuple[int, str]],
        order: np.ndarray,
        scores: np.ndarray,
        k: int,
        goals: list[str],
        goal_vecs: np.ndarray | None,
    ) -> list[Recommendation]:
        """Diversity (MMR) and explanations on a small candidate list, as recommend_for."""
        c_pos = snap.course_pos()
        finished = [c_pos[c] for c, kd in history if kd == "course_complete" and c in c_pos]
        taking = [c_pos[c] for c, kd in history if kd in ("enroll", "enrol") and c in c_pos]
        hard = _too_hard(snap, member, finished + taking, order)
        stated = _stated_topics(member, history)
        on = [bool(stated & set(snap.courses[snap.course_ids[int(i)]].tags or ())) for i in order]
        # a newcomer starts at the level they told us: on their topics, courses at it (or
        # easier) before the ones a level up
        up = _above_level(snap, member, order) if stated else np.zeros(len(order), dtype=bool)
        # easier courses before ones two levels up; for a newcomer, within each, the
        # courses on the topics they told us before the rest
        rank = [(bool(hard[j]), not on[j], bool(up[j]) and on[j]) for j in range(len(order))]
        tiers = [[j for j in range(len(order)) if rank[j] == t] for t in sorted(set(rank))]
        local: list[int] = []
        for tier in tiers:
            if len(local) < k and tier:
                local += mmr(tier, scores[tier], snap.item_vecs[order[tier]], k - len(local))
        topics = [
            t
            for t, _ in Counter(
                t for c, _ in history if c in snap.courses for t in snap.courses[c].tags or []
            ).most_common()
        ] + list(member.tags or [])
        info = MemberInfo(finished, taking, goals, goal_vecs, topics, sorted(stated))
        zh = member.locale == "zh-CN"
        titles = {}
        for i in set(finished) | set(taking):
            c = snap.courses[snap.course_ids[i]]
            titles[i] = c.title_zh if zh and c.title_zh else c.title
        out = []
        for j in local:
            i = int(order[j])
            c = snap.courses[snap.course_ids[i]]

            def also(i: int = i) -> tuple[str, int] | None:
                found = snap.also_took(i, finished + taking)
                return (titles[found[0]], found[1]) if found else None

            why = explain(
                ItemInfo(i, c.title, tuple(c.tags or ())),
                info,
                snap.item_vecs,
                titles,
                item_popularity=float(snap.popularity[i]),
                also_took=also,
            )
            out.append(Recommendation(c.id, c.title, c.title_zh, c.url, float(scores[j]), why))
        return out

    def _scores(self, snap: Snapshot, member: Member, history: list[tuple[int, str]]) -> np.ndarray:
        n = len(snap.course_ids)
        art = self.artifact
        c_pos = snap.course_pos()
        m_pos = snap.member_pos()
        if art is None or not art.model.fitted:
            pop = snap.popularity.astype(float)
            return pop + 1e-3 * (snap.item_vecs @ self._embed([snap.member_text(member)])[0])
        model = art.model
        n_model = model.n_items
        liked = sorted(
            {
                c_pos[c]
                for c, kd in history
                if c in c_pos
                and KIND_WEIGHTS.get(kd, 1.0) > 0
                and kd not in ("not_interested", "thumbs_down")
            }
        )
        row = m_pos.get(member.id)
        folded = online.scores_for(self, snap, member, liked)  # feedback since training
        if folded is not None:
            s = folded
        elif (
            row is not None
            and row < model.n_users
            and model.user_vectors([row]).size
            and (snap.data.interactions[row].nnz > 0)
        ):
            s = model.score([row])[0]
        else:
            feats = feature_matrix([member_features(member)], snap.user_index, grow=False)
            text = self._embed([snap.member_text(member)])
            hist = [np.asarray([i for i in liked if i < n_model], dtype=np.int64)]
            s = model.score_new_users(hist, feats, text)[0]
        if len(s) < n:
            s = np.concatenate([s, np.full(n - len(s), s.min() if len(s) else 0.0)])
        return np.asarray(s[:n], dtype=np.float64)

    # ------------------------------------------------------------------ peers

    async def _peer_cache(self, session: AsyncSession, now: datetime) -> _PeerCache:
        """Opt-in members' peer profiles plus inverted indexes, rebuilt every few minutes.

        Composing thousands of digests then costs one load, not one per member.
        """
        cache = self._peers
        if cache is not None and now - cache.built_at < PEER_CACHE_TTL:
            return cache
        members = list(
            (
                await session.execute(
                    select(Member).where(
                        Member.peer_opt_in.is_(True), Member.forgotten_at.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        ids = [m.id for m in members]
        courses = {c.id: c for c in (await session.execute(select(Course))).scalars()}
        taking: dict[int, set[int]] = defaultdict(set)
        finished: dict[int, set[int]] = defaultdict(set)
        for e in (
            await session.execute(select(Enrollment).where(Enrollment.member_id.in_(ids)))
        ).scalars():
            (finished if e.completed_at else taking)[e.member_id].add(e.course_id)
        for mid, cid, kind in await session.execute(
            select(Interaction.member_id, Interaction.course_id, Interaction.kind).where(
                Interaction.member_id.in_(ids),
                Interaction.course_id.is_not(None),
                Interaction.kind.in_(("enroll", "enrol", "course_complete")),
            )
        ):
            if cid is not None:
                (finished if kind == "course_complete" else taking)[mid].add(cid)
        for mid in ids:
            taking[mid] -= finished[mid]
        since = now - timedelta(days=28)
        activity: Counter[int] = Counter()
        for mid, n in await session.execute(
            select(Interaction.member_id, func.count())
            .where(Interaction.member_id.in_(ids), Interaction.at >= since)
            .group_by(Interaction.member_id)
        ):
            activity[mid] = int(n)
        profiles: dict[int, PeerProfile] = {}
        by_topic: dict[str, set[int]] = defaultdict(set)
        by_course: dict[int, set[int]] = defaultdict(set)
        for m in members:
            goals = set(m.tags or [])
            for c in taking[m.id]:
                goals.update(courses[c].tags or [] if c in courses else [])
            knows: set[str] = set()
            for c in finished[m.id]:
                knows.update(courses[c].tags or [] if c in courses else [])
            profiles[m.id] = PeerProfile(
                member_id=m.id,
                opted_in=True,
                goals=frozenset(goals),
                knows=frozenset(knows),
                taking=frozenset(taking[m.id]),
                finished=frozenset(finished[m.id]),
                activity=activity[m.id] / 4.0,
                tz_offset_hours=_tz_offset(m.timezone, now),
                display_name=m.display_name,
            )
            for t in goals | knows:
                by_topic[t].add(m.id)
            for c in taking[m.id] | finished[m.id]:
                by_course[c].add(m.id)
        shown: Counter[int] = Counter()
        for b, n in await session.execute(
            select(PeerMatch.member_b_id, func.count())
            .where(PeerMatch.suggested_at >= now - PEER_WINDOW, PeerMatch.state != DECLINED)
            .group_by(PeerMatch.member_b_id)
        ):
            shown[int(b)] = int(n)
        titles = {c.id: (c.title, c.title_zh) for c in courses.values()}
        self._peers = _PeerCache(now, profiles, dict(by_topic), dict(by_course), shown, titles)
        return self._peers

    async def peers_for(
        self,
        session: AsyncSession,
        member_id: int,
        k: int,
        now: datetime,
        record: bool = True,
        keep_within: timedelta = timedelta(0),
    ) -> list[PeerOut]:
        """``keep_within``: partners suggested to this member that recently come first again
        (a member who runs /peers twice in an afternoon sees the same people, not three new
        ones); the rest of the ``k`` are new, and only those are recorded."""
        me = await session.get(Member, member_id)
        if me is None or not me.peer_opt_in:
            return []
        cache = await self._peer_cache(session, now)
        if me.id not in cache.profiles:  # opted in since the cache was built
            self._peers = None
            cache = await self._peer_cache(session, now)
        mine = cache.profiles.get(me.id, PeerProfile(me.id, opted_in=True))
        cand_ids: set[int] = set()
        for t in mine.goals | mine.knows:
            cand_ids |= cache.by_topic.get(t, set())
        for c in mine.taking | mine.finished:
            cand_ids |= cache.by_course.get(c, set())
        if len(cand_ids) < PEER_MIN_CANDIDATES:  # small or sparse community: look wider
            busiest = sorted(cache.profiles.values(), key=lambda p: (-p.activity, p.member_id))
            cand_ids |= {p.member_id for p in busiest[:PEER_MIN_CANDIDATES]}
        cand_ids.discard(me.id)
        candidates = [cache.profiles[c] for c in sorted(cand_ids) if cache.shown[c] < PEER_CAP]
        past = [
            PastSuggestion(p.member_a_id, p.member_b_id, p.suggested_at, p.state == DECLINED)
            for p in (
                await session.execute(
                    select(PeerMatch).where(
                        (PeerMatch.suggested_at >= now - PEER_WINDOW)
                        | (PeerMatch.state == DECLINED),
                        (PeerMatch.member_a_id == me.id) | (PeerMatch.member_b_id == me.id),
                    )
                )
            ).scalars()
        ]
        zh = me.locale == "zh-CN"
        titles = {cid: (tz if zh and tz else t) for cid, (t, tz) in cache.titles.items()}
        again: list[PeerSuggestion] = []
        if keep_within > timedelta(0):
            kept = await self._recently_suggested(session, me, now - keep_within)
            again = _peers(
                mine,
                [cache.profiles[c] for c in sorted(kept) if c in cache.profiles],
                now=now,
                k=k,
                cap=PEER_CAP + 1,  # they are counted in already
                titles=titles,
            )
        fresh: list[PeerSuggestion] = _peers(
            mine,
            candidates,
            now=now,
            history=past,
            k=k - len(again),
            window=PEER_WINDOW,
            cap=PEER_CAP,
            titles=titles,
        )
        got = again + fresh
        if record:
            for g in fresh:
                session.add(_suggested(g, now))
                cache.shown[g.peer_id] += 1
            await session.flush()
        return [
            PeerOut(g.peer_id, cache.profiles[g.peer_id].display_name, g.score, g.reason, g.reasons)
            for g in got
        ]

    async def _recently_suggested(
        self, session: AsyncSession, me: Member, since: datetime
    ) -> set[int]:
        """Partners suggested to the member since ``since`` whom they have not met yet (those
        they were introduced to are listed apart, by /peers)."""
        met = set(intros.introduced_ids(me))
        rows = await session.execute(
            select(PeerMatch.member_b_id).where(
                PeerMatch.member_a_id == me.id, PeerMatch.suggested_at >= since
            )
        )
        declined = await declined_ids(session, me.id)
        return {b for (b,) in rows} - met - declined

    async def peers_many(
        self, session: AsyncSession, member_ids: Sequence[int], k: int, now: datetime
    ) -> dict[int, list[PeerOut]]:
        """``peers_for`` for many members, in order (digests): the same picks and records,
        but one history query per batch and pairs scored as matrices (``match_many``), so a
        batch costs a few products instead of a Python loop over every opted-in pair."""
        ids = list(dict.fromkeys(int(i) for i in member_ids))
        out: dict[int, list[PeerOut]] = {i: [] for i in ids}
        info = {
            mid: locale
            for mid, opted, locale in await session.execute(
                select(Member.id, Member.peer_opt_in, Member.locale).where(Member.id.in_(ids))
            )
            if opted
        }
        want = [i for i in ids if i in info]
        if not want or k <= 0:
            return out
        cache = await self._peer_cache(session, now)
        if any(i not in cache.profiles for i in want):  # opted in since the cache was built
            self._peers = None
            cache = await self._peer_cache(session, now)
        if cache.index is None:
            cache.index = PeerIndex(cache.profiles.values())
        past = [
            PastSuggestion(a, b, at, state == DECLINED)
            for a, b, at, state in await session.execute(
                select(
                    PeerMatch.member_a_id,
                    PeerMatch.member_b_id,
                    PeerMatch.suggested_at,
                    PeerMatch.state,
                ).where(
                    (PeerMatch.suggested_at >= now - PEER_WINDOW) | (PeerMatch.state == DECLINED),
                    PeerMatch.member_a_id.in_(want) | PeerMatch.member_b_id.in_(want),
                )
            )
        ]
        by_locale = {
            zh: {cid: (tz if zh and tz else t) for cid, (t, tz) in cache.titles.items()}
            for zh in (False, True)
        }
        got = match_many(
            cache.index,
            [i for i in want if i in cache.profiles],
            now=now,
            history=past,
            shown=Counter(cache.shown),
            k=k,
            window=PEER_WINDOW,
            cap=PEER_CAP,
            min_candidates=PEER_MIN_CANDIDATES,
            titles=lambda mid: by_locale[info[mid] == "zh-CN"],
        )
        session.add_all(_suggested(g, now) for gs in got.values() for g in gs)
        await session.flush()
        for mid, gs in got.items():
            cache.shown.update(g.peer_id for g in gs)
            out[mid] = [
                PeerOut(
                    g.peer_id, cache.profiles[g.peer_id].display_name, g.score, g.reason, g.reasons
                )
                for g in gs
            ]
        for mid in want:  # not in the profiles (e.g. forgotten): the one-member path
            if mid not in cache.profiles:
                out[mid] = await self.peers_for(session, mid, k, now)
        return out


def _item_feature_names(snap: Snapshot) -> list[str]:
    names: dict[str, int] = {}
    for cid in snap.course_ids:
        for f in course_features(snap.courses[cid]):
            names.setdefault(f, len(names))
    return list(names)


# ---------------------------------------------------------------------- module API


def _default_encoder(services: Any) -> TextEncoder:
    """MiniLM for an English community, multilingual E5 when its default locale is Chinese."""
    from core.recommend.encoders import pick_encoder

    locale = str(getattr(services.settings, "locale", "en") or "en")
    return pick_encoder("zh" if locale.lower().startswith("zh") else "en")


def get_service(services: Any) -> RecommendService:
    """The process-wide service held in ``services`` (encoder injectable for tests)."""

    def build(s: Any) -> RecommendService:
        encoder = s.extras.get(ENCODER_KEY) or _default_encoder(s)
        model_dir = getattr(s.settings, "model_dir", None)
        return RecommendService(encoder, Path(model_dir) / "recommend" if model_dir else None)

    svc: RecommendService = services.get(SERVICE_KEY, build)
    return svc


async def recommend_for(
    services: Any, session: AsyncSession, member_id: int, k: int
) -> list[Recommendation]:
    """Top ``k`` courses for a member, each with an explanation (digest and /recommend)."""
    return await get_service(services).recommend_for(session, member_id, k, services.clock.now())


async def recommend_many(
    services: Any, session: AsyncSession, member_ids: Sequence[int], k: int
) -> dict[int, list[Recommendation]]:
    """Top ``k`` for many members in one pass (digests); ``{member_id: [...]}``."""
    return await get_service(services).recommend_many(session, member_ids, k, services.clock.now())


PEERS_KEPT = timedelta(hours=12)
"""How long /peers shows the same partners again before suggesting new ones."""


async def peers_for(services: Any, session: AsyncSession, member_id: int, k: int) -> list[PeerOut]:
    """Up to ``k`` opt-in study partners, recorded so the pair is not repeated soon; those
    suggested to the member in the last hours are shown again first (``PEERS_KEPT``)."""
    return await get_service(services).peers_for(
        session, member_id, k, services.clock.now(), keep_within=PEERS_KEPT
    )


async def peers_many(
    services: Any, session: AsyncSession, member_ids: Sequence[int], k: int
) -> dict[int, list[PeerOut]]:
    """``peers_for`` for many members in one pass (digests); ``{member_id: [...]}``."""
    return await get_service(services).peers_many(session, member_ids, k, services.clock.now())


async def train(services: Any, session: AsyncSession) -> Artifact | None:
    return await get_service(services).train(session, services.clock.now())


def _suggested(g: PeerSuggestion, now: datetime) -> PeerMatch:
    """The record of one study-partner suggestion: it keeps the pair out of the window and
    counts towards the suggested member's cap."""
    return PeerMatch(
        member_a_id=g.member_id,
        member_b_id=g.peer_id,
        score=g.score,
        reason=g.reason.key,
        state="suggested",
        suggested_at=now,
    )


def _created(courses: Sequence[Course]) -> np.ndarray:
    """Course creation times (unix seconds) for the period part of the blend (UTC
    columns load aware, so ``timestamp()`` needs no zone fix)."""
    return np.array([c.created_at.timestamp() for c in courses], dtype=np.float64)


def _stated_topics(member: Member, history: list[tuple[int, str]]) -> set[str]:
    """The topics a member with nothing studied yet told us (onboarding, /profile): until
    they enroll or study, those are all we know of them. The model's fold-in reads them
    too, but from a few other members' habits; a newcomer who asked for SQL is shown SQL
    courses first, in the model's order (which their views and clicks still move). Empty
    once the member enrolls or studies."""
    if any(kd in STUDY_KINDS for _, kd in history):
        return set()
    return set(member.tags or ())


def _by_topic(snap: Snapshot, allowed: Sequence[int] | np.ndarray) -> dict[str, list[int]]:
    """Allowed course indices per tag, in catalogue order."""
    out: dict[str, list[int]] = defaultdict(list)
    for i in allowed:
        for tag in snap.courses[snap.course_ids[int(i)]].tags or ():
            out[tag].append(int(i))
    return out


def _with_stated_topics(
    snap: Snapshot,
    member: Member,
    history: list[tuple[int, str]],
    order: np.ndarray,
    scores: np.ndarray,
    by_topic: Mapping[str, list[int]],
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pool with every allowed course on a newcomer's stated topics in it
    (those the model left out come last in it, in catalogue order)."""
    stated = _stated_topics(member, history)
    if not stated:
        return order, scores
    have = {int(i) for i in order}
    left = {c for c, kd in history if kd in EXCLUDE_KINDS}
    more = sorted(
        {
            i
            for t in stated
            for i in by_topic.get(t, ())
            if i not in have and snap.course_ids[i] not in left
        }
    )
    if not more:
        return order, scores
    low = float(scores.min()) if len(scores) else 0.0
    return (
        np.concatenate([order, np.asarray(more, np.int64)]),
        np.concatenate([scores, np.full(len(more), low)]),
    )


def _level(snap: Snapshot, i: int) -> int:
    """Course `i`'s level as a number (beginner 0 …; an unknown level counts as beginner)."""
    return LEVELS.get(snap.courses[snap.course_ids[i]].level, 0)


def _above_level(snap: Snapshot, member: Member, order: np.ndarray) -> np.ndarray:
    """Which candidates sit above the level the member stated (none without one)."""
    own = LEVELS.get(member.level)
    if own is None:
        return np.zeros(len(order), dtype=bool)
    return np.array(
        [_level(snap, int(i)) > own for i in order],
        dtype=bool,
    )


def _too_hard(snap: Snapshot, member: Member, studied: list[int], order: np.ndarray) -> np.ndarray:
    """Which candidates sit two levels above the member: they come after all the others.

    A member who says they are a beginner is not sent to an advanced course while easier
    ones remain; enrolling in or finishing an intermediate course lifts them a level. Only
    the order changes: a member who has taken everything easier still gets advanced ones.
    """
    own = LEVELS.get(member.level)
    if own is None:
        return np.zeros(len(order), dtype=bool)
    for i in studied:
        own = max(own, _level(snap, i))
    return np.array(
        [_level(snap, int(i)) - own >= 2 for i in order],
        dtype=bool,
    )
