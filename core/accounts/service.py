"""Linking accounts across platforms, and the small account look-ups adapters need.

A member proves they own two accounts by issuing a code on one and redeeming it on the other.
The two members then become one: accounts move to the member that keeps the subscription,
everything else referencing the other member follows where it can, and the merge is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models
from core.accounts import codes
from core.audit import audit, count_since
from core.clock import Clock
from core.context import Context
from core.errors import DomainError
from core.replies import AnyReply, Reply
from models.accounts import LinkCode
from models.member import Account, Member

log = logging.getLogger("syllabot.accounts")

CODE_TTL = timedelta(minutes=10)
MAX_FAILED_PER_HOUR = 5
# Subscription states that no longer give access; anything else counts as a live membership.
ENDED_STATES = frozenset({"expired", "canceled", "cancelled", "revoked", "refunded", "ended"})
ROLE_RANK = {"member": 0, "expert": 1, "moderator": 2, "owner": 3}
# Tables whose member references never move: the audit log is append-only, codes are consumed.
FROZEN_TABLES = frozenset({"account", "audit_log", "link_code", "member"})

MergeHook = Callable[[Context, int, int], Awaitable[list[AnyReply]]]
MERGE_HOOKS: list[MergeHook] = []


def after_merge(fn: MergeHook) -> MergeHook:
    """Features react to a merge (e.g. membership grants the new platform's access).

    Called with (ctx, kept_member_id, merged_member_id) inside the merge transaction.
    """
    if fn not in MERGE_HOOKS:
        MERGE_HOOKS.append(fn)
    return fn


async def issue_code(ctx: Context) -> str:
    """A fresh code for the caller; older unused codes of theirs stop working."""
    now = ctx.clock.now()
    await ctx.session.execute(
        update(LinkCode)
        .where(LinkCode.member_id == ctx.member.id, LinkCode.used_at.is_(None))
        .values(expires_at=now)
    )
    code = codes.new_code()
    ctx.session.add(
        LinkCode(
            code_hash=codes.code_hash(_secret(ctx), code),
            member_id=ctx.member.id,
            platform=ctx.event.actor.platform,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    await ctx.session.flush()
    return code


async def redeem_code(ctx: Context, text: str) -> list[AnyReply]:
    """Link the caller's account with the account that issued `text`."""
    now = ctx.clock.now()
    if await _recent_failures(ctx) >= MAX_FAILED_PER_HOUR:
        return [Reply(ctx.t("accounts.too_many_attempts"), ephemeral=True)]
    canon = codes.normalize(text)
    if canon is None:  # "/link help": nothing a code could be, so no guess to count either
        return [Reply(ctx.t("accounts.code_shape"), ephemeral=True)]
    row = (
        await ctx.session.execute(
            select(LinkCode).where(LinkCode.code_hash == codes.code_hash(_secret(ctx), canon))
        )
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        # A reply, not a DomainError: the failed attempt must be committed to count.
        await audit(
            ctx.session,
            ctx.clock,
            actor=f"member:{ctx.member.id}",
            actor_member_id=ctx.member.id,
            action="accounts.link_failed",
            target=f"member:{ctx.member.id}",
        )
        return [Reply(ctx.t("accounts.code_invalid"), ephemeral=True)]
    if row.member_id == ctx.member.id:
        raise DomainError("accounts.already_linked")
    issuer = await ctx.session.get_one(Member, row.member_id)
    keep, drop = await _choose_survivor(ctx.session, issuer, ctx.member)
    clash = await _shared_platforms(ctx.session, keep.id, drop.id)
    if clash:
        raise DomainError("accounts.same_platform", platform=", ".join(sorted(clash)))
    # Claim the code atomically: two concurrent redemptions cannot both merge.
    claimed = await ctx.session.execute(
        update(LinkCode)
        .where(LinkCode.id == row.id, LinkCode.used_at.is_(None))
        .values(used_at=now, used_by_member_id=ctx.member.id)
    )
    if getattr(claimed, "rowcount", 1) != 1:
        return [Reply(ctx.t("accounts.code_invalid"), ephemeral=True)]
    summary = await merge_members(
        ctx.session, ctx.clock, keep, drop, actor=f"member:{ctx.member.id}", reason="link code"
    )
    out: list[AnyReply] = [
        Reply(
            ctx.t(
                "accounts.linked",
                id=keep.id,
                platforms=", ".join(summary["platforms"]),
            ),
            ephemeral=True,
        )
    ]
    for hook in MERGE_HOOKS:
        out.extend(await hook(ctx, keep.id, drop.id) or [])
    return out


async def merge_members(
    session: AsyncSession,
    clock: Clock,
    keep: Member,
    drop: Member,
    *,
    actor: str,
    reason: str = "",
) -> dict[str, Any]:
    """Fold `drop` into `keep`: accounts move, references follow, roles never weaken a ban."""
    if keep.id == drop.id:
        raise DomainError("accounts.already_linked")
    before = {
        "keep": {
            "id": keep.id,
            "role": keep.role,
            "accounts": await _account_refs(session, keep.id),
        },
        "drop": {
            "id": drop.id,
            "role": drop.role,
            "accounts": await _account_refs(session, drop.id),
        },
    }
    for acc in (
        (await session.execute(select(Account).where(Account.member_id == drop.id))).scalars().all()
    ):
        acc.member_id = keep.id
    await session.flush()
    for m in (keep, drop):  # later code in this transaction must see the moved accounts
        await session.refresh(m, attribute_names=["accounts"])
    moved, kept_back = await _move_references(session, keep.id, drop.id)
    keep.role = _merged_role(keep.role, drop.role)
    keep.reachable = keep.reachable or drop.reachable
    drop.prefs = {**(drop.prefs or {}), "merged_into": keep.id}
    drop.reachable = False
    await session.flush()
    accounts = await _account_refs(session, keep.id)
    after = {"member": keep.id, "role": keep.role, "accounts": accounts, "moved": moved}
    if kept_back:
        after["not_moved"] = kept_back
    await audit(
        session,
        clock,
        actor=actor,
        action="accounts.merge",
        target=f"member:{keep.id}",
        before=before,
        after=after,
        reason=reason,
    )
    log.info("merged member %s into %s (%s)", drop.id, keep.id, accounts)
    return {"platforms": sorted({a.split(":", 1)[0] for a in accounts}), **after}


async def has_live_subscription(session: AsyncSession, member_id: int) -> bool:
    from models.membership import Subscription

    found = await session.execute(
        select(func.count(Subscription.id)).where(
            Subscription.member_id == member_id, Subscription.state.not_in(ENDED_STATES)
        )
    )
    return bool(found.scalar_one())


async def accounts_of(session: AsyncSession, member_id: int) -> list[Account]:
    return list(
        (
            await session.execute(
                select(Account).where(Account.member_id == member_id).order_by(Account.id)
            )
        )
        .scalars()
        .all()
    )


async def platform_user_id(
    session_factory: async_sessionmaker[AsyncSession], member_id: int, platform: str
) -> str | None:
    """The member's user id on `platform` (adapters use it to DM or give roles), if linked."""
    async with session_factory() as session:
        return (
            await session.execute(
                select(Account.platform_user_id)
                .where(Account.member_id == member_id, Account.platform == platform)
                .order_by(Account.id)
                .limit(1)
            )
        ).scalar_one_or_none()


async def mark_unreachable(
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    platform: str,
    user_id: str,
    reason: str,
) -> int | None:
    """The platform refuses to deliver to this person (closed DMs, blocked bot): stop trying."""
    async with session_factory() as session, session.begin():
        acc = (
            await session.execute(
                select(Account).where(
                    Account.platform == platform, Account.platform_user_id == user_id
                )
            )
        ).scalar_one_or_none()
        if acc is None:
            return None
        member = await session.get_one(Member, acc.member_id)
        if member.reachable:
            member.reachable = False
            await audit(
                session,
                clock,
                actor=platform,
                action="member.unreachable",
                target=f"member:{member.id}",
                before={"reachable": True},
                after={"reachable": False},
                reason=reason,
            )
        return member.id


def _secret(ctx: Context) -> str:
    return ctx.settings.secret_key.get_secret_value()


async def _recent_failures(ctx: Context) -> int:
    since = ctx.clock.now() - timedelta(hours=1)
    return await count_since(
        ctx.session, "accounts.link_failed", since, actor_member_id=ctx.member.id
    )


async def _choose_survivor(
    session: AsyncSession, issuer: Member, redeemer: Member
) -> tuple[Member, Member]:
    """The member holding a membership survives; two live memberships need a moderator."""
    a_live = await has_live_subscription(session, issuer.id)
    b_live = await has_live_subscription(session, redeemer.id)
    if a_live and b_live:
        raise DomainError("accounts.both_subscribed")
    if b_live:
        return redeemer, issuer
    if a_live:
        return issuer, redeemer
    return (issuer, redeemer) if issuer.id < redeemer.id else (redeemer, issuer)


async def _shared_platforms(session: AsyncSession, a: int, b: int) -> set[str]:
    pa = {acc.platform for acc in await accounts_of(session, a)}
    pb = {acc.platform for acc in await accounts_of(session, b)}
    return pa & pb


async def _account_refs(session: AsyncSession, member_id: int) -> list[str]:
    return [f"{a.platform}:{a.platform_user_id}" for a in await accounts_of(session, member_id)]


async def _move_references(session: AsyncSession, keep: int, drop: int) -> tuple[int, list[str]]:
    """Repoint every other table's member references; a unique clash keeps that row behind."""
    moved = 0
    kept_back: list[str] = []
    for table in models.Base.metadata.sorted_tables:
        if table.name in FROZEN_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != "member" or fk.column.name != "id":
                continue
            col = fk.parent
            try:
                async with session.begin_nested():
                    res = await session.execute(
                        update(table).where(col == drop).values({col.name: keep})
                    )
                    moved += int(getattr(res, "rowcount", 0) or 0)
            except IntegrityError:
                kept_back.append(f"{table.name}.{col.name}")
                log.warning("merge %s->%s: %s.%s kept behind", drop, keep, table.name, col.name)
    return moved, kept_back


def _merged_role(a: str, b: str) -> str:
    if "banned" in (a, b):
        return "banned"
    return max((a, b), key=lambda r: ROLE_RANK.get(r, 0))
