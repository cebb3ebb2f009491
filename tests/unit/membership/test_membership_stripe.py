"""Stripe: Checkout through the real library against a local fake API; signed webhooks."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from membership_helpers import demo_settings
from sqlalchemy import func, select

from core.events import Actor, Chat, Command, Message
from core.payments import stripe as stripe_provider
from core.replies import Invoice, Reply
from models.membership import Payment, Subscription, WebhookEvent

DATA = Path(__file__).parents[2] / "data" / "stripe"
SECRET = "whsec_test_secret"


@pytest.fixture
def settings(db: Any):
    return demo_settings(
        db.url,
        demo=False,
        stripe_secret_key="sk_test_123",
        stripe_webhook_secret=SECRET,
        public_url="https://bot.example.org",
    )


def event(kind: str, event_id: str, **obj: Any) -> bytes:
    body = json.loads((DATA / f"{kind}.json").read_text())
    body["id"] = event_id
    body["type"] = kind if kind != "checkout.session.completed" else body["type"]
    body["data"]["object"].update(obj)
    return json.dumps(body).encode()


def sign(body: bytes, secret: str = SECRET, at: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=at)


class _Seen(list[dict[str, list[str]]]):
    down = False


@pytest.fixture
async def fake_stripe_api(app):
    """A local stand-in for api.stripe.com: records form posts, answers like Stripe.
    `seen.down = True` makes subscription updates fail as an outage would."""
    seen = _Seen()

    async def create(request: web.Request) -> web.Response:
        seen.append(parse_qs(await request.text()))
        n = len(seen)
        return web.json_response(
            {
                "id": f"cs_test_{n}",
                "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/cs_test_{n}",
            }
        )

    async def refund(request: web.Request) -> web.Response:
        seen.append({"refund": [request.path], **parse_qs(await request.text())})
        return web.json_response({"id": "re_1", "object": "refund", "status": "succeeded"})

    async def update_subscription(request: web.Request) -> web.Response:
        if seen.down:
            return web.json_response(
                {"error": {"type": "api_error", "message": "down"}}, status=500
            )
        sid = request.match_info["sid"]
        form = parse_qs(await request.text())
        seen.append({"subscription": [sid], **form})
        flag = form["cancel_at_period_end"] == ["true"]
        return web.json_response(
            {"id": sid, "object": "subscription", "cancel_at_period_end": flag}
        )

    async def open_invoices(request: web.Request) -> web.Response:
        seen.append({"invoices": [request.query_string]})
        sub = request.query.get("subscription", "")
        found = [
            {
                "id": f"in_open_{sub}",
                "object": "invoice",
                "status": "open",
                "hosted_invoice_url": f"https://invoice.stripe.com/i/{sub}",
            }
        ]
        return web.json_response(
            {"object": "list", "data": found, "has_more": False, "url": "/v1/invoices"}
        )

    async def get_subscription(request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        seen.append({"retrieve": [sid]})
        return web.json_response({"id": sid, "object": "subscription", "customer": f"cus_{sid}"})

    async def portal(request: web.Request) -> web.Response:
        if seen.down:
            return web.json_response(
                {"error": {"type": "api_error", "message": "down"}}, status=500
            )
        form = parse_qs(await request.text())
        seen.append({"portal": [request.path], **form})
        return web.json_response(
            {
                "id": "bps_1",
                "object": "billing_portal.session",
                "url": f"https://billing.stripe.com/p/session/{form['customer'][0]}",
            }
        )

    wapp = web.Application()
    wapp.router.add_get("/v1/subscriptions/{sid}", get_subscription)
    wapp.router.add_post("/v1/billing_portal/sessions", portal)
    wapp.router.add_get("/v1/invoices", open_invoices)
    wapp.router.add_post("/v1/checkout/sessions", create)
    wapp.router.add_post("/v1/refunds", refund)
    wapp.router.add_post("/v1/subscriptions/{sid}", update_subscription)
    server = TestServer(wapp, host="127.0.0.1")
    await server.start_server()
    app.services.extras[stripe_provider.CLIENT_KEY] = stripe_provider.make_client(
        "sk_test_123", base_url=str(server.make_url("")).rstrip("/")
    )
    yield seen
    await server.close()


async def _checkout(app, user: str = "dana") -> tuple[Invoice, str]:
    out = await app.router.dispatch(
        Command(
            Actor("discord", user, username=user),
            Chat("discord", user),
            name="subscribe",
            args="monthly",
        )
    )
    inv = next(r for r in out if isinstance(r, Invoice))
    return inv, inv.payload


async def test_checkout_session_is_created_with_price_and_signed_payload(app, fake_stripe_api):
    inv, payload = await _checkout(app)
    assert inv.provider == "stripe" and inv.url == "https://checkout.stripe.com/c/pay/cs_test_1"
    form = fake_stripe_api[0]
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][unit_amount]"] == ["900"]
    assert form["line_items[0][price_data][currency]"] == ["usd"]
    assert form["metadata[payload]"] == [payload]
    assert form["success_url"] == ["https://bot.example.org/stripe/done"]


async def test_webhook_over_http_grants_once_and_ignores_replays(app, db, fake_stripe_api):
    _, payload = await _checkout(app)
    sink: list[Any] = []

    async def collect(replies):
        sink.extend(replies)

    app.services.extras["reply_sink"] = collect
    from bot.web import build_web_app

    body = event(
        "checkout.session.completed", "evt_1", id="cs_test_1", metadata={"payload": payload}
    )
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        r = await client.post(
            "/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(body)}
        )
        assert r.status == 200 and await r.text() == "ok"
        r = await client.post(
            "/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(body)}
        )
        assert r.status == 200 and await r.text() == "duplicate"
        # Same session again under another event id (async_payment_succeeded): still one grant.
        again = json.loads(body)
        again["id"], again["type"] = "evt_2", "checkout.session.async_payment_succeeded"
        b2 = json.dumps(again).encode()
        r = await client.post("/webhooks/stripe", data=b2, headers={"Stripe-Signature": sign(b2)})
        assert r.status == 200
        forged = body.replace(b"900", b"901")
        r = await client.post(
            "/webhooks/stripe", data=forged, headers={"Stripe-Signature": sign(body)}
        )
        assert r.status == 400
    assert [r.text for r in sink if isinstance(r, Reply)][0].startswith("Payment received")
    async with db.session() as s:
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 1
        sub = (await s.execute(select(Subscription))).scalar_one()
        assert sub.state == "active"
        assert (await s.execute(select(func.count(WebhookEvent.id)))).scalar_one() == 2


async def test_forged_stale_and_missing_signatures_are_400_and_change_nothing(
    app, db, fake_stripe_api
):
    _, payload = await _checkout(app)
    body = event(
        "checkout.session.completed", "evt_9", id="cs_test_1", metadata={"payload": payload}
    )
    cases = [
        sign(body, secret="whsec_other"),
        sign(body, at=int(time.time()) - 301),
        None,
        "t=1,v1=deadbeef",
    ]
    for header in cases:
        res = await stripe_provider.handle_webhook(app.services, body, header)
        assert res.status == 400, header
    async with db.session() as s:
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 0
        assert (await s.execute(select(func.count(WebhookEvent.id)))).scalar_one() == 0


@pytest.mark.parametrize(
    "change, reason",
    [({"amount_total": 100}, "wrong_amount"), ({"currency": "eur"}, "wrong_currency")],
)
async def test_wrong_amount_or_currency_is_rejected_and_flagged(
    app, db, fake_stripe_api, change, reason
):
    await app.router.dispatch(Command(Actor("console", "mod"), Chat("console", "mod"), name="help"))
    _, payload = await _checkout(app)
    body = event(
        "checkout.session.completed",
        "evt_3",
        id="cs_test_1",
        metadata={"payload": payload},
        **change,
    )
    res = await stripe_provider.handle_webhook(app.services, body, sign(body))
    assert res.status == 200
    texts = [r.text for r in res.replies if isinstance(r, Reply)]
    assert any("could not be accepted" in t for t in texts)
    assert any("was rejected" in t for t in texts)  # the moderators' flag
    async with db.session() as s:
        pay = (await s.execute(select(Payment))).scalar_one()
        assert (pay.status, pay.note) == ("rejected", f"membership.{reason}")
        assert (await s.execute(select(Subscription.state))).scalars().all() in ([], ["pending"])


async def test_forged_payload_in_a_validly_signed_event_grants_nothing(app, db, fake_stripe_api):
    _, payload = await _checkout(app)
    forged = (
        payload.rsplit(".", 1)[0].replace(".monthly.", ".yearly.") + "." + payload.rsplit(".", 1)[1]
    )
    body = event(
        "checkout.session.completed", "evt_4", id="cs_test_1", metadata={"payload": forged}
    )
    res = await stripe_provider.handle_webhook(app.services, body, sign(body))
    assert res.status == 200
    async with db.session() as s:
        assert (await s.execute(select(Payment.note))).scalar_one() == "membership.payload_forged"


async def test_our_write_failing_answers_500_then_the_retry_applies(
    app, db, fake_stripe_api, monkeypatch
):
    _, payload = await _checkout(app)
    body = event(
        "checkout.session.completed", "evt_5", id="cs_test_1", metadata={"payload": payload}
    )
    real = stripe_provider._apply_event

    async def broken(*a, **kw):
        await real(*a, **kw)  # writes happen, then the failure rolls all of them back
        raise RuntimeError("disk full")

    monkeypatch.setattr(stripe_provider, "_apply_event", broken)
    res = await stripe_provider.handle_webhook(app.services, body, sign(body))
    assert res.status == 500
    async with db.session() as s:
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 0
        assert (await s.execute(select(func.count(WebhookEvent.id)))).scalar_one() == 0
    monkeypatch.setattr(stripe_provider, "_apply_event", real)
    res = await stripe_provider.handle_webhook(app.services, body, sign(body))
    assert res.status == 200 and res.body == "ok"
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "active"


async def test_subscription_lifecycle_paid_failed_renewed_deleted_refunded(
    app, db, clock, fake_stripe_api
):
    _, payload = await _checkout(app)
    sent = 0

    async def post(kind: str, **obj: Any):
        nonlocal sent
        sent += 1
        body = event(kind, f"evt_l{sent}", **obj)
        res = await stripe_provider.handle_webhook(app.services, body, sign(body))
        assert res.status == 200, res.body
        return res

    async def sub_row():
        async with db.session() as s:
            return (await s.execute(select(Subscription))).scalar_one()

    await post(
        "checkout.session.completed",
        id="cs_test_1",
        mode="subscription",
        payment_status="paid",
        subscription="sub_A",
        metadata={"payload": payload},
    )
    assert (await sub_row()).external_ref == "sub_A"
    details = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_A", "metadata": {"payload": payload}},
    }
    await post("invoice.paid", id="in_1", parent=details)
    first = await sub_row()
    assert first.state == "active" and first.auto_renew
    body = event("invoice.paid", "evt_x", id="in_1", parent=details)
    await stripe_provider.handle_webhook(app.services, body, sign(body))  # same invoice, new event
    assert (await sub_row()).current_period_end == first.current_period_end
    failed = json.loads(event("invoice.paid", "evt_f", id="in_2", parent=details))
    failed["type"] = "invoice.payment_failed"
    failed["data"]["object"]["hosted_invoice_url"] = "https://invoice.stripe.com/i/in_2"
    fb = json.dumps(failed).encode()
    res = await stripe_provider.handle_webhook(app.services, fb, sign(fb))
    (told,) = [r for r in res.replies if isinstance(r, Reply) and "renewal payment for" in r.text]
    # Stripe's page for the failed invoice takes another card: one tap away.
    assert [b.url for row in told.buttons for b in row] == ["https://invoice.stripe.com/i/in_2"]
    assert (await sub_row()).state == "past_due"
    # Buying the plan again would open a second Stripe subscription next to the one Stripe
    # is still retrying: the member is sent to the open invoice instead.
    sessions = len([f for f in fake_stripe_api if "mode" in f])
    out = await app.router.dispatch(
        Command(Actor("discord", "dana"), Chat("discord", "dana"), name="subscribe", args="monthly")
    )
    assert "would start a second subscription" in out[0].text
    assert [b.url for row in out[0].buttons for b in row] == ["https://invoice.stripe.com/i/sub_A"]
    assert len([f for f in fake_stripe_api if "mode" in f]) == sessions
    await post("invoice.paid", id="in_2", parent=details)
    renewed = await sub_row()
    assert renewed.state == "active"
    assert (renewed.current_period_end - first.current_period_end).days == 30
    deleted = json.loads(event("invoice.paid", "evt_d", id="sub_A"))
    deleted["type"] = "customer.subscription.deleted"
    db_ = json.dumps(deleted).encode()
    await stripe_provider.handle_webhook(app.services, db_, sign(db_))
    assert (await sub_row()).state == "cancelled"
    await post("charge.refunded", id="ch_1", payment_intent=None, invoice="in_2")
    assert (await sub_row()).state == "refunded"
    async with db.session() as s:
        statuses = (
            await s.execute(select(Payment.provider_charge_id, Payment.status).order_by(Payment.id))
        ).all()
    assert [tuple(r) for r in statuses] == [("in_1", "applied"), ("in_2", "refunded")]


async def test_cancel_and_resume_tell_stripe_first_and_portal_changes_are_mirrored(
    app, db, clock, fake_stripe_api
):
    """Before, /cancel only changed our row: Stripe went on billing a member who had
    cancelled, and the next invoice.paid quietly made them active again."""
    _, payload = await _checkout(app)
    sent = 0

    async def post(kind: str, type_: str | None = None, **obj: Any) -> list[Any]:
        nonlocal sent
        sent += 1
        body = json.loads(event(kind, f"evt_r{sent}", **obj))
        body["type"] = type_ or body["type"]
        raw = json.dumps(body).encode()
        res = await stripe_provider.handle_webhook(app.services, raw, sign(raw))
        assert res.status == 200, res.body
        return [r.text for r in res.replies if isinstance(r, Reply)]

    async def say(name: str, args: str = "") -> str:
        out = await app.router.dispatch(
            Command(
                Actor("discord", "dana", username="dana"),
                Chat("discord", "dana"),
                name=name,
                args=args,
            )
        )
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    async def sub_row() -> Subscription:
        async with db.session() as s:
            return (await s.execute(select(Subscription))).scalar_one()

    def portal(cancel: bool) -> dict[str, Any]:
        return {"id": "sub_A", "cancel_at_period_end": cancel}

    await post(
        "checkout.session.completed",
        id="cs_test_1",
        mode="subscription",
        payment_status="paid",
        subscription="sub_A",
        metadata={"payload": payload},
    )
    details = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_A", "metadata": {"payload": payload}},
    }
    await post("invoice.paid", id="in_1", parent=details)
    assert (await sub_row()).auto_renew
    fake_stripe_api.down = True  # Stripe unreachable: nothing changes, the member hears why
    assert "Payments are not available right now" in await say("cancel")
    row = await sub_row()
    assert (row.state, row.auto_renew) == ("active", True)
    fake_stripe_api.down = False
    assert "will not renew" in await say("cancel")
    assert fake_stripe_api[-1] == {"subscription": ["sub_A"], "cancel_at_period_end": ["true"]}
    row = await sub_row()
    assert (row.state, row.auto_renew) == ("cancelled", False)
    # Buying it again would start a second subscription: /resume is pointed out.
    again = await say("subscribe", "monthly")
    assert "/resume keeps it going with nothing to pay now" in again
    # Stripe echoes our own change: nothing new to tell the member.
    assert await post("invoice.paid", "customer.subscription.updated", **portal(True)) == []
    assert "will renew again" in await say("resume")
    assert fake_stripe_api[-1] == {"subscription": ["sub_A"], "cancel_at_period_end": ["false"]}
    row = await sub_row()
    assert (row.state, row.auto_renew, row.cancelled_at) == ("active", True, None)
    assert "renews" in await say("status")
    # A plan that renews by itself is not sold twice: a second Stripe subscription would bill
    # twice. Another plan can be bought, with a word that this one keeps renewing.
    sessions = len(fake_stripe_api)
    assert "already renews by itself" in await say("subscribe", "monthly")
    assert len(fake_stripe_api) == sessions
    yearly = await say("subscribe", "yearly")
    assert "“Monthly membership” renews by itself" in yearly and "/cancel monthly" in yearly
    assert len(fake_stripe_api) == sessions + 1  # the yearly checkout
    assert await post("invoice.paid", "customer.subscription.updated", **portal(False)) == []
    # The member cancels, then resumes, in Stripe's customer portal.
    said = await post("invoice.paid", "customer.subscription.updated", **portal(True))
    assert len(said) == 1 and "will not renew" in said[0]
    assert (await sub_row()).state == "cancelled"
    said = await post("invoice.paid", "customer.subscription.updated", **portal(False))
    assert len(said) == 1 and "will renew again" in said[0]
    assert (await sub_row()).state == "active"
    # Once the paid period is over there is nothing left to resume.
    assert "will not renew" in await say("cancel")
    calls = len(fake_stripe_api)
    # The reminder before the end says one word keeps it going, not "buy it again".
    from core.jobs import run_all

    end = (await sub_row()).current_period_end
    clock.advance(end - timedelta(days=2) - clock.now())
    told = [r.text for r in await run_all(app.services) if isinstance(r, Reply)]
    assert [t for t in told if "because you cancelled it" in t and "/resume" in t], told
    clock.advance(timedelta(days=40))
    assert "no cancelled plan to resume" in await say("resume")
    assert len(fake_stripe_api) == calls


async def test_moderator_refund_goes_back_through_stripe_once(app, db, fake_stripe_api):
    from core.membership import service

    _, payload = await _checkout(app)
    body = event(
        "checkout.session.completed", "evt_r", id="cs_test_1", metadata={"payload": payload}
    )
    assert (await stripe_provider.handle_webhook(app.services, body, sign(body))).status == 200
    async with db.session() as s:
        pay_id = (await s.execute(select(Payment.id))).scalar_one()
    async with app.services.session_factory() as s, s.begin():
        out = await service.refund(s, app.services, pay_id, actor="system", reason="asked")
    assert any("refunded" in r.text for r in out if isinstance(r, Reply))
    refunds = [f for f in fake_stripe_api if "refund" in f]
    assert refunds == [{"refund": ["/v1/refunds"], "payment_intent": ["pi_test_CHANGE"]}]
    # Stripe then tells us about the refund: nothing more happens.
    body = event("charge.refunded", "evt_r2", id="ch_1")
    res = await stripe_provider.handle_webhook(app.services, body, sign(body))
    assert res.status == 200 and res.replies == []
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "refunded"
        assert (await s.execute(select(Payment.status))).scalar_one() == "refunded"


async def test_access_taken_away_stops_the_stripe_renewal_or_tells_the_moderators(
    app, db, fake_stripe_api
):
    """A revoked, banned or refunded member must not be billed again: the next invoice.paid
    would charge them and make them active again."""
    from core.membership import service
    from models.member import Member

    await app.router.dispatch(Command(Actor("console", "mod"), Chat("console", "mod"), name="help"))

    async def subscribed(user: str, n: int) -> int:
        _, payload = await _checkout(app, user)
        body = event(
            "checkout.session.completed",
            f"evt_s{n}",
            id=f"cs_test_{n}",
            mode="subscription",
            payment_status="paid",
            subscription=f"sub_{user}",
            metadata={"payload": payload},
        )
        assert (await stripe_provider.handle_webhook(app.services, body, sign(body))).status == 200
        details = {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": f"sub_{user}",
                "metadata": {"payload": payload},
            },
        }
        body = event("invoice.paid", f"evt_i{n}", id=f"in_{user}", parent=details)
        assert (await stripe_provider.handle_webhook(app.services, body, sign(body))).status == 200
        async with db.session() as s:
            sub = (
                await s.execute(
                    select(Subscription).where(Subscription.external_ref == f"sub_{user}")
                )
            ).scalar_one()
            assert sub.auto_renew
            return sub.member_id

    async def renews(mid: int) -> bool:
        async with db.session() as s:
            q = select(Subscription.auto_renew).where(Subscription.member_id == mid)
            return (await s.execute(q)).scalar_one()

    dana = await subscribed("dana", 1)
    # A moderator's gift of days keeps it a Stripe subscription (a grant used to turn it
    # into a non-renewing one, and the revoke below then never reached Stripe).
    async with app.services.session_factory() as s, s.begin():
        await service.grant(s, app.services, await s.get_one(Member, dana), "monthly", 7, "system")
    async with db.session() as s:
        sub = (
            await s.execute(select(Subscription).where(Subscription.member_id == dana))
        ).scalar_one()
        assert (sub.source, sub.auto_renew) == ("stripe", True)
    # A voucher redeemed for the same plan adds its days the same way.
    from core.payments import codes

    async with app.services.session_factory() as s, s.begin():
        (code,) = await codes.create(s, app.services, "monthly")
    redeemed = await app.router.dispatch(
        Command(Actor("discord", "dana"), Chat("discord", "dana"), name="redeem", args=code)
    )
    assert any(isinstance(r, Reply) and "active until" in r.text for r in redeemed), redeemed
    async with db.session() as s:
        q = select(Subscription.source, Subscription.auto_renew)
        assert tuple((await s.execute(q.where(Subscription.member_id == dana))).one()) == (
            "stripe",
            True,
        )
    async with app.services.session_factory() as s, s.begin():
        await service.revoke(s, app.services, await s.get_one(Member, dana), actor="system")
    assert fake_stripe_api[-1] == {"subscription": ["sub_dana"], "cancel_at_period_end": ["true"]}
    assert not await renews(dana)
    # Stripe is down when a moderator bans eve: the ban still applies, moderators hear it.
    eve = await subscribed("eve", 2)
    fake_stripe_api.down = True
    async with app.services.session_factory() as s, s.begin():
        out = await service.ban(s, app.services, await s.get_one(Member, eve), actor="system")
    flags = [r.text for r in out if isinstance(r, Reply) and "could not reach stripe" in r.text]
    assert flags and f"Member #{eve} lost access" in flags[0]
    async with db.session() as s:
        q = select(Subscription.state).where(Subscription.member_id == eve)
        assert (await s.execute(q)).scalar_one() == "banned"
    fake_stripe_api.down = False
    # A refund ends access, so it stops the renewal too (once: Stripe's echo changes nothing).
    fay = await subscribed("fay", 3)
    async with db.session() as s:
        pay_id = (await s.execute(select(Payment.id).where(Payment.member_id == fay))).scalar_one()
    async with app.services.session_factory() as s, s.begin():
        await service.refund(s, app.services, pay_id, actor="system", reason="asked")
    stops = [f for f in fake_stripe_api if f.get("subscription") == ["sub_fay"]]
    assert stops == [{"subscription": ["sub_fay"], "cancel_at_period_end": ["true"]}]
    assert not await renews(fay)


async def test_a_stripe_that_hangs_is_given_up_on_quickly_and_changes_nothing(app, db):
    """The library's default is to wait 80 s; the member hears back after our timeout."""
    hang = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await hang.wait()
        return web.json_response({})

    wapp = web.Application()
    wapp.router.add_post("/v1/checkout/sessions", slow)
    server = TestServer(wapp, host="127.0.0.1")
    await server.start_server()
    try:
        app.services.extras[stripe_provider.CLIENT_KEY] = stripe_provider.make_client(
            "sk_test_123", base_url=str(server.make_url("")).rstrip("/"), timeout=0.5
        )
        started = time.monotonic()
        out = await app.router.dispatch(
            Command(
                Actor("discord", "dana"), Chat("discord", "dana"), name="subscribe", args="monthly"
            )
        )
        assert time.monotonic() - started < 10
        assert "Payments are not available right now" in out[0].text
        async with db.session() as s:
            assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 0
    finally:
        hang.set()
        await server.close()
    assert stripe_provider.TIMEOUT_S <= 20  # the production client does not wait 80 s either


