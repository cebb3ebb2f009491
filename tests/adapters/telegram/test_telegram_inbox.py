"""The webhook's durable inbox: acknowledged updates are applied exactly once, in order per
member, even across redeliveries, failed writes, outages and crashes (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from tg_payloads import (
    callback,
    chat_member,
    join_request,
    message,
    my_chat_member,
    pre_checkout,
    user,
)

from bot.telegram import inbox as inbox_mod
from bot.telegram.inbox import (
    KEEP_PROCESSED,
    LEASE,
    RETRY_AFTER,
    Inbox,
    InboxConsumer,
    InboxWriter,
    claim,
    drain,
    order_key,
)
from bot.web import build_web_app
from models.inbound import InboundUpdate
from models.inbox import InboxUpdate

ALICE = user(4242, "Alice", username="alice")
BOB = user(4343, "Bob", username="bob")
HDR = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_42"}  # as in conftest.py


def _client(app: Any) -> TestClient:
    return TestClient(TestServer(build_web_app(app), host="127.0.0.1"))


async def _count(db: Any, model: Any, *where: Any) -> int:
    async with db.session() as s:
        q = select(func.count()).select_from(model).where(*where)
        return int((await s.execute(q)).scalar_one())


async def _drained(app: Any, timeout: float = 20) -> bool:
    return await drain(app.services.session_factory, app.services.clock, timeout)


def _replies_to(wire: Any, uid: int) -> list[str]:
    return [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == uid]


async def test_a_redelivered_update_is_acknowledged_again_and_applied_once(tg, wire, app, db):
    upd = message(ALICE, "/whoami")
    async with _client(app) as client:
        for _ in range(3):  # Telegram retries when our answer was lost on the way
            r = await client.post("/telegram/webhook", data=json.dumps(upd), headers=HDR)
            assert r.status == 200
        assert await _drained(app)
        r = await client.post("/telegram/webhook", data=json.dumps(upd), headers=HDR)
        assert r.status == 200  # even after it was applied
        assert await _drained(app)
    assert len(_replies_to(wire, 4242)) == 1
    assert await _count(db, InboundUpdate) == 1
    assert await _count(db, InboxUpdate) == 1


async def test_a_failed_inbox_write_answers_503_and_applies_nothing(tg, wire, app, db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    real = InboxWriter._write

    async def broken(self: InboxWriter, rows: list[dict[str, Any]]) -> None:
        raise OperationalError("INSERT", {}, ConnectionResetError("server closed the connection"))

    monkeypatch.setattr(InboxWriter, "_write", broken)
    body = json.dumps(message(ALICE, "/whoami"))
    async with _client(app) as client:
        r = await client.post("/telegram/webhook", data=body, headers=HDR)
        assert r.status == 503  # not stored: Telegram must redeliver
        await asyncio.sleep(0.3)  # consumers polled meanwhile: nothing to apply
        assert wire.calls == [] and await _count(db, InboxUpdate) == 0
        assert await _count(db, InboundUpdate) == 0
        monkeypatch.setattr(InboxWriter, "_write", real)
        r = await client.post("/telegram/webhook", data=body, headers=HDR)  # the redelivery
        assert r.status == 200
        assert await _drained(app)
    assert len(_replies_to(wire, 4242)) == 1 and await _count(db, InboundUpdate) == 1


async def test_a_database_outage_while_applying_keeps_the_update_until_it_applies(
    tg, wire, app, db, clock, monkeypatch
):
    """Acknowledged already, so the inbox (not Telegram) retries; no apology is sent."""
    from sqlalchemy.exc import OperationalError

    import core.router

    real = core.router.resolve
    calls: list[int] = []

    async def flaky(*a: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(
                "SELECT", {}, ConnectionResetError("server closed the connection")
            )
        return await real(*a, **kw)

    monkeypatch.setattr(core.router, "resolve", flaky)
    async with _client(app) as client:
        r = await client.post(
            "/telegram/webhook", data=json.dumps(message(ALICE, "/whoami")), headers=HDR
        )
        assert r.status == 200
        for _ in range(500):
            if calls:
                break
            await asyncio.sleep(0.01)
        assert not await _drained(app, timeout=0.5)  # put back for RETRY_AFTER
        assert wire.calls == [] and await _count(db, InboundUpdate) == 0
        clock.advance(RETRY_AFTER + timedelta(seconds=1))
        assert await _drained(app)
    (text,) = _replies_to(wire, 4242)
    assert "on our side" not in text and "Alice" in text
    assert await _count(db, InboundUpdate) == 1


async def test_a_crash_after_the_ack_loses_nothing_and_the_restart_applies_once(
    tg, wire, app, db, monkeypatch
):
    started = Inbox.start
    monkeypatch.setattr(Inbox, "start", lambda self: None)  # the worker dies before applying
    async with _client(app) as client:
        for u in (ALICE, BOB):
            r = await client.post(
                "/telegram/webhook", data=json.dumps(message(u, "/whoami")), headers=HDR
            )
            assert r.status == 200
    assert (
        wire.calls == [] and await _count(db, InboxUpdate, InboxUpdate.processed_at.is_(None)) == 2
    )
    monkeypatch.setattr(Inbox, "start", started)
    async with _client(app):  # the restarted worker
        assert await _drained(app)
    assert len(_replies_to(wire, 4242)) == 1 and len(_replies_to(wire, 4343)) == 1
    assert await _count(db, InboundUpdate) == 2


async def test_a_crash_mid_way_is_retried_after_the_lease_and_applied_once(
    tg, wire, app, db, clock
):
    """The consumer applied the update (reply sent) but died before marking the row."""
    upd = message(ALICE, "/whoami")
    writer = InboxWriter(app.services.session_factory, clock)
    await writer.append(upd["update_id"], order_key(upd) or "", json.dumps(upd))
    await writer.close()
    ((uid, payload),) = await claim(app.services.session_factory, clock.now(), 8)
    await tg.process(json.loads(payload))  # ... and the process dies here
    assert len(_replies_to(wire, 4242)) == 1
    async with _client(app):
        assert not await _drained(app, timeout=0.5)  # the dead consumer's lease still holds
        clock.advance(LEASE + timedelta(seconds=1))
        assert await _drained(app)
    assert len(_replies_to(wire, 4242)) == 1, "applied again"
    assert await _count(db, InboundUpdate) == 1
    async with db.session() as s:
        row = (await s.execute(select(InboxUpdate))).scalar_one()
    assert row.update_id == uid and row.attempts == 2 and row.error is None


async def test_two_consumers_apply_each_members_updates_in_order_and_once(app, db, clock):
    """Apply takes random time; a member's rows must never overlap or overtake each other."""
    rng = random.Random(11)
    log: list[tuple[str, int, str]] = []

    async def apply(data: dict[str, Any]) -> None:
        key = str(data["message"]["from"]["id"])
        log.append((key, data["update_id"], "start"))
        await asyncio.sleep(rng.uniform(0, 0.01))
        log.append((key, data["update_id"], "end"))

    members = [user(7000 + n, f"M{n}", username=None) for n in range(8)]
    updates = [message(members[n % 8], f"/whoami {n}") for n in range(40)]
    writer = InboxWriter(app.services.session_factory, clock)
    await asyncio.gather(
        *(writer.append(u["update_id"], order_key(u) or "", json.dumps(u)) for u in updates)
    )
    await writer.close()
    consumers = [
        InboxConsumer(app.services.session_factory, clock, apply, batch=2, idle_poll_s=0.01)
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(c.run()) for c in consumers]
    try:
        assert await _drained(app)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(uid for _, uid, ev in log if ev == "start") == sorted(
        u["update_id"] for u in updates
    ), "each update applied exactly once"
    for m in members:
        mine = [(uid, ev) for key, uid, ev in log if key == str(m["id"])]
        expected = [u["update_id"] for u in updates if u["message"]["from"]["id"] == m["id"]]
        assert mine == [(uid, ev) for uid in expected for ev in ("start", "end")]
    assert all(c.applied > 0 for c in consumers), "both consumers took part"
    in_flight = max_in_flight = 0
    for _, _, ev in log:
        in_flight += 1 if ev == "start" else -1
        max_in_flight = max(max_in_flight, in_flight)
    assert max_in_flight > 1, "different members were applied concurrently"


