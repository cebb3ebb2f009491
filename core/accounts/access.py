"""After a merge, the surviving membership reaches the newly linked platform too."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.accounts.service import after_merge
from core.context import Context
from core.replies import AnyReply
from models.member import Member

log = logging.getLogger("syllabot.accounts")


@after_merge
async def grant_on_linked_platforms(ctx: Context, keep_id: int, drop_id: int) -> list[AnyReply]:
    """Membership's own grant logic, run for the kept member's live subscriptions."""
    try:
        from core.membership import grants
        from core.membership.service import access_now
    except ImportError:  # a build without memberships
        return []
    from models.membership import Plan, Subscription

    member = await ctx.session.get_one(Member, keep_id)
    await ctx.session.refresh(member, attribute_names=["accounts"])
    subs = (
        (await ctx.session.execute(select(Subscription).where(Subscription.member_id == keep_id)))
        .scalars()
        .all()
    )
    out: list[AnyReply] = []
    for sub in subs:
        if not access_now(sub):
            continue
        plan = await ctx.session.get_one(Plan, sub.plan_id)
        out.extend(await grants.activate(ctx.session, ctx.clock, sub, plan, member))
    if out:
        log.info("member %s linked: %d new grants", keep_id, len(out))
    return out
