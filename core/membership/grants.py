"""Access grants: one row per subscription and target; Invite on activation, Kick on revocation.

Adapters turn `Invite` into a single-use link (Telegram `member_limit=1` + expiry) or a
Discord role, and call `record_invite_link` with the link they made so a join through it
can be checked against its owner. Everything here is idempotent: an active grant is never
issued twice and a revoked one is never kicked twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from core.audit import audit
from core.clock import Clock
from core.membership.state import ACCESS_STATES
from core.replies import Invite, Kick
from models.member import Account, Member
from models.membership import AccessGrant, Plan, Subscription

INVITE_TTL = timedelta(days=1)
STAFF_ROLES = ("moderator", "owner")


def targets_for(plan: Plan) -> list[tuple[str, str, str | None]]:
    """(platform, target, role) for every place the plan opens."""
    t: dict[str, Any] = plan.targets or {}
    out: list[tuple[str, str, str | None]] = [
        ("telegram", str(c), None) for c in t.get("telegram") or []
    ]
    guild = t.get("discord_guild")
    if guild:
        roles = t.get("discord_roles") or []
        out += [("discord", str(guild), str(r)) for r in roles] or [("discord", str(guild), None)]
    return out


async def accounts(session: AsyncSession, member_id: int) -> list[Account]:
    """A member's platform accounts (queried: the relationship may not be loaded yet)."""
    return list(
        (await session.execute(select(Account).where(Account.member_id == member_id))).scalars()
    )


async def is_exempt(session: AsyncSession, member: Member, settings: Settings) -> bool:
    """Staff and exempt members are never removed, whatever their subscription says."""
    if member.exempt or member.role in STAFF_ROLES:
        return True
    named = set(settings.moderator_ids) | set(settings.owner_ids) | set(settings.exempt_ids)
    return bool(await _identities(session, member) & named)


async def staff_by_settings(session: AsyncSession, member: Member, settings: Settings) -> bool:
    """Named in `owner_ids` / `moderator_ids`: staff whatever role is stored."""
    named = set(settings.moderator_ids) | set(settings.owner_ids)
    return bool(await _identities(session, member) & named)


async def _identities(session: AsyncSession, member: Member) -> set[str]:
    """The member's accounts as the settings name them ("telegram:123")."""
    return {f"{a.platform}:{a.platform_user_id}" for a in await accounts(session, member.id)}


def _account_id(accs: list[Account], platform: str) -> str | None:
    return next((a.platform_user_id for a in accs if a.platform == platform), None)


async def active_grants(session: AsyncSession, sub_id: int) -> list[AccessGrant]:
    return list(
        (
            await session.execute(
                select(AccessGrant)
                .where(AccessGrant.subscription_id == sub_id, AccessGrant.revoked_at.is_(None))
                .order_by(AccessGrant.id)
            )
        )
        .scalars()
        .all()
    )


async def held_elsewhere(
    session: AsyncSession, member_id: int, sub_id: int
) -> set[tuple[str, str, str | None]]:
    """(platform, target, role) that another subscription of the member still opens.

    A member may hold two plans that open the same chat (a monthly one running out after a
    yearly one was bought); the chat is only left when the last of them ends."""
    rows = await session.execute(
        _live_grants(member_id)
        .with_only_columns(AccessGrant.platform, AccessGrant.target, AccessGrant.role)
        .where(Subscription.id != sub_id)
    )
    return {(p, t, r) for p, t, r in rows}


_LIVE = [s.value for s in ACCESS_STATES]


def _live_grants(member_id: int) -> Select[AccessGrant]:
    """The member's unrevoked grants under a subscription that gives access now."""
    return (
        select(AccessGrant)
        .join(Subscription, Subscription.id == AccessGrant.subscription_id)
        .where(
            Subscription.member_id == member_id,
            Subscription.state.in_(_LIVE),
            AccessGrant.revoked_at.is_(None),
        )
    )


async def live_plans(session: AsyncSession, member_id: int) -> list[tuple[Subscription, Plan]]:
    """The member's subscriptions that give access now, with their plans, oldest first."""
    rows = await session.execute(
        select(Subscription, Plan)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(Subscription.member_id == member_id, Subscription.state.in_(_LIVE))
        .order_by(Subscription.id)
    )
    return [(sub, plan) for sub, plan in rows.all()]


async def activate(
    session: AsyncSession, clock: Clock, sub: Subscription, plan: Plan, member: Member
) -> list[Invite]:
    """Grants for every target the member can be reached on; existing grants are kept."""
    return await activate_for(session, clock, sub.id, plan, member)