async def test_a_chargeback_is_put_before_the_moderators(app, db, fake_stripe_api):
    await app.router.dispatch(Command(Actor("console", "mod"), Chat("console", "mod"), name="help"))
    _, payload = await _checkout(app)
    body = event(
        "checkout.session.completed", "evt_d1", id="cs_test_1", metadata={"payload": payload}
    )
    assert (await stripe_provider.handle_webhook(app.services, body, sign(body))).status == 200
    dispute = json.loads(event("charge.refunded", "evt_d2", id="dp_1"))
    dispute["type"] = "charge.dispute.created"
    dispute["data"]["object"].update(payment_intent="pi_test_CHANGE", charge="ch_1")
    raw = json.dumps(dispute).encode()
    res = await stripe_provider.handle_webhook(app.services, raw, sign(raw))
    said = [r.text for r in res.replies if isinstance(r, Reply)]
    assert said and all("disputed at the bank" in t for t in said)
    async with db.session() as s:  # access unchanged until a person decides
        assert (await s.execute(select(Subscription.state))).scalar_one() == "active"


async def test_a_second_provider_billing_the_same_plan_is_put_before_the_moderators(
    app, db, clock, fake_stripe_api
):
    """Discord's store sells around /subscribe: a member with a Stripe subscription who also
    buys the plan in Discord pays twice, and only a person can sort it out."""
    from membership_helpers import set_targets

    from core.events import EntitlementChanged

    await set_targets(app, "monthly", discord_sku="sku42", discord_guild="g1", discord_roles=["r1"])
    await app.router.dispatch(Command(Actor("console", "mod"), Chat("console", "mod"), name="help"))
    _, payload = await _checkout(app)
    for kind, eid, obj in (
        (
            "checkout.session.completed",
            "evt_x1",
            {
                "id": "cs_test_1",
                "mode": "subscription",
                "payment_status": "paid",
                "subscription": "sub_A",
                "metadata": {"payload": payload},
            },
        ),
        (
            "invoice.paid",
            "evt_x2",
            {
                "id": "in_1",
                "parent": {
                    "type": "subscription_details",
                    "subscription_details": {
                        "subscription": "sub_A",
                        "metadata": {"payload": payload},
                    },
                },
            },
        ),
    ):
        body = event(kind, eid, **obj)
        assert (await stripe_provider.handle_webhook(app.services, body, sign(body))).status == 200
    out = await app.router.dispatch(
        EntitlementChanged(
            Actor("discord", "dana", username="dana"),
            Chat("discord", "dana"),
            "ent-upd",
            action="create",
            entitlement_id="ent9",
            sku_id="sku42",
            ends_at=clock.now() + timedelta(days=30),
        )
    )
    told = [r.text for r in out if isinstance(r, Reply) and "pays for plan monthly twice" in r.text]
    assert told and "through stripe and through discord" in told[0]


