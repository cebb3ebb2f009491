"""Telegram webhook route on the shared aiohttp server; only Telegram knows the secret."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.wiring import App

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
        except (UnicodeDecodeError, json.JSONDecodeError):
            return web.Response(status=400, text="bad json")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        from bot.telegram.app import get_adapter

        await get_adapter(app).process(data)
        return web.Response(text="ok")

    web_app.router.add_post(PATH, receive)