async def activate_for(
    session: AsyncSession, clock: Clock, sub_id: int, plan: Plan, member: Member
) -> list[Invite]:
    """`activate` by subscription id (the payment path holds no ORM subscription)."""
    if not targets_for(plan):
        return []
    have = {(g.platform, g.target, g.role) for g in await active_grants(session, sub_id)}
    inside = await held_elsewhere(session, member.id, sub_id)  # already in: no second invite
    out: list[Invite] = []
    now = clock.now()
    accs = await accounts(session, member.id)
    for platform, target, role in targets_for(plan):
        if (platform, target, role) in have or _account_id(accs, platform) is None:
            continue
        g = AccessGrant(
            subscription_id=sub_id,
            member_id=member.id,
            platform=platform,
            target=target,
            role=role,
            granted_at=now,
            revoke_reason="",
        )
        session.add(g)
        await session.flush()
        await audit(
            session,
            clock,
            actor="system",
            action="access.grant",
            target=f"member:{member.id}",
            after={"platform": platform, "target": target, "role": role},
        )
        if (platform, target, role) in inside:
            continue
        out.append(
            Invite(
                member.id,
                platform,
                target,
                role=role,
                expires_at=now + INVITE_TTL if platform == "telegram" else None,
                grant_id=g.id,
            )
        )
    return out


async def opens_chats(session: AsyncSession, member_id: int) -> bool:
    """Whether a plan the member holds now has let them into a chat or server."""
    found = await session.execute(_live_grants(member_id).limit(1))
    return found.scalars().first() is not None


async def roles_on_join(
    session: AsyncSession, member_id: int, platform: str, target: str
) -> list[Invite]:
    """The roles a member's live plans give on the server they just joined: a Discord role
    granted while they were not on it could not be added then (the adapter logs it and
    moves on), so it is given now. Nothing for a place without roles (a Telegram chat)."""
    rows = await session.execute(
        _live_grants(member_id)
        .where(
            AccessGrant.platform == platform,
            AccessGrant.target == target,
            AccessGrant.role.is_not(None),
        )
        .order_by(AccessGrant.id)
    )
    out: dict[str | None, Invite] = {}
    for g in rows.scalars():
        out.setdefault(g.role, Invite(member_id, platform, target, g.role, None, g.id))
    return list(out.values())


async def invite_again(session: AsyncSession, clock: Clock, member: Member) -> list[Invite]:
    """A fresh way into every place the member's current plans open: a Telegram invite
    link works once and for a day, so a member who paid and joined late, or lost the link,
    had no way in. Places they gained an account for since (a linked platform) get their
    grant now; the rest are invited again under their grant (a new link replaces the one
    recorded, and a join through the old one is still theirs until it expires)."""
    out: list[Invite] = []
    seen: set[tuple[str, str, str | None]] = set()
    accs = await accounts(session, member.id)
    now = clock.now()
    for sub, plan in await live_plans(session, member.id):
        new = await activate_for(session, clock, sub.id, plan, member)
        fresh = {(i.platform, i.target, i.role) for i in new}
        out += [i for i in new if (i.platform, i.target, i.role) not in seen]
        seen |= fresh
        for g in await active_grants(session, sub.id):
            key = (g.platform, g.target, g.role)
            if key in seen or _account_id(accs, g.platform) is None:
                continue
            seen.add(key)
            ttl = now + INVITE_TTL if g.platform == "telegram" else None
            out.append(Invite(member.id, g.platform, g.target, g.role, ttl, g.id))
    return out


async def revoke(
    session: AsyncSession, clock: Clock, sub: Subscription, plan: Plan, member: Member, reason: str
) -> list[Kick]:
    """Revoke every active grant of the subscription (no-op when none is active); a target
    another live subscription still opens is not left."""
    hard = bool((plan.targets or {}).get("kick_on_expiry"))
    out: list[Kick] = []
    accs = await accounts(session, member.id)
    grants = await active_grants(session, sub.id)
    kept = await held_elsewhere(session, member.id, sub.id) if grants else set()
    for g in grants:
        g.revoked_at = clock.now()
        g.revoke_reason = reason[:64]
        await audit(
            session,
            clock,
            actor="system",
            action="access.revoke",
            target=f"member:{member.id}",
            before={"platform": g.platform, "target": g.target, "role": g.role},
            reason=reason,
        )
        if (g.platform, g.target, g.role) in kept:
            continue
        out.append(
            Kick(
                member.id,
                g.platform,
                g.target,
                role=g.role,
                hard=hard,
                platform_user_id=_account_id(accs, g.platform),
            )
        )
    await session.flush()
    return out


async def record_invite_link(session: AsyncSession, grant_id: int, link: str) -> None:
    """Adapters call this after creating the single-use link for an Invite."""
    g = await session.get(AccessGrant, grant_id)
    if g is not None and g.revoked_at is None:
        g.invite_link = link[:255]
        await session.flush()