async def _make_recurring(db, provider: str, code: str = "monthly") -> None:
    from models.membership import Plan

    async with db.session() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == code))).scalar_one()
        plan.prices = {**plan.prices, provider: {**plan.prices[provider], "recurring": True}}


async def test_a_recurring_plan_checks_out_as_a_stripe_subscription(app, db, fake_stripe_api):
    await _make_recurring(db, "stripe")
    _, payload = await _checkout(app)
    form = fake_stripe_api[0]
    assert form["mode"] == ["subscription"]  # Stripe bills each month; invoice.paid renews
    assert form["line_items[0][price_data][recurring][interval]"] == ["month"]
    assert form["line_items[0][price_data][recurring][interval_count]"] == ["1"]
    assert form["line_items[0][price_data][unit_amount]"] == ["900"]
    assert form["subscription_data[metadata][payload]"] == [payload]
    assert not [k for k in form if k.startswith("payment_intent_data")]


def test_billing_interval_follows_the_plan_period():
    assert stripe_provider.billing_interval(30) == {"interval": "month", "interval_count": 1}
    assert stripe_provider.billing_interval(90) == {"interval": "month", "interval_count": 3}
    assert stripe_provider.billing_interval(365) == {"interval": "year", "interval_count": 1}
    assert stripe_provider.billing_interval(14) == {"interval": "week", "interval_count": 2}
    assert stripe_provider.billing_interval(10) == {"interval": "day", "interval_count": 10}


