"""/billing: where a member changes the card their renewals use, and sees their invoices.

"my bank sent me a new card because the old one got compromised", "how do i update my
payment method so my membership doesn't lapse", "where do i put the new card, i don't see a
billing page anywhere on discord" opened public threads: the card lives at Stripe, which
the bot never sees. A renewing Stripe plan gets a one-time link to Stripe's own billing
page (its customer portal); Telegram Stars are paid from the member's Telegram balance; a
plan from a code, a grant or a trial has no card at all."""

from __future__ import annotations

import re

from core.context import Context
from core.membership import plans, subscriptions
from core.membership.state import ACCESS_STATES
from core.qa import help_answers
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import command


async def _billing(ctx: Context) -> list[AnyReply]:
    held = [
        (s, p)
        for s, p in await subscriptions.for_member(ctx.session, ctx.member.id)
        if s.state in ACCESS_STATES
    ]
    stripe_subs = [(s, p) for s, p in held if s.source == "stripe" and s.external_ref]
    if stripe_subs:
        from core.payments import stripe as stripe_provider

        sub, plan = stripe_subs[0]
        url = await stripe_provider.billing_portal_url(ctx.services, sub.external_ref or "")
        if url is None:
            return [Reply(ctx.t("membership.billing_unavailable"), ephemeral=True)]
        text = ctx.t("membership.billing_stripe", plan=plans.title(plan, ctx.locale))
        button = ButtonSpec(ctx.t("membership.btn_billing"), url=url)
        return [Reply(text, buttons=[[button]], ephemeral=True)]
    if any(s.source in ("telegram_stars", "telegram_channel") for s, _ in held):
        return [Reply(ctx.t("membership.billing_stars"), ephemeral=True)]
    if held:
        return [Reply(ctx.t("membership.billing_no_card"), ephemeral=True)]
    return [Reply(ctx.t("membership.billing_none"), ephemeral=True)]


@command("billing", help_key="membership.help_billing", private_only=True)
async def billing_cmd(ctx: Context, args: str) -> list[AnyReply]:
    return await _billing(ctx)


_ASKED = re.compile(
    r"\b(?:update|change|replace|add|switch|put|enter|use)\b[^.?!]{0,25}\b(?:payment (?:method|"
    r"details|info)|credit card|debit card|(?:new|my|the|another|different) card|card details|"
    r"billing (?:info|details|address))\b|\b(?:billing|payment) (?:page|portal|settings)\b"
    r"|\bnew card\b|\bcard (?:expired|expires|was (?:stolen|compromised|lost))\b"
    r"|(?:更新|更换|修改|换|绑定)(?:一下)?(?:新的?)?(?:银行卡|信用卡|付款方式|支付方式|卡)",
    re.IGNORECASE,
)


@help_answers.lookup
async def card_asked(ctx: Context, question: str) -> list[AnyReply] | None:
    """A question about the card renewals use: the member's own billing answer."""
    if ctx.event.chat.kind != "private" or not _ASKED.search(question):
        return None
    return await _billing(ctx)
