"""Production runtime: migrations done elsewhere; start what has tokens, plus web and scheduler."""

from __future__ import annotations

import asyncio
import importlib
import logging

from bot.wiring import build_app
from config.settings import Settings

log = logging.getLogger("syllabot.runtime")

# role -> modules exposing `async def start(app) -> None` (runs until cancelled)
COMPONENTS = {
    "web": ["bot.web"],
    "gateway": ["bot.telegram.runner", "bot.discord.runner"],
    "scheduler": ["core.digest.scheduler_runner"],
}


async def serve(settings: Settings, role: str) -> None:
    app = build_app(settings)
    await app.startup()
    roles = ["web", "gateway", "scheduler"] if role == "all" else [role]
    if "gateway" not in roles and settings.telegram_token is not None:
        # Processes that don't receive updates still send (outbox, job replies) via Telegram.
        from bot.telegram.runner import attach

        await attach(app)
    if "gateway" not in roles and settings.discord_token is not None:
        # Discord too, over HTTP only: the gateway connection belongs to the gateway process.
        from bot.discord.runner import attach_sender, enabled

        if enabled(settings):
            await attach_sender(app)
    tasks = []
    for r in roles:
        for mod_name in COMPONENTS[r]:
            try:
                mod = importlib.import_module(mod_name)
            except ModuleNotFoundError as exc:
                if exc.name and mod_name.startswith(exc.name):
                    log.info("%s not available in this build", mod_name)
                    continue
                raise
            if getattr(mod, "enabled", lambda _s: True)(settings):
                log.info("starting %s", mod_name)
                tasks.append(asyncio.create_task(mod.start(app), name=mod_name))
    try:
        if not tasks:
            log.error("nothing to run: set SYLLABOT_TELEGRAM_TOKEN or SYLLABOT_DISCORD_TOKEN")
            return
        await asyncio.gather(*tasks)
    finally:
        if "discord_sender" in app.services.extras:
            from bot.discord.runner import detach_sender

            await detach_sender(app)
        await app.close()
