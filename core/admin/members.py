"""What a moderator sees about one member, and role changes (read models, no platform calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.interaction import Interaction
from models.member import Member
from models.membership import Payment, Plan, Subscription
from models.qa import Question


def who(m: Member) -> str:
    """How admin replies and previews name a member: id first, names can repeat."""
    return f"#{m.id} {m.display_name}"


ASSIGNABLE_ROLES = ("member", "expert", "moderator")


@dataclass
class MemberCard:
    id: int
    name: str
    role: str
    locale: str
    joined: datetime
    platforms: list[str]
    subscriptions: list[tuple[str, str, datetime | None]] = field(default_factory=list)
    # (id, provider, amount, currency, status, provider's charge id or manual reference)
    payments: list[tuple[int, str, int, str, str, str, int]] = field(default_factory=list)
    """(id, provider, amount, currency, status, charge id, gift seats: 0 when none)."""
    interactions_30d: int = 0
    last_active: datetime | None = None
    questions: int = 0


async def member_card(session: AsyncSession, member: Member, now: datetime) -> MemberCard:
    card = MemberCard(
        id=member.id,
        name=member.display_name,
        role=member.role,
        locale=member.locale,
        joined=member.created_at,
        platforms=sorted({a.platform for a in member.accounts}),
    )
    subs = await session.execute(
        select(Plan.code, Subscription.state, Subscription.current_period_end)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(Subscription.member_id == member.id)
        .order_by(Subscription.started_at.desc())
        .limit(5)
    )
    card.subscriptions = [(c, s, e) for c, s, e in subs.all()]
    pays = await session.execute(
        select(
            Payment.id,
            Payment.provider,
            Payment.amount,
            Payment.currency,
            Payment.status,
            Payment.provider_charge_id,
            Payment.meta,
        )
        .where(Payment.member_id == member.id)
        .order_by(Payment.created_at.desc())
        .limit(5)
    )
    card.payments = [
        (i, p, a, c, s, r, int((m or {}).get("gift_seats") or 0)) for i, p, a, c, s, r, m in pays
    ]
    card.interactions_30d = (
        await session.execute(
            select(func.count(Interaction.id)).where(
                Interaction.member_id == member.id, Interaction.at >= now - timedelta(days=30)
            )
        )
    ).scalar_one()
    card.last_active = (
        await session.execute(
            select(func.max(Interaction.at)).where(Interaction.member_id == member.id)
        )
    ).scalar_one()
    card.questions = (
        await session.execute(
            select(func.count(Question.id)).where(Question.member_id == member.id)
        )
    ).scalar_one()
    return card
