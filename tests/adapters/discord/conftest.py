"""Discord adapter fixtures: the real client and discord.py parsers on the `app` fixture,
HTTP faked at the route level (dc_wire) and checked against Discord's OpenAPI spec."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import dc_payloads as P
import pytest
from dc_wire import DiscordWire

from config.settings import Settings, load_settings


@pytest.fixture
def settings(db: Any) -> Settings:
    """Test settings plus a Discord token and a plan granting a role in the test guild."""
    return load_settings(
        None,
        database_url=db.url,
        moderator_ids=["console:mod", "telegram:9000", "discord:9000"],
        owner_ids=["console:owner"],
        secret_key="test-secret",
        discord_token="test-token",
        plans=[
            {
                "code": "pro",
                "title_en": "Pro",
                "title_zh": "专业版",
                "prices": {"stripe": {"amount": 1900, "currency": "usd"}},
                "period_days": 30,
                "discord_guild_id": P.GUILD_ID,
                "discord_role_ids": [P.PLAN_ROLE],
                "discord_sku_id": P.SKU_ID,
            }
        ],
    )


class Harness:
    """Feeds gateway JSON through discord.py's own parsers and waits for the handlers."""

    def __init__(self, client: Any, wire: DiscordWire) -> None:
        self.client = client
        self.wire = wire
        self.state = client._connection

    async def settle(self) -> None:
        """Run every task the parsers scheduled (command tree, views, event handlers)."""
        me = asyncio.current_task()
        for _ in range(50):
            pending = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
            pending = [t for t in pending if t not in self._baseline]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)
        raise AssertionError("tasks keep coming")

    async def feed(self, parser: str, data: dict[str, Any]) -> None:
        self._baseline = {t for t in asyncio.all_tasks() if not t.done()}
        getattr(self.state, f"parse_{parser}")(data)
        await self.settle()

    async def interact(self, data: dict[str, Any]) -> None:
        await self.feed("interaction_create", data)

    def since(self, n: int) -> list[Any]:
        return self.wire.calls[n:]


@pytest.fixture
async def discord_bot(app: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    from bot.discord.client import SyllabotDiscord
    from bot.discord.runner import attach

    client = SyllabotDiscord(app)
    wire = DiscordWire()
    wire.install(monkeypatch, client)
    await client.login("test-token")  # GET /users/@me, application info, command sync
    attach(app, client)
    harness = Harness(client, wire)
    await harness.feed("guild_create", P.guild())
    wire.channels.update({int(c["id"]): c for c in P.guild()["channels"]})  # GET /channels/{id}
    try:
        yield harness
    finally:
        await client.close()
        wire.assert_spec_clean()


@pytest.fixture
def texts() -> Callable[[list[Any]], str]:
    """Everything the bot wrote in these calls, as one string."""

    def join(calls: list[Any]) -> str:
        out: list[str] = []
        for c in calls:
            body = c.body if isinstance(c.body, dict) else {}
            data = body.get("data") if isinstance(body.get("data"), dict) else body
            for src in (data, data.get("message")):
                if isinstance(src, dict) and src.get("content"):
                    out.append(src["content"])
        return "\n".join(out)

    return join
