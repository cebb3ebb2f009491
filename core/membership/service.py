"""Membership use cases: the API other features (admin commands, adapters, jobs) call.

All functions take an open `AsyncSession` (the caller owns the transaction) and the
`Services` container; they return `core.replies` to deliver (DMs as `Reply(member_id=...)`,
plus `Invite` / `Kick` effects). Every change is audited; repeating a call never grants or
removes twice. Refusals raise `MembershipError` (a translated `DomainError`).

Moderator API (used by the admin feature):
    grant(session, services, member, plan_code, days, actor)   free access for `days` (0 = plan period)
    extend(session, services, member, days, actor)             push the live period end by `days`
    revoke(session, services, member, actor, reason)           end access now (staff are kept)
    ban(session, services, member, actor, reason) / unban(...) block / unblock the member
    refund(session, services, payment_id, actor, reason)       refund + remove access at once;
                                                               returns RefundStars for Stars payments
Member API: start_trial, cancel, status_lines.
Payments: activate_paid (ledger only), after_refund (ledger only).
`actor` is an audit string such as "member:12" (moderator) or "system".

Other entry points: `plans.edit_plan` (moderator plan edits), `reconcile.reconcile(dry_run=)`,
`grants.record_invite_link(session, grant_id, link)` (adapters call it after turning an
`Invite` into a single-use link, so a join through someone else's link is caught), and the
Stripe webhook `core.payments.stripe.handle_webhook` (bot/http/stripe.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.i18n import translate
from core.localtime import local_time
from core.membership import grants, plans, subscriptions
from core.membership.errors import MembershipError
from core.membership.state import LIVE, Ev, InvalidTransition, State, has_access
from core.replies import AnyReply, RefundStars, Reply, StopStarSubscription
from models.member import Member
from models.membership import Payment, Plan, Subscription, TrialClaim


def when(dt: datetime | None, member: Member) -> str:
    """A date-time in the member's own timezone (their setting, else UTC)."""
    if dt is None:
        return translate(member.locale, "membership.forever")
    return local_time(dt, member.timezone)  # a bad stored zone reads as UTC


def active_until(dt: datetime | None, member: Member) -> str:
    """ "until <date>", or "for life" for a plan with no end (not "until never")."""
    if dt is None:
        return translate(member.locale, "membership.active_for_life")
    return translate(member.locale, "membership.active_until", when=when(dt, member))


ACTIVATED_BY = {"grant": "membership.granted", "code": "membership.code_applied"}
"""What the member reads when a period starts, by how it came: a moderator's grant and a
voucher code are not payments, and "Payment received, thank you!" confused members."""


def dm(member: Member, key: str, **params: Any) -> Reply:
    return Reply(translate(member.locale, key, **params), member_id=member.id)


async def _member(session: AsyncSession, member_id: int) -> Member:
    return await subscriptions.load_member(session, member_id)


async def activate_paid(
    session: AsyncSession,
    services: Services,
    member_id: int,
    plan: Plan,
    *,
    source: str,
    actor: str,
    paid_until: datetime | None = None,
    external_ref: str | None = None,
    auto_renew: bool = False,
    days: int | None = None,
    actor_member_id: int | None = None,
    payer: Member | None = None,
    also_audit: Sequence[dict[str, Any]] = (),
) -> tuple[list[AnyReply], int]:
    """One paid (or granted) period: PAY transition, grants, and the member's confirmation.

    Every payment goes through here, so it runs on Core (`subscriptions.lock` / `pay`): lock
    the row, step the state machine, one UPDATE and one audit INSERT that also carries the
    caller's `also_audit` rows. `payer`: the member, when the caller already loaded it."""
    sub_id, before, renewing = await subscriptions.lock(session, services, member_id, plan, source)
    message = ACTIVATED_BY.get(source, "membership.activated")
    double: list[AnyReply] = []
    if renewing is not None and auto_renew and renewing != source:
        # Two providers now bill for one plan (e.g. a Discord store purchase on top of a
        # Stripe subscription); only a person can sort out which one to stop.
        from core.payments import ledger

        double = await ledger.flag(
            session,
            services,
            "membership.flag_double_billing",
            member=member_id,
            plan=plan.code,
            first=renewing,
            second=source,
        )
    if renewing is not None and not auto_renew:
        # A one-off payment (a code, a grant, an approved transfer) on a plan a provider
        # renews adds its days; the plan stays that provider's, so /cancel, /revoke and
        # /ban still reach it (the days survive its renewals, see the ledger).
        source, auto_renew = renewing, True
    if before.state is State.BANNED:
        raise MembershipError("banned")
    member = payer if payer is not None and payer.id == member_id else None
    if member is None:
        member = await _member(session, member_id)
    after, effects = await subscriptions.pay(
        session,
        services,
        sub_id,
        before,
        plan if days is None else _with_period(plan, days),
        member,
        actor=actor,
        source=source,
        paid_until=paid_until,
        external_ref=external_ref,
        auto_renew=auto_renew,
        actor_member_id=actor_member_id,
        also_audit=also_audit,
    )
    msg = dm(
        member,
        message,
        plan=plans.title(plan, member.locale),
        until=active_until(after.period_end, member),
    )
    await _end_lapsed(session, services, member, sub_id, actor)
    return [msg, *effects, *double], sub_id


