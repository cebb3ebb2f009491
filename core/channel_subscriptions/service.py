"""Channels sold by Star subscription links: when to offer one, and what a paid join means.

A plan with `telegram_channel_subscription = true` (config; one channel, a monthly XTR price)
is not sold by invoice: the member gets a subscription invite link
(`SubscriptionInvite`; Telegram charges the Stars itself when they join, and every 30 days
after). Telegram then tells us through a `chat_member` update, which the adapter turns into
`ChannelSubscribed` with the paid-until date; that is recorded through the ledger like any
payment (one row per member, channel and period end, so a repeated update applies once) and
activates or renews the membership until that date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from config.settings import Settings
from core.context import Context
from core.events import ChannelSubscribed
from core.membership import plans
from core.payments import ledger
from core.replies import AnyReply, Invite, SubscriptionInvite
from models.member import Member
from models.membership import Plan

PROVIDER = "telegram_channel"  # ledger provider of Stars paid to a channel by subscription
PERIOD_S = 2592000  # the only period Telegram allows for Star subscriptions (30 days)
PLATFORM = "telegram"


def sold_by_link(settings: Settings, plan: Plan) -> tuple[str, int] | None:
    """(channel chat id, Stars a month) when this plan is sold by a subscription link."""
    pc = settings.plan(plan.code)
    if pc is None or not pc.telegram_channel_subscription:
        return None
    pr = plans.price(plan, "telegram_stars")
    chats = (plan.targets or {}).get(PLATFORM) or []
    if pr is None or pr[1] != "XTR" or len(chats) != 1 or plan.period_days != 30:
        return None  # a moderator edit took the plan out of what Telegram can sell so
    return str(chats[0]), pr[0]


def invite_instead(settings: Settings, member: Member, plan: Plan) -> list[AnyReply] | None:
    """The subscription link that replaces a Stars invoice for this plan, or None."""
    found = sold_by_link(settings, plan)
    if found is None:
        return None
    chat, price = found
    return [SubscriptionInvite(member.id, PLATFORM, chat, price, PERIOD_S, plan.code)]


async def plan_for(ctx: Context, target: str, price: int) -> Plan | None:
    """The plan sold by subscription in this channel (the one at this price if several)."""
    rows = (await ctx.session.execute(select(Plan).order_by(Plan.id))).scalars().all()
    found = [(p, f[1]) for p in rows if (f := sold_by_link(ctx.settings, p)) and f[0] == target]
    return next((p for p, pr in found if pr == price), found[0][0] if found else None)


async def on_subscribed(ctx: Context, event: ChannelSubscribed) -> list[AnyReply]:
    plan = await plan_for(ctx, event.target, event.price)
    if plan is None:
        return []  # a channel we do not sell by subscription
    until = event.until if isinstance(event.until, datetime) else None
    if until is None:
        until = ctx.clock.now() + timedelta(seconds=event.period_s or PERIOD_S)
    until = until.astimezone(UTC)
    uid = event.actor.user_id
    outcome = await ledger.process(
        ctx.session,
        ctx.services,
        ledger.Charge(
            provider=PROVIDER,
            charge_id=f"{event.target}:{uid}:{int(until.timestamp())}",
            amount=event.price,
            currency="XTR",
            member_id=ctx.member.id,
            plan_code=plan.code,
            expect_amount=False,  # Telegram took the Stars for the channel; we saw the link
            paid_until=until,
            ext_ref=f"tg:{uid}",
            auto_renew=True,
            meta={"telegram_user_id": uid, "channel": event.target, "renewal": event.renewal},
            actor="telegram",
        ),
    )
    # They are inside already: no invite link for the channel they just joined.
    return [
        r
        for r in outcome.replies
        if not (isinstance(r, Invite) and r.platform == PLATFORM and r.target == event.target)
    ]
