"""Fault injection with the real components; only the wire (Bot API, database connection) breaks.

After every fault and its recovery: no lost payment, no double grant, no duplicate message.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from e2e_tg_payloads import join_request, message, pre_checkout, successful_payment, user
from sqlalchemy import create_engine, func, select, text
from telegram.error import TimedOut

from core.errors import Unavailable
from core.membership import service as membership_service
from models.audit import AuditLog
from models.db import sync_url
from models.digest import Digest, Outbox
from models.inbound import InboundUpdate
from models.membership import AccessGrant, Payment, Subscription

ALICE = user(4242, "Alice", username="alice")


async def _count(db: Any, model: Any, *where: Any) -> int:
    async with db.session() as s:
        q = select(func.count()).select_from(model)
        for w in where:
            q = q.where(w)
        return (await s.execute(q)).scalar_one()


async def _invoice(tg: Any, wire: Any, who: dict[str, Any] = ALICE) -> str:
    await tg.process(message(who, "/subscribe monthly"))
    payload = wire.of("sendInvoice")[-1]["payload"]
    await tg.process(pre_checkout(who, 250, payload))
    assert wire.of("answerPreCheckoutQuery")[-1]["ok"] is True
    return payload


async def _state(db: Any) -> tuple[int, int, int, list[str]]:
    """(payments applied, active grants, payment.applied audits, subscription states)."""
    async with db.session() as s:
        states = list((await s.execute(select(Subscription.state))).scalars())
    return (
        await _count(db, Payment, Payment.status == "applied"),
        await _count(db, AccessGrant, AccessGrant.revoked_at.is_(None)),
        await _count(db, AuditLog, AuditLog.action == "payment.applied"),
        states,
    )


async def test_database_connection_dropped_while_applying_a_payment(app, db, tg, wire, monkeypatch):
    """The connection dies after the grant is written, before commit: nothing is half-applied;
    Telegram redelivers the update and it applies once."""
    payload = await _invoice(tg, wire)
    real = membership_service.activate_paid
    killed: list[int] = []

    async def dying(session: Any, *a: Any, **kw: Any) -> Any:
        out = await real(session, *a, **kw)
        if not killed:
            if db.kind == "postgres":
                pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                admin = create_engine(sync_url(db.url), isolation_level="AUTOCOMMIT")
                with admin.connect() as c:
                    c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                admin.dispose()
                killed.append(pid)
            else:  # SQLite has no server to lose: the file's connection errors the same way
                from sqlalchemy.exc import OperationalError

                killed.append(0)
                raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        return out

    monkeypatch.setattr(membership_service, "activate_paid", dying)
    upd = successful_payment(ALICE, 250, payload, "stxDROP0001")
    wire.clear()
    with pytest.raises(Unavailable):  # the webhook answers 503, so Telegram redelivers
        await tg.process(upd)
    assert killed
    assert await _state(db) == (0, 0, 0, [])
    assert await _count(db, Payment) == 0, "the payment row rolled back with everything else"
    seen = InboundUpdate.update_id == str(upd["update_id"])
    assert await _count(db, InboundUpdate, seen) == 0, "a failed update must stay redeliverable"
    assert wire.of("createChatInviteLink") == []
    # the retry (Telegram redelivers the same update) completes it, once
    await tg.process(upd)
    await tg.process(upd)
    applied, grants, audits, states = await _state(db)
    assert (applied, grants, audits, states) == (1, 1, 1, ["active"])
    assert len(wire.of("createChatInviteLink")) == 1


@pytest.mark.parametrize("how", ["crash", "killed"])
async def test_process_dies_between_payment_record_and_grant(
    app, db, clock, tg, wire, monkeypatch, how
):
    """crash: granting raises, the payment stays `recorded` and the job completes it.
    killed: the task is cancelled mid-transaction, nothing is kept, the redelivery applies it.
    Either way: one payment, one grant, one invite link."""
    payload = await _invoice(tg, wire)
    real = membership_service.activate_paid

    async def broken(session: Any, *a: Any, **kw: Any) -> Any:
        await real(session, *a, **kw)  # the grant rows are written, then the process dies
        if how == "crash":
            raise RuntimeError("segfault in a C extension")
        raise asyncio.CancelledError  # SIGTERM-ish: the task stops mid-transaction

    monkeypatch.setattr(membership_service, "activate_paid", broken)
    upd = successful_payment(ALICE, 250, payload, "stxKILL0001")
    wire.clear()
    if how == "killed":
        with pytest.raises(asyncio.CancelledError):
            await tg.process(upd)
        seen = InboundUpdate.update_id == str(upd["update_id"])
        assert await _count(db, Payment) == 0 and await _count(db, InboundUpdate, seen) == 0
    else:
        await tg.process(upd)
        assert await _count(db, Payment, Payment.status == "recorded") == 1
    assert await _count(db, AccessGrant) == 0 and wire.of("createChatInviteLink") == []
    monkeypatch.setattr(membership_service, "activate_paid", real)
    # the next run: a redelivery (killed) or the periodic job (crash), then both again
    from core.jobs import run_all

    sink = app.services.extras["reply_sink"]
    if how == "killed":
        await tg.process(upd)
    clock.advance(minutes=5)
    await sink(await run_all(app.services))
    await tg.process(upd)
    await sink(await run_all(app.services))
    applied, grants, audits, states = await _state(db)
    assert (applied, grants, audits, states) == (1, 1, 1, ["active"])
    assert len(wire.of("createChatInviteLink")) == 1
    wire.clear()
    await tg.process(join_request(ALICE))
    assert [c.method for c in wire.calls] == ["approveChatJoinRequest"]


class StormWire:
    """Wraps the fake wire's do_request: timeouts before the request reaches Telegram."""

    def __init__(self, wire: Any, timeouts: int) -> None:
        self.wire, self.left = wire, timeouts
        self.real = wire.do_request
        self.timed_out = 0

    async def do_request(self, url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        if url.endswith("/sendMessage") and self.left > 0 and self.left % 3 == 0:
            self.left -= 1
            self.timed_out += 1
            raise TimedOut("Timed out")
        if url.endswith("/sendMessage") and self.left > 0:
            self.left -= 1
        return await self.real(url, method, request_data, **kw)


async def test_outbox_delivers_everything_once_through_timeouts_5xx_and_429_storms(
    app, db, clock, tg, wire, monkeypatch
):
    from core.digest import delivery, outbox
    from core.digest.ratelimit import RateLimiter

    class SimTime:
        t = 0.0

        def monotonic(self) -> float:
            return self.t

        async def sleep(self, dt: float) -> None:
            self.t += dt

    st = SimTime()
    app.services.extras["digest.rate_limiter"] = RateLimiter(monotonic=st.monotonic, sleep=st.sleep)
    n = 60
    async with db.session() as s, s.begin():
        for i in range(n):
            await outbox.enqueue(
                s,
                payload={"text": f"note {i:03d}"},
                dedupe_key=f"fault:{i}",
                not_before=clock.now(),
                platform="telegram",
                target=str(7000 + i),
                now=clock.now(),
            )
    storm = StormWire(wire, timeouts=30)
    monkeypatch.setattr(wire, "do_request", storm.do_request)
    for _ in range(25):
        wire.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    for code, desc in [(500, "Internal Server Error"), (502, "Bad Gateway")] * 10:
        wire.fail("sendMessage", code, desc)
    rounds = 0
    while await _count(db, Outbox, Outbox.status != "sent") and rounds < 60:
        rounds += 1
        await delivery.drain(app.services, budget_s=30.0)
        clock.advance(seconds=30)
    assert storm.timed_out > 0 and not wire.state.failures["sendMessage"], "the storm happened"
    assert await _count(db, Outbox, Outbox.status == "sent") == n
    delivered = Counter(
        (int(c["chat_id"]), c["text"])
        for c in wire.of("sendMessage")
        if c.params.get("text", "").startswith("note")
    )
    assert set(delivered) == {(7000 + i, f"note {i:03d}") for i in range(n)}
    assert await _sent_ok(wire) == n, "each message got exactly one 200 from Telegram"


async def _sent_ok(wire: Any) -> int:
    """Successful sendMessage calls: recorded calls minus the ones answered with an error."""
    return len(wire.of("sendMessage")) - wire.state.errors_answered


@pytest.fixture(autouse=True)
def _count_errors(wire: Any) -> None:
    """Count error answers the wire gives (the fake records calls, not their outcome)."""
    wire.state.errors_answered = 0
    real = wire.do_request

    async def counting(url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        status, body = await real(url, method, request_data, **kw)
        if status != 200 and url.endswith("/sendMessage"):
            wire.state.errors_answered += 1
        return status, body

    wire.do_request = counting


async def test_clock_jumps_send_no_duplicate_digest_or_reminder(app, db, clock, tg, wire):
    """A month forward then an hour back (NTP step, VM restore): one digest per period, each
    membership reminder once."""
    from core.jobs import run_all
    from models.catalog import Course

    async with db.session() as s, s.begin():
        s.add(Course(slug="sql-joins", title="SQL joins", tags=["sql"], created_at=clock.now()))
    people = [user(6100 + i, f"P{i}", username=f"p{i}") for i in range(4)]
    for u in people:
        payload = await _invoice(tg, wire, u)
        await tg.process(successful_payment(u, 250, payload, f"stxJUMP{u['id']}"))
        await tg.process(message(u, "/digest daily"))
    sink = app.services.extras["reply_sink"]

    async def tick() -> None:
        await sink(await run_all(app.services))

    start = clock.now()
    for h in range(0, 24 * 26, 6):  # normal life: every 6 hours for 26 days
        clock.set(start + timedelta(hours=h))
        await tick()
    before = await _digests_and_reminders(db, wire)
    clock.set(start + timedelta(days=26, hours=30 * 24))  # a month forward in one step
    await tick()
    await tick()
    jumped = await _digests_and_reminders(db, wire)
    clock.set(clock.now() - timedelta(hours=1))  # and an hour back
    await tick()
    clock.set(clock.now() + timedelta(hours=1, minutes=5))
    await tick()
    after = await _digests_and_reminders(db, wire)
    digests, reminders = after
    assert len(digests) == len(set(digests)), "a digest period sent twice"
    assert all(n == 1 for n in reminders.values()), reminders
    assert before[0] and len(jumped[0]) - len(before[0]) <= len(people), (
        "a month's jump must not replay a month of digests"
    )
    assert after[0] == jumped[0] or len(after[0]) - len(jumped[0]) <= len(people)


async def _digests_and_reminders(db: Any, wire: Any) -> tuple[list[tuple[int, str]], Counter]:
    async with db.session() as s:
        digests = [
            (m, p)
            for m, p in (
                await s.execute(
                    select(Digest.member_id, Digest.period_key).where(Digest.status == "sent")
                )
            ).all()
        ]
    reminders: Counter[tuple[int, str]] = Counter(
        (int(c["chat_id"]), c["text"])
        for c in wire.of("sendMessage")
        if c.params.get("text", "").startswith("Reminder:")
    )
    return digests, reminders


async def test_a_stripe_outage_does_not_block_paying_with_stars(app, db, tg, wire):
    from core.payments import stripe as stripe_provider

    # Stripe is configured but api.stripe.com cannot be reached (nothing listens on port 9)
    app.services.extras[stripe_provider.CLIENT_KEY] = stripe_provider.make_client(
        "sk_test_down", base_url="http://127.0.0.1:9"
    )
    await tg.process(message(ALICE, "/subscribe monthly"))
    assert len(wire.of("sendInvoice")) == 1, [c["text"] for c in wire.of("sendMessage")]