async def _end_lapsed(
    session: AsyncSession, services: Services, member: Member, sub_id: int, actor: str
) -> None:
    """A new plan replaces the member's other plans that ran out and only wait out their
    grace (nothing renews them): otherwise /status keeps asking to renew what was replaced.
    The chats stay, because the new plan opens them (grants.held_elsewhere)."""
    for sub, other in await subscriptions.for_member(session, member.id):
        if sub.id != sub_id and sub.state == State.PAST_DUE and not sub.auto_renew:
            await subscriptions.transition(
                session, services, sub, other, Ev.EXPIRE, actor=actor, reason="replaced"
            )


def _with_period(plan: Plan, days: int) -> Plan:
    """A detached copy of the plan with another period (grants and extensions)."""
    return Plan(
        id=plan.id,
        code=plan.code,
        title_en=plan.title_en,
        title_zh=plan.title_zh,
        prices=plan.prices,
        period_days=days,
        trial_days=plan.trial_days,
        grace_days=plan.grace_days,
        targets=plan.targets,
        active=plan.active,
    )


async def start_trial(
    session: AsyncSession, services: Services, member: Member, plan: Plan
) -> list[AnyReply]:
    """The one free trial per member, across plans and platforms."""
    if plan.trial_days <= 0:
        raise MembershipError("trial_none", plan=plans.title(plan, member.locale))
    await refuse_second_trial(session, member)
    if (covering := (await covered_by(session, member, [plan])).get(plan.id)) is not None:
        raise MembershipError(
            "trial_covered",
            plan=plans.title(plan, member.locale),
            other=plans.title(covering, member.locale),
        )
    sub = await subscriptions.get_or_create(session, services, member.id, plan, "trial")
    if sub.state != State.PENDING:
        raise MembershipError("trial_not_now", plan=plans.title(plan, member.locale))
    try:
        async with session.begin_nested():
            session.add(TrialClaim(member_id=member.id, plan_id=plan.id, at=services.clock.now()))
            await session.flush()
    except IntegrityError:
        raise MembershipError("trial_used") from None
    effects = await subscriptions.transition(
        session, services, sub, plan, Ev.TRIAL, actor=f"member:{member.id}"
    )
    return [
        dm(
            member,
            "membership.trial_started",
            plan=plans.title(plan, member.locale),
            until=when(sub.current_period_end, member),
        ),
        *effects,
    ]


async def refuse_second_trial(session: AsyncSession, member: Member) -> None:
    """A member who asks for a second trial hears which plan their one trial was and when,
    and how to buy (the primary key still refuses a race between two taps)."""
    claim = await session.get(TrialClaim, member.id)
    if claim is None:
        return
    used = await session.get(Plan, claim.plan_id)
    raise MembershipError(
        "trial_used_on",
        plan=plans.title(used, member.locale) if used else "",
        date=when(claim.at, member).split(" ")[0],
    )


async def covered_by(
    session: AsyncSession, member: Member, candidates: Sequence[Plan]
) -> dict[int, Plan]:
    """For each candidate plan, another plan the member holds that already opens everything
    it would (its chats and its courses): a trial of it would add nothing and spend their
    one trial. The courses and the member's plans are read once for all candidates."""
    from models.catalog import Course  # courses name the plans that open them

    gates = [set(c) for c in (await session.execute(select(Course.plan_codes))).scalars() if c]
    held = [
        other
        for sub, other in await subscriptions.for_member(session, member.id)
        if sub.state in LIVE
    ]
    out: dict[int, Plan] = {}
    for plan in candidates:
        places = set(grants.targets_for(plan))
        for other in held:
            if (
                other.id != plan.id
                and places <= set(grants.targets_for(other))
                and all(other.code in codes for codes in gates if plan.code in codes)
            ):
                out[plan.id] = other
                break
    return out


