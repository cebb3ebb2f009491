"""Plan roles: entitlements and grants become role changes; the role hierarchy is checked."""

from __future__ import annotations

import dc_payloads as P
import pytest
from dc_wire import OWNER_ID
from sqlalchemy import select

from core.events import EntitlementChanged
from core.replies import Invite, Kick
from core.router import EVENT_HANDLERS, load_features
from models.inbound import InboundUpdate
from models.member import Account

ROLE_ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
MESSAGES = "POST /channels/{channel_id}/messages"
UNROLE_ROUTE = "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}"


async def _member_id(db, uid: int) -> int:
    async with db.session() as s:
        acc = (
            await s.execute(select(Account).where(Account.platform_user_id == str(uid)))
        ).scalar_one()
        return acc.member_id


async def test_entitlement_gateway_events_reach_the_router_once(discord_bot, db):
    ent = P.entitlement(1500000000000000001, 801)
    await discord_bot.feed("entitlement_create", ent)
    await discord_bot.feed("entitlement_create", ent)  # the gateway may redeliver
    await discord_bot.feed("entitlement_delete", {**ent, "deleted": True})
    async with db.session() as s:
        ids = (
            (
                await s.execute(
                    select(InboundUpdate.update_id).where(InboundUpdate.platform == "discord")
                )
            )
            .scalars()
            .all()
        )
    assert sorted(ids) == [
        "ent:1500000000000000001:create:",
        "ent:1500000000000000001:delete:",
    ]
    assert await _member_id(db, 801)  # the buyer became a member on first contact


async def test_entitlement_create_grants_plan_role_and_delete_removes_it(discord_bot, db):
    load_features()
    if EntitlementChanged not in EVENT_HANDLERS:
        pytest.skip("core/payments does not handle EntitlementChanged yet")
    # The purchase is the buyer's first contact with the bot: the member is created on it.
    ent = P.entitlement(1500000000000000002, 802)
    n = len(discord_bot.wire.calls)
    await discord_bot.feed("entitlement_create", ent)
    (grant,) = discord_bot.wire.find(ROLE_ROUTE)
    assert f"/guilds/{P.GUILD_ID}/members/802/roles/{P.PLAN_ROLE}" in grant.url
    # The buyer hears about it in a DM (a gateway event has no channel to answer in).
    (dm,) = discord_bot.wire.find("POST /users/@me/channels")
    assert dm.body == {"recipient_id": 802}
    assert discord_bot.wire.find(MESSAGES)
    await discord_bot.feed("entitlement_delete", {**ent, "deleted": True})
    (revoke,) = discord_bot.wire.find(UNROLE_ROUTE)
    assert f"/guilds/{P.GUILD_ID}/members/802/roles/{P.PLAN_ROLE}" in revoke.url
    assert len(discord_bot.since(n)) >= 2


async def test_invite_and_kick_replies_add_and_remove_the_role(discord_bot, db):
    await discord_bot.interact(P.slash("whoami", uid=803, username="carol"))
    mid = await _member_id(db, 803)
    ex = discord_bot.client.executor
    await ex.run([Invite(mid, "discord", str(P.GUILD_ID), role=str(P.PLAN_ROLE), grant_id=5)])
    (grant,) = discord_bot.wire.find(ROLE_ROUTE)
    assert grant.url.endswith(f"/guilds/{P.GUILD_ID}/members/803/roles/{P.PLAN_ROLE}")
    assert grant.reason == "Syllabot grant 5"
    await ex.run([Kick(mid, "discord", str(P.GUILD_ID), role=str(P.PLAN_ROLE))])
    (revoke,) = discord_bot.wire.find(UNROLE_ROUTE)
    assert revoke.url.endswith(f"/members/803/roles/{P.PLAN_ROLE}")
    await ex.run([Kick(mid, "discord", str(P.GUILD_ID), hard=True)])
    (kick,) = discord_bot.wire.find("DELETE /guilds/{guild_id}/members/{user_id}")
    assert kick.url.endswith(f"/guilds/{P.GUILD_ID}/members/803")


async def test_grant_for_someone_not_in_the_guild_is_not_an_error(discord_bot, db):
    await discord_bot.interact(P.slash("whoami", uid=804, username="dan"))
    mid = await _member_id(db, 804)
    discord_bot.wire.fail(ROLE_ROUTE, 404, 10007, "Unknown Member")
    await discord_bot.client.executor.run(
        [Invite(mid, "discord", str(P.GUILD_ID), role=str(P.PLAN_ROLE))]
    )
    assert len(discord_bot.wire.find(ROLE_ROUTE)) == 1  # tried once, no crash, no retry loop


async def test_good_role_hierarchy_reports_nothing(discord_bot):
    assert await discord_bot.client.check_roles() == []
    assert not discord_bot.wire.find("POST /users/@me/channels")


async def test_plan_role_above_the_bot_is_reported_to_the_owner(discord_bot, texts):
    await discord_bot.feed("guild_create", P.guild(bot_role_position=2, plan_role_position=6))
    discord_bot.client._checked.clear()
    problems = await discord_bot.client.check_roles()
    assert [p.key for p in problems] == ["discord.role_hierarchy"]
    (dm,) = discord_bot.wire.find("POST /users/@me/channels")
    assert dm.body == {"recipient_id": OWNER_ID}  # the guild owner: no discord owner configured
    out = texts(discord_bot.wire.find("POST /channels/{channel_id}/messages"))
    assert "Pro members" in out and "above" in out and "Learning Club" in out


