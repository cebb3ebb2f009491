"""The state machine, property-tested across months of simulated time with a FrozenClock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import FrozenClock
from core.membership.state import (
    ACCESS_STATES,
    TRANSITIONS,
    Ev,
    InvalidTransition,
    Snapshot,
    State,
    Terms,
    allowed,
    catch_up,
    has_access,
    step,
)

TIME_EVENTS = (Ev.LAPSE, Ev.GRACE_OVER, Ev.END)
actions = st.lists(
    st.tuples(st.sampled_from(list(Ev)), st.integers(min_value=0, max_value=45)),
    min_size=1,
    max_size=40,
)
terms_st = st.builds(
    Terms,
    period_days=st.sampled_from([0, 7, 30, 365]),
    trial_days=st.sampled_from([0, 7]),
    grace_days=st.sampled_from([0, 3, 7]),
)


@settings(max_examples=300, deadline=None)
@given(actions, terms_st)
def test_random_event_sequences_follow_the_table_and_the_clock(seq, terms):
    clock = FrozenClock()
    snap = Snapshot(State.PENDING)
    for ev, days in seq:
        clock.advance(days=days)
        now = clock.now()
        for _, s in catch_up(snap, now, terms):  # the periodic job's view of time
            snap = s
        # Invariant: nobody keeps access past period end + grace.
        if snap.state in (State.TRIALING, State.ACTIVE) and snap.period_end is not None:
            assert snap.period_end > now
        if snap.state is State.PAST_DUE:
            assert snap.grace_until is not None and snap.grace_until > now
        before = snap
        try:
            snap = step(snap, ev, now, terms)
        except InvalidTransition:
            if not allowed(before.state, ev):
                continue
            # Allowed pairs are only refused by their time guards (or a plan without trial).
            assert ev in (*TIME_EVENTS, Ev.TRIAL, Ev.RESUME)
            continue
        assert allowed(before.state, ev)
        expected = TRANSITIONS[(before.state, ev)]
        if ev is Ev.UNBAN:
            assert snap.state in (State.REMOVED, State.ACTIVE)
        else:
            assert snap.state is expected
        if ev is Ev.PAY:
            if terms.period_days == 0:
                assert snap.period_end is None
            elif (
                before.period_end is not None
                and before.period_end > now
                and before.state
                in (
                    State.ACTIVE,
                    State.TRIALING,
                    State.CANCELLED,
                )
            ):
                # Renewal extends from the current end: paying early loses nothing.
                assert snap.period_end == before.period_end + timedelta(days=terms.period_days)
            elif before.period_end is not None and before.state is State.PAST_DUE:
                assert snap.period_end == max(
                    before.period_end + timedelta(days=terms.period_days), now
                )
            else:
                assert snap.period_end == now + timedelta(days=terms.period_days)
        if snap.state in (State.REFUNDED, State.BANNED, State.REMOVED, State.EXPIRED):
            assert not has_access(snap.state)


def test_table_is_explicit_about_the_main_path():
    assert TRANSITIONS[(State.PENDING, Ev.TRIAL)] is State.TRIALING
    assert TRANSITIONS[(State.PENDING, Ev.PAY)] is State.ACTIVE
    assert TRANSITIONS[(State.ACTIVE, Ev.LAPSE)] is State.PAST_DUE
    assert TRANSITIONS[(State.PAST_DUE, Ev.GRACE_OVER)] is State.EXPIRED
    assert TRANSITIONS[(State.EXPIRED, Ev.REMOVE)] is State.REMOVED
    assert (State.BANNED, Ev.PAY) not in TRANSITIONS
    assert (State.ACTIVE, Ev.TRIAL) not in TRANSITIONS
    assert (State.REMOVED, Ev.REMOVE) not in TRANSITIONS
    assert {State.TRIALING, State.ACTIVE, State.PAST_DUE, State.CANCELLED} == ACCESS_STATES


def test_a_month_on_the_clock_trial_pay_early_lapse_grace_expire():
    clock = FrozenClock()
    t = Terms(period_days=30, trial_days=7, grace_days=3)
    s = step(Snapshot(State.PENDING), Ev.TRIAL, clock.now(), t)
    trial_end = s.period_end
    clock.advance(days=5)
    s = step(s, Ev.PAY, clock.now(), t)  # paying during the trial keeps the 2 trial days left
    assert s.period_end == trial_end + timedelta(days=30)
    clock.set(s.period_end - timedelta(minutes=1))
    assert catch_up(s, clock.now(), t) == []
    clock.advance(timedelta(minutes=1))
    [(ev, s)] = catch_up(s, clock.now(), t)
    assert (ev, s.state, s.grace_until) == (
        Ev.LAPSE,
        State.PAST_DUE,
        s.period_end + timedelta(days=3),
    )
    clock.advance(days=10)
    assert [e for e, _ in catch_up(s, clock.now(), t)] == [Ev.GRACE_OVER]


def test_cancelled_runs_to_period_end_and_refund_ends_at_once():
    clock = FrozenClock()
    t = Terms(period_days=30)
    s = step(Snapshot(State.PENDING), Ev.PAY, clock.now(), t)
    s = step(s, Ev.CANCEL, clock.now(), t)
    with pytest.raises(InvalidTransition):
        step(s, Ev.END, clock.now(), t)
    assert has_access(s.state)
    r = step(s, Ev.REFUND, clock.now(), t)
    assert r.state is State.REFUNDED and not has_access(r.state) and r.period_end == clock.now()
    clock.advance(days=10)
    back = step(s, Ev.RESUME, clock.now(), t)  # the cancel taken back keeps the paid end
    assert (back.state, back.period_end) == (State.ACTIVE, s.period_end)
    clock.advance(days=21)
    assert [e for e, _ in catch_up(s, clock.now(), t)] == [Ev.END]
    with pytest.raises(InvalidTransition):  # too late: the period is over
        step(s, Ev.RESUME, clock.now(), t)


def test_a_provider_payment_never_takes_away_time_already_granted():
    """A 60-day voucher, then a Stars subscription whose first period ends in 30 days: the
    provider's date used to win, and the member lost 30 voucher days on paying."""
    now = FrozenClock().now()
    voucher = step(Snapshot(State.PENDING), Ev.PAY, now, Terms(period_days=60))
    paid = step(voucher, Ev.PAY, now, Terms(period_days=30, paid_until=now + timedelta(days=30)))
    assert paid.period_end == now + timedelta(days=60)
    renewed = step(paid, Ev.PAY, now, Terms(period_days=30, paid_until=now + timedelta(days=90)))
    assert renewed.period_end == now + timedelta(days=90)  # later provider dates still count
    # after a lapse nothing is running: the provider's date is the end
    lapsed = Snapshot(State.EXPIRED, now - timedelta(days=5))
    back = step(lapsed, Ev.PAY, now, Terms(period_days=30, paid_until=now + timedelta(days=30)))
    assert back.period_end == now + timedelta(days=30)
