"""`syllabot run` starts this when SYLLABOT_DISCORD_TOKEN is set."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord

from bot.discord.client import SyllabotDiscord
from bot.discord.deliver import DiscordDeliverer
from bot.discord.execute import Origin
from config.settings import Settings
from core.replies import AnyReply

if TYPE_CHECKING:
    from bot.wiring import App

log = logging.getLogger("syllabot.discord")

# (members, message content): what we ask for, then less when the portal has it off.
PRIVILEGED_FALLBACK = ((True, True), (True, False), (False, False))


def enabled(settings: Settings) -> bool:
    return settings.discord_token is not None and bool(settings.discord_token.get_secret_value())


def attach(app: App, client: SyllabotDiscord) -> None:
    """Make this client reachable by core: outbox deliverer and the replies executor."""

    async def run_replies(replies: list[AnyReply]) -> None:
        await client.executor.run(replies, Origin(), hand_over=False)

    app.services.extras.setdefault("deliverers", {})["discord"] = DiscordDeliverer(client)
    app.services.extras.setdefault("executors", {})["discord"] = run_replies


async def attach_sender(
    app: App, *, make_client: Callable[[App], SyllabotDiscord] | None = None
) -> SyllabotDiscord:
    """Send-only Discord for a process without the gateway (e.g. `--role scheduler`).

    Logs in over HTTP (`GET /users/@me`, application info) and never opens a gateway
    connection, so it can run beside the gateway process without taking over its session.
    Registers the outbox deliverer and the replies executor like the gateway does; commands
    are not synced here (the gateway process does that). Close it with `detach_sender`."""
    assert app.settings.discord_token is not None
    client = (
        make_client(app)
        if make_client
        else SyllabotDiscord(app, members_intent=False, content_intent=False, sync=False)
    )
    await client.login(app.settings.discord_token.get_secret_value())
    attach(app, client)
    app.services.extras["discord_sender"] = client
    log.info("discord attached send-only (no gateway) as %s", client.user)
    return client


async def detach_sender(app: App) -> None:
    client = app.services.extras.pop("discord_sender", None)
    if client is not None:
        await _close(client)


async def start(app: App) -> None:
    """Connect (sharded) until cancelled; without a privileged intent, go on without the
    events it gives rather than not at all."""
    assert app.settings.discord_token is not None
    token = app.settings.discord_token.get_secret_value()
    for members, content in PRIVILEGED_FALLBACK:
        client = SyllabotDiscord(app, members_intent=members, content_intent=content)
        attach(app, client)
        try:
            await client.start(token)
            return
        except discord.PrivilegedIntentsRequired:
            log.error(
                "Discord refused a privileged intent (members=%s, message content=%s); "
                "enable it under Bot → Privileged Gateway Intents. Trying with less.",
                members,
                content,
            )
        finally:
            await _close(client)


async def _close(client: SyllabotDiscord) -> None:
    """Close whatever was opened; a client that never connected has no shards to close."""
    try:
        await client.close()
    except AttributeError:  # AutoShardedClient before its first connect
        await client.http.close()
