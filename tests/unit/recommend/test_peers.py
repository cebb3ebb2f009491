"""Study partners: reciprocal, opt-in, no repeats, capped, explained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.recommend.peers import (
    PastSuggestion,
    PeerProfile,
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
