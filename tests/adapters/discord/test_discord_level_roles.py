"""Level rewards on Discord: a role added when the level is reached, removed when access ends."""

from __future__ import annotations

from datetime import timedelta

import dc_payloads as P
from sqlalchemy import select

from core.engagement import rules
from core.engagement.service import sync_level_rewards
from core.replies import MemberTag
from models.interaction import Interaction
from models.member import Account
from models.membership import Plan, Subscription

ROLE_ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
UNROLE_ROUTE = "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}"


async def test_level_role_added_once_and_removed_when_membership_ends(discord_bot, app, db):
    clock = app.services.clock
    await discord_bot.interact(P.slash("whoami", uid=806, username="gus"))
    async with db.session() as s, s.begin():
        mid = (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == "806"))
        ).scalar_one()
        now = clock.now()
        plan = (await s.execute(select(Plan).where(Plan.code == "pro"))).scalar_one()
        s.add(
            Subscription(
                member_id=mid,
                plan_id=plan.id,
                state="active",
                started_at=now,
                current_period_end=now + timedelta(days=30),
                updated_at=now,
            )
        )
        s.add(Interaction(member_id=mid, kind="course_complete", weight=5.0, at=now, meta={}))
    add = f"add 2 discord {P.GUILD_ID} {P.HIGH_ROLE}"
    await discord_bot.interact(P.slash("levelreward", add, uid=9000, username="mod"))
    scoring = rules.Scoring.of(app.services.settings)
    ex = discord_bot.client.executor
    for _ in range(2):  # the periodic job runs again: the role is added once
        async with db.session() as s, s.begin():
            replies = await sync_level_rewards(s, clock, scoring)
        await ex.run(replies)
    (grant,) = discord_bot.wire.find(ROLE_ROUTE)
    assert grant.url.endswith(f"/guilds/{P.GUILD_ID}/members/806/roles/{P.HIGH_ROLE}")
    clock.advance(timedelta(days=40))
    async with db.session() as s, s.begin():
        replies = await sync_level_rewards(s, clock, scoring)
    await ex.run(replies)
    (revoke,) = discord_bot.wire.find(UNROLE_ROUTE)
    assert revoke.url.endswith(f"/members/806/roles/{P.HIGH_ROLE}")


async def test_a_telegram_tag_reward_is_handed_to_telegram_not_dropped(discord_bot, app):
    handed: list[list] = []

    async def telegram_executor(replies):
        handed.append(list(replies))

    app.services.extras.setdefault("executors", {})["telegram"] = telegram_executor
    tag = MemberTag(1, "telegram", "-100123", "Mentor")
    await discord_bot.client.executor.run([tag])
    assert handed == [[tag]]
