"""Reconcile: who should have access vs who has a grant; fix the difference (or only report)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.membership import grants
from core.membership.state import State, has_access
from core.replies import AnyReply
from models.member import Account, Member
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
    """Compare every subscription with its active grants in three set-based queries.

    Subscriptions (locked, skipping rows a payment holds), all active grants and the accounts
    of subscribed members are read once each; only the subscriptions that differ touch the
    database again (to grant or revoke), so a quiet run costs three queries at any size.
    """
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
    if not rows:
        return rep
    active_by_sub: dict[int, list[AccessGrant]] = defaultdict(list)
    for g in (
        await session.execute(
            select(AccessGrant).where(AccessGrant.revoked_at.is_(None)).order_by(AccessGrant.id)
        )
    ).scalars():
        active_by_sub[g.subscription_id].append(g)
    accounts_of: dict[int, list[Account]] = defaultdict(list)
    subscribed = select(Subscription.member_id).distinct().scalar_subquery()
    for a in (
        await session.execute(select(Account).where(Account.member_id.in_(subscribed)))
    ).scalars():
        accounts_of[a.member_id].append(a)
    s = services.settings
    exempt_ids = set(s.moderator_ids) | set(s.owner_ids) | set(s.exempt_ids)

    for sub, plan, member in rows:
        active = active_by_sub.get(sub.id, [])
        accs = accounts_of.get(member.id, [])
        if has_access(State(sub.state)):
            have = {(g.platform, g.target, g.role) for g in active}
            platforms = {a.platform for a in accs}
            missing = [
                (member.id, platform, target)
                for platform, target, role in grants.targets_for(plan)
                if platform in platforms and (platform, target, role) not in have
            ]
            rep.missing += missing
            if not dry_run and missing:
                rep.replies += await grants.activate(session, services.clock, sub, plan, member)
        elif active and not _exempt(member, accs, exempt_ids):
            rep.extra += [(member.id, g.platform, g.target) for g in active]
            if not dry_run:
                rep.replies += await grants.revoke(
                    session, services.clock, sub, plan, member, "reconcile"
                )
    return rep


def _exempt(member: Member, accs: list[Account], exempt_ids: set[str]) -> bool:
    """`grants.is_exempt` on accounts already loaded (same rule, no query)."""
    if member.exempt or member.role in grants.STAFF_ROLES:
        return True
    return any(f"{a.platform}:{a.platform_user_id}" in exempt_ids for a in accs)


async def grant_of_link(session: AsyncSession, link: str) -> AccessGrant | None:
    return (
        (await session.execute(select(AccessGrant).where(AccessGrant.invite_link == link[:255])))
        .scalars()
        .first()
    )