async def trial_available(session: AsyncSession, member_id: int) -> bool:
    return await session.get(TrialClaim, member_id) is None


async def not_offered(session: AsyncSession, member: Member) -> tuple[set[int], set[int]]:
    """(plans already held, whose trial `start_trial` refuses; plans that renew by themselves,
    which `before_buying` refuses): /plans offers only what works. The one trial a member
    has across plans is `trial_available`."""
    held = await subscriptions.for_member(session, member.id)
    no_trial = {plan.id for sub, plan in held if sub.state != State.PENDING}
    renewing = {
        plan.id
        for sub, plan in held
        if sub.auto_renew and sub.state in (State.ACTIVE, State.TRIALING)
    }
    return no_trial, renewing


async def before_buying(
    session: AsyncSession, services: Services, member: Member, plan: Plan
) -> list[AnyReply]:
    """What a member must know before paying. A plan that already renews by itself is not
    sold again (a second provider subscription would bill twice); another plan that renews
    is mentioned, because buying this one does not stop it."""
    notes: list[AnyReply] = []
    for sub, other in await subscriptions.for_member(session, member.id):
        if (
            other.id == plan.id
            and sub.state == State.PAST_DUE
            and subscriptions.resumable_renewal(sub)
        ):
            raise await _renewal_failed(services, sub, other, member)
        if (
            other.id == plan.id
            and sub.state == State.CANCELLED
            and subscriptions.resumable_renewal(sub)
            and sub.current_period_end is not None
            and sub.current_period_end > services.clock.now()
        ):
            until = when(sub.current_period_end, member)
            notes.append(dm(member, "membership.resume_instead", when=until))
            continue
        held = _holds_days(sub, services.clock.now())
        if (
            held
            and other.id == plan.id
            and sub.current_period_end is not None
            and plan.period_days > 0
            and not any(plans.recurring(plan, p) for p in plan.prices or {})
        ):
            # one more period of the plan they have: it starts where theirs ends
            added = sub.current_period_end + timedelta(days=plan.period_days)
            notes.append(
                dm(
                    member,
                    "membership.same_plan_adds",
                    plan=plans.title(plan, member.locale),
                    when=when(sub.current_period_end, member),
                    days=plan.period_days,
                    until=when(added, member),
                )
            )
            continue
        if held and other.id != plan.id:
            # two plans run side by side: the member should know the days do not add up
            notes.append(
                dm(
                    member,
                    "membership.other_plan_runs",
                    plan=plans.title(other, member.locale),
                    when=when(sub.current_period_end, member),
                    new=plans.title(plan, member.locale),
                )
            )
            continue
        if not (sub.auto_renew and sub.state in (State.ACTIVE, State.TRIALING)):
            continue
        title = plans.title(other, member.locale)
        until = when(sub.current_period_end, member)
        if other.id == plan.id:
            raise MembershipError("already_renews", plan=title, when=until)
        notes.append(
            Reply(
                translate(
                    member.locale,
                    "membership.other_plan_renews",
                    plan=title,
                    when=until,
                    code=other.code,
                )
            )
        )
    return notes


async def plan_named(session: AsyncSession, text: str) -> Plan:
    """Any plan (even one no longer sold) by its code or title, for moderators' commands."""
    return await plans.get_plan(session, text, active_only=False)


plan_title = plans.title  # for features that reach plans only through this service (admin)


async def days_held_until(
    session: AsyncSession, services: Services, member: Member, plan: Plan
) -> datetime | None:
    """The end of the days the member already has on `plan` that nothing renews (a free
    trial, a code, a grant, a one-off payment), or None. A provider subscription bought now
    starts its own period: Stripe can wait for these days, a Stars subscription cannot."""
    now = services.clock.now()
    for sub, held in await subscriptions.for_member(session, member.id):
        if held.id == plan.id and _holds_days(sub, now):
            return sub.current_period_end
    return None