async def test_missing_manage_roles_and_missing_plan_role_are_reported(discord_bot, app):
    data = P.guild(bot_perms=0)
    data["roles"] = [r for r in data["roles"] if r["id"] != str(P.PLAN_ROLE)]
    await discord_bot.feed("guild_create", data)
    discord_bot.client._checked.clear()
    keys = {p.key for p in await discord_bot.client.check_roles()}
    assert keys == {"discord.manage_roles_missing", "discord.role_missing"}


async def test_replies_for_telegram_go_to_its_executor_and_never_come_back(discord_bot, app, db):
    await discord_bot.interact(P.slash("whoami", uid=805, username="fay"))
    mid = await _member_id(db, 805)
    handed: list[list] = []

    async def telegram_executor(replies):
        handed.append(list(replies))

    app.services.extras.setdefault("executors", {})["telegram"] = telegram_executor
    tg_invite = Invite(mid, "telegram", "-100123")
    dc_invite = Invite(mid, "discord", str(P.GUILD_ID), role=str(P.PLAN_ROLE))
    await discord_bot.client.executor.run([tg_invite, dc_invite])
    assert handed == [[tg_invite]]
    assert len(discord_bot.wire.find(ROLE_ROUTE)) == 1
    # What Telegram hands to us is done here, and its foreign part is not bounced back.
    run = app.services.extras["executors"]["discord"]
    await run([dc_invite, tg_invite])
    assert handed == [[tg_invite]] and len(discord_bot.wire.find(ROLE_ROUTE)) == 2


THREADS = (1 << 34) | (1 << 35) | (1 << 38)  # manage, create public, send in threads


async def test_help_channel_without_thread_permissions_is_reported_to_the_owner(
    discord_bot, monkeypatch, texts
):
    """The owner learns at start-up, not from the first question that cannot get a thread."""
    monkeypatch.setattr(discord_bot.client.app.settings, "discord_help_channel_id", P.HELP_CHANNEL)
    problems = await discord_bot.client.check_help_channel()
    assert [p.key for p in problems] == ["discord.thread_permissions_missing"]
    (dm,) = discord_bot.wire.find("POST /users/@me/channels")
    assert dm.body == {"recipient_id": OWNER_ID}
    out = texts(discord_bot.wire.find("POST /channels/{channel_id}/messages"))
    assert "Create Public Threads, Send Messages in Threads, Manage Threads" in out
    assert "help" in out and "Learning Club" in out
    # on_ready comes again after a reconnect: the owner is not told twice
    assert await discord_bot.client.check_help_channel() == []
    assert len(discord_bot.wire.find("POST /users/@me/channels")) == 1


async def test_help_channels_the_bot_can_use_report_nothing(discord_bot, monkeypatch):
    await discord_bot.feed("guild_create", P.guild(bot_perms=P.MANAGE_ROLES | THREADS))
    settings = discord_bot.client.app.settings
    for channel in (P.HELP_CHANNEL, P.FORUM_CHANNEL):
        monkeypatch.setattr(settings, "discord_help_channel_id", channel)
        discord_bot.client._help_checked = False  # as in a fresh process
        assert await discord_bot.client.check_help_channel() == []
    assert not discord_bot.wire.find("POST /users/@me/channels")


async def test_a_help_channel_that_does_not_exist_is_reported(discord_bot, monkeypatch):
    monkeypatch.setattr(discord_bot.client.app.settings, "discord_help_channel_id", 1234)
    problems = await discord_bot.client.check_help_channel()
    assert [(p.key, p.params) for p in problems] == [
        ("discord.help_channel_missing", {"channel": 1234})
    ]
    # No channel, so no guild of its own: the owner of the plans' guild hears it.
    (dm,) = discord_bot.wire.find("POST /users/@me/channels")
    assert dm.body == {"recipient_id": OWNER_ID}


async def test_a_member_not_on_the_server_is_sent_a_one_use_invite_to_it(discord_bot, db, app):
    """The role could not be added to someone not on the server, and nothing told them how
    to get there: a one-use, one-day invite to the server comes in a DM (once for a plan's
    roles), and the roles follow when they join (core's on_join)."""
    await discord_bot.interact(P.slash("whoami", uid=804, username="dora"))
    mid = await _member_id(db, 804)
    ex = discord_bot.client.executor
    role = str(P.PLAN_ROLE)
    invite = Invite(mid, "discord", str(P.GUILD_ID), role=role, grant_id=7)
    discord_bot.wire.fail(ROLE_ROUTE, 404, code=10007, message="Unknown Member")
    await ex.run([invite])
    assert not discord_bot.wire.find("POST /channels/{channel_id}/invites")  # no channel set
    app.services.settings.discord_invite_channel_id = P.HELP_CHANNEL
    for _ in range(2):  # a plan with two roles: two grants in one run, one invite
        discord_bot.wire.fail(ROLE_ROUTE, 404, code=10007, message="Unknown Member")
    await ex.run([invite, invite])
    (made,) = discord_bot.wire.find("POST /channels/{channel_id}/invites")
    assert f"/channels/{P.HELP_CHANNEL}/invites" in made.url
    assert made.body["max_uses"] == 1 and made.body["max_age"] == 86400 and made.body["unique"]
    dm = discord_bot.wire.find(MESSAGES)[-1]
    assert (
        "https://discord.gg/inv" in dm.body["content"] and "one use, 24 hours" in dm.body["content"]
    )
    discord_bot.wire.assert_spec_clean()
