"""Telegram webhook route on the shared aiohttp server; only Telegram knows the secret.

The route only checks the secret, size and shape, then appends the raw update to the durable
inbox (bot/telegram/inbox.py) and answers 200 once it is committed; the inbox consumers that
start with the server apply it. A failed inbox write answers 503, so Telegram redelivers.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web

from bot.telegram.inbox import Inbox, order_key
from bot.wiring import App
from core.errors import Unavailable

log = logging.getLogger("syllabot.telegram.webhook")

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
INBOX_KEY: web.AppKey[Inbox] = web.AppKey("telegram_inbox", Inbox)
# Answer 503 rather than keep Telegram waiting: well under its webhook timeout, and a late
# commit is harmless (the redelivery is a no-op insert).
ACK_TIMEOUT_S = 10.0
# Consumers per worker process, rows each leases per claim, and rows each applies at once:
# 2 x 4 sessions stay inside the engine's pool of 10, next to the writer's one; leasing 32 at
# a time keeps claims (one index range over the backlog) rare. SQLite: one consumer.
CONSUMERS, CONSUMER_BATCH, CONSUMER_WIDTH = 2, 32, 4


def setup(web_app: web.Application, app: App) -> None:
    s = app.settings
    token = s.telegram_token.get_secret_value() if s.telegram_token else ""
    if not token or s.telegram_mode != "webhook":
        return
    secret = s.telegram_webhook_secret.get_secret_value() if s.telegram_webhook_secret else ""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("telegram webhook: wrong or missing secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        raw = await request.read()
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested to blow the stack
            return web.Response(status=400, text="bad json")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if type(update_id) is not int:  # bool is an int to isinstance
            return web.Response(status=400, text="not an update")
        key = order_key(data)
        if key is None:  # the Bot API always sends these fields; a retry would not help
            log.warning("telegram webhook: malformed update %s refused", update_id)
            return web.Response(status=400, text="malformed update")
        if not key:  # an update kind we do not ask for
            return web.Response(text="ok")
        try:
            body = raw.decode("utf-8")  # stored as received; JSON may also come as UTF-16
        except UnicodeDecodeError:
            return web.Response(status=400, text="bad json")
        try:
            await asyncio.wait_for(
                request.app[INBOX_KEY].writer.append(update_id, key, body), ACK_TIMEOUT_S
            )
        except (Unavailable, TimeoutError):  # not stored: Telegram retries it later
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    async def start_inbox(web_app: web.Application) -> None:
        from bot.telegram.app import get_adapter

        async def apply(data: dict[str, object]) -> None:
            await get_adapter(app).process(data)

        sqlite = app.settings.database_url.startswith("sqlite")
        inbox = Inbox(
            app.services.session_factory,
            app.services.clock,
            apply,
            consumers=1 if sqlite else CONSUMERS,
            batch=CONSUMER_BATCH,
            width=CONSUMER_WIDTH,
        )
        web_app[INBOX_KEY] = inbox
        inbox.start()

    async def stop_inbox(web_app: web.Application) -> None:
        await web_app[INBOX_KEY].stop()

    web_app.on_startup.append(start_inbox)
    web_app.on_cleanup.append(stop_inbox)
    web_app.router.add_post(PATH, receive)