def _holds_days(sub: Subscription, now: datetime) -> bool:
    """Days the member has that nothing renews: a trial, a code, a grant, a one-off payment."""
    end = sub.current_period_end
    return (
        not sub.auto_renew
        and sub.state in (State.ACTIVE, State.TRIALING, State.CANCELLED)
        and end is not None
        and end > now
    )


async def _renewal_failed(
    services: Services, sub: Subscription, plan: Plan, member: Member
) -> MembershipError:
    """A renewal the provider is still retrying: buying again would start a second
    subscription next to it, so the member is sent to the open invoice instead."""
    url = None
    if sub.source == "stripe" and sub.external_ref:
        from core.payments import stripe as stripe_provider

        url = await stripe_provider.open_invoice_url(services, sub.external_ref)
    title = plans.title(plan, member.locale)
    until = when(sub.grace_until, member)
    err = MembershipError("renewal_failed", plan=title, when=until)
    if url:
        err.button = ("membership.btn_pay_invoice", url)
    return err


# Subscriptions only the member can stop, and where /cancel tells them to.
CANCELLED_BY_MEMBER_ONLY = {
    "discord": "membership.cancel_in_discord",
    "telegram_channel": "membership.cancel_in_telegram_channel",
}


async def _subs_where(
    session: AsyncSession,
    member: Member,
    plan_code: str | None,
    keep: Callable[[Subscription], bool],
) -> list[tuple[Subscription, Plan]]:
    """The member's subscriptions that `keep` accepts, of one plan when a code is given."""
    code = plan_code.strip().lower() if plan_code else None
    return [
        (s, p)
        for s, p in await subscriptions.for_member(session, member.id)
        if keep(s) and (code is None or p.code == code)
    ]


async def cancellable(
    session: AsyncSession, member: Member, plan_code: str | None = None
) -> list[tuple[Subscription, Plan]]:
    """What /cancel would stop: a lapsed period nothing renews (a trial, a one-off
    payment) has nothing to stop."""
    return await _subs_where(
        session,
        member,
        plan_code,
        lambda s: (
            s.state in (State.ACTIVE, State.TRIALING)
            or (s.state == State.PAST_DUE and s.auto_renew)
        ),
    )


async def cancel(
    session: AsyncSession, services: Services, member: Member, plan_code: str | None = None
) -> list[AnyReply]:
    """Stop renewing: access runs to the period end. The provider is told first, so a
    failure there changes nothing here."""
    rows = await cancellable(session, member, plan_code)
    if not rows:
        raise MembershipError("nothing_to_cancel")
    out: list[AnyReply] = []
    for sub, plan in rows:
        title = plans.title(plan, member.locale)
        if sub.auto_renew and sub.source in CANCELLED_BY_MEMBER_ONLY:
            out.append(dm(member, CANCELLED_BY_MEMBER_ONLY[sub.source], plan=title))
            continue
        overdue = sub.state == State.PAST_DUE
        trial = sub.source == "trial"  # never billed: nothing to take back with /resume
        out += await _set_renewal(session, services, sub, renew=False)
        out += await subscriptions.transition(
            session,
            services,
            sub,
            plan,
            Ev.CANCEL,
            actor=f"member:{member.id}",
            actor_member_id=member.id,
        )
        key = "cancelled_overdue" if overdue else "cancelled_trial" if trial else "cancelled"
        out.append(
            dm(
                member,
                f"membership.{key}",
                plan=title,
                until=when(sub.current_period_end, member),
                code=plan.code,
            )
        )
    return out


async def resumable(
    session: AsyncSession, member: Member, now: datetime, plan_code: str | None = None
) -> list[tuple[Subscription, Plan]]:
    """What /resume would take back: a cancel whose period still runs."""
    return await _subs_where(
        session,
        member,
        plan_code,
        lambda s: (
            s.state == State.CANCELLED
            and (s.current_period_end is None or s.current_period_end > now)
        ),
    )


async def resume(
    session: AsyncSession, services: Services, member: Member, plan_code: str | None = None
) -> list[AnyReply]:
    """Take a /cancel back while the period runs: the plan renews again as before."""
    rows = await resumable(session, member, services.clock.now(), plan_code)
    if not rows:
        raise MembershipError("nothing_to_resume")
    out: list[AnyReply] = []
    for sub, plan in rows:
        title = plans.title(plan, member.locale)
        if sub.source == "trial":
            out.append(
                dm(
                    member,
                    "membership.resume_trial",
                    plan=title,
                    until=when(sub.current_period_end, member),
                    code=plan.code,
                )
            )
            continue
        renews = subscriptions.resumable_renewal(sub)
        if renews:
            out += await _set_renewal(session, services, sub, renew=True)
        out += await subscriptions.transition(
            session,
            services,
            sub,
            plan,
            Ev.RESUME,
            actor=f"member:{member.id}",
            actor_member_id=member.id,
        )
        key = "membership.resumed_renews" if renews else "membership.resumed"
        out.append(dm(member, key, plan=title, until=when(sub.current_period_end, member)))
    return out