async def test_webhook_replies_follow_each_members_order(tg, wire, app, db):
    sent = []
    for n in range(4):
        for u in (ALICE, BOB):
            sent.append(message(u, "/whoami" if n % 2 == 0 else "/help"))
    async with _client(app) as client:
        for upd in sent:
            r = await client.post("/telegram/webhook", data=json.dumps(upd), headers=HDR)
            assert r.status == 200
        assert await _drained(app)
    for u in (ALICE, BOB):
        texts = _replies_to(wire, u["id"])
        assert len(texts) == 4
        assert [u["first_name"] in t for t in texts] == [True, False, True, False], texts


async def test_an_update_that_can_never_apply_is_set_aside_without_blocking(
    tg, wire, app, db, clock
):
    bad = message(ALICE, "/whoami")
    bad["message"]["entities"] = "not a list"  # passes the webhook's shape check, not PTB's
    good = message(ALICE, "/whoami")
    async with _client(app) as client:
        for upd in (bad, good):
            r = await client.post("/telegram/webhook", data=json.dumps(upd), headers=HDR)
            assert r.status == 200
        assert await _drained(app)
    assert len(_replies_to(wire, 4242)) == 1
    async with db.session() as s:
        rows = {r.update_id: r for r in (await s.execute(select(InboxUpdate))).scalars()}
    assert rows[bad["update_id"]].error and rows[good["update_id"]].error is None


