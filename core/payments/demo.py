"""The demo provider: a simulated checkout for `syllabot demo` only.

It exists only when `settings.demo` is true and refuses to load when real tokens are
configured, so it can never hand out access in production. Pressing its signed Pay button
applies the payment through the same ledger as every real provider.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from core.context import Services
from core.i18n import translate
from core.membership import plans
from core.membership.errors import MembershipError
from core.payments import gifts, ledger, payload
from core.replies import AnyReply, ButtonSpec, Invoice, Reply
from models.member import Member
from models.membership import PaymentIntent, Plan

PROVIDER = "demo"
BUTTON = "dpay"


class DemoProviderRefused(RuntimeError):
    """Raised when something tries to use the demo provider outside a token-less demo."""


def available(settings: Settings) -> bool:
    return settings.demo and not settings.has_real_tokens


def require(settings: Settings) -> None:
    if not settings.demo:
        raise DemoProviderRefused("the demo provider exists only in demo mode")
    if settings.has_real_tokens:
        raise DemoProviderRefused("the demo provider refuses to load with real tokens configured")


async def invoice(
    session: AsyncSession,
    services: Services,
    member: Member,
    plan: Plan,
    seats: int = 0,
    note: str | None = None,
) -> list[AnyReply]:
    require(services.settings)
    pr = plans.price(plan, PROVIDER)
    if pr is None:
        raise MembershipError("not_sold_here", plan=plans.title(plan, member.locale))
    intent, signed = await payload.issue(
        session, services, member.id, plan, PROVIDER, *pr, seats, note
    )
    amount = intent.amount
    loc = member.locale
    data = services.signer.encode(BUTTON, intent.nonce)
    return [
        Invoice(
            title=gifts.invoice_title(plan, loc, seats),
            description=gifts.invoice_description(plan, loc, seats),
            payload=signed,
            currency=pr[1],
            amount=amount,
            provider=PROVIDER,
        ),
        Reply(
            translate(loc, "membership.demo_pay_hint"),
            buttons=[
                [
                    ButtonSpec(
                        translate(
                            loc,
                            "membership.demo_pay_button",
                            price=plans.format_amount(amount, pr[1]),
                        ),
                        data=data,
                    )
                ]
            ],
        ),
    ]


async def pay(
    session: AsyncSession, services: Services, member: Member, nonce: str
) -> ledger.Outcome:
    """The simulated provider's 'payment succeeded' for an intent we issued."""
    require(services.settings)
    row = (
        await session.execute(
            select(PaymentIntent, Plan)
            .join(Plan, Plan.id == PaymentIntent.plan_id)
            .where(PaymentIntent.nonce == nonce, PaymentIntent.provider == PROVIDER)
        )
    ).one_or_none()
    if row is None:
        raise MembershipError("payload_unknown")
    intent, plan = row
    return await ledger.process(
        session,
        services,
        ledger.Charge(
            provider=PROVIDER,
            charge_id=f"demo-{nonce}",
            amount=intent.amount,
            currency=intent.currency,
            payload=payload.payload_of(services, intent, plan.code),
            member_id=member.id,
            actor=f"member:{member.id}",
        ),
    )
