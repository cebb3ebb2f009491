"""Which providers can sell a plan where the member is talking, and their invoices."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.membership import plans
from core.membership.errors import MembershipError
from core.payments import demo, stripe, telegram_stars
from core.replies import AnyReply
from models.member import Member
from models.membership import Plan


def providers_for(services: Services, platform: str) -> list[str]:
    out: list[str] = []
    if demo.available(services.settings):
        out.append(demo.PROVIDER)
    if platform == "telegram":
        out.append(telegram_stars.PROVIDER)
    if stripe.configured(services) and not demo.available(services.settings):
        out.append(stripe.PROVIDER)
    return out


async def offer(
    session: AsyncSession,
    services: Services,
    member: Member,
    platform: str,
    plan: Plan,
    seats: int = 0,
    note: str | None = None,
) -> list[AnyReply]:
    """Invoices for every provider that sells this plan here (demo, Stars, Stripe); with
    `seats`, for a gift of that many seats (`core.payments.gifts`), with the buyer's `note`."""
    out: list[AnyReply] = []
    down: MembershipError | None = None
    for prov in providers_for(services, platform):
        if plans.price(plan, prov) is None:
            continue
        try:
            # one provider's outage must not withhold the others' invoices
            async with session.begin_nested():
                if prov == demo.PROVIDER:
                    out += await demo.invoice(session, services, member, plan, seats, note)
                elif prov == telegram_stars.PROVIDER:
                    out += await telegram_stars.invoice(
                        session, services, member, plan, seats, note
                    )
                elif prov == stripe.PROVIDER:
                    out += await stripe.checkout(session, services, member, plan, seats, note)
        except MembershipError as exc:
            if exc.key != "membership.provider_unavailable":
                raise
            down = exc
    if not out and down is not None:
        raise down
    if not out:
        title = plans.title(plan, member.locale)
        if plans.price(plan, "code") is not None:
            raise MembershipError("code_only", plan=title)
        raise MembershipError("not_sold_here", plan=title)
    return out
