"""POST /webhooks/stripe: raw body + Stripe-Signature to core; no rules here.

Status codes follow Stripe's retry contract: 400 for a forged or stale signature (never
retried usefully), 200 for applied events and replays, 500 when our write failed and was
rolled back (Stripe retries). Replies (DMs, invites, kicks) go to the reply sink the
composition root puts in `services.extras["reply_sink"]`, when there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.wiring import App
from core.payments.stripe import handle_webhook
from core.replies import AnyReply

log = logging.getLogger("syllabot.http.stripe")
PATH = "/webhooks/stripe"
MAX_BODY = 512 * 1024

ReplySink = Callable[[list[AnyReply]], Awaitable[None]]


def setup(web_app: web.Application, app: App) -> None:
    async def webhook(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="too large")
        body = await request.read()
        result = await handle_webhook(app.services, body, request.headers.get("Stripe-Signature"))
        sink: ReplySink | None = app.services.extras.get("reply_sink")
        if result.replies and sink is not None:
            try:
                await sink(result.replies)
            except Exception:  # noqa: BLE001 - the event is applied; delivery retries elsewhere
                log.exception("delivering replies of a stripe event failed")
        elif result.replies:
            log.info(
                "stripe event produced %d replies and no reply sink is wired", len(result.replies)
            )
        return web.Response(status=result.status, text=result.body)

    web_app.router.add_post(PATH, webhook)