async def test_a_subscription_bought_during_a_trial_first_charges_when_the_trial_ends(
    app, db, clock, fake_stripe_api
):
    """Before, a member on day 2 of a 7-day free trial who subscribed through Stripe was
    charged at once and their paid month started that day: the 5 trial days were lost
    (a code's or a grant's days the same). Now Stripe's first charge waits for them."""
    from core.jobs import run_all

    await _make_recurring(db, "stripe")
    dana, here = Actor("discord", "dana", username="dana"), Chat("discord", "dana")
    await app.router.dispatch(Command(dana, here, name="subscribe", args=""))  # she is known
    from core.events import Button

    trial = app.services.signer.encode("mtrial", "monthly")
    assert "free trial" in (await app.router.dispatch(Button(dana, here, "b1", data=trial)))[0].text
    clock.advance(timedelta(days=2))

    async def sub_row() -> Subscription:
        async with db.session() as s:
            return (await s.execute(select(Subscription))).scalar_one()

    trial_end = (await sub_row()).current_period_end
    inv, payload = await _checkout(app)
    assert fake_stripe_api[-1]["subscription_data[trial_end]"] == [str(int(trial_end.timestamp()))]
    assert "first charges you on 2026-03-09 09:00 UTC" in inv.description

    sent = 0

    async def post(kind: str, **obj: Any) -> list[str]:
        nonlocal sent
        sent += 1
        body = event(kind, f"evt_t{sent}", **obj)
        res = await stripe_provider.handle_webhook(app.services, body, sign(body))
        assert res.status == 200, res.body
        return [r.text for r in res.replies if isinstance(r, Reply)]

    await post(
        "checkout.session.completed",
        id="cs_test_1",
        mode="subscription",
        payment_status="paid",
        subscription="sub_T",
        metadata={"payload": payload},
    )
    details = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_T", "metadata": {"payload": payload}},
    }
    # Stripe opens the subscription with a $0 invoice: set up, nothing paid, no day added
    told = await post("invoice.paid", id="in_0", parent=details, amount_paid=0, total=0)
    assert len(told) == 1 and "Nothing is charged until 2026-03-09 09:00 UTC" in told[0]
    row = await sub_row()
    assert (row.state, row.auto_renew, row.source) == ("trialing", True, "stripe")
    assert row.current_period_end == trial_end
    assert await post("invoice.paid", id="in_0", parent=details, amount_paid=0, total=0) == []
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Payment))).scalar_one() == 0
    # the trial ends; the hour until Stripe's charge is not a "free trial has ended"
    clock.advance(trial_end + timedelta(hours=1) - clock.now())
    assert [r for r in await run_all(app.services) if isinstance(r, Reply)] == []
    line = {
        "object": "line_item",
        "period": {"start": 0, "end": int(trial_end.timestamp()) + 30 * 86400},
    }
    await post("invoice.paid", id="in_1", parent=details, lines={"object": "list", "data": [line]})
    row = await sub_row()
    assert (row.state, row.current_period_end) == ("active", trial_end + timedelta(days=30))
    # from the first charge on, /cancel goes through Stripe
    out = await app.router.dispatch(Command(dana, here, name="cancel"))
    assert "will not renew" in out[0].text
    assert fake_stripe_api[-1] == {"subscription": ["sub_T"], "cancel_at_period_end": ["true"]}


