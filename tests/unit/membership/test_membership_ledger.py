"""The ledger: duplicates and concurrent workers grant once; a crash mid-way is completed."""

from __future__ import annotations

import asyncio

from membership_helpers import member_id
from sqlalchemy import func, select

from core.membership import service
from core.membership.jobs import complete
from core.payments import ledger, payload
from models.audit import AuditLog
from models.membership import Payment, Plan, Subscription


async def _intent(app, mid: int, provider: str = "demo") -> str:
    async with app.services.session_factory() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        _, signed = await payload.issue(s, app.services, mid, plan, provider, 900, "USD")
    return signed


def _charge(signed: str, charge_id: str = "ch_1", **kw) -> ledger.Charge:
    base = dict(provider="demo", charge_id=charge_id, amount=900, currency="usd", payload=signed)
    base.update(kw)
    return ledger.Charge(**base)


async def _state(db):
    async with db.session() as s:
        pays = (await s.execute(select(func.count(Payment.id)))).scalar_one()
        sub = (await s.execute(select(Subscription))).scalar_one_or_none()
        grants = (
            await s.execute(
                select(func.count(AuditLog.id)).where(AuditLog.action == "subscription.pay")
            )
        ).scalar_one()
        return pays, sub, grants


async def test_same_charge_twice_grants_once(app, db, clock):
    mid = await member_id(app, "console", "ann")
    signed = await _intent(app, mid)
    first = await ledger.in_transaction(
        app.services, lambda s: ledger.process(s, app.services, _charge(signed))
    )
    second = await ledger.in_transaction(
        app.services, lambda s: ledger.process(s, app.services, _charge(signed))
    )
    assert (first.status, second.status) == ("applied", "duplicate")
    pays, sub, grants = await _state(db)
    assert (pays, grants, sub.state) == (1, 1, "active")
    assert sub.current_period_end == clock.now().replace() + (sub.current_period_end - clock.now())
    assert (sub.current_period_end - clock.now()).days == 30


async def test_concurrent_workers_apply_one_charge_once(app, db):
    mid = await member_id(app, "console", "ben")
    signed = await _intent(app, mid)

    async def worker():
        return await ledger.in_transaction(
            app.services, lambda s: ledger.process(s, app.services, _charge(signed, "ch_race"))
        )

    results = await asyncio.gather(*(worker() for _ in range(6)))
    assert sorted(r.status for r in results) == ["applied"] + ["duplicate"] * 5
    pays, sub, grants = await _state(db)
    assert (pays, grants) == (1, 1)
    assert sub.state == "active"


async def test_two_open_sessions_racing_grant_once(app, db):
    """Session A records and holds its transaction open; session B applies the same charge."""
    mid = await member_id(app, "console", "cat")
    signed = await _intent(app, mid)
    a = app.services.session_factory()
    b = app.services.session_factory()
    try:
        await a.begin()
        res_a = await ledger.process(a, app.services, _charge(signed, "ch_two"))
        assert res_a.status == "applied"

        async def in_b():
            async with b.begin():
                return await ledger.process(b, app.services, _charge(signed, "ch_two"))

        task = asyncio.create_task(in_b())
        await asyncio.sleep(0.2)
        assert not task.done()  # B waits on A's row (PostgreSQL) or write lock (SQLite)
        await a.commit()
        res_b = await asyncio.wait_for(task, 15)
        assert res_b.status == "duplicate"
    finally:
        await a.close()
        await b.close()
    pays, _, grants = await _state(db)
    assert (pays, grants) == (1, 1)


async def test_crash_between_record_and_grant_is_completed_by_the_next_run(app, db, monkeypatch):
    mid = await member_id(app, "console", "dan")
    signed = await _intent(app, mid)
    real = service.activate_paid

    async def crash(*a, **kw):
        raise RuntimeError("worker died mid-grant")

    monkeypatch.setattr(service, "activate_paid", crash)
    res = await ledger.in_transaction(
        app.services, lambda s: ledger.process(s, app.services, _charge(signed))
    )
    assert res.status == "recorded"
    async with db.session() as s:
        pay = (await s.execute(select(Payment))).scalar_one()
        assert (pay.status, pay.member_id) == ("recorded", mid)
        assert (await s.execute(select(Subscription.state))).scalars().all() in ([], ["pending"])
    monkeypatch.setattr(service, "activate_paid", real)
    replies = await complete(app.services)
    assert any("Payment received" in getattr(r, "text", "") for r in replies)
    assert await complete(app.services) == []  # nothing left to complete
    again = await ledger.in_transaction(
        app.services, lambda s: ledger.process(s, app.services, _charge(signed))
    )
    assert again.status == "duplicate"
    pays, sub, grants = await _state(db)
    assert (pays, grants, sub.state) == (1, 1, "active")


