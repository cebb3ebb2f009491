"""Study partners: reciprocal, opt-in, no repeats, capped, explained."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.recommend.peers import (
    PastSuggestion,
    PeerIndex,
    PeerProfile,
    match_many,
    peers_for,
    reciprocal_score,
    suggest_round,
    value,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def p(mid, opted=True, goals=(), knows=(), taking=(), finished=(), activity=3.0, tz=0.0):
    return PeerProfile(
        mid,
        opted,
        frozenset(goals),
        frozenset(knows),
        frozenset(taking),
        frozenset(finished),
        activity,
        tz,
    )


ANA = p(1, goals={"sql"}, taking={10})
BEN = p(2, goals={"sql", "python"}, knows={"sql"}, finished={10})
CAT = p(3, goals={"design"}, tz=8.0, activity=0.2)
DAN = p(4, opted=False, goals={"sql"}, finished={10})


def test_score_is_the_harmonic_mean_of_both_directions():
    ab, ba = value(ANA, BEN), value(BEN, ANA)
    assert abs(reciprocal_score(ANA, BEN) - 2 * ab * ba / (ab + ba)) < 1e-12
    assert reciprocal_score(ANA, BEN) > reciprocal_score(ANA, CAT)


def test_only_opted_in_members_are_matched_and_shown():
    assert peers_for(DAN, [ANA, BEN], now=NOW) == []
    got = peers_for(ANA, [ANA, BEN, CAT, DAN], now=NOW, k=5)
    assert [g.peer_id for g in got][0] == 2
    assert 4 not in {g.peer_id for g in got} and 1 not in {g.peer_id for g in got}


def test_match_is_explained():
    got = peers_for(ANA, [BEN], now=NOW, titles={10: "Intro to SQL"})
    assert got[0].reason.key == "recommend.peer_finished"
    assert got[0].reason.params == {"title": "Intro to SQL"}
    assert "recommend.peer_knows" in {r.key for r in got[0].reasons}


def test_no_repeated_pair_within_the_window():
    past = [PastSuggestion(2, 1, NOW - timedelta(days=3))]
    assert peers_for(ANA, [BEN], now=NOW, history=past) == []
    old = [PastSuggestion(2, 1, NOW - timedelta(days=40))]
    assert [g.peer_id for g in peers_for(ANA, [BEN], now=NOW, history=old)] == [2]


def test_a_declined_partner_stays_out_after_the_window_and_is_not_counted_as_shown():
    """The digest's 🚫: "I won't suggest that again" (it came back at once)."""
    declined = [PastSuggestion(1, 2, NOW - timedelta(days=400), declined=True)]
    assert peers_for(ANA, [BEN], now=NOW, history=declined) == []
    assert peers_for(BEN, [ANA], now=NOW, history=declined) == []  # nor the other way
    got = match_many(PeerIndex([ANA, BEN]), [1, 2], now=NOW, history=declined, k=1)
    assert got == {1: [], 2: []}
    star = p(9, goals={"sql"}, knows={"sql"}, finished={10})
    fan = p(100, goals={"sql"}, taking={10})
    others = [PastSuggestion(100 + i, 9, NOW, declined=True) for i in range(1, 4)]
    assert [g.peer_id for g in peers_for(fan, [star], now=NOW, history=others, cap=1)] == [9]


def test_popular_member_is_not_flooded():
    star = p(9, goals={"sql"}, knows={"sql"}, finished={10})
    others = [p(100 + i, goals={"sql"}, taking={10}) for i in range(6)]
    past = [PastSuggestion(o.member_id, 9, NOW - timedelta(days=1)) for o in others[:3]]
    got = peers_for(others[5], [star, *others], now=NOW, history=past, cap=3)
    assert 9 not in {g.peer_id for g in got}
    rnd = suggest_round([star, *others], now=NOW, cap=2, per_member=5)
    assert sum(1 for s in rnd if s.peer_id == 9) <= 2


def test_round_is_reciprocal_and_skips_non_opted():
    rnd = suggest_round([ANA, BEN, CAT, DAN], now=NOW)
    pairs = {(s.member_id, s.peer_id) for s in rnd}
    assert (1, 2) in pairs and (2, 1) in pairs
    assert all(4 not in pair for pair in pairs)


def _population(n: int, seed: int) -> list[PeerProfile]:
    """Members with overlapping goals, skills, courses, activity levels and time zones."""
    rng = random.Random(seed)
    tags = [f"t{i}" for i in range(8)]
    return [
        PeerProfile(
            i,
            opted_in=rng.random() < 0.85,
            goals=frozenset(rng.sample(tags, rng.randint(0, 3))),
            knows=frozenset(rng.sample(tags, rng.randint(0, 2))),
            taking=frozenset(rng.sample(range(12), rng.randint(0, 2))),
            finished=frozenset(rng.sample(range(12), rng.randint(0, 2))),
            activity=rng.choice([0.0, 0.25, 0.75, 1.5, 4.0]),
            tz_offset_hours=rng.choice([None, 0.0, 1.0, -5.0, 5.5, 8.0, -11.0]),
        )
        for i in range(1, n + 1)
    ]


