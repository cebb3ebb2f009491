"""`syllabot run` entry for Telegram: long polling (development) or webhook registration."""

from __future__ import annotations

import asyncio
import logging
import re

from bot.telegram.app import get_adapter
from bot.telegram.updates import ALLOWED_UPDATES
from bot.wiring import App
from config.settings import Settings

log = logging.getLogger("syllabot.telegram")

SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token
# Parallel webhook connections Telegram may open (its maximum; default 40). The webhook only
# appends to the inbox, so more connections raise throughput instead of queueing work.
MAX_CONNECTIONS = 100


def enabled(settings: Settings) -> bool:
    return settings.telegram_token is not None and bool(settings.telegram_token.get_secret_value())


async def attach(app: App) -> None:
    """Make Telegram reachable for core in a process that does not receive updates (e.g.
    `--role scheduler`): registers the outbox deliverer and the replies executor."""
    await get_adapter(app).initialize()


async def start(app: App, *, stop: asyncio.Event | None = None) -> None:
    """Run until cancelled (or `stop` is set). Webhook updates arrive through bot.web."""
    adapter = get_adapter(app)
    s = app.settings
    if s.telegram_mode == "webhook" and (not s.public_url or s.telegram_webhook_secret is None):
        log.error(
            "telegram webhook mode needs SYLLABOT_PUBLIC_URL and SYLLABOT_TELEGRAM_WEBHOOK_SECRET"
        )
        return
    secret = s.telegram_webhook_secret.get_secret_value() if s.telegram_webhook_secret else ""
    if s.telegram_mode == "webhook" and not SECRET_RE.fullmatch(secret):
        log.error("SYLLABOT_TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z a-z 0-9 _ -")
        return
    await adapter.initialize()
    application = adapter.application
    await adapter.set_commands()
    await adapter.check_forum()
    waiter = stop or asyncio.Event()
    if s.telegram_mode == "webhook":
        await adapter.bot.set_webhook(
            adapter.webhook_url(),
            allowed_updates=ALLOWED_UPDATES,
            secret_token=secret,
            max_connections=MAX_CONNECTIONS,
        )
        log.info("telegram webhook set to %s", adapter.webhook_url())
        try:
            await waiter.wait()
        finally:
            await application.shutdown()
        return
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
    log.info("telegram polling as @%s", adapter.bot.username)
    try:
        await waiter.wait()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