async def _set_renewal(
    session: AsyncSession, services: Services, sub: Subscription, *, renew: bool
) -> list[AnyReply]:
    """Tell the provider that bills this subscription to stop (or restart) renewing it."""
    if sub.source == "stripe" and sub.external_ref and (sub.auto_renew or renew):
        from core.payments import stripe as stripe_provider

        await stripe_provider.set_renewal(services, sub.external_ref, renew=renew)
        return []
    if sub.source == "telegram_stars" and (sub.auto_renew or renew):
        return await _stars_renewal(session, sub, stop=not renew)
    return []


async def _end_renewal(
    session: AsyncSession, services: Services, sub: Subscription, member: Member
) -> list[AnyReply]:
    """Access taken away (revoke, ban, refund): the provider must not bill again, or the
    next renewal would charge the member and bring the access back. A provider that cannot
    be reached does not hold up the moderator's step; the moderators are told instead."""
    if not sub.auto_renew:
        return []
    from core.payments import ledger

    if sub.source not in subscriptions.RENEWS_AT_PROVIDER:
        return await ledger.flag(
            session,
            services,
            "membership.flag_renews_elsewhere",
            member=member.id,
            provider=sub.source,
        )
    try:
        out = await _set_renewal(session, services, sub, renew=False)
    except MembershipError:
        return await ledger.flag(
            session,
            services,
            "membership.flag_renewal_not_stopped",
            member=member.id,
            provider=sub.source,
        )
    sub.auto_renew = False
    return out


async def _stars_renewal(session: AsyncSession, sub: Subscription, *, stop: bool) -> list[AnyReply]:
    """Ask Telegram to stop (or restart) renewing a Stars subscription
    (editUserStarSubscription with its latest charge id); the Telegram adapter executes it."""
    pay = (
        (
            await session.execute(
                select(Payment)
                .where(
                    Payment.subscription_id == sub.id,
                    Payment.provider == "telegram_stars",
                    Payment.status == "applied",
                )
                .order_by(Payment.id.desc())
                .limit(1)
            )
        )
        .scalars()
        .first()
    )
    uid = (pay.meta or {}).get("telegram_user_id") if pay is not None else None
    if pay is None or not uid:
        return []
    return [
        StopStarSubscription(platform_user_id=str(uid), charge_id=pay.provider_charge_id, stop=stop)
    ]


async def status_lines(session: AsyncSession, services: Services, member: Member) -> list[str]:
    loc = member.locale
    lines: list[str] = []
    held = await subscriptions.for_member(session, member.id)
    live = [sub for sub, _ in held if sub.state in LIVE]
    for sub, plan in held:
        if sub.state == State.PENDING:
            continue
        covered = any(other is not sub for other in live)  # another plan gives access now
        state = translate(loc, f"membership.state_{sub.state}")
        title = plans.title(plan, loc)
        at: datetime | None = None
        if sub.state in (State.ACTIVE, State.TRIALING) and sub.current_period_end is None:
            key = "status_lifetime"
        elif sub.state in (State.ACTIVE, State.TRIALING):
            key = "status_renews" if sub.auto_renew else "status_ends"
            at = sub.current_period_end
            if sub.auto_renew and at is not None and at <= services.clock.now():
                key = "status_renewing"  # the provider's charge is on its way
        elif sub.state == State.PAST_DUE:
            # only a provider's renewal is "overdue"; a trial or one-off period just ended
            key = "status_grace" if sub.auto_renew else "status_lapsed"
            at = sub.grace_until
            if not sub.auto_renew and covered:
                # its grace days matter to no one while another plan gives access
                key, at = "status_lapsed_covered", sub.current_period_end
        elif sub.state == State.CANCELLED:
            # resumable while it runs; a cancelled trial just ends (see resume)
            key = "status_ends" if sub.source == "trial" else "status_cancelled"
            at = sub.current_period_end
        elif sub.state in (State.EXPIRED, State.REMOVED) and plan.active and plan.prices:
            # the plan is still sold: say how to come back, unless another plan is on
            key = "status_over" if covered else "status_ended"
        else:
            key = "status_over"
        params = {"plan": title, "state": state, "code": plan.code}
        if key not in ("status_lifetime", "status_over", "status_ended"):
            params["when"] = when(at, member)
        lines.append(translate(loc, f"membership.{key}", **params))
    return lines


