"""The hybrid model on data where the answer is known."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.recommend.data import feature_matrix
from core.recommend.hybrid import HybridModel, TrainingError


@pytest.fixture(scope="module")
def model(community) -> HybridModel:
    from core.recommend.hybrid import HybridConfig

    cfg = HybridConfig(dim=16, epochs=25, batch_size=64, lr=0.05, seed=0, threads=1)
    return HybridModel(cfg).fit(community.data)


def test_a_member_who_only_takes_sql_gets_sql_first(model: HybridModel, community):
    sql_items = [i for i, t in enumerate(community.item_topic) if t == "sql"]
    vec = model.fold_in_user(sql_items[:2])
    top, _ = model.top_k(vec, k=3, exclude=sql_items[:2])
    assert [community.item_topic[i] for i in top] == ["sql"] * 3
    # and known SQL members too
    for u, t in enumerate(community.user_topic):
        if t == "sql":
            seen = community.data.interactions[u].indices
            best, _ = model.top_k(u, k=1, exclude=seen)
            assert community.item_topic[best[0]] == "sql"


def test_a_new_sql_course_reaches_sql_members(model: HybridModel, community, descriptions):
    text = community.encoder.encode([descriptions["sql"] + " for analysts, brand new"])
    feats = feature_matrix([["tag:sql", "level:beginner"]], community.index, grow=False)
    new = model.add_items(feats, text)[0]
    try:
        ranks = {"sql": [], "other": []}
        for u, t in enumerate(community.user_topic):
            s = model.score([u])[0]
            rank = int((s > s[new]).sum())
            ranks["sql" if t == "sql" else "other"].append(rank)
        assert np.mean(ranks["sql"]) < 6 < np.mean(ranks["other"])
    finally:
        pass


def test_cold_start_member_from_features_and_text_alone(community, fast, descriptions):
    m = HybridModel(fast).fit(community.data)
    text = community.encoder.encode([descriptions["python"]])
    vec = m.user_vector(None, text[0])
    top, _ = m.top_k(vec, k=3)
    assert sum(community.item_topic[i] == "python" for i in top) >= 2


def test_same_seed_same_model(community, fast):
    a = HybridModel(fast).fit(community.data).score([0, 1, 2])
    b = HybridModel(fast).fit(community.data).score([0, 1, 2])
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    c = HybridModel(replace(fast, seed=1)).fit(community.data).score([0, 1, 2])
    assert not np.allclose(a, c)


def test_save_and_load_give_the_same_scores(model: HybridModel, tmp_path):
    model.save(tmp_path / "m")
    again = HybridModel.load(tmp_path / "m")
    np.testing.assert_allclose(model.score([0, 5]), again.score([0, 5]), atol=1e-5)
    np.testing.assert_allclose(model.fold_in_user([0, 1]), again.fold_in_user([0, 1]), atol=1e-5)


def test_no_positives_is_a_training_error(community, fast):
    empty = community.data.with_interactions(community.data.interactions * 0)
    with pytest.raises(TrainingError):
        HybridModel(fast).fit(empty)


def test_top_k_many_for_many_members_is_fast(model: HybridModel):
    import time

    users = np.resize(np.arange(model.n_users), 10_000)
    t = time.perf_counter()
    top = model.top_k_many(users, 10)
    assert top.shape == (10_000, 10)
    assert time.perf_counter() - t < 5.0


def test_popularity_prior_ranks_unknown_tastes_by_popularity(community, fast):
    counts = np.asarray(community.data.interactions.getnnz(axis=0)).ravel()
    prior = HybridModel(replace(fast, cf_weight=0.0, popularity_weight=1.0)).fit(community.data)
    top, _ = prior.top_k(0, k=3)
    assert set(counts[top]) == set(np.sort(counts)[-3:])
    plain = HybridModel(fast).fit(community.data)  # no blend: the model's own score
    assert np.allclose(plain.score([0]), plain.score_vectors(plain.user_vectors([0])))


def test_content_first_blend_is_the_content_baseline_with_cf_ordering_its_ties(community, fast):
    """The blend's content part is the ContentKNN baseline's own score (same profile, same
    similarity), for known and for new members; with a very large content weight the
    hybrid keeps the baseline's order and only reorders items it scores equally."""
    from core.recommend.models.content import ContentKNN

    model = HybridModel(replace(fast, content_weight=1024.0)).fit(community.data)
    base = ContentKNN().fit(community.data)
    users = np.arange(community.data.n_users)
    np.testing.assert_array_equal(model.score_parts(users)["content"], base.score(users))
    hist = [community.data.interactions[u].indices[:2] for u in users[:5]]
    np.testing.assert_array_equal(
        model.score_new_user_parts(hist)["content"], base.score_new_users(hist)
    )
    content, blended = base.score(users), model.score(users)
    for row_c, row_b in zip(content, blended, strict=True):
        i, j = np.triu_indices(len(row_c), 1)
        apart = np.abs(row_c[i] - row_c[j]) > 1e-3
        agree = np.sign(row_c[i] - row_c[j]) == np.sign(row_b[i] - row_b[j])
        assert agree[apart].all()


def test_a_small_community_gets_about_twenty_steps_per_epoch(community):
    """The product's batch size 0: a community of a few hundred interactions trains with
    small batches (it used to get one step per epoch below 5,120 interactions)."""
    from core.recommend.hybrid import PRODUCT_CONFIG, STEPS_PER_EPOCH, auto_batch_size

    assert PRODUCT_CONFIG.batch_size == 0
    assert auto_batch_size(175) == 9  # 20 steps of 9 (the last one shorter)
    assert auto_batch_size(100_000) == 100_000 // STEPS_PER_EPOCH
    assert auto_batch_size(3) == 8
    model = HybridModel(replace(PRODUCT_CONFIG, dim=16, epochs=10, threads=1)).fit(community.data)
    sql_member = community.user_topic.index("sql")
    seen = set(community.data.interactions[sql_member].indices)
    top = [i for i in np.argsort(-model.score([sql_member])[0]) if i not in seen][:3]
    assert all(community.item_topic[i] == "sql" for i in top)