def test_index_scores_every_pair_like_reciprocal_score():
    members = _population(120, seed=3)
    index = PeerIndex(members)
    got = index.scores(np.arange(len(members)))
    want = np.array([[reciprocal_score(a, b) for b in index.profiles] for a in index.profiles])
    assert (got == want).all()  # the same number, not just close: rankings cannot drift
    assert got.max() > 0.5 and (got == 0).any()


def test_batch_gives_what_asking_one_by_one_gives():
    members = _population(90, seed=5)
    past = [PastSuggestion(1, 2, NOW - timedelta(days=2)), PastSuggestion(7, 3, NOW)]
    shown = Counter({3: 2, 4: 3})
    got = match_many(
        PeerIndex(members),
        [m.member_id for m in members],
        now=NOW,
        history=past,
        shown=Counter(shown),
        k=2,
        cap=3,
        min_candidates=len(members),
    )
    history, counts = list(past), Counter(shown)
    for m in members:  # the reference: peers_for per member, each pick recorded
        open_ = [c for c in members if counts[c.member_id] < 3]
        one = peers_for(m, open_, now=NOW, history=history, k=2, cap=3)
        assert got[m.member_id] == one
        history += [PastSuggestion(s.member_id, s.peer_id, NOW) for s in one]
        counts.update(s.peer_id for s in one)
    assert sum(len(v) for v in got.values()) > 60


def test_batch_keeps_the_rules():
    members = _population(60, seed=8)
    opted = {m.member_id for m in members if m.opted_in}
    past = [PastSuggestion(a, b, NOW - timedelta(days=1)) for a, b in [(2, 5), (9, 2)]]
    got = match_many(
        PeerIndex(members),
        [m.member_id for m in members],
        now=NOW,
        history=past,
        k=3,
        cap=2,
        min_candidates=len(members),
    )
    picks = [s for v in got.values() for s in v]
    assert all(got[m] == [] for m in got if m not in opted)  # opt-in only, both sides
    assert {s.peer_id for s in picks} <= opted
    pairs = [frozenset((s.member_id, s.peer_id)) for s in picks]
    assert len(pairs) == len(set(pairs))  # never the same pair twice
    assert not {frozenset((2, 5)), frozenset((9, 2))} & set(pairs)  # nor one from the window
    assert max(Counter(s.peer_id for s in picks).values()) <= 2  # nobody suggested over cap
    assert all(s.reasons and s.reason == s.reasons[0] for s in picks)  # each one explained


def test_batch_prefers_members_sharing_a_topic_or_course():
    sql = [p(i, goals={"sql"}, tz=float(i % 3)) for i in range(1, 5)]
    far = [p(10 + i, goals={"design"}, activity=3.0) for i in range(3)]
    index = PeerIndex([*sql, *far])
    got = match_many(index, [1], now=NOW, k=5)  # enough related members: only those
    assert {s.peer_id for s in got[1]} == {2, 3, 4}
    wide = match_many(index, [1], now=NOW, k=5, min_candidates=10)  # too few: look wider
    assert {s.peer_id for s in wide[1]} & {10, 11, 12}


def test_index_without_an_activity_table_scores_the_same(monkeypatch):
    import core.recommend.peers as peers

    monkeypatch.setattr(peers, "TABLE_MAX", 0)  # too many activity levels for a table
    members = [replace(m, activity=m.member_id / 7) for m in _population(60, seed=4)]
    index = PeerIndex(members)
    assert index.act_table is None
    got = index.scores(np.arange(len(members)))
    want = np.array([[reciprocal_score(a, b) for b in index.profiles] for a in index.profiles])
    assert np.allclose(got, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("bits_max", [256, 0])  # bit sets (several words) / sparse rows
def test_index_counts_overlaps_of_large_vocabularies(monkeypatch, bits_max):
    import core.recommend.peers as peers

    monkeypatch.setattr(peers, "BITS_MAX", bits_max)
    rng = random.Random(9)
    topics = [f"topic{i}" for i in range(150)]  # 150 topics: three 64-bit words
    members = [
        p(
            i,
            goals=rng.sample(topics, rng.randint(0, 6)),
            knows=rng.sample(topics, rng.randint(0, 6)),
            taking=rng.sample(range(200), rng.randint(0, 5)),
            finished=rng.sample(range(200), rng.randint(0, 5)),
            activity=float(i % 4),
        )
        for i in range(1, 50)
    ]
    index = PeerIndex(members)
    got = index.scores(np.arange(len(members)))
    want = np.array([[reciprocal_score(a, b) for b in index.profiles] for a in index.profiles])
    assert (got == want).all()
    shares = [
        [
            bool((a.goals | a.knows) & (b.goals | b.knows))
            or bool((a.taking | a.finished) & (b.taking | b.finished))
            for b in index.profiles
        ]
        for a in index.profiles
    ]
    assert (index.related(np.arange(len(members))) == np.array(shares)).all()