# --- moderator API -------------------------------------------------------------------------


def _mod_id(actor: str) -> int | None:
    head, _, tail = actor.partition(":")
    return int(tail) if head == "member" and tail.isdecimal() else None


async def grant(
    session: AsyncSession, services: Services, member: Member, plan_code: str, days: int, actor: str
) -> list[AnyReply]:
    """Free access to a plan for `days` (0 = the plan's own period), audited as a grant."""
    if days < 0 or days > 3660:
        raise MembershipError("bad_days")
    plan = await plans.get_plan(session, plan_code)
    sub = await subscriptions.find(session, member.id, plan.id, lock=True)
    if sub is not None and sub.auto_renew and sub.state in LIVE and sub.current_period_end:
        # A plan a provider renews: more days on it, its source and billing untouched (a
        # grant used to turn it into a non-renewing "grant", and /cancel then no longer
        # reached the provider). The days survive the provider's renewals (ledger).
        n = days or plan.period_days
        return await _add_days(session, services, member, sub, plan, n, actor, f"grant {n}d")
    replies, _ = await activate_paid(
        session,
        services,
        member.id,
        plan,
        source="grant",
        actor=actor,
        days=days or None,
        actor_member_id=_mod_id(actor),
    )
    return replies


async def extend(
    session: AsyncSession, services: Services, member: Member, days: int, actor: str
) -> list[AnyReply]:
    """Push the member's live subscription end by `days` (from its current end)."""
    if days <= 0 or days > 3660:
        raise MembershipError("bad_days")
    sub, plan = await extendable(session, member)
    return await _add_days(session, services, member, sub, plan, days, actor, f"extend {days}d")


async def live_subscriptions(
    session: AsyncSession, member: Member
) -> list[tuple[Subscription, Plan]]:
    """The member's subscriptions that give access now; none refuses (nothing to change)."""
    live = await _subs_where(session, member, None, lambda s: s.state in LIVE)
    if not live:
        raise MembershipError("no_subscription", member=member.display_name)
    return live


async def extendable(session: AsyncSession, member: Member) -> tuple[Subscription, Plan]:
    """The subscription ``extend`` would push, or the refusal it would give: ``/extend``
    asks this before its confirmation, so a moderator is not asked to confirm a no-op. With
    nothing live to push, the refusal names /grant, which starts one."""
    try:
        sub, plan = (await live_subscriptions(session, member))[0]
    except MembershipError:
        raise MembershipError("nothing_to_extend", member=member.display_name) from None
    if sub.current_period_end is None:
        raise MembershipError("lifetime_no_extend")
    return sub, plan


async def _add_days(
    session: AsyncSession,
    services: Services,
    member: Member,
    sub: Subscription,
    plan: Plan,
    days: int,
    actor: str,
    reason: str,
) -> list[AnyReply]:
    effects = await subscriptions.transition(
        session,
        services,
        sub,
        _with_period(plan, days),
        Ev.PAY,
        actor=actor,
        reason=reason,
        actor_member_id=_mod_id(actor),
    )
    return [
        dm(
            member,
            "membership.extended",
            plan=plans.title(plan, member.locale),
            until=when(sub.current_period_end, member),
        ),
        *effects,
    ]


async def revoke(
    session: AsyncSession,
    services: Services,
    member: Member,
    actor: str,
    reason: str = "",
    *,
    tell: bool = False,
) -> list[AnyReply]:
    """End every live subscription now and remove access (staff and exempt members keep it).

    `tell`: a moderator's /revoke lets the member know, with the reason given, instead of
    leaving them to find the chats gone (an erasure has its own confirmation)."""
    out: list[AnyReply] = []
    live = await live_subscriptions(session, member)
    if tell and live:
        titles = ", ".join(plans.title(plan, member.locale) for _, plan in live)
        key = "membership.revoked_reason" if reason.strip() else "membership.revoked"
        out.append(dm(member, key, plan=titles, reason=reason.strip()[:200]))
    for sub, plan in live:
        out += await _end_renewal(session, services, sub, member)
        out += await subscriptions.transition(
            session,
            services,
            sub,
            plan,
            Ev.EXPIRE,
            actor=actor,
            reason=reason,
            actor_member_id=_mod_id(actor),
        )
        out += await remove_if_due(session, services, sub, plan, member, actor=actor)
    return out


