"""Time moves subscriptions: reminders before the end, grace, expiry and removal, each once.

`advance_all` is what the periodic job runs. Every notice is keyed by (subscription, kind,
period end) in `membership_notice`, so a second run, a second worker or a restart sends
nothing twice, and a renewal (a new period end) re-arms the reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.membership import grants, plans, subscriptions
from core.membership.service import dm, remove_if_due, when
from core.membership.state import ACCESS_STATES, Ev, State, due
from core.replies import AnyReply
from models.member import Member
from models.membership import MembershipNotice, Plan, Subscription

DEFAULT_REMINDER_DAYS = (3, 1)
# A provider renews at the period's end, not before: Stripe attempts the charge about an
# hour after it creates the renewal invoice, then sends invoice.paid or payment_failed.
# Until then a renewing plan has not "failed", and the member is not told it could not renew.
RENEWAL_SETTLE = timedelta(hours=6)


def reminder_days(services: Services) -> tuple[int, ...]:
    """Configurable via settings.membership_reminder_days when the setting exists."""
    days = getattr(services.settings, "membership_reminder_days", None) or DEFAULT_REMINDER_DAYS
    return tuple(sorted({int(d) for d in days if int(d) > 0}, reverse=True))


def _key(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M") if dt else "none"


async def once(
    session: AsyncSession, services: Services, sub: Subscription, kind: str, period: datetime | None
) -> bool:
    """True the first time (subscription, kind, period) is claimed; False ever after."""
    try:
        async with session.begin_nested():
            session.add(
                MembershipNotice(
                    subscription_id=sub.id,
                    kind=kind,
                    period_key=_key(period),
                    sent_at=services.clock.now(),
                )
            )
            await session.flush()
    except IntegrityError:
        return False
    return True


async def advance_one(
    session: AsyncSession, services: Services, sub: Subscription, plan: Plan, member: Member
) -> list[AnyReply]:
    """Reminders due now, then every time transition due now, in order."""
    now = services.clock.now()
    out: list[AnyReply] = []
    title = plans.title(plan, member.locale)
    end = sub.current_period_end
    if (
        sub.state in (State.ACTIVE, State.TRIALING, State.CANCELLED)
        and end is not None
        and end > now
    ):
        # Only the nearest reminder window applies: a clock jump past "3 days" to "1 day" sends one.
        windows = [d for d in reminder_days(services) if end - now <= timedelta(days=d)]
        if windows:
            d = min(windows)
            if await once(session, services, sub, f"remind_{d}d", end):
                for other in windows:  # the wider windows are spent too
                    await once(session, services, sub, f"remind_{other}d", end)
                key = "remind_renews" if sub.auto_renew else "remind_ends"
                if sub.state == State.TRIALING and not sub.auto_renew:
                    key = "remind_trial"
                if sub.state == State.CANCELLED and subscriptions.resumable_renewal(sub):
                    key = "remind_resume"  # one word keeps it going: no new checkout
                if sub.auto_renew or not await _covering(session, sub, plan, member):
                    out.append(
                        dm(
                            member,
                            f"membership.{key}",
                            plan=title,
                            days=d,
                            when=when(end, member),
                            code=plan.code,
                        )
                    )
    while (ev := due(subscriptions.snapshot(sub), now)) is not None:
        if ev is Ev.LAPSE and sub.auto_renew and _renewal_due(sub, now):
            break  # the provider's renewal (or its failure) is on its way
        was = sub.state
        out += await subscriptions.transition(session, services, sub, plan, ev, actor="system")
        if (
            ev is Ev.LAPSE
            and sub.state == State.PAST_DUE
            and sub.grace_until
            and sub.grace_until > now
        ) and await once(session, services, sub, "grace", sub.current_period_end):
            out.append(await _lapsed(session, services, sub, plan, member, was))
    if sub.state == State.EXPIRED:
        removed = await remove_if_due(session, services, sub, plan, member)
        if sub.state == State.REMOVED:
            out += removed
            # another plan still opens every chat: nothing was left, and the lapse (or the
            # purchase) already told the member; the last plan to end sends the notice
            if await once(
                session, services, sub, "removed", sub.current_period_end
            ) and not await _covers(session, sub, plan, member):
                # a free trial that ran out is told as one (it read as a plan that "ended")
                key = "trial_removed" if sub.source == "trial" else "removed"
                out.append(dm(member, f"membership.{key}", plan=title, code=plan.code))
        elif await once(session, services, sub, "ended_exempt", sub.current_period_end):
            out.append(dm(member, "membership.ended_exempt", plan=title))
    return out


def _renewal_due(sub: Subscription, now: datetime) -> bool:
    end = sub.current_period_end
    return end is not None and now < end + RENEWAL_SETTLE


async def _covers(
    session: AsyncSession, sub: Subscription, plan: Plan, member: Member
) -> list[tuple[Subscription, Plan]]:
    """The member's other plans that open every place this one opens, in the live states in
    which `grants.held_elsewhere` keeps a chat (so no Kick comes when this one ends)."""
    places = set(grants.targets_for(plan))
    return [
        (other, other_plan)
        for other, other_plan in await subscriptions.for_member(session, member.id)
        if other.id != sub.id
        and other.state in ACCESS_STATES
        and places <= set(grants.targets_for(other_plan))
    ]


async def _covering(
    session: AsyncSession, sub: Subscription, plan: Plan, member: Member
) -> str | None:
    """The title of another plan that keeps the member in and is not running out itself (one
    in its grace days is no promise that "nothing changes")."""
    for other, other_plan in await _covers(session, sub, plan, member):
        if other.state != State.PAST_DUE:
            return plans.title(other_plan, member.locale)
    return None


async def _lapsed(
    session: AsyncSession,
    services: Services,
    sub: Subscription,
    plan: Plan,
    member: Member,
    was: str,
) -> AnyReply:
    """The notice when a period ends unpaid. Only a renewal a provider was meant to make
    "could not" happen; a free trial or a one-off period simply ended."""
    title = plans.title(plan, member.locale)
    until = when(sub.grace_until, member)
    if (other := await _covering(session, sub, plan, member)) is not None:
        return dm(member, "membership.ended_covered", plan=title, other=other)
    if sub.auto_renew:
        return dm(member, "membership.grace", plan=title, when=until)
    key = "membership.trial_ended" if was == State.TRIALING else "membership.ended_grace"
    return dm(member, key, plan=title, when=until, code=plan.code)


async def advance_all(session: AsyncSession, services: Services) -> list[AnyReply]:
    rows = (
        await session.execute(
            select(Subscription, Plan, Member)
            .join(Plan, Plan.id == Subscription.plan_id)
            .join(Member, Member.id == Subscription.member_id)
            .where(
                Subscription.state.in_(
                    [
                        State.TRIALING,
                        State.ACTIVE,
                        State.PAST_DUE,
                        State.CANCELLED,
                        State.EXPIRED,
                    ]
                )
            )
            .order_by(Subscription.id)
            # A payment holding a subscription row wins; the next run picks it up.
            .with_for_update(of=Subscription, skip_locked=True)
        )
    ).all()
    out: list[AnyReply] = []
    for sub, plan, member in rows:
        out += await advance_one(session, services, sub, plan, member)
    return out
