"""Online learning between full retrains, and per-member strategy variants.

Fold-in: the trained model knows each member as of its last training. When a member clicks,
likes or enrols in something after that, their vector is folded in again from their whole
positive history with the item vectors frozen (``HybridModel.score_new_users``; a few ms),
so their suggestions move the same day without a retrain. It happens

- on demand, when ``/recommend`` or a digest serves a member whose positive history differs
  from what the model was trained on (every process, so the web/bot workers too), and
- in batch, every ``FOLD_IN_EVERY`` (``recommend.fold_in`` job), over the members with new
  interactions or enrolments since the last pass, so composing digests rarely pays for it.

Results are cached per member for the current snapshot and dropped when the model retrains.

Variants: an experiment on target ``recommend`` can serve a member by popularity, by the
course-text match alone, or the hybrid score plus a weighted text match
(core/experiments/variants.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs import periodic
from core.replies import AnyReply
from models.catalog import Enrollment
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Member

if TYPE_CHECKING:
    from core.context import Services
    from core.recommend.service import RecommendService, Snapshot

log = logging.getLogger("syllabot.recommend.online")

FOLD_IN_EVERY = timedelta(minutes=10)
BATCH = 256
NEGATIVE = frozenset({"not_interested", "thumbs_down"})


@dataclass
class OnlineCache:
    """Folded-in score rows of the members whose history moved since the snapshot."""

    taken_at: datetime  # the snapshot these rows belong to
    rows: dict[int, tuple[frozenset[int], np.ndarray]] = field(default_factory=dict)
    refreshed_at: datetime | None = None  # last batch pass
    folded: int = 0  # members folded in since the snapshot (logs, tests)


def liked_positions(snap: Snapshot, history: Iterable[tuple[int, str]]) -> frozenset[int]:
    """Course positions the member showed a positive signal for (as the service counts them)."""
    c_pos = snap.course_pos()
    return frozenset(
        c_pos[c]
        for c, kd in history
        if c in c_pos and KIND_WEIGHTS.get(kd, 1.0) > 0 and kd not in NEGATIVE
    )


def cache_of(svc: RecommendService, snap: Snapshot) -> OnlineCache:
    cache: OnlineCache | None = getattr(svc, "_online", None)
    if cache is None or cache.taken_at != snap.taken_at:
        cache = OnlineCache(snap.taken_at)
        svc._online = cache  # type: ignore[attr-defined]
    return cache


def _trained_on(snap: Snapshot, member_id: int, n_users: int) -> frozenset[int] | None:
    """What the model learned this member from, or None if it has no trained vector."""
    row = snap.member_pos().get(member_id)
    if row is None or row >= n_users or snap.data.interactions[row].nnz == 0:
        return None
    return liked_positions(snap, snap.history.get(member_id, []))


def scores_for(
    svc: RecommendService, snap: Snapshot, member: Member, liked: Iterable[int]
) -> np.ndarray | None:
    """Folded-in scores (length = the model's items) when the member's positive history is not
    what the model trained on; None when the trained vector is current (or no model)."""
    art = svc.artifact
    if art is None or not art.model.fitted:
        return None
    model = art.model
    key = frozenset(i for i in liked if i < model.n_items)
    trained = _trained_on(snap, member.id, model.n_users)
    if trained is not None and key <= trained:
        return None
    cache = cache_of(svc, snap)
    hit = cache.rows.get(member.id)
    if hit is not None and hit[0] == key:
        return hit[1]
    row = _fold(svc, snap, [member], [key])[0]
    cache.rows[member.id] = (key, row)
    cache.folded += 1
    return row


def _fold(
    svc: RecommendService, snap: Snapshot, members: Sequence[Member], keys: Sequence[frozenset[int]]
) -> np.ndarray:
    from core.recommend.data import feature_matrix
    from core.recommend.service import member_features

    assert svc.artifact is not None
    feats = feature_matrix([member_features(m) for m in members], snap.user_index, grow=False)
    text = svc._embed([snap.member_text(m) for m in members])
    hist = [np.asarray(sorted(k), dtype=np.int64) for k in keys]
    return np.asarray(svc.artifact.model.score_new_users(hist, feats, text), dtype=np.float64)


IDS_PER_QUERY = 500  # member ids per IN (...) list


async def histories(
    session: AsyncSession, snap: Snapshot, member_ids: Sequence[int]
) -> dict[int, list[tuple[int, str]]]:
    """Each member's (course, kind) history: the snapshot's plus what the database holds now."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for mid in member_ids:
        out[mid].extend(snap.history.get(mid, []))
    all_ids = list(member_ids)
    for lo in range(0, len(all_ids), IDS_PER_QUERY):
        ids = all_ids[lo : lo + IDS_PER_QUERY]
        for mid, cid, kind in await session.execute(
            select(Interaction.member_id, Interaction.course_id, Interaction.kind).where(
                Interaction.member_id.in_(ids), Interaction.course_id.is_not(None)
            )
        ):
            if cid is not None:
                out[mid].append((int(cid), str(kind)))
        for mid, cid, done in await session.execute(
            select(Enrollment.member_id, Enrollment.course_id, Enrollment.completed_at).where(
                Enrollment.member_id.in_(ids)
            )
        ):
            out[mid].append((int(cid), "course_complete" if done else "enroll"))
    return dict(out)


async def fold_in_recent(svc: RecommendService, session: AsyncSession, now: datetime) -> int:
    """Fold in every member with new interactions or enrolments since the last pass (or the
    snapshot). Returns how many were folded in. Does nothing before a model is loaded."""
    snap, art = svc.snapshot, svc.artifact
    if snap is None or art is None or not art.model.fitted:
        return 0
    cache = cache_of(svc, snap)
    since = max(cache.refreshed_at or snap.taken_at, snap.taken_at)
    changed = {
        int(m)
        for (m,) in (
            await session.execute(
                select(Interaction.member_id)
                .where(Interaction.at > since, Interaction.course_id.is_not(None))
                .distinct()
            )
        ).all()
    }
    changed |= {
        int(m)
        for (m,) in (
            await session.execute(
                select(Enrollment.member_id)
                .where(
                    (Enrollment.enrolled_at > since)
                    | (Enrollment.completed_at.is_not(None) & (Enrollment.completed_at > since))
                )
                .distinct()
            )
        ).all()
    }
    model = art.model
    done = 0
    ids = sorted(changed)
    for lo in range(0, len(ids), BATCH):
        part = ids[lo : lo + BATCH]
        members = [
            m
            for m in (
                await session.execute(
                    select(Member).where(
                        Member.id.in_(part),
                        Member.forgotten_at.is_(None),
                        Member.recommend_opt_out.is_(False),
                    )
                )
            ).scalars()
        ]
        hist = await histories(session, snap, [m.id for m in members])
        todo: list[tuple[Member, frozenset[int]]] = []
        for m in members:
            key = frozenset(
                i for i in liked_positions(snap, hist.get(m.id, [])) if i < model.n_items
            )
            trained = _trained_on(snap, m.id, model.n_users)
            hit = cache.rows.get(m.id)
            if (trained is not None and key <= trained) or (hit is not None and hit[0] == key):
                continue
            todo.append((m, key))
        if todo:
            rows = _fold(svc, snap, [m for m, _ in todo], [k for _, k in todo])
            for (m, key), row in zip(todo, rows, strict=True):
                cache.rows[m.id] = (key, row)
            cache.folded += len(todo)
            done += len(todo)
    cache.refreshed_at = now
    if done:
        log.info("fold-in: %d members refreshed without retraining", done)
    return done


@periodic("recommend.fold_in", every=FOLD_IN_EVERY)
async def fold_in_job(services: Services) -> list[AnyReply]:
    """Keep the loaded model's member vectors current between retrains (never trains)."""
    from core.recommend.service import SERVICE_KEY, RecommendService

    svc = services.extras.get(SERVICE_KEY)
    if not isinstance(svc, RecommendService):
        return []
    async with services.session_factory() as s:
        await fold_in_recent(svc, s, services.clock.now())
    return []


# ---------------------------------------------------------------------- strategy variants


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / (x.std() + 1e-9)


def apply_strategy(
    scores: np.ndarray,
    snap: Snapshot,
    params: dict[str, Any],
    liked: Iterable[int],
    member_vec: np.ndarray | None,
) -> np.ndarray:
    """The served scores under a member's experiment parameters (default: unchanged)."""
    from core.experiments.variants import content_weight, strategy

    kind = strategy(params)
    w = content_weight(params)
    if kind == "hybrid" and w == 0.0:
        return scores
    n = len(scores)
    if kind == "popular":
        pop = np.zeros(n)
        pop[: min(n, len(snap.popularity))] = snap.popularity[:n]
        return pop + 1e-6 * _z(scores)  # ties broken by the model
    content = _content(snap, liked, member_vec, n)
    if kind == "content":
        return content + 1e-6 * _z(scores)
    return _z(scores) + w * _z(content)


def _content(
    snap: Snapshot, liked: Iterable[int], member_vec: np.ndarray | None, n: int
) -> np.ndarray:
    """Cosine of each course's text to the member's (their words plus what they liked)."""
    vecs = snap.item_vecs[:n]
    idx = [i for i in liked if i < len(vecs)]
    profile = np.zeros(vecs.shape[1])
    if idx:
        profile += vecs[idx].mean(0)
    if member_vec is not None and member_vec.shape == profile.shape:
        profile += member_vec
    norm = np.linalg.norm(profile)
    if norm == 0:
        return np.zeros(n)
    return np.asarray(vecs @ (profile / norm), dtype=np.float64)


async def with_variant(
    svc: RecommendService,
    session: AsyncSession,
    snap: Snapshot,
    member: Member,
    history: list[tuple[int, str]],
    scores: np.ndarray,
    now: datetime,
) -> np.ndarray:
    """Scores under the member's sticky variant of running ``recommend`` experiments."""
    from core.experiments.variants import params_for

    params, _arms = await params_for(session, member.id, "recommend", now)
    if not params:
        return scores
    from core.recommend.service import member_text

    text = member_text(member)
    vec = svc._embed([text])[0] if text.strip() else None
    return apply_strategy(scores, snap, params, liked_positions(snap, history), vec)