async def test_rejections_store_reason_and_grant_nothing(app, db):
    mid = await member_id(app, "console", "eva")
    other = await member_id(app, "console", "fay")
    signed = await _intent(app, mid)
    body, sig = signed.rsplit(".", 1)
    cases = {
        "ch_forged": (
            _charge(body + ".AAAAAAAAAAAAAAAA", "ch_forged"),
            "membership.payload_forged",
        ),
        "ch_amount": (_charge(signed, "ch_amount", amount=899), "membership.wrong_amount"),
        "ch_cur": (_charge(signed, "ch_cur", currency="eur"), "membership.wrong_currency"),
        "ch_member": (_charge(signed, "ch_member", member_id=other), "membership.wrong_member"),
        "ch_plan": (
            ledger.Charge(
                "manual",
                "ch_plan",
                0,
                "MANUAL",
                member_id=mid,
                plan_code="gold",
                expect_amount=False,
            ),
            "membership.plan_unknown",
        ),
        "ch_unknown": (
            _charge(payload.sign("test-secret", mid, "monthly", "feedfacefeedface"), "ch_unknown"),
            "membership.payload_unknown",
        ),
    }
    for charge, reason in cases.values():
        res = await ledger.in_transaction(
            app.services, lambda s, c=charge: ledger.process(s, app.services, c)
        )
        assert (res.status, res.reason) == ("rejected", reason)
        replay = await ledger.in_transaction(
            app.services, lambda s, c=charge: ledger.process(s, app.services, c)
        )
        assert replay.status == "duplicate"  # a rejected charge stays rejected
    async with db.session() as s:
        notes = dict((await s.execute(select(Payment.provider_charge_id, Payment.note))).all())
        assert notes == {k: v[1] for k, v in cases.items()}
        assert set((await s.execute(select(Payment.status))).scalars()) == {"rejected"}
        assert (await s.execute(select(Subscription.state))).scalars().all() == []


async def test_payment_from_a_banned_member_is_rejected_not_left_pending(app, db):
    from models.member import Member

    mid = await member_id(app, "console", "gil")
    signed = await _intent(app, mid)
    async with app.services.session_factory() as s, s.begin():
        await service.grant(s, app.services, await s.get_one(Member, mid), "monthly", 3, "system")
        await service.ban(s, app.services, await s.get_one(Member, mid), "system", "fraud")
    res = await ledger.in_transaction(
        app.services, lambda s: ledger.process(s, app.services, _charge(signed, "ch_banned"))
    )
    assert (res.status, res.reason) == ("rejected", "membership.banned")
    assert await complete(app.services) == []  # nothing stuck for the completion job
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "banned"
        pay = (
            await s.execute(select(Payment).where(Payment.provider_charge_id == "ch_banned"))
        ).scalar_one()
        assert (pay.status, pay.member_id) == ("rejected", mid)


async def test_a_subscription_already_loaded_in_the_session_shows_the_payment(app, db, clock):
    """The grant writes on Core: a caller's ORM copy of the row (with a pending change, as the
    Stripe checkout makes) must neither go stale nor overwrite the payment at commit."""
    from core.membership import subscriptions

    mid = await member_id(app, "console", "hal")
    signed = await _intent(app, mid)
    async with app.services.session_factory() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        sub = await subscriptions.get_or_create(s, app.services, mid, plan, "demo")
        sub.external_ref = "sub_checkout_1"
        res = await ledger.process(s, app.services, _charge(signed))
        assert res.status == "applied"
        assert (sub.state, (sub.current_period_end - clock.now()).days) == ("active", 30)
    async with db.session() as s:
        row = (await s.execute(select(Subscription))).scalar_one()
        assert (row.state, row.external_ref) == ("active", "sub_checkout_1")
        assert (row.current_period_end - clock.now()).days == 30


async def test_a_dropped_connection_mid_payment_is_retried_on_a_fresh_one(app, db):
    """A pooled connection the server closed (restart, idle timeout) fails the first try;
    the pool discards it and the ledger retries the whole, idempotent, transaction."""
    from sqlalchemy.exc import DBAPIError

    mid = await member_id(app, "console", "ivy")
    signed = await _intent(app, mid)
    tries = []

    async def flaky(s):
        tries.append(1)
        if len(tries) == 1:
            raise DBAPIError(
                "SELECT 1", {}, Exception("connection closed"), connection_invalidated=True
            )
        return await ledger.process(s, app.services, _charge(signed, "ch_drop"))

    res = await ledger.in_transaction(app.services, flaky)
    assert (res.status, len(tries)) == ("applied", 2)
    pays, sub, grants = await _state(db)
    assert (pays, grants, sub.state) == (1, 1, "active")
