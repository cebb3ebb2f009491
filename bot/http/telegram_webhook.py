"""Telegram webhook route on the shared aiohttp server; only Telegram knows the secret."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.wiring import App
from core.errors import Unavailable

log = logging.getLogger("syllabot.telegram.webhook")

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


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
        try:
            data = json.loads(await request.read())
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested to blow the stack
            return web.Response(status=400, text="bad json")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if type(update_id) is not int:  # bool is an int to isinstance
            return web.Response(status=400, text="not an update")
        from bot.telegram.app import get_adapter

        try:
            await get_adapter(app).process(data)
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError):
            # PTB could not build an Update from it (handler errors never reach here: PTB
            # hands those to the adapter's error handler). Retrying would not help.
            log.warning("telegram webhook: malformed update %s refused", update_id)
            return web.Response(status=400, text="malformed update")
        except Unavailable:  # rolled back, update id included: Telegram retries it later
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    web_app.router.add_post(PATH, receive)
