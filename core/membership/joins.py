"""Joins to paid chats: approve paying members, decline the rest, catch shared invite links."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import audit
from core.context import Context
from core.events import MemberJoined
from core.membership import grants
from core.membership.reconcile import grant_of_link
from core.membership.state import State, has_access
from core.payments.ledger import flag
from core.replies import AnyReply, ApproveJoin, Kick, Reply
from models.member import Member
from models.membership import Plan, Subscription


async def _covering(ctx: Context, platform: str, target: str) -> list[Plan]:
    rows = (await ctx.session.execute(select(Plan))).scalars().all()
    return [
        p for p in rows if any(pl == platform and t == target for pl, t, _ in grants.targets_for(p))
    ]


async def entitled(ctx: Context, member: Member, covering: list[Plan]) -> bool:
    if await grants.is_exempt(ctx.session, member, ctx.settings):
        return True
    ids = [p.id for p in covering]
    rows = (
        (
            await ctx.session.execute(
                select(Subscription.state).where(
                    Subscription.member_id == member.id, Subscription.plan_id.in_(ids)
                )
            )
        )
        .scalars()
        .all()
    )
    return any(has_access(State(s)) for s in rows)


async def on_join(ctx: Context, event: MemberJoined) -> list[AnyReply]:
    platform, target, uid = event.actor.platform, event.target, event.actor.user_id
    covering = await _covering(ctx, platform, target)
    if not covering:
        return []  # not a chat we sell
    ok = await entitled(ctx, ctx.member, covering)
    if event.join_request:
        if ok:
            return [ApproveJoin(platform, target, uid, True)]
        return [
            ApproveJoin(platform, target, uid, False),
            Reply(ctx.t("membership.join_declined"), member_id=ctx.member.id),
        ]
    out: list[AnyReply] = []
    if event.invite_link:
        g = await grant_of_link(ctx.session, event.invite_link)
        if g is not None and g.member_id is not None and g.member_id != ctx.member.id:
            # Someone else's single-use link: burn it, give the owner a fresh one, remove the user.
            g.revoked_at = ctx.clock.now()
            g.revoke_reason = "link_used_by_other"
            g.invite_link = None
            await audit(
                ctx.session,
                ctx.clock,
                actor="system",
                action="access.link_misused",
                target=f"member:{g.member_id}",
                after={"used_by": f"{platform}:{uid}", "target": target},
            )
            owner = await ctx.session.get_one(Member, g.member_id)
            sub = await ctx.session.get_one(Subscription, g.subscription_id)
            plan = await ctx.session.get_one(Plan, sub.plan_id)
            if has_access(State(sub.state)):
                out += await grants.activate(ctx.session, ctx.clock, sub, plan, owner)
            out += await flag(
                ctx.session,
                ctx.services,
                "membership.flag_link_misused",
                owner=owner.id,
                user=f"{platform}:{uid}",
            )
    if not ok:
        out.insert(0, Kick(ctx.member.id, platform, target, platform_user_id=uid))
        out.append(Reply(ctx.t("membership.join_not_member"), member_id=ctx.member.id))
    else:  # a role granted before they were on the server could not be given then
        out += await grants.roles_on_join(ctx.session, ctx.member.id, platform, target)
    return out