async def test_a_member_with_no_days_left_is_charged_at_once(app, db, fake_stripe_api):
    await _make_recurring(db, "stripe")
    inv, payload = await _checkout(app)
    assert not [k for k in fake_stripe_api[-1] if "trial_end" in k]
    assert "first charges" not in inv.description
    # a $0 invoice with no days of ours to wait for (a coupon made at Stripe) is not a price
    # this bot set: refused and put before the moderators, as any wrong amount
    details = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_Z", "metadata": {"payload": payload}},
    }
    body = event("invoice.paid", "evt_z0", id="in_z0", parent=details, amount_paid=0, total=0)
    res = await stripe_provider.handle_webhook(app.services, body, sign(body))
    assert res.status == 200
    async with db.session() as s:
        subs = (await s.execute(select(Subscription))).scalars().all()
        assert not [x for x in subs if x.auto_renew or x.state == "active"]


async def test_billing_sends_a_renewing_member_to_stripes_page_for_their_card(
    app, db, fake_stripe_api
):
    """ "how do i update my payment method so my membership doesn't lapse", "where do i put
    the new card" opened public threads: the card is at Stripe, which the bot never sees."""

    async def said(text: str, command: str | None = None) -> list[Reply]:
        chat = Chat("discord", "dana")
        actor = Actor("discord", "dana", username="dana")
        ev = (
            Command(actor, chat, name=command, args="")
            if command
            else Message(actor, chat, text=text)
        )
        return [r for r in await app.router.dispatch(ev) if isinstance(r, Reply)]

    (none,) = await said("", "billing")
    assert none.text.startswith("You have no plan yet, so there is no card on file.")
    _, payload = await _checkout(app)
    raw = event(
        "checkout.session.completed",
        "evt_b1",
        id="cs_test_1",
        mode="subscription",
        payment_status="paid",
        subscription="sub_B",
        metadata={"payload": payload},
    )
    assert (await stripe_provider.handle_webhook(app.services, raw, sign(raw))).status == 200
    body = json.loads(event("invoice.paid", "evt_b2", id="in_b1"))
    body["data"]["object"]["parent"] = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_B", "metadata": {"payload": payload}},
    }
    raw = json.dumps(body).encode()
    assert (await stripe_provider.handle_webhook(app.services, raw, sign(raw))).status == 200
    (out,) = await said("", "billing")
    assert out.text.startswith("Your Monthly membership renews by card through Stripe.")
    assert [b.url for row in out.buttons for b in row] == [
        "https://billing.stripe.com/p/session/cus_sub_B"
    ]
    assert fake_stripe_api[-1] == {
        "portal": ["/v1/billing_portal/sessions"],
        "customer": ["cus_sub_B"],
        "return_url": ["https://bot.example.org/stripe/done"],
    }
    # asked in words, in a private chat
    (out,) = await said("hi my bank sent me a new card, how do i update my payment method?")
    assert out.buttons and "billing.stripe.com" in (out.buttons[0][0].url or "")
    fake_stripe_api.down = True
    (out,) = await said("", "billing")
    assert out.text.startswith("Stripe's billing page cannot be opened right now.")


