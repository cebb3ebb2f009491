"""The subscription state machine: pure, explicit, and the only place transitions are decided.

    pending -> trialing | active -> past_due (grace) -> expired -> removed
    cancelled runs to the period end, refunded loses access at once, banned until unbanned.

`step()` takes a snapshot and an event and returns the next snapshot or raises
`InvalidTransition`; it never reads a clock (the caller passes `now`), so it can be
property-tested across months of simulated time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


class State(enum.StrEnum):
    PENDING = "pending"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REMOVED = "removed"
    REFUNDED = "refunded"
    BANNED = "banned"


class Ev(enum.StrEnum):
    TRIAL = "trial"  # start the one free trial
    PAY = "pay"  # a verified payment (or grant) for one period
    LAPSE = "lapse"  # the period ended without a renewal: grace starts
    FAIL = "fail"  # the provider reports a failed renewal: grace starts now
    GRACE_OVER = "grace_over"
    END = "end"  # a cancelled subscription reached its period end
    EXPIRE = "expire"  # ended early (entitlement deleted, moderator revoke)
    REMOVE = "remove"  # access taken away on the platforms
    CANCEL = "cancel"
    RESUME = "resume"  # the member takes the cancel back before the period ends
    REFUND = "refund"
    BAN = "ban"
    UNBAN = "unban"


S, E = State, Ev
LIVE = (S.TRIALING, S.ACTIVE, S.PAST_DUE, S.CANCELLED)
ACCESS_STATES = frozenset(LIVE)  # these states keep (or get) access to the community
LIVE_STATES = tuple(s.value for s in LIVE)  # the same, as stored in ``subscription.state``

TRANSITIONS: dict[tuple[State, Ev], State] = {
    (S.PENDING, E.TRIAL): S.TRIALING,
    **{(s, E.PAY): S.ACTIVE for s in State if s is not S.BANNED},
    (S.TRIALING, E.LAPSE): S.PAST_DUE,
    (S.ACTIVE, E.LAPSE): S.PAST_DUE,
    (S.ACTIVE, E.FAIL): S.PAST_DUE,
    (S.PAST_DUE, E.FAIL): S.PAST_DUE,
    (S.PAST_DUE, E.GRACE_OVER): S.EXPIRED,
    (S.CANCELLED, E.END): S.EXPIRED,
    **{(s, E.EXPIRE): S.EXPIRED for s in LIVE},
    (S.EXPIRED, E.REMOVE): S.REMOVED,
    (S.TRIALING, E.CANCEL): S.CANCELLED,
    (S.ACTIVE, E.CANCEL): S.CANCELLED,
    (S.PAST_DUE, E.CANCEL): S.CANCELLED,
    (S.CANCELLED, E.RESUME): S.ACTIVE,
    **{(s, E.REFUND): S.REFUNDED for s in (*LIVE, S.EXPIRED, S.REMOVED)},
    **{(s, E.BAN): S.BANNED for s in State if s is not S.BANNED},
    (S.BANNED, E.UNBAN): S.REMOVED,  # or ACTIVE when paid time remains, see step()
}


class InvalidTransition(Exception):
    def __init__(self, state: State, ev: Ev, why: str = "not allowed") -> None:
        super().__init__(f"{ev} from {state}: {why}")
        self.state, self.ev, self.why = state, ev, why


@dataclass(frozen=True)
class Snapshot:
    state: State
    period_end: datetime | None = None  # None with an access state = lifetime
    grace_until: datetime | None = None


@dataclass(frozen=True)
class Terms:
    """What the plan (or the provider) says about one step."""

    period_days: int = 30  # 0 = lifetime
    trial_days: int = 0
    grace_days: int = 0
    paid_until: datetime | None = None  # provider-stated end (Telegram, Discord) wins


def has_access(state: State) -> bool:
    return state in ACCESS_STATES


def allowed(state: State, ev: Ev) -> bool:
    return (state, ev) in TRANSITIONS


def step(snap: Snapshot, ev: Ev, now: datetime, terms: Terms) -> Snapshot:
    """The next snapshot, or InvalidTransition. Time guards make early events illegal."""
    target = TRANSITIONS.get((snap.state, ev))
    if target is None:
        raise InvalidTransition(snap.state, ev)
    end = snap.period_end
    if ev is E.TRIAL:
        if terms.trial_days <= 0:
            raise InvalidTransition(snap.state, ev, "plan has no trial")
        return Snapshot(target, now + timedelta(days=terms.trial_days), None)
    if ev is E.PAY:
        lifetime = terms.period_days == 0 or (
            end is None and snap.state in (S.ACTIVE, S.CANCELLED, S.PAST_DUE)
        )
        if lifetime:
            return Snapshot(target, None, None)
        # Renewal extends from the current end while it still counts (paying early loses
        # nothing; grace days are not free days); after a lapse it starts from now.
        keeps_end = snap.state in (S.TRIALING, S.ACTIVE, S.PAST_DUE) or (
            snap.state is S.CANCELLED and end is not None and end > now
        )
        base = end if keeps_end and end is not None else now
        new_end = base + timedelta(days=terms.period_days)
        if terms.paid_until is not None and terms.paid_until > now:
            # The provider's date ends what it was paid for; still, a payment never takes
            # away time the member already had (a voucher or grant running past that date).
            running = end if keeps_end and end is not None else now
            new_end = max(terms.paid_until, running)
        return Snapshot(target, max(new_end, now), None)
    if ev is E.LAPSE:
        if end is None or end > now:
            raise InvalidTransition(snap.state, ev, "period not over")
        return Snapshot(target, end, end + timedelta(days=terms.grace_days))
    if ev is E.FAIL:
        if snap.state is S.PAST_DUE:
            return snap
        start = max(end, now) if end is not None else now
        return Snapshot(target, end, start + timedelta(days=terms.grace_days))
    if ev is E.GRACE_OVER:
        if snap.grace_until is None or snap.grace_until > now:
            raise InvalidTransition(snap.state, ev, "grace not over")
        return replace(snap, state=target)
    if ev is E.RESUME:
        if end is not None and end <= now:
            raise InvalidTransition(snap.state, ev, "period over")
        return Snapshot(target, end, None)
    if ev is E.END:
        if end is not None and end > now:
            raise InvalidTransition(snap.state, ev, "period not over")
        return replace(snap, state=target)
    if ev is E.EXPIRE:
        return Snapshot(target, min(end, now) if end is not None else now, None)
    if ev in (E.REFUND,):
        return Snapshot(target, now, None)
    if ev is E.UNBAN:
        if end is not None and end > now:
            return Snapshot(S.ACTIVE, end, None)
        return Snapshot(target, end, None)
    return replace(snap, state=target)


def due(snap: Snapshot, now: datetime) -> Ev | None:
    """The time-driven event that applies now, if any (the periodic job applies it)."""
    s = snap.state
    if s in (S.TRIALING, S.ACTIVE) and snap.period_end is not None and snap.period_end <= now:
        return E.LAPSE
    if s is S.PAST_DUE and snap.grace_until is not None and snap.grace_until <= now:
        return E.GRACE_OVER
    if s is S.CANCELLED and (snap.period_end is None or snap.period_end <= now):
        return E.END if snap.period_end is not None else None
    return None


def catch_up(snap: Snapshot, now: datetime, terms: Terms) -> list[tuple[Ev, Snapshot]]:
    """Apply every due time event in order (a clock jump may cross several)."""
    out: list[tuple[Ev, Snapshot]] = []
    while (ev := due(snap, now)) is not None:
        snap = step(snap, ev, now, terms)
        out.append((ev, snap))
    return out
