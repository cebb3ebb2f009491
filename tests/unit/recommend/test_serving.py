"""Exclusions, diversity, explanations."""

from __future__ import annotations

import numpy as np

from core.recommend.encoders import HashingEncoder
from core.recommend.serving import (
    Explanation,
    ItemInfo,
    MemberInfo,
    excluded_items,
    explain,
    mmr,
)


def test_excluded_items_are_what_the_member_has_finished_or_dismissed():
    history = [(1, "view"), (2, "enroll"), (3, "complete"), (4, "not_interested"), (5, "click")]
    assert excluded_items(history) == {2, 3, 4}


def test_mmr_does_not_return_five_near_identical_items():
    enc = HashingEncoder(64)
    texts = ["intro to sql joins"] * 5 + ["python basics", "design colour theory"]
    vecs = enc.encode(texts)
    scores = np.array([1.0, 0.99, 0.98, 0.97, 0.96, 0.5, 0.4])
    picked = mmr(list(range(7)), scores, vecs, k=3)
    assert picked[0] == 0
    assert set(picked) & {5, 6} == {5, 6}


def test_mmr_keeps_order_when_items_differ():
    vecs = np.eye(4, dtype=np.float32)
    assert mmr([10, 11, 12, 13], [4, 3, 2, 1], vecs, k=4) == [10, 11, 12, 13]


def _vecs(texts):
    return HashingEncoder(64).encode(texts)


def test_explanation_cites_a_finished_similar_course():
    vecs = _vecs(["sql joins and indexes", "advanced sql joins and indexes", "watercolour"])
    why = explain(
        ItemInfo(1, "Advanced SQL", ("sql",)),
        MemberInfo(finished=[0]),
        vecs,
        {0: "Intro to SQL", 1: "Advanced SQL", 2: "Painting"},
    )
    assert why == Explanation("recommend.why_finished", {"title": "Intro to SQL"})
    assert why.english() == "because you finished Intro to SQL"


def test_explanation_cites_the_goal_then_the_topic_then_popularity():
    vecs = _vecs(["become a data analyst with sql", "python scripting"])
    goal_vecs = _vecs(["become a data analyst"])
    why = explain(
        ItemInfo(0, "SQL for analysts", ("sql",)),
        MemberInfo(goals=["become a data analyst"], goal_vecs=goal_vecs),
        vecs,
        {},
    )
    assert why.english() == "matches your goal become a data analyst"
    why = explain(ItemInfo(1, "Python", ("python",)), MemberInfo(topics=["python"]), vecs, {})
    assert why.english() == "popular with members learning python"
    assert explain(ItemInfo(1, "P"), MemberInfo(), vecs, {}, item_popularity=3).key == (
        "recommend.why_popular"
    )
    assert explain(ItemInfo(1, "P"), MemberInfo(), vecs, {}).key == "recommend.why_new"
