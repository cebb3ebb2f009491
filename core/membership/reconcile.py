"""Reconcile: who should have access vs who has a grant; fix the difference (or only report)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.membership import grants
from core.membership.state import State, has_access
from core.replies import AnyReply
from models.member import Member
from models.membership import AccessGrant, Plan, Subscription


@dataclass
class Report:
    missing: list[tuple[int, str, str]] = field(default_factory=list)  # member, platform, target
    extra: list[tuple[int, str, str]] = field(default_factory=list)
    replies: list[AnyReply] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"grant missing: member #{m} {p}:{t}" for m, p, t in self.missing] + [
            f"access to remove: member #{m} {p}:{t}" for m, p, t in self.extra
        ]


async def reconcile(session: AsyncSession, services: Services, *, dry_run: bool = False) -> Report:
    rep = Report()
    rows = (
        await session.execute(
            select(Subscription, Plan, Member)
            .join(Plan, Plan.id == Subscription.plan_id)
            .join(Member, Member.id == Subscription.member_id)
            .order_by(Subscription.id)
            # A payment holding a subscription row wins; the next run picks it up.
            .with_for_update(of=Subscription, skip_locked=True)
        )
    ).all()
    for sub, plan, member in rows:
        state = State(sub.state)
        active = await grants.active_grants(session, sub.id)
        if has_access(state):
            have = {(g.platform, g.target, g.role) for g in active}
            platforms = {a.platform for a in await grants.accounts(session, member.id)}
            missing = [
                (member.id, platform, target)
                for platform, target, role in grants.targets_for(plan)
                if platform in platforms and (platform, target, role) not in have
            ]
            rep.missing += missing
            if not dry_run and missing:
                rep.replies += await grants.activate(session, services.clock, sub, plan, member)
        elif active and not await grants.is_exempt(session, member, services.settings):
            rep.extra += [(member.id, g.platform, g.target) for g in active]
            if not dry_run:
                rep.replies += await grants.revoke(
                    session, services.clock, sub, plan, member, "reconcile"
                )
    return rep


async def grant_of_link(session: AsyncSession, link: str) -> AccessGrant | None:
    return (
        (await session.execute(select(AccessGrant).where(AccessGrant.invite_link == link[:255])))
        .scalars()
        .first()
    )
