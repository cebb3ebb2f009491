"""Period affinity (issue #7): members who are active in one stretch of time get the items
of that stretch first when content cannot tell items apart; the part survives a restart,
new items join it, batch serving ranks as the model does, and validation only picks it
where it helps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from core.recommend.data import FeatureIndex, RecData, feature_matrix
from core.recommend.evaluate import inner_split, select_blend, warm_split
from core.recommend.hybrid import HybridConfig, HybridModel
from core.recommend.models.period import PeriodAffinity
from core.recommend.serving import BlendedScorer

N_ITEMS = 60
EARLY = np.arange(N_ITEMS // 2)  # items posted in the first half of the timeline
LATE = np.arange(N_ITEMS // 2, N_ITEMS)
CFG = HybridConfig(dim=8, epochs=10, batch_size=64, lr=0.05, seed=0, threads=1)


def eras(seed: int = 0, with_times: bool = True) -> RecData:
    """One topic, so content ties everywhere; half the members answer early questions only,
    half late ones only."""
    rng = np.random.default_rng(seed)
    feats = feature_matrix([["tag:statistics"]] * N_ITEMS, FeatureIndex())
    rows, cols = [], []
    for u in range(40):
        pool = EARLY if u < 20 else LATE
        for i in rng.choice(pool, 6, replace=False):
            rows.append(u)
            cols.append(int(i))
    inter = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(40, N_ITEMS))
    times = np.arange(N_ITEMS, dtype=np.float64) * 86_400.0 if with_times else None
    return RecData(inter, item_features=feats, item_times=times)


def test_a_member_gets_questions_from_the_period_they_are_active_in_first():
    data = eras()
    content_only = HybridModel(replace(CFG, cf_weight=0.0, content_weight=1.0)).fit(data)
    assert np.ptp(content_only.score([0])[0]) == pytest.approx(0.0, abs=1e-5)  # all tied
    model = HybridModel(replace(CFG, cf_weight=0.0, content_weight=1.0, period_weight=1.0))
    model.fit(data)
    seen = set(data.interactions[0].indices)
    early_member, late_member = model.score([0, 39])
    top_early = [i for i in np.argsort(-early_member, kind="stable") if i not in seen][:5]
    assert set(top_early) <= set(EARLY)
    assert set(np.argsort(-late_member, kind="stable")[:5]) <= set(LATE)
    # a brand-new member who answered two late questions is placed in the late period too
    fresh = model.score_new_users([np.array([50, 55])])[0]
    assert set(np.argsort(-fresh, kind="stable")[:5]) <= set(LATE)


def test_items_without_a_time_are_placed_in_no_period():
    data = eras()
    times = np.asarray(data.item_times).copy()
    times[[0, 1]] = np.nan
    period = PeriodAffinity().fit(replace(data, item_times=times))
    assert period.item_bins is not None
    assert (period.item_bins[[0, 1]] == -1).all()
    assert (period.score([0], [0, 1]) == 0).all()
    assert period.score([0], [2])[0, 0] > 0  # an early member, an early question


def test_new_items_join_their_period_without_retraining():
    data = eras()
    model = HybridModel(replace(CFG, content_weight=1.0, period_weight=4.0)).fit(data)
    feats = feature_matrix([["tag:statistics"]] * 2, FeatureIndex(["tag:statistics"]))
    new = model.add_items(feats, None, item_times=np.array([1.5 * 86_400.0, 58.5 * 86_400.0]))
    early_new, late_new = model.score([0], new)[0]
    assert early_new > late_new  # an early member prefers the new early question


def test_a_loaded_model_keeps_its_period_part(tmp_path):
    data = eras()
    model = HybridModel(replace(CFG, content_weight=1.0, period_weight=2.0)).fit(data)
    model.save(tmp_path)
    loaded = HybridModel.load(tmp_path)
    users = np.arange(data.n_users)
    np.testing.assert_array_equal(loaded.score(users), model.score(users))
    cold = [np.array([3, 4]), np.array([50])]
    np.testing.assert_array_equal(loaded.score_new_users(cold), model.score_new_users(cold))


def test_a_file_that_blends_period_but_lacks_it_is_not_served(tmp_path):
    import json

    model = HybridModel(replace(CFG, content_weight=1.0, period_weight=2.0)).fit(eras())
    model._period = None  # as an older writer that did not know the part would save it
    model.save(tmp_path)
    meta = json.loads((tmp_path / "hybrid.json").read_text())
    assert meta["config"]["period_weight"] == 2.0
    with pytest.raises(ValueError, match="period"):
        HybridModel.load(tmp_path)


@pytest.mark.parametrize("dense_limit", [0, 10**9], ids=["sparse-content", "dense-content"])
@pytest.mark.parametrize("weights", [(1.0, 1.0, 0.0, 2.0), (0.5, 0.0, 1.0, 1.0)])
def test_batch_serving_ranks_like_the_model_with_the_period_part(weights, dense_limit, monkeypatch):
    from core.recommend import serving

    monkeypatch.setattr(serving, "DENSE_CONTENT_LIMIT", dense_limit)
    wc, wt, wp, wr = weights
    data = eras()
    cfg = replace(CFG, cf_weight=wc, content_weight=wt, popularity_weight=wp, period_weight=wr)
    model = HybridModel(cfg).fit(data)
    users = np.arange(data.n_users)
    scores = model.score(users).astype(np.float64)
    exclude = sp.csr_matrix(data.interactions)
    scores[exclude.toarray() > 0] = -np.inf
    want = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    scorer = BlendedScorer.for_model(model)
    assert scorer.uses_period
    content = None if model._content is None else model._content.profiles[users]
    got, vals = scorer.top_k(
        model.user_vectors(users),
        5,
        content,
        exclude,
        chunk=7,
        period_profiles=model._period.profiles[users],
    )
    np.testing.assert_allclose(vals, np.take_along_axis(scores, want, axis=1), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="period_profiles"):
        scorer.top_k(model.user_vectors(users), 5, content, exclude)


def test_validation_picks_period_affinity_where_it_helps_and_never_without_times():
    data = eras()
    inner = inner_split(warm_split(data.interactions, seed=0), None, seed=0)
    with_times = select_blend(HybridModel(CFG), data, inner)
    assert with_times["blend"]["period"] > 0
    assert with_times["validation_ndcg_at_10"] > with_times["validation_ndcg_content_only"]
    untimed = eras(with_times=False)
    without = select_blend(HybridModel(CFG), untimed, inner)
    assert without["blend"]["period"] == 0.0
    assert all(key.endswith("/0") for key in without["validation_ndcg_grid"])


async def test_the_service_serves_period_affinity_from_course_dates(
    app, db, clock, tmp_path, seeder
):
    """Twenty look-alike statistics courses, ten from last year and ten from this year: a
    member who took last year's courses gets last year's first, and the batch path used by
    digests answers exactly what ``recommend_for`` answers."""
    from datetime import timedelta

    from sqlalchemy import select

    from core.recommend.encoders import HashingEncoder
    from core.recommend.service import SERVICE_KEY, RecommendService
    from models.catalog import Course

    cfg = replace(CFG, epochs=20, batch_size=32, content_weight=1.0, period_weight=2.0)
    svc = RecommendService(HashingEncoder(64), tmp_path / "models", cfg)
    app.services.extras[SERVICE_KEY] = svc
    rows = [
        (f"stats-{i}", f"Statistics {i}", ["statistics"], "statistics regression inference")
        for i in range(20)
    ]
    cs = await seeder.courses(rows)
    async with db.session() as s, s.begin():
        for c in (await s.execute(select(Course))).scalars():
            age = 400 - 10 * int(c.slug.split("-")[1])  # stats-0 oldest, stats-19 newest
            c.created_at = clock.now() - timedelta(days=age)
    users = ["old1", "old2", "old3", "new1", "new2", "new3"]
    ids = await seeder.opt_in(users)
    history = {
        u: [
            (f"stats-{i}", "course_complete")
            for i in (range(0, 4) if "old" in u else range(16, 20))
        ]
        for u in users
    }
    await seeder.histories(ids, cs, history)
    now = clock.now()
    async with db.session() as s, s.begin():
        await svc.train(s, now)
    old_courses = {cs[f"stats-{i}"] for i in range(10)}
    async with db.session() as s:
        many = await svc.recommend_many(s, [ids[u] for u in users], 3, now)
        for user in users:
            one = await svc.recommend_for(s, ids[user], 3, now)
            assert [r.course_id for r in many[ids[user]]] == [r.course_id for r in one], user
    for user in ("old1", "old2", "old3"):
        assert {r.course_id for r in many[ids[user]]} <= old_courses, user
    for user in ("new1", "new2", "new3"):
        assert not {r.course_id for r in many[ids[user]]} & old_courses, user


def test_a_baseline_given_periods_as_features_sees_them_too():
    """The benchmark's fairness check: content kNN with one-hot periods also tells eras
    apart, where plain content kNN sees only ties."""
    from core.recommend.models.content import ContentKNN
    from core.recommend.models.period import WithPeriodFeatures

    data = eras()
    model = WithPeriodFeatures(ContentKNN()).fit(data)
    assert model.name == "content-knn+period"
    early_member = model.score([0])[0]
    assert set(np.argsort(-early_member, kind="stable")[:5]) <= set(EARLY)
    late_new = model.score_new_users([np.array([50, 55])])[0]
    assert set(np.argsort(-late_new, kind="stable")[:5]) <= set(LATE)
