"""Start-up, slow answers and membership gateway events."""

from __future__ import annotations

import dc_payloads as P
from sqlalchemy import select

import bot.discord.client as client_mod
from bot.discord import runner
from models.inbound import InboundUpdate

EPHEMERAL = 64


def test_enabled_only_with_a_token(settings):
    assert runner.enabled(settings)
    assert not runner.enabled(settings.model_copy(update={"discord_token": None}))


def test_intents_ask_only_for_what_is_used():
    i = client_mod.intents(members=True, content=False)
    assert i.guilds and i.members and i.guild_messages and i.dm_messages
    assert not (i.message_content or i.presences or i.voice_states or i.guild_reactions)


async def test_start_falls_back_when_privileged_intents_are_off(app, monkeypatch):
    import discord

    tried: list[tuple[bool, bool]] = []

    async def fake_start(self, token, *, reconnect=True):
        tried.append((self.intents.members, self.intents.message_content))
        if self.intents.members:
            raise discord.PrivilegedIntentsRequired(0)

    monkeypatch.setattr(client_mod.SyllabotDiscord, "start", fake_start)
    await runner.start(app)
    assert tried == [(True, True), (True, False), (False, False)]
    assert app.services.extras["deliverers"]["discord"].platform == "discord"


async def test_slow_answers_show_thinking_then_follow_up(discord_bot, monkeypatch):
    monkeypatch.setattr(client_mod, "DEFER_AFTER", 0.0)
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.slash("link", uid=990, username="slow"))
    calls = discord_bot.since(n)
    assert [c.route.split(" ")[0] for c in calls] == ["POST", "POST"]
    defer, follow = calls
    assert defer.body["type"] == 5  # deferred: "Syllabot is thinking…"
    assert "/webhooks/" in follow.url and "link code" in follow.body["content"]


async def test_member_join_reaches_the_router_and_leave_does_not_crash(discord_bot, db):
    await discord_bot.feed("guild_member_add", P.member_add(991, "newbie"))
    await discord_bot.feed(
        "guild_member_remove", {"guild_id": str(P.GUILD_ID), "user": P.user(991, "newbie")}
    )
    async with db.session() as s:
        ids = (await s.execute(select(InboundUpdate.update_id))).scalars().all()
    assert any(i.startswith(f"join:{P.GUILD_ID}:991:") for i in ids)
