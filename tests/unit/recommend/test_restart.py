"""A model saved to disk and loaded after a restart ranks exactly like the one in memory,
content part of the blend included (issue #7)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.recommend.artifacts import ModelStore
from core.recommend.encoders import HashingEncoder
from core.recommend.hybrid import HybridConfig, HybridModel
from core.recommend.service import SERVICE_KEY, RecommendService

COURSES = [
    ("sql-1", "Intro to SQL", ["sql"], "SQL select queries tables for beginners"),
    ("sql-2", "SQL joins", ["sql"], "SQL joins across tables and keys"),
    ("sql-3", "SQL indexes", ["sql"], "SQL indexes query plans tables speed"),
    ("py-1", "Python basics", ["python"], "Python variables functions loops"),
    ("py-2", "Python classes", ["python"], "Python classes objects methods"),
    ("py-3", "Python testing", ["python"], "Python tests functions pytest"),
    ("ds-1", "Colour theory", ["design"], "design colour palettes contrast"),
    ("ds-2", "Typography", ["design"], "design typography fonts layout"),
]
CFG = HybridConfig(
    loss="bpr", dim=16, epochs=30, batch_size=32, lr=0.05, seed=0, threads=1, content_weight=1.0
)


def test_a_loaded_model_scores_like_the_saved_one(community, fast, tmp_path):
    model = HybridModel(replace(fast, content_weight=0.7)).fit(community.data)
    assert model._blended()
    ModelStore(tmp_path).save(model, {})
    loaded = ModelStore(tmp_path).load_current()
    assert loaded is not None
    users = np.arange(community.data.n_users)
    np.testing.assert_array_equal(loaded.model.score(users), model.score(users))
    cold = [np.asarray([0, 7], np.int64), np.asarray([13], np.int64)]
    np.testing.assert_array_equal(loaded.model.score_new_users(cold), model.score_new_users(cold))
    np.testing.assert_array_equal(loaded.model.top_k_many(users, 5), model.top_k_many(users, 5))


def test_a_format_1_artifact_with_a_content_blend_is_not_served(community, fast, tmp_path):
    import json

    model = HybridModel(replace(fast, content_weight=0.7)).fit(community.data)
    model.save(tmp_path)
    meta = json.loads((tmp_path / "hybrid.json").read_text())
    (tmp_path / "hybrid.json").write_text(json.dumps({**meta, "format_version": 1}))
    with pytest.raises(ValueError, match="content part"):
        HybridModel.load(tmp_path)


async def test_after_a_restart_the_last_good_model_ranks_as_before(
    app, db, clock, tmp_path, monkeypatch, seeder
):
    svc = RecommendService(HashingEncoder(64), tmp_path / "models", CFG)
    app.services.extras[SERVICE_KEY] = svc
    cs = await seeder.courses(COURSES)
    users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    ids = await seeder.opt_in(users)
    history = {
        "alice": [("sql-1", "course_complete"), ("py-1", "view")],
        "bob": [("py-1", "course_complete"), ("ds-1", "enroll")],
        "carol": [("ds-1", "course_complete"), ("sql-2", "view")],
        "dave": [("sql-1", "course_complete"), ("py-2", "view")],
        "erin": [("py-3", "course_complete"), ("ds-2", "view")],
    }
    await seeder.histories(ids, cs, history)
    now = clock.now()
    async with db.session() as s, s.begin():
        await svc.train(s, now)
    # a member who joined after training: scored by fold-in plus the content part
    ids = await seeder.opt_in(["zoe"])
    await seeder.log(ids["zoe"], cs["sql-2"], "view")
    members = [ids[u] for u in [*users, "zoe"]]
    model = svc.artifact.model
    cf_only = model.blend(model.score_new_user_parts([np.asarray([1])]), {"cf": 1.0})[0]
    blended = model.score_new_users([np.asarray([1])])[0]
    assert list(np.argsort(-cf_only)[:4]) != list(np.argsort(-blended)[:4])  # content matters
    async with db.session() as s:
        before_many = await svc.recommend_many(s, members, 4, now)
        before_one = {m: await svc.recommend_for(s, m, 4, now) for m in members}

    # restart: a fresh service loads the last good model; its retraining fails
    def broken(self: HybridModel, data: object) -> HybridModel:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(HybridModel, "fit", broken)
    fresh = RecommendService(HashingEncoder(64), tmp_path / "models", CFG)
    app.services.extras[SERVICE_KEY] = fresh
    async with db.session() as s:
        after_many = await fresh.recommend_many(s, members, 4, now)
        after_one = {m: await fresh.recommend_for(s, m, 4, now) for m in members}
    assert fresh.artifact is not None and fresh.artifact.version == svc.artifact.version
    assert isinstance(fresh.last_error, RuntimeError)
    for m in members:
        assert [r.course_id for r in after_many[m]] == [r.course_id for r in before_many[m]]
        assert [r.course_id for r in after_one[m]] == [r.course_id for r in before_one[m]]
        assert len(after_one[m]) == 4
    zoe = before_one[ids["zoe"]]
    assert [r.course_id for r in after_one[ids["zoe"]]] == [r.course_id for r in zoe]
    assert zoe[0].course_id in {cs["sql-1"], cs["sql-2"], cs["sql-3"]}  # by content
