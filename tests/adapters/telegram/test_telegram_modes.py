"""Webhook (shared aiohttp server, secret checked) and long polling, plus the command menus."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from tg_payloads import message, user

from bot.telegram import runner
from bot.telegram.inbox import drain
from bot.telegram.updates import ALLOWED_UPDATES
from bot.web import build_web_app
from models.inbound import InboundUpdate

ALICE = user(4242, "Alice", username="alice")
WEBHOOK_SECRET = "s3cret-Token_42"  # as in conftest.py


async def _inbound(db) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(InboundUpdate))).scalar_one()


async def _applied(app) -> None:
    """The webhook answers once the update is in the inbox; wait for the consumers."""
    assert await drain(app.services.session_factory, app.services.clock, 20)


async def test_forged_webhook_secret_is_refused_and_changes_nothing(tg, wire, app, db):
    body = json.dumps(message(ALICE, "/whoami"))
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
            r = await client.post("/telegram/webhook", data=body, headers=headers)
            assert r.status == 403
        assert wire.calls == [] and await _inbound(db) == 0
        r = await client.post(
            "/telegram/webhook",
            data=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        assert r.status == 200
        await _applied(app)
    (reply,) = wire.of("sendMessage")
    assert reply["chat_id"] == 4242 and await _inbound(db) == 1


async def test_webhook_rejects_garbage_with_the_right_secret(tg, wire, app):
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        hdr = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        assert (await client.post("/telegram/webhook", data=b"{nope", headers=hdr)).status == 400
        assert (await client.post("/telegram/webhook", data=b"[1]", headers=hdr)).status == 400
    assert wire.calls == []


async def test_webhook_runner_registers_url_secret_and_update_kinds(tg, wire, app):
    stop = asyncio.Event()
    task = asyncio.create_task(runner.start(app, stop=stop))
    for _ in range(200):
        if wire.of("setWebhook"):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    (hook,) = wire.of("setWebhook")
    assert hook["url"] == "https://bot.example.org/telegram/webhook"
    assert hook["secret_token"] == WEBHOOK_SECRET
    assert hook["allowed_updates"] == ALLOWED_UPDATES
    assert hook["max_connections"] == runner.MAX_CONNECTIONS <= 100  # Telegram's maximum
    assert set(ALLOWED_UPDATES) >= {"chat_member", "chat_join_request", "pre_checkout_query"}


async def test_polling_asks_for_every_update_kind_and_serves_updates(tg, wire, app):
    app.settings.telegram_mode = "polling"
    wire.feed(message(ALICE, "/whoami"))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.start(app, stop=stop))
    for _ in range(300):
        if wire.of("sendMessage"):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 10)
    polls = wire.of("getUpdates")
    assert polls and all(p["allowed_updates"] == ALLOWED_UPDATES for p in polls)
    (reply,) = wire.of("sendMessage")
    assert reply["chat_id"] == 4242 and "Alice" in reply["text"]
    assert wire.of("setWebhook") == []


async def test_command_menus_per_language_and_a_moderator_menu_for_admins(tg, wire):
    await tg.set_commands()
    menus = {
        (c.params.get("language_code"), (c.params.get("scope") or {}).get("type")): c
        for c in wire.of("setMyCommands")
    }
    en = {c["command"]: c["description"] for c in menus[("en", None)]["commands"]}
    zh = {c["command"]: c["description"] for c in menus[("zh", None)]["commands"]}
    assert "help" in en and set(en) == set(zh) and en["help"] != zh["help"]
    mods = menus[("en", "all_chat_administrators")]["commands"]
    assert set(en) <= {c["command"] for c in mods}
    # a moderators' command with a members' version is in the members' menu, as theirs
    assert en["refund"] == "ask the moderators for a refund of your last payment"
    assert "ban" not in en and {c["command"]: c["description"] for c in mods}["refund"] == (
        "refund a member's payment"
    )
    # the configured moderator telegram:9000 gets the moderator menu in their private chat
    (own,) = [
        c for c in wire.of("setMyCommands") if (c.params.get("scope") or {}).get("type") == "chat"
    ]
    assert own["scope"]["chat_id"] == 9000


def test_runner_is_enabled_only_with_a_token():
    from config.settings import load_settings

    assert runner.enabled(load_settings(None, telegram_token="1:x"))
    assert not runner.enabled(load_settings(None))
    assert not runner.enabled(load_settings(None, telegram_token=""))


async def test_webhook_mode_without_a_usable_secret_does_not_register(tg, wire, app):
    from pydantic import SecretStr

    for bad in (None, SecretStr("has spaces!")):
        app.settings.telegram_webhook_secret = bad
        await asyncio.wait_for(runner.start(app), 5)  # returns at once, after logging why
    assert wire.of("setWebhook") == []


async def test_attach_makes_telegram_reachable_without_receiving_updates(tg, wire, app):
    await runner.attach(app)
    assert app.services.extras["deliverers"]["telegram"].platform == "telegram"
    assert "getUpdates" not in wire.methods() and "setWebhook" not in wire.methods()