async def end_before_erasure(
    session: AsyncSession, services: Services, member: Member, actor: str
) -> list[AnyReply]:
    """/forget: access ends and no provider bills again, while the member's accounts still
    exist to be removed from the chats (the erasure deletes them next)."""
    try:
        return await revoke(session, services, member, actor, reason="erasure")
    except MembershipError as exc:
        if exc.key != "membership.no_subscription":
            raise
        return []


async def remove_if_due(
    session: AsyncSession,
    services: Services,
    sub: Subscription,
    plan: Plan,
    member: Member,
    *,
    actor: str = "system",
) -> list[AnyReply]:
    """expired -> removed with Kick replies, unless the member is staff/exempt."""
    if sub.state != State.EXPIRED or await grants.is_exempt(session, member, services.settings):
        return []
    effects = await subscriptions.transition(session, services, sub, plan, Ev.REMOVE, actor=actor)
    return effects


async def ban(
    session: AsyncSession,
    services: Services,
    member: Member,
    actor: str,
    reason: str = "",
    until: datetime | None = None,
) -> list[AnyReply]:
    """Access ends and commands are refused, until `until` (the `lift_ended_bans` job) or an
    /unban. The member is told, with the reason and the end when there is one."""
    if member.role in grants.STAFF_ROLES or await grants.staff_by_settings(
        session, member, services.settings
    ):
        raise MembershipError("cannot_ban_staff")
    out: list[AnyReply] = []
    for sub, plan in await subscriptions.for_member(session, member.id):
        if sub.state != State.BANNED:
            out += await _end_renewal(session, services, sub, member)
            out += await subscriptions.transition(
                session,
                services,
                sub,
                plan,
                Ev.BAN,
                actor=actor,
                reason=reason,
                actor_member_id=_mod_id(actor),
            )
    if member.role == "banned" and member.banned_until == until:
        return out  # nothing changes
    from core.audit import audit, iso

    changed = member.role == "banned"  # a new end for the ban they are under
    await audit(
        session,
        services.clock,
        actor=actor,
        action="member.ban_changed" if changed else "member.ban",
        target=f"member:{member.id}",
        before={"role": member.role, "until": iso(member.banned_until)},
        after={"role": "banned", "until": iso(until)},
        reason=reason,
        actor_member_id=_mod_id(actor),
    )
    member.role, member.banned_until = "banned", until
    key = "membership.suspension_changed" if changed else "membership.suspended"
    loc = member.locale
    told = (
        translate(loc, f"{key}_until", until=when(until, member))
        if until is not None
        else translate(loc, key)
    )
    if reason:
        told += "\n" + translate(loc, "membership.suspended_reason", reason=reason)
    out.insert(0, Reply(told, member_id=member.id))
    return out


async def unban(
    session: AsyncSession,
    services: Services,
    member: Member,
    actor: str,
    reason: str = "",
    *,
    ended: bool = False,
) -> list[AnyReply]:
    """A moderator's /unban, or (`ended`) the end of a ban for a time: the member hears
    which, and the plan that runs again."""
    out: list[AnyReply] = []
    for sub, plan in await subscriptions.for_member(session, member.id):
        if sub.state == State.BANNED:
            out += await subscriptions.transition(
                session,
                services,
                sub,
                plan,
                Ev.UNBAN,
                actor=actor,
                reason=reason,
                actor_member_id=_mod_id(actor),
            )
    if member.role == "banned":
        from core.audit import audit

        await audit(
            session,
            services.clock,
            actor=actor,
            action="member.unban",
            target=f"member:{member.id}",
            before={"role": "banned"},
            after={"role": "member"},
            reason=reason,
            actor_member_id=_mod_id(actor),
        )
        member.role, member.banned_until = "member", None
        # good news is told: what they can use again, and the plan that runs again
        back = [
            f"“{plans.title(plan, member.locale)}” {active_until(sub.current_period_end, member)}"
            for sub, plan in await subscriptions.for_member(session, member.id)
            if sub.state == State.ACTIVE
        ]
        key = "membership.ban_ended" if ended else "membership.unbanned"
        key += "_plan" if back else ""
        out.insert(0, dm(member, key, plans="; ".join(back)))
    return out


