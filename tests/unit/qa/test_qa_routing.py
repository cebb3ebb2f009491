"""Expert routing and threshold tuning: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from core.localtime import quiet_now
from core.qa.experts import (
    Contribution,
    ExpertCandidate,
    PastAnswer,
    candidate_from_history,
    expert_features,
    fit_routing_weights,
    median_hours,
    rank_experts,
    recent_activity,
    relevance_by_member,
)
from core.qa.threshold import tune_threshold


def _c(mid: int, rel: float = 1.0, **kw) -> ExpertCandidate:
    return ExpertCandidate(member_id=mid, relevance=rel, **kw)


def test_relevance_weights_accepted_answers_and_finished_material():
    rel = relevance_by_member(
        [("q1", 0.8), ("q2", 0.5), ("q3", -0.2)],
        {
            "q1": [Contribution(1, "accepted"), Contribution(2, "answered")],
            "q2": [Contribution(2, "answered"), Contribution(3, "finished")],
            "q3": [Contribution(4, "accepted")],
        },
    )
    assert rel[1] == 1.6 and rel[2] == 0.8 + 0.5 and rel[3] == 0.25
    assert 4 not in rel


def test_rank_respects_opt_out_quiet_hours_load_cap_and_asker():
    cands = [
        _c(1, 3.0, opted_out=True),
        _c(2, 2.5, in_quiet_hours=True),
        _c(3, 2.0, open_threads=3),
        _c(4, 1.5),
        _c(5, 1.0),
        _c(6, 0.9),
        _c(7, 0.0),
    ]
    ranked = rank_experts(cands, 2, load_cap=3, exclude=[5])
    assert [m for m, _ in ranked] == [4, 6]
    assert [m for m, _ in rank_experts(cands, 5, load_cap=4)] == [3, 4, 5, 6]


def test_track_record_and_responsiveness_break_ties():
    fast = _c(1, 1.0, accepted=3, answers=5, median_response_hours=1.0)
    slow = _c(2, 1.0, accepted=3, answers=5, median_response_hours=48.0)
    novice = _c(3, 1.0)
    assert [m for m, _ in rank_experts([slow, novice, fast], 3, load_cap=9)][0] == 1


def test_recent_answerer_outranks_one_whose_answers_are_old():
    # Same topical evidence; 30 answers two months ago vs 6 answers this week.
    old_hand = _c(1, 1.0, answers=30, recent_answers=recent_activity([60.0] * 30))
    regular = _c(2, 1.0, answers=6, recent_answers=recent_activity([1.0, 2.0, 3.0] * 2))
    assert [m for m, _ in rank_experts([old_hand, regular], 2, load_cap=9)] == [2, 1]
    assert recent_activity([0.0, 5.0, 10.0]) == 1.0 + 0.5 + 0.25
    assert recent_activity([], half_life=5.0) == 0.0


def test_topical_relevance_decides_between_equally_active_members():
    on_topic = _c(1, 2.0, answers=4, recent_answers=2.0)
    off_topic = _c(2, 0.1, answers=4, recent_answers=2.0)
    ranked = rank_experts([off_topic, on_topic], 2, load_cap=9)
    assert [m for m, _ in ranked] == [1, 2] and ranked[0][1] > ranked[1][1]
    # Without dated answers the all-time count stands in for recent activity.
    busy = _c(3, 0.5, answers=40)
    quiet = _c(4, 0.6, answers=1)
    assert rank_experts([quiet, busy], 1, load_cap=9)[0][0] == 3


def test_quiet_hours_in_member_time_zone():
    # 23:30 in Shanghai is 15:30 UTC.
    now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert quiet_now(now, "Asia/Shanghai", 22, 7)
    assert not quiet_now(now, "UTC", 22, 7)
    assert not quiet_now(now, "Asia/Shanghai", None, 7)
    assert quiet_now(now, "UTC", 9, 17)
    assert quiet_now(now, "Not/AZone", 15, 16)  # an unknown zone reads as UTC
    assert not quiet_now(now, "Asia/Shanghai", 7, 7)  # an empty window
    assert median_hours([timedelta(hours=1), timedelta(hours=3)]) == 2.0


def test_threshold_tuning_from_feedback():
    default = 0.5
    assert tune_threshold([(0.9, True)] * 5, default) == default  # too little feedback
    good = [(0.55 + i / 100, True) for i in range(30)]
    assert tune_threshold(good, default) <= 0.56  # all helpful: may answer a bit lower
    mixed = [(0.5 + i / 100, i >= 20) for i in range(40)]  # low-confidence answers unhelpful
    assert tune_threshold(mixed, default) >= 0.65
    bad = [(0.6, False)] * 30
    assert tune_threshold(bad, default) == 0.9


def test_history_features_prefer_the_member_who_knows_this_asker_topic_and_hour():
    """Two members equally on topic, the stranger even a little more recently active: the
    one who answered this asker and these tags lately, at this time of day, is invited
    first."""
    now = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)

    def history(shift_h: int, tags: tuple[str, ...], asker: int | None) -> list[PastAnswer]:
        return [
            PastAnswer(
                at=now - timedelta(days=d) + timedelta(hours=shift_h),
                delay_hours=3.0,
                question_tags=tags,
                question_asker=asker,
            )
            for d in (1, 2, 4, 8)
        ]

    kw = {"now": now, "question_tags": ("qiskit", "gates"), "asker": 99}
    knows = candidate_from_history(1, 1.0, history(0, ("qiskit",), 99), **kw)
    stranger = candidate_from_history(2, 1.0, history(12, ("optics",), 7), **kw)  # 02:00
    assert knows.answers == stranger.answers == 4
    assert (stranger.recent_answers or 0) > (knows.recent_answers or 0)
    assert knows.asker_answers == 4 and stranger.asker_answers == 0
    assert knows.tag_recency > 0 and stranger.tag_recency == 0
    assert knows.hour_affinity > 0.5 > stranger.hour_affinity
    assert [m for m, _ in rank_experts([stranger, knows], 2, load_cap=9)] == [1, 2]
    # The answerer's accepted answers also count, smoothed: 3 of 4 beats 0 of 4.
    accepted = [PastAnswer(at=now - timedelta(days=d), accepted=d < 4) for d in (1, 2, 3, 5)]
    plain = [PastAnswer(at=now - timedelta(days=d)) for d in (1, 2, 3, 5)]
    a = candidate_from_history(3, 1.0, accepted, now=now)
    b = candidate_from_history(4, 1.0, plain, now=now)
    assert a.accepted == 3 and [m for m, _ in rank_experts([b, a], 2, load_cap=9)] == [3, 4]


def test_routing_weights_fit_recovers_what_decides_who_answered():
    """Synthetic questions where the answerer is always the most active candidate: the
    fit puts its weight on activity and ranks that member first on new questions."""
    rng = np.random.default_rng(0)
    queries = []
    for _ in range(60):
        feats = expert_features(
            [
                _c(i, float(rng.uniform(0.1, 1.0)), recent_answers=float(rng.uniform(0, 5)))
                for i in range(6)
            ]
        )
        queries.append((feats, int(np.argmax(feats[:, 0]))))
    w = fit_routing_weights(queries, l2=1.0)
    assert w.activity_share > 5 * abs(w.relevance_share)
    busy = _c(1, 0.2, recent_answers=9.0)
    idle = _c(2, 0.8, recent_answers=0.5)
    assert rank_experts([idle, busy], 1, load_cap=9, weights=w)[0][0] == 1


def test_members_of_the_question_s_language_come_first_and_others_fill_places_left():
    star = _c(1, 3.0, answers=20, accepted=10, other_language=True)
    reader = _c(2, 0.5, answers=1)
    assert [m for m, _ in rank_experts([star, reader], 2, load_cap=9)] == [2, 1]
    assert [m for m, _ in rank_experts([star, reader], 1, load_cap=9)] == [2]
    # Alone, a member of another language is still invited rather than nobody.
    assert [m for m, _ in rank_experts([star], 2, load_cap=9)] == [1]
