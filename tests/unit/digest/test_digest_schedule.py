"""When digests are due: local hours across DST, timezones, quiet hours and weekdays."""

from __future__ import annotations

from datetime import UTC, datetime

from core.digest.schedule import Prefs, due_now, next_due


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_daily_follows_local_hour_across_spring_dst_switch():
    p = Prefs("daily", hour=9, timezone="Europe/Berlin")
    # before the switch 09:00 CET = 08:00 UTC; after it 09:00 CEST = 07:00 UTC
    assert due_now(p, at(2026, 3, 28, 7, 59)) is None
    assert due_now(p, at(2026, 3, 28, 8, 0)).due_at == at(2026, 3, 28, 8, 0)
    assert due_now(p, at(2026, 3, 29, 7, 0)).due_at == at(2026, 3, 29, 7, 0)
    assert due_now(p, at(2026, 3, 29, 7, 0)).period_key == "d:2026-03-29"


def test_send_hour_skipped_by_dst_still_sends_once_that_day():
    p = Prefs("daily", hour=2, timezone="Europe/Berlin")  # 02:00 does not exist on 29 March
    due = due_now(p, at(2026, 3, 29, 1, 0))  # 03:00 CEST, right after the jump
    assert due is not None and due.period_key == "d:2026-03-29"
    assert due_now(p, at(2026, 3, 29, 0, 59)) is None  # 01:59 CET: not yet


def test_repeated_autumn_hour_gives_one_moment():
    p = Prefs("daily", hour=2, timezone="Europe/Berlin")  # 02:00 happens twice on 25 October
    assert next_due(p, at(2026, 10, 24, 12, 0)) == at(2026, 10, 25, 0, 0)  # first 02:00 (CEST)
    assert (
        due_now(p, at(2026, 10, 25, 1, 0)).period_key == "d:2026-10-25"
    )  # second 02:00: same period


def test_timezone_decides_the_day_not_utc():
    # Monday 07:00 in Shanghai is Sunday 23:00 UTC: weekly-on-Monday at 07:00 local is due then
    p = Prefs("weekly", weekday=0, hour=7, timezone="Asia/Shanghai")
    due = due_now(p, at(2026, 3, 1, 23, 0))
    assert due is not None and due.period_key == "w:2026-W10"
    # Los Angeles: 20:00 on 2 March local is 04:00 UTC on 3 March
    la = Prefs("daily", hour=20, timezone="America/Los_Angeles")
    assert due_now(la, at(2026, 3, 3, 4, 0)).period_key == "d:2026-03-02"


def test_weekly_waits_for_the_chosen_weekday():
    p = Prefs("weekly", weekday=4, hour=18, timezone="UTC")  # Fridays 18:00
    assert due_now(p, at(2026, 3, 5, 18, 0)) is None  # Thursday
    assert due_now(p, at(2026, 3, 6, 17, 59)) is None
    assert due_now(p, at(2026, 3, 6, 18, 0)).period_key == "w:2026-W10"
    assert due_now(p, at(2026, 3, 7, 10, 0)).period_key == "w:2026-W10"  # late but same week
    assert due_now(p, at(2026, 3, 9, 8, 0)) is None  # too late: next week's comes Friday


def test_quiet_hours_push_the_send_past_them():
    p = Prefs("daily", hour=23, timezone="UTC", quiet_start=22, quiet_end=7)
    assert due_now(p, at(2026, 3, 2, 23, 0)) is None  # inside quiet hours
    due = due_now(p, at(2026, 3, 3, 7, 0))
    assert due is not None and due.period_key == "d:2026-03-02" and due.due_at == at(2026, 3, 3, 7)
    # a late digest is also held back by quiet hours
    q = Prefs("daily", hour=9, timezone="UTC", quiet_start=12, quiet_end=14)
    assert due_now(q, at(2026, 3, 2, 12, 30)) is None
    assert due_now(q, at(2026, 3, 2, 14, 0)).period_key == "d:2026-03-02"


def test_off_never_due():
    assert due_now(Prefs("off"), at(2026, 3, 2, 9, 0)) is None
    assert next_due(Prefs("off"), at(2026, 3, 2, 9, 0)) is None


def test_exploration_slot_share_propensities_and_determinism():
    from core.digest.compose import explore
    from core.digest.providers import Item

    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    pool = [(i, f"C{i}", "", "") for i in range(1, 11)]
    picks = [Item("course", 1, "C1"), Item("course", 2, "C2")]
    explored = 0
    for member in range(1, 3001):
        out = explore(member, now, picks, pool, {3}, "en")
        assert out == explore(member, now, picks, pool, {3}, "en")  # same digest if recomposed
        assert out[0] == picks[0] and out[0].propensity == 1.0
        last = out[-1]
        if last.ref == 2:
            assert last.propensity == 0.9
        else:
            explored += 1
            assert last.ref not in (1, 2, 3)  # never a shown or already-seen course
            assert last.propensity == 0.1 / 7 and last.reason == "something new to try"
    assert 0.08 < explored / 3000 < 0.12