async def lift_ended_bans(session: AsyncSession, services: Services) -> list[AnyReply]:
    """Bans for a time whose end has come are lifted, as an /unban would."""
    due = (
        await session.execute(
            select(Member)
            .where(Member.role == "banned", Member.banned_until <= services.clock.now())
            .order_by(Member.id)
        )
    ).scalars()
    out: list[AnyReply] = []
    for member in list(due):
        out += await unban(session, services, member, "system", reason="ban ended", ended=True)
    return out


async def refund(
    session: AsyncSession, services: Services, payment_id: int, actor: str, reason: str = ""
) -> list[AnyReply]:
    from core.payments import ledger

    return await ledger.refund(
        session, services, payment_id, actor=actor, reason=reason, actor_member_id=_mod_id(actor)
    )


async def newer_payment(session: AsyncSession, pay: Payment) -> int | None:
    """An applied payment on the same subscription made after `pay`: it, not `pay`, pays
    for the access now, so refunding `pay` leaves that access alone."""
    if pay.subscription_id is None:
        return None
    return (
        await session.execute(
            select(Payment.id)
            .where(
                Payment.subscription_id == pay.subscription_id,
                Payment.status == "applied",
                Payment.id > pay.id,
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def after_refund(
    session: AsyncSession, services: Services, pay: Payment, *, actor: str
) -> list[AnyReply]:
    """Access bought by the latest payment ends at once when it is refunded; Stars go back
    through Telegram."""
    out: list[AnyReply] = []
    if pay.provider == "stripe" and actor != "stripe":
        from core.payments import stripe as stripe_provider

        await stripe_provider.refund_at_stripe(services, pay)
    if pay.provider == "telegram_stars" and actor != "telegram":  # else Telegram refunded it
        uid = (pay.meta or {}).get("telegram_user_id")
        if uid:
            out.append(RefundStars(platform_user_id=str(uid), charge_id=pay.provider_charge_id))
    if (pay.meta or {}).get("gift_seats"):
        from core.payments import gifts

        return out + await gifts.after_refund(session, services, pay, actor=actor)
    if pay.subscription_id is None or pay.member_id is None:
        return out
    sub = await session.get(Subscription, pay.subscription_id)
    plan = await session.get(Plan, pay.plan_id) if pay.plan_id else None
    if sub is None or plan is None:
        return out
    member = await _member(session, pay.member_id)
    newer = await newer_payment(session, pay)
    if newer is not None:
        # An older period's money went back; a newer payment covers the access now, so it
        # stays, and a person decides whether it should end.
        from core.payments import ledger

        return out + await ledger.flag(
            session,
            services,
            "membership.flag_older_refund",
            id=pay.id,
            newer=newer,
            member=member.id,
        )
    if sub.state not in (State.REFUNDED, State.BANNED):
        out += await _end_renewal(session, services, sub, member)
    try:
        out += await subscriptions.transition(
            session, services, sub, plan, Ev.REFUND, actor=actor, reason=f"payment {pay.id}"
        )
    except InvalidTransition:
        return out  # already refunded / banned: the money part above still stands
    # a seat from someone's gift: they had the money back, not this member
    key = (
        "membership.gift_seat_refunded"
        if (pay.meta or {}).get("gift_of")
        else "membership.refunded"
    )
    out.append(dm(member, key, plan=plans.title(plan, member.locale)))
    return out


async def gift_seats_used(session: AsyncSession, pay: Payment) -> int | None:
    """How many people joined with a gift payment's code; None when it is no gift."""
    if not (pay.meta or {}).get("gift_seats"):
        return None
    from core.payments import gifts

    return await gifts.seats_used(session, pay.id)


def for_self(member_id: int, replies: list[AnyReply]) -> list[AnyReply]:
    """DMs to the member who is talking to us become answers in their chat, for their eyes
    only (ephemeral on Discord; on Telegram, from a group, a private message)."""
    return [
        replace(r, member_id=None, ephemeral=True)
        if isinstance(r, Reply) and r.member_id == member_id
        else r
        for r in replies
    ]


def access_now(sub: Subscription) -> bool:
    return has_access(State(sub.state))
