"""Versioned artifacts; a failed training keeps serving the last good model."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from core.recommend.artifacts import ModelStore, train_or_keep
from core.recommend.hybrid import HybridModel, TrainingError


def test_failed_training_keeps_the_previous_model(community, fast, tmp_path):
    store = ModelStore(tmp_path)
    first, err = train_or_keep(lambda: HybridModel(fast).fit(community.data), None, store)
    assert err is None and first is not None
    before = first.model.score([0])

    def broken() -> HybridModel:
        raise TrainingError("loss became nan")

    kept, err = train_or_keep(broken, first, store)
    assert isinstance(err, TrainingError)
    assert kept is first
    assert store.current_version() == first.version
    np.testing.assert_allclose(store.load_current().model.score([0]), before, atol=1e-5)


def test_a_broken_current_version_falls_back_to_an_older_one(community, fast, tmp_path):
    store = ModelStore(tmp_path)
    model = HybridModel(fast).fit(community.data)
    v1 = store.save(model, {"note": "one"}, now=datetime(2026, 1, 1, tzinfo=UTC))
    v2 = store.save(model, {"note": "two"}, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert store.current_version() == v2
    (tmp_path / v2 / "hybrid.pt").write_bytes(b"garbage")
    art = store.load_current()
    assert art is not None and art.version == v1 and art.meta["note"] == "one"
