"""Batch serving: BlendedScorer ranks exactly like the model's full score rows, and
RecommendService.recommend_many answers what recommend_for answers, for many members."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from core.recommend import serving
from core.recommend.encoders import HashingEncoder
from core.recommend.hybrid import HybridConfig, HybridModel
from core.recommend.service import SERVICE_KEY, RecommendService
from core.recommend.serving import BlendedScorer
from models.member import Member


def _reference(model, users, exclude, visible, k):
    scores = model.score(users).astype(np.float64)
    scores[exclude.toarray() > 0] = -np.inf
    scores[:, ~visible] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def _check_scorer(model, n_users, n_items):
    rng = np.random.default_rng(1)
    users = np.arange(n_users)
    exclude = sp.random(n_users, n_items, density=0.2, random_state=2, format="csr")
    visible = rng.random(n_items) > 0.15
    want_i, want_s = _reference(model, users, exclude, visible, 5)
    scorer = BlendedScorer.for_model(model)
    content = getattr(model, "_content", None)
    profiles = None if content is None else content.profiles[users]
    got_i, got_s = scorer.top_k(model.user_vectors(users), 5, profiles, exclude, visible, chunk=7)
    np.testing.assert_allclose(got_s, want_s, rtol=1e-4, atol=1e-4)
    assert (got_i == want_i).mean() > 0.97  # only exact near-ties may swap
    assert not exclude[users[:, None], got_i].toarray().any()
    assert visible[got_i].all()


@pytest.mark.parametrize("dense_limit", [0, 10**9], ids=["sparse-content", "dense-content"])
def test_blended_scorer_matches_full_scores_with_exclusions_and_hidden_items(
    community, fast, monkeypatch, dense_limit
):
    monkeypatch.setattr(serving, "DENSE_CONTENT_LIMIT", dense_limit)
    model = HybridModel(replace(fast, content_weight=0.5)).fit(community.data)
    _check_scorer(model, community.data.n_users, community.data.n_items)


def test_blended_scorer_matches_full_scores_with_popularity_and_cf_weights(community, fast):
    """Validation may pick any (cf, content, popularity) triple; batch serving must rank as
    the model's own blend does for every one of them, popularity prior included."""
    for wc, wt, wp in ((1.0, 2.0, 0.5), (0.0, 1.0, 0.25), (0.5, 0.0, 1.0), (1.0, 1024.0, 0.5)):
        cfg = replace(fast, cf_weight=wc, content_weight=wt, popularity_weight=wp)
        model = HybridModel(cfg).fit(community.data)
        _check_scorer(model, community.data.n_users, community.data.n_items)


def test_blended_scorer_matches_collaborative_only_scores(community, fast):
    model = HybridModel(fast).fit(community.data)
    assert BlendedScorer.for_model(model).blended is False
    _check_scorer(model, community.data.n_users, community.data.n_items)


def test_blended_scorer_matches_full_scores_over_a_catalogue_of_many_item_groups(
    big_community, fast
):
    """Hundreds of items: the grouped top-k only looks inside the best item groups."""
    big = big_community
    assert big.data.n_items > 5 * serving.GROUP
    model = HybridModel(replace(fast, content_weight=0.5, epochs=5)).fit(big.data)
    _check_scorer(model, big.data.n_users, big.data.n_items)


def test_ties_go_to_the_lower_item_index_like_a_stable_sort():
    """Integer vectors make every score exact, with many ties within and across groups."""
    rng = np.random.default_rng(4)
    n_items, n_members, k = 1000, 37, 12
    V = rng.integers(-2, 3, size=(n_items, 3)).astype(np.float32)
    b = rng.integers(0, 2, size=n_items).astype(np.float32)
    U = rng.integers(-2, 3, size=(n_members, 3)).astype(np.float32)
    exclude = sp.random(n_members, n_items, density=0.3, random_state=5, format="csr")
    visible = rng.random(n_items) > 0.2
    scores = (U.astype(np.float64) @ V.T + b).astype(np.float64)
    scores[exclude.toarray() > 0] = -np.inf
    scores[:, ~visible] = -np.inf
    want = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    scorer = BlendedScorer(V, b)
    got, vals = scorer.top_k(U, k, None, exclude, visible, chunk=8)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(vals, np.take_along_axis(scores, want, axis=1))


COURSES = [
    ("sql-1", "Intro to SQL", ["sql"], "SQL select queries tables for beginners"),
    ("sql-2", "SQL joins", ["sql"], "SQL joins across tables and keys"),
    ("sql-3", "SQL indexes and query plans", ["sql"], "SQL indexes query plans tables speed"),
    ("py-1", "Python basics", ["python"], "Python variables functions loops"),
    ("py-2", "Python classes", ["python"], "Python classes objects methods"),
    ("py-3", "Python testing", ["python"], "Python pytest unit tests fixtures"),
    ("ds-1", "Colour theory", ["design"], "design colour palettes contrast"),
    ("ds-2", "Typography", ["design"], "design fonts typography layout"),
]


async def test_recommend_many_answers_like_recommend_for(app, db, clock, tmp_path, seeder):
    cfg = HybridConfig(
        dim=16, epochs=40, batch_size=32, lr=0.05, seed=0, threads=1, content_weight=0.5
    )
    svc = RecommendService(HashingEncoder(64), tmp_path / "models", cfg)
    app.services.extras[SERVICE_KEY] = svc
    cs = await seeder.courses(COURSES)
    users = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
    ids = await seeder.opt_in(users)
    history = {
        "alice": [("sql-1", "course_complete"), ("sql-2", "view")],
        "bob": [("py-1", "course_complete"), ("py-2", "enroll")],
        "carol": [("ds-1", "course_complete"), ("py-1", "view")],
        "dave": [("sql-1", "course_complete"), ("sql-3", "not_interested")],
        "erin": [("py-3", "course_complete"), ("ds-2", "view")],
    }
    await seeder.histories(ids, cs, history)
    async with db.session() as s, s.begin():
        gina = await s.get(Member, ids["gina"])
        gina.recommend_opt_out = True
        frank = await s.get(Member, ids["frank"])
        frank.tags = ["sql"]  # no history: scored from features (cold path)
    now = clock.now()
    async with db.session() as s, s.begin():
        await svc.train(s, now)
        # something done after training counts: carol now finished Python basics too
        s.add(seeder.interaction(ids["carol"], cs["py-2"], "course_complete", at=now))
    async with db.session() as s:
        many = await svc.recommend_many(s, [ids[u] for u in users] + [999_999], 3, now)
        assert many[999_999] == [] and many[ids["gina"]] == []
        for user in users:
            one = await svc.recommend_for(s, ids[user], 3, now)
            got = many[ids[user]]
            if user in ("frank", "carol"):
                # folded in (no history / new since training): the batch fold-in draws its
                # own negatives, so same topic, maybe another order
                assert len(got) == len(one) == 3
                continue
            assert [r.course_id for r in got] == [r.course_id for r in one], user
            assert [r.explanation for r in got] == [r.explanation for r in one], user
    done = {cs[slug] for slug, kind in history["dave"]}
    assert not done & {r.course_id for r in many[ids["dave"]]}
    assert cs["py-2"] not in {r.course_id for r in many[ids["carol"]]}
    assert many[ids["frank"]][0].course_id in {cs["sql-1"], cs["sql-2"], cs["sql-3"]}
