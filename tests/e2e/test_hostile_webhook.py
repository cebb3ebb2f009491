"""Hostile input at the Telegram webhook: oversized, malformed and injected updates.

Each one must get a clear refusal (an HTTP status Telegram understands, or a polite reply) and
change nothing: no rows, no Bot API calls beyond the refusal itself.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from e2e_tg_payloads import callback, message, user
from sqlalchemy import func, select

from models.base import Base

HDR = {"X-Telegram-Bot-Api-Secret-Token": "e2e-Secret_token-1"}  # conftest.WEBHOOK_SECRET
EVE = user(777001, "Eve", username="eve")


async def _rows(db: Any) -> dict[str, int]:
    """Row count of every table: the fingerprint 'nothing changed' is checked against."""
    import models  # noqa: F401 - registers every table

    out = {}
    async with db.session() as s:
        for name, table in Base.metadata.tables.items():
            out[name] = (await s.execute(select(func.count()).select_from(table))).scalar_one()
    return out


def _client(app: Any) -> TestClient:
    from bot.web import build_web_app

    return TestClient(TestServer(build_web_app(app), host="127.0.0.1"))


async def test_oversized_and_malformed_updates_are_refused_and_change_nothing(tg, wire, app, db):
    before = await _rows(db)
    ok = message(EVE, "/whoami")
    bodies: list[tuple[bytes, int]] = [
        # over the server's 1 MiB body limit
        (json.dumps({**ok, "pad": "x" * (1024 * 1024)}).encode(), 413),
        # deeply nested JSON (a parser recursion bomb) under the size limit
        (b"[" * 200_000, 400),
        (b'{"update_id": ' + b"[" * 100_000 + b"}", 400),
        (b"\xff\xfe not utf-8", 400),
        (b"null", 400),
        (json.dumps({**ok, "update_id": "12"}).encode(), 400),
        (json.dumps({**ok, "update_id": True}).encode(), 400),
    ]
    async with _client(app) as client:
        for body, status in bodies:
            r = await client.post("/telegram/webhook", data=body, headers=HDR)
            assert r.status == status, (body[:40], r.status, await r.text())
        # shapes the Bot API never sends: Telegram must not be asked to retry them forever
        for bad in (
            {"update_id": 1, "message": "not an object"},
            {"update_id": 2, "message": {"text": "/whoami"}},  # no chat, no date, no sender
            {"update_id": 3, "message": {**ok["message"], "from": {"id": "x"}}},
            {"update_id": 4, "callback_query": {"id": "q"}},
            {"update_id": 5, "message": {**ok["message"], "chat": None}},
        ):
            r = await client.post("/telegram/webhook", data=json.dumps(bad), headers=HDR)
            assert r.status in (200, 400), (bad, r.status)
    assert await _rows(db) == before
    assert wire.calls == []


async def test_over_long_text_is_refused_and_changes_nothing_but_the_member(tg, wire, app, db):
    limit = app.settings.max_text_length
    await tg.process(message(EVE, "/whoami"))
    before = await _rows(db)
    wire.clear()
    await tg.process(message(EVE, "/ask " + "why " * limit))
    (reply,) = wire.of("sendMessage")
    assert str(limit) in reply["text"], reply["text"]
    after = await _rows(db)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {
        "inbound_update": 1
    }


INJECTED = "[claim your refund](https://evil.example/x) **now** <b>hi</b> <a href='x'>y</a>"


async def test_markdown_and_html_in_names_and_questions_render_literally(tg, wire, app, db):
    evil = user(777002, INJECTED[:60], username="mallory")
    await tg.process(message(evil, "/whoami"))
    await tg.process(message(evil, f"/ask {INJECTED} how do I write a LEFT JOIN?"))
    sent = [c for c in wire.calls if "text" in c.params]
    assert sent, "the bot answered"
    for c in sent:
        text = str(c.params["text"])
        assert "evil.example" not in text or "<a href" not in text, text
        assert "<b>hi</b>" not in text and "<a href='x'>" not in text, text
    whoami = next(c for c in sent if "Mallory" not in c["text"] and "claim" in c["text"])
    assert "&lt;b&gt;" in whoami["text"] or "<b>" not in whoami["text"]


async def test_a_member_pressing_a_moderators_confirm_button_changes_nothing(tg, wire, app, db):
    """Privilege escalation through a forwarded, validly signed moderator button."""
    mod = user(9000, "Mod", username="moderator")
    await tg.process(message(EVE, "/whoami"))
    await tg.process(message(mod, "/ban @eve spam"))
    markup = wire.of("sendMessage")[-1]["reply_markup"]
    confirm = markup["inline_keyboard"][0][0]["callback_data"]
    before = await _rows(db)
    wire.clear()
    await tg.process(callback(EVE, confirm))  # Eve got hold of the signed button
    after = await _rows(db)
    changed = {k for k in after if after[k] != before[k]}
    assert changed <= {"inbound_update"}, changed
    assert not wire.of("banChatMember")
    from models.member import Member

    async with db.session() as s:
        roles = (await s.execute(select(Member.role, Member.display_name))).all()
    assert ("banned", "Eve") not in roles
    # the moderator's own button still works afterwards: Eve did not use it up
    await tg.process(callback(mod, confirm))
    async with db.session() as s:
        roles = (await s.execute(select(Member.role, Member.display_name))).all()
    assert ("banned", "Eve") in roles
