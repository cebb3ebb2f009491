"""Telegram Stars (core side): invoice in XTR, fast pre-checkout, successful_payment, refund.

The adapter sends `Invoice(provider="telegram_stars")` with an empty provider token and one
price, answers `AnswerPreCheckout` within Telegram's 10 s, turns `successful_payment` into
`PaymentReceived(provider="telegram_stars", extra={"subscription_expiration_date": ts,
"is_recurring": bool})` and executes `RefundStars` with refundStarPayment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.i18n import translate
from core.membership import plans, service
from core.membership.errors import MembershipError, PaymentRejected
from core.payments import gifts, ledger, payload
from core.replies import AnswerPreCheckout, AnyReply, Invoice
from models.member import Member
from models.membership import Payment, Plan

PROVIDER = "telegram_stars"
CURRENCY = "XTR"
SUBSCRIPTION_PERIOD = 30 * 24 * 3600  # the only period Telegram accepts for Star subscriptions


async def invoice(
    session: AsyncSession,
    services: Services,
    member: Member,
    plan: Plan,
    seats: int = 0,
    note: str | None = None,
) -> list[AnyReply]:
    """An invoice for the member's own plan, or with `seats` for a gift of that many (one
    payment, never a Star subscription: a gift is one period for each person)."""
    from core.channel_subscriptions.service import invite_instead

    if not seats and (link := invite_instead(services.settings, member, plan)) is not None:
        return link  # a channel sold by Star subscription link, not by invoice
    pr = plans.price(plan, PROVIDER)
    if pr is None or pr[1] != CURRENCY:
        raise MembershipError("not_sold_here", plan=plans.title(plan, member.locale))
    intent, signed = await payload.issue(
        session, services, member.id, plan, PROVIDER, *pr, seats, note
    )
    amount = intent.amount
    loc = member.locale
    title = gifts.invoice_title(plan, loc, seats)
    description = gifts.invoice_description(plan, loc, seats)
    recurring = not seats and plans.recurring(plan, PROVIDER)
    if recurring and (held := await service.days_held_until(session, services, member, plan)):
        # Telegram bills a Star subscription from the day it starts: say so before paying
        when = service.when(held, member)
        description = translate(loc, "membership.invoice_stars_starts_now", plan=title, when=when)
    return [
        Invoice(
            title=title[:32],
            description=description[:255],
            payload=signed,
            currency=CURRENCY,
            amount=amount,
            provider=PROVIDER,
            subscription_period=SUBSCRIPTION_PERIOD if recurring else None,
        )
    ]


async def precheckout(
    session: AsyncSession,
    services: Services,
    member: Member,
    query_id: str,
    amount: int,
    currency: str,
    signed: str,
) -> AnswerPreCheckout:
    """One indexed read: answer well inside Telegram's 10 seconds; writes nothing."""
    try:
        intent, _plan = await payload.resolve(session, services, signed)
        if intent.member_id != member.id:
            raise PaymentRejected("wrong_member")
        if currency.upper() != CURRENCY or intent.currency != CURRENCY:
            raise PaymentRejected("wrong_currency", got=currency.upper(), expected=CURRENCY)
        if amount != intent.amount:
            raise PaymentRejected(
                "wrong_amount", got=f"{amount} XTR", expected=f"{intent.amount} XTR"
            )
    except PaymentRejected as err:
        return AnswerPreCheckout(query_id, False, translate(member.locale, err.key, **err.params))
    return AnswerPreCheckout(query_id, True)


def charge(
    member: Member,
    platform_user_id: str,
    charge_id: str,
    amount: int,
    currency: str,
    signed: str,
    extra: dict[str, object],
    raw: bytes = b"",
) -> ledger.Charge:
    exp = extra.get("subscription_expiration_date")
    paid_until = (
        datetime.fromtimestamp(int(exp), UTC) if isinstance(exp, (int, float)) and exp else None
    )
    recurring = bool(extra.get("is_recurring"))
    return ledger.Charge(
        provider=PROVIDER,
        charge_id=charge_id,
        amount=amount,
        currency=currency,
        payload=signed,
        member_id=member.id,
        paid_until=paid_until,
        ext_ref=f"tg:{platform_user_id}" if recurring else None,
        auto_renew=recurring,
        raw=raw,
        meta={
            "telegram_user_id": platform_user_id,
            "is_recurring": recurring,
            "is_first_recurring": bool(extra.get("is_first_recurring")),
        },
        actor="telegram",
    )


async def refunded(
    session: AsyncSession, services: Services, charge_id: str, amount: int
) -> list[AnyReply]:
    """Telegram refunded a Stars payment: the access it bought ends, once. Our own refund
    comes back this way too, and then there is nothing left to do."""
    pay = (
        await session.execute(
            select(Payment).where(
                Payment.provider == PROVIDER, Payment.provider_charge_id == charge_id
            )
        )
    ).scalar_one_or_none()
    if pay is None:
        return await ledger.flag(
            session,
            services,
            "membership.flag_refund_unknown",
            provider="Telegram",
            ref=charge_id[:60],
        )
    if pay.status != ledger.APPLIED:
        return []
    if amount < pay.amount:  # part of it: a person decides whether access should end
        return await ledger.flag(
            session, services, "membership.flag_partial_refund_at", id=pay.id, provider="Telegram"
        )
    return await ledger.refund(
        session, services, pay.id, actor="telegram", reason="refunded_payment"
    )