async def test_backlog_is_reported_and_old_processed_rows_are_pruned(
    tg, wire, app, db, clock, monkeypatch
):
    monkeypatch.setattr(Inbox, "start", lambda self: None)  # no consumers: rows wait
    async with _client(app) as client:
        for u in (ALICE, BOB):
            r = await client.post(
                "/telegram/webhook", data=json.dumps(message(u, "/whoami")), headers=HDR
            )
            assert r.status == 200
        clock.advance(seconds=42)
        health = await (await client.get("/healthz")).json()
        assert health["inbox"] == {"pending": 2, "oldest_s": 42.0}
        metrics = await (await client.get("/metrics")).text()
        assert "syllabot_inbox_pending 2" in metrics
        consumer = InboxConsumer(app.services.session_factory, clock, tg.process, batch=8)
        assert await consumer.run_once() == 2
        health = await (await client.get("/healthz")).json()
        assert health["inbox"]["pending"] == 0
    clock.advance(KEEP_PROCESSED + timedelta(seconds=1))
    fresh = message(ALICE, "/help")
    writer = InboxWriter(app.services.session_factory, clock)
    await writer.append(fresh["update_id"], "4242", json.dumps(fresh))
    await writer.close()
    assert await inbox_mod.prune(app.services.session_factory, clock.now()) == 2
    assert await _count(db, InboxUpdate) == 1  # the pending one stays


@pytest.mark.parametrize(
    ("upd", "key"),
    [
        (message(ALICE, "/subscribe monthly"), "4242"),
        (callback(ALICE, "plan:monthly"), "4242"),
        (pre_checkout(ALICE, 250, "p"), "4242"),
        (join_request(ALICE), "4242"),
        (chat_member(ALICE, "left", "member"), "4242"),
        (my_chat_member(ALICE, "member", "kicked"), "4242"),
        ({"update_id": 9, "poll": {"id": "1"}}, ""),  # never asked for: acknowledged only
        ({"update_id": 9, "message": {"message_id": 1, "date": 1, "chat": {"id": "x"}}}, None),
        ({"update_id": 9, "callback_query": {"id": "q", "from": {"id": True}}}, None),
    ],
)
def test_order_key_is_the_member_acting_and_refuses_impossible_shapes(
    upd: dict[str, Any], key: str | None
) -> None:
    assert order_key(upd) == key