async def test_billing_for_a_plan_without_a_card_says_there_is_nothing_to_update(app):
    async def say(name: str, args: str = "") -> str:
        out = await app.router.dispatch(
            Command(
                Actor("discord", "tia", username="tia"),
                Chat("discord", "tia"),
                name=name,
                args=args,
            )
        )
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    await say("trial", "monthly")
    said = await say("billing")
    assert said.startswith("Your plan does not renew by card (it came from a trial")


async def test_a_stripe_gift_is_one_payment_for_all_seats_and_its_refund_ends_them(
    app, db, fake_stripe_api
):
    """Even for a plan Stripe renews, a gift checks out as one payment (quantity = seats);
    the webhook's amount must be the whole; Stripe's refund ends the code and the seats."""
    await _make_recurring(db, "stripe")
    buyer = Actor("discord", "gina", username="gina")
    out = await app.router.dispatch(
        Command(buyer, Chat("discord", "gina"), name="gift", args="monthly 4")
    )
    inv = next(r for r in out if isinstance(r, Invoice))
    assert inv.amount == 3600 and inv.url == "https://checkout.stripe.com/c/pay/cs_test_1"
    form = fake_stripe_api[0]
    assert form["mode"] == ["payment"]
    assert form["line_items[0][quantity]"] == ["4"]
    assert form["line_items[0][price_data][unit_amount]"] == ["900"]
    assert not [k for k in form if "recurring" in k or k.startswith("subscription_data")]
    one_seat = event(
        "checkout.session.completed",
        "evt_g0",
        id="cs_test_0",
        payment_intent="pi_other",
        metadata={"payload": inv.payload},
    )
    res = await stripe_provider.handle_webhook(app.services, one_seat, sign(one_seat))
    assert any("36.00 USD" in r.text for r in res.replies if isinstance(r, Reply))
    body = event(
        "checkout.session.completed",
        "evt_g1",
        id="cs_test_1",
        amount_total=3600,
        metadata={"payload": inv.payload},
    )
    res = await stripe_provider.handle_webhook(app.services, body, sign(body))
    text = " ".join(r.text for r in res.replies if isinstance(r, Reply))
    assert "Your gift of 4 seats" in text
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", text).group(1)
    out = await app.router.dispatch(
        Command(
            Actor("discord", "hal", username="hal"),
            Chat("discord", "hal"),
            name="redeem",
            args=code,
        )
    )
    assert any(isinstance(r, Reply) and "is active" in r.text for r in out)
    refunded = event("charge.refunded", "evt_g2", id="ch_1")
    res = await stripe_provider.handle_webhook(app.services, refunded, sign(refunded))
    texts = [r.text for r in res.replies if isinstance(r, Reply)]
    assert any("Your gift of Monthly membership was refunded" in t for t in texts)
    assert any("you joined with was refunded" in t for t in texts)
    async with db.session() as s:
        rows = (
            await s.execute(select(Payment.provider, Payment.status).order_by(Payment.id))
        ).all()
        assert [tuple(r) for r in rows] == [
            ("stripe", "rejected"),
            ("stripe", "refunded"),
            ("code", "refunded"),
        ]
        assert (await s.execute(select(Subscription.state))).scalar_one() == "refunded"
    assert not [f for f in fake_stripe_api if "refund" in f]  # Stripe refunded it already
