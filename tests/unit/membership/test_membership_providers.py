"""Telegram Stars, Discord entitlements, codes and manual approval, as members see them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from membership_helpers import demo_settings, member_id, set_targets
from sqlalchemy import func, select

from core.errors import DomainError
from core.events import (
    Actor,
    Button,
    Chat,
    Command,
    EntitlementChanged,
    PaymentReceived,
    PreCheckout,
)
from core.membership import service
from core.replies import (
    AnswerPreCheckout,
    Invite,
    Invoice,
    Kick,
    RefundStars,
    Reply,
    StopStarSubscription,
)
from models.membership import Payment, Subscription


@pytest.fixture
def settings(db):
    # Real-platform behaviour: no demo provider.
    return demo_settings(db.url, demo=False)


def tg(user: str, update: str | None = None) -> tuple[Actor, Chat]:
    return Actor("telegram", user, username=f"u{user}"), Chat("telegram", user)


async def _stars_invoice(app, user: str = "501") -> Invoice:
    a, c = tg(user)
    out = await app.router.dispatch(Command(a, c, name="subscribe", args="monthly"))
    return next(r for r in out if isinstance(r, Invoice))


async def test_stars_invoice_precheckout_payment_and_refund(app, db, clock):
    await set_targets(app, "monthly", telegram=["-1001"])
    inv = await _stars_invoice(app)
    assert (inv.provider, inv.currency, inv.amount) == ("telegram_stars", "XTR", 250)
    a, c = tg("501")
    ok = await app.router.dispatch(
        PreCheckout(a, c, "pc1", query_id="q1", amount=250, currency="XTR", payload=inv.payload)
    )
    assert ok == [AnswerPreCheckout("q1", True)]
    bad = await app.router.dispatch(
        PreCheckout(a, c, "pc2", query_id="q2", amount=1, currency="XTR", payload=inv.payload)
    )
    assert bad[0].ok is False and "250 XTR" in bad[0].error
    other_a, other_c = tg("777")
    stolen = await app.router.dispatch(
        PreCheckout(
            other_a, other_c, "pc3", query_id="q3", amount=250, currency="XTR", payload=inv.payload
        )
    )
    assert stolen[0].ok is False and "another member" in stolen[0].error
    until = int((clock.now() + timedelta(days=30)).timestamp())
    paid = PaymentReceived(
        a,
        c,
        "pay1",
        provider="telegram_stars",
        charge_id="stxCHARGE1",
        amount=250,
        currency="XTR",
        payload=inv.payload,
        extra={"subscription_expiration_date": until, "is_recurring": True},
    )
    out = await app.router.dispatch(paid)
    assert any(isinstance(r, Reply) and "Payment received" in r.text for r in out)
    invites = [r for r in out if isinstance(r, Invite)]
    assert [(i.platform, i.target) for i in invites] == [("telegram", "-1001")]
    # Telegram redelivers the update under a new id: the charge id keeps it to one grant.
    again = await app.router.dispatch(
        PaymentReceived(**{**paid.__dict__, "update_id": "pay1-again"})
    )
    assert "already applied" in again[0].text
    async with db.session() as s:
        sub = (await s.execute(select(Subscription))).scalar_one()
        assert sub.auto_renew and int(sub.current_period_end.timestamp()) == until
        pay = (await s.execute(select(Payment))).scalar_one()
    # /cancel on a Stars subscription asks Telegram to stop renewing it (once, with its charge).
    cancelled = await app.router.dispatch(Command(a, c, name="cancel", args=""))
    assert StopStarSubscription("501", "stxCHARGE1") in cancelled
    # /resume asks Telegram to renew it again, and the plan renews as before.
    resumed = await app.router.dispatch(Command(a, c, name="resume", args=""))
    assert StopStarSubscription("501", "stxCHARGE1", stop=False) in resumed
    async with db.session() as s:
        sub = (await s.execute(select(Subscription))).scalar_one()
        assert (sub.state, sub.auto_renew) == ("active", True)
    mod = await member_id(app, "telegram", "9000")
    async with app.services.session_factory() as s, s.begin():
        out = await service.refund(s, app.services, pay.id, actor=f"member:{mod}", reason="asked")
    assert RefundStars("501", "stxCHARGE1") in out
    assert [(k.platform, k.target, k.platform_user_id) for k in out if isinstance(k, Kick)] == [
        ("telegram", "-1001", "501")
    ]
    async with app.services.session_factory() as s, s.begin():
        with pytest.raises(DomainError) as err:
            await service.refund(s, app.services, pay.id, actor=f"member:{mod}")
    assert err.value.key == "membership.payment_not_refundable"


async def test_wrong_currency_star_payment_is_rejected_and_nothing_granted(app, db):
    inv = await _stars_invoice(app, "502")
    a, c = tg("502")
    out = await app.router.dispatch(
        PaymentReceived(
            a,
            c,
            "p2",
            provider="telegram_stars",
            charge_id="x2",
            amount=250,
            currency="USD",
            payload=inv.payload,
        )
    )
    assert "could not be accepted" in out[0].text and "XTR" in out[0].text
    async with db.session() as s:
        pay = (await s.execute(select(Payment))).scalar_one()
        assert pay.status == "rejected"
        assert (await s.execute(select(Subscription.state))).scalars().all() in ([], ["pending"])
    # The Stars were still taken: a moderator can send them back.
    async with app.services.session_factory() as s, s.begin():
        out = await service.refund(s, app.services, pay.id, actor="system", reason="mismatch")
    assert out == [RefundStars("502", "x2")]


async def test_discord_entitlement_create_update_delete(app, db, clock):
    await set_targets(app, "monthly", discord_sku="sku42", discord_guild="g1", discord_roles=["r1"])
    a, c = Actor("discord", "d1", username="dee"), Chat("discord", "d1")
    end1 = clock.now() + timedelta(days=30)
    ev = EntitlementChanged(
        a, c, "e1", action="create", entitlement_id="ent1", sku_id="sku42", ends_at=end1
    )
    out = await app.router.dispatch(ev)
    assert [(i.platform, i.target, i.role) for i in out if isinstance(i, Invite)] == [
        ("discord", "g1", "r1")
    ]
    redelivered = await app.router.dispatch(
        EntitlementChanged(**{**ev.__dict__, "update_id": "e1b"})
    )
    assert not [r for r in redelivered if isinstance(r, Invite)]
    end2 = end1 + timedelta(days=30)
    out = await app.router.dispatch(
        EntitlementChanged(
            a, c, "e2", action="update", entitlement_id="ent1", sku_id="sku42", ends_at=end2
        )
    )
    assert not [r for r in out if isinstance(r, Invite)]  # renewal keeps the role
    async with db.session() as s:
        sub = (await s.execute(select(Subscription))).scalar_one()
        assert sub.current_period_end == end2 and sub.state == "active"
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 2
    out = await app.router.dispatch(
        EntitlementChanged(a, c, "e3", action="delete", entitlement_id="ent1", sku_id="sku42")
    )
    assert [(k.target, k.role) for k in out if isinstance(k, Kick)] == [("g1", "r1")]
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "removed"
    unknown = await app.router.dispatch(
        EntitlementChanged(a, c, "e4", action="create", entitlement_id="ent2", sku_id="nope")
    )
    assert not [r for r in unknown if isinstance(r, Invite)]


async def _confirmed(app, user: str, name: str, args: str) -> list:
    """Run a moderator command and press its Confirm button (money/access changes ask first)."""
    a, c = Actor("console", user, username=user), Chat("console", user)
    asked = await app.router.dispatch(Command(a, c, name=name, args=args))
    data = next(b.data for r in asked if isinstance(r, Reply) for row in r.buttons for b in row)
    return await app.router.dispatch(Button(a, c, data=data))


async def _code(app, *args: str) -> str:
    out = await _confirmed(app, "mod", "codes", " ".join(args))
    return re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", out[0].text).group(0)


async def _say(app, user: str, name: str, args: str = "") -> str:
    out = await app.router.dispatch(
        Command(Actor("console", user, username=user), Chat("console", user), name=name, args=args)
    )
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def test_expired_code_is_refused_clearly_and_grants_nothing(app, db, clock):
    code = await _code(
        app, "new", "monthly", "--expires", (clock.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    )
    clock.advance(days=3)
    assert "expired on" in await _say(app, "gus", "redeem", code)
    async with db.session() as s:
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 0


async def test_wrong_guesses_are_rate_limited_per_member(app, clock):
    code = await _code(app, "new", "monthly", "--uses", "3")
    for typo in ("AAAA-BBBB", "hello there", "AAAA-BBBB-CC0C"):  # no code looks like these
        assert "A code has 12 letters and digits" in await _say(app, "hal", "redeem", typo)
    for i in range(5):  # ... so only guesses a code could be count
        assert "not valid" in await _say(app, "hal", "redeem", f"AAAA-BBBB-CC{i + 2}C")
    assert "Too many wrong codes" in await _say(app, "hal", "redeem", code)
    assert "Code accepted" in await _say(app, "ida", "redeem", code)  # others are not blocked
    clock.advance(hours=1, minutes=1)
    assert "Code accepted" in await _say(app, "hal", "redeem", code)


async def test_deep_link_redeem_and_bad_code_commands(app):
    code = await _code(app, "new", "lifetime")
    out = await _say(app, "jo", "start", f"redeem_{code}")
    assert "Lifetime access" in out and "is active for life" in out and "Payment" not in out
    assert "Usage: /codes new PLAN" in await _say(app, "mod", "codes", "make 5")
    # a bare number is how many codes, as people say it; the preview shows what it means
    assert "Create 3 codes for Monthly" in await _say(app, "mod", "codes", "new monthly 3")
    assert "no plan called 'gold'" in await _say(app, "mod", "codes", "new gold")
    assert "not a date" in await _say(app, "mod", "codes", "new monthly --expires tomorrow")
    assert "Uses must be" in await _say(app, "mod", "codes", "new monthly --uses 0")
    # options as typed: key=value, a bare key, and the dash a phone makes of "--"
    for typed in ("uses=5 count=2", "--uses=5 2", "2 uses 5", "—uses 5 —count 2"):
        out = await _say(app, "mod", "codes", f"new lifetime {typed}")
        assert "Create 2 codes for Lifetime access, 5 uses each" in out, typed


async def test_manual_approval_applies_once_per_reference(app, db):
    await member_id(app, "console", "kim")
    asked = await _say(app, "mod", "approve", "@kim yearly BANK-2026-0042")
    assert "kim gets Yearly" in asked and "Confirm?" in asked
    async with db.session() as s:  # nothing happens before the moderator confirms
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 0
    out = "\n".join(
        r.text
        for r in await _confirmed(app, "mod", "approve", "@kim yearly BANK-2026-0042")
        if isinstance(r, Reply)
    )
    assert "Approved: kim now has yearly" in out
    assert "already approved" in await _say(app, "mod", "approve", "@kim yearly BANK-2026-0042")
    assert "moderators only" in await _say(app, "kim", "approve", "@kim yearly BANK-2026-0043")
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "active"
    # A payment made outside the bot is shown by its reference, and refunding it says the
    # money goes back by hand (before: "0.00 MANUAL", then "refund issued" for nothing sent).
    card = await _say(app, "mod", "member", "@kim")
    assert "payment #1: reference BANK-2026-0042 via manual (applied)" in card
    asked = await _say(app, "mod", "refund", "@kim")
    assert "reference BANK-2026-0042" in asked and "return it yourself" in asked
    done = await _confirmed(app, "mod", "refund", "@kim")
    assert "Done: recorded as refunded. Nothing was sent back through manual" in done[0].text


async def test_a_recurring_stars_plan_invoices_a_subscription_that_renews_once_per_charge(
    app, db, clock
):
    from models.membership import Plan

    async with db.session() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        stars = {**plan.prices["telegram_stars"], "recurring": True}
        plan.prices = {**plan.prices, "telegram_stars": stars}
    inv = await _stars_invoice(app)
    assert inv.subscription_period == 30 * 24 * 3600  # Telegram renews it every 30 days
    assert "days you have" not in inv.description
    a, c = tg("501")
    first_end = clock.now() + timedelta(days=30)

    def paid(charge: str, until, update: str) -> PaymentReceived:
        return PaymentReceived(
            a,
            c,
            update,
            provider="telegram_stars",
            charge_id=charge,
            amount=250,
            currency="XTR",
            payload=inv.payload,
            extra={
                "subscription_expiration_date": int(until.timestamp()),
                "is_recurring": True,
                "is_first_recurring": charge == "stxR1",
            },
        )

    await app.router.dispatch(paid("stxR1", first_end, "r1"))
    clock.advance(days=29)  # Telegram charges the renewal a day early
    second_end = first_end + timedelta(days=30)
    await app.router.dispatch(paid("stxR2", second_end, "r2"))
    await app.router.dispatch(paid("stxR2", second_end, "r2-again"))  # redelivered
    async with db.session() as s:
        sub = (await s.execute(select(Subscription))).scalar_one()
        assert (sub.state, sub.auto_renew) == ("active", True)
        assert sub.current_period_end == second_end.replace(microsecond=0)
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 2
    # a member in a free trial hears, before paying, that Telegram bills from the day it
    # starts: the trial's remaining days are not added (Stripe, unlike Stars, can wait)
    a6, c6 = tg("506")
    trial = app.services.signer.encode("mtrial", "monthly")
    await app.router.dispatch(Command(a6, c6, name="plans"))
    await app.router.dispatch(Button(a6, c6, "t6", data=trial))
    held = await _stars_invoice(app, "506")
    assert held.subscription_period == 30 * 24 * 3600
    assert held.description == (
        "Monthly membership: a Star subscription starts its 30 days when you pay, and the days "
        "you have until 2026-04-07 09:00 UTC are not added to them."
    )


async def _stars_paid(app, user: str, inv: Invoice, charge: str, until: Any) -> None:
    """A recurring Stars payment (first or renewal) for `inv`, paid up to `until`."""
    a, c = tg(user)
    await app.router.dispatch(
        PaymentReceived(
            a,
            c,
            f"upd-{charge}",
            provider="telegram_stars",
            charge_id=charge,
            amount=250,
            currency="XTR",
            payload=inv.payload,
            extra={"subscription_expiration_date": int(until.timestamp()), "is_recurring": True},
        )
    )


async def test_days_given_outside_the_provider_survive_its_renewals(app, db, clock):
    """Telegram bills a Stars subscription on its own dates. Days the member had beyond what
    Telegram was paid for (10 granted days still running at the first payment, then a
    moderator's /extend 7) used to vanish into Telegram's next period."""
    mid = await member_id(app, "telegram", "601")
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(service.Member, mid)
        await service.grant(s, app.services, m, "monthly", 10, actor="system")
    start = clock.now()
    inv = await _stars_invoice(app, "601")  # renewals come with the first invoice's payload

    async def stars(charge: str, until_days: int) -> None:
        await _stars_paid(app, "601", inv, charge, start + timedelta(days=until_days))

    async def end_days() -> float:
        async with db.session() as s:
            sub = (await s.execute(select(Subscription))).scalar_one()
            return (sub.current_period_end - start).total_seconds() / 86400

    await stars("stxA", 30)
    assert await end_days() == 40  # Telegram's 30 days after the 10 given ones
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(service.Member, mid)
        await service.extend(s, app.services, m, 7, actor="system")
    assert await end_days() == 47
    clock.advance(timedelta(days=30))  # Telegram renews on its own date
    await stars("stxB", 60)
    assert await end_days() == 77  # its new period, and the 17 days given still ahead
    clock.advance(timedelta(days=30))
    await stars("stxC", 90)
    assert await end_days() == 107  # no drift: each renewal is measured from Telegram's date


async def test_refunding_an_older_payment_keeps_the_access_a_newer_one_pays_for(app, db, clock):
    """Before, any refund ended access at once, even a goodwill refund of last month while
    this month was paid."""
    inv = await _stars_invoice(app, "701")
    mod = await member_id(app, "telegram", "9000")

    async def stars(charge: str, until_days: int) -> None:
        await _stars_paid(app, "701", inv, charge, clock.now() + timedelta(days=until_days))

    await stars("stxOLD", 30)
    clock.advance(timedelta(days=30))
    await stars("stxNEW", 30)
    async with db.session() as s:
        old = (
            await s.execute(select(Payment.id).where(Payment.provider_charge_id == "stxOLD"))
        ).scalar_one()
    # the moderator reads what will happen to access before confirming
    ma, mc = Actor("console", "mod", username="mod"), Chat("console", "mod")
    preview = await app.router.dispatch(Command(ma, mc, name="refund", args=f"@u701 {old}"))
    assert "A newer payment" in preview[0].text and "continues" in preview[0].text
    latest = await app.router.dispatch(Command(ma, mc, name="refund", args="@u701"))
    assert "access from it ends at once" in latest[0].text
    async with app.services.session_factory() as s, s.begin():
        out = await service.refund(s, app.services, old, actor=f"member:{mod}", reason="goodwill")
    assert RefundStars("701", "stxOLD") in out  # the money goes back
    told = [r.text for r in out if isinstance(r, Reply) and r.member_id == mod]
    assert told and "a newer payment" in told[0] and "/revoke" in told[0]
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "active"


async def test_a_code_sent_on_its_own_is_redeemed(app, db):
    """Members paste the code from the shop's e-mail, or send it after a bare /redeem: it was
    "I didn't understand that". Words that only look like three groups are not tried."""
    from core.events import Message

    code = await _code(app, "new", "monthly", "--uses", "3")
    a, c = Actor("console", "kit", username="kit"), Chat("console", "kit", "private")

    async def dm(text: str) -> str:
        out = await app.router.dispatch(Message(a, c, f"m-{text}", text=text))
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    assert "Usage: /redeem CODE" in await _say(app, "kit", "redeem")
    assert "Code accepted" in await dm(f"  {code.lower()} ")
    assert "Code accepted" in await _say(app, "lou", "redeem", code.replace("-", " "))
    async with db.session() as s:
        from models.membership import CodeAttempt

        assert (await s.execute(select(func.count(CodeAttempt.id)))).scalar_one() == 0
    assert "Code accepted" not in await dm("need help asap")  # no dashes: not a code
    # copied by hand, with spaces or none: a code when it holds a digit, as words do not
    from core.payments.codes import looks_like_code

    for typed in ("gjkn zdv2 mmnz", "GJKNZDV2MMNZ", "gjkn-zdv2-mmnz"):
        assert looks_like_code(typed, as_shown=True), typed
    for typed in ("need help asap", "what does this", "gjkn zdv2 mmnz please"):
        assert not looks_like_code(typed, as_shown=True), typed
    async with db.session() as s:
        assert (await s.execute(select(func.count(CodeAttempt.id)))).scalar_one() == 0


async def test_a_stars_gift_is_one_invoice_for_all_seats_and_never_a_subscription(app, db):
    """A gift of a plan that renews by Star subscription is still one payment: each
    person gets one period, and nothing renews on the buyer's Telegram balance."""
    async with db.session() as s, s.begin():
        from models.membership import Plan

        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        plan.prices = {
            **plan.prices,
            "telegram_stars": {**plan.prices["telegram_stars"], "recurring": True},
        }
    a, c = tg("511")
    out = await app.router.dispatch(Command(a, c, name="gift", args="monthly 4"))
    inv = next(r for r in out if isinstance(r, Invoice))
    assert (inv.currency, inv.amount, inv.subscription_period) == ("XTR", 1000, None)
    assert inv.title == "🎁 Monthly membership ×4"
    short = await app.router.dispatch(
        PreCheckout(a, c, "gp1", query_id="q1", amount=250, currency="XTR", payload=inv.payload)
    )
    assert short[0].ok is False and "1000 XTR" in short[0].error  # one seat's price is not enough
    ok = await app.router.dispatch(
        PreCheckout(a, c, "gp2", query_id="q2", amount=1000, currency="XTR", payload=inv.payload)
    )
    assert ok == [AnswerPreCheckout("q2", True)]
    paid = PaymentReceived(
        a,
        c,
        "gpay1",
        provider="telegram_stars",
        charge_id="stxGIFT1",
        amount=1000,
        currency="XTR",
        payload=inv.payload,
        extra={},
    )
    out = await app.router.dispatch(paid)
    text = " ".join(r.text for r in out if isinstance(r, Reply))
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", text).group(1)
    assert "Your gift of 4 seats of Monthly membership is ready" in text
    again = await app.router.dispatch(PaymentReceived(**{**paid.__dict__, "update_id": "gpay2"}))
    assert "already applied" in again[0].text
    friend_a, friend_c = tg("512")
    out = await app.router.dispatch(Command(friend_a, friend_c, name="redeem", args=code))
    assert any(isinstance(r, Reply) and "is active" in r.text for r in out)
    async with db.session() as s:
        subs = (await s.execute(select(Subscription))).scalars().all()
        assert len(subs) == 1 and not subs[0].auto_renew  # the friend's; none for the buyer
        pays = (await s.execute(select(Payment).order_by(Payment.id))).scalars().all()
        assert [(p.provider, p.amount, p.status) for p in pays] == [
            ("telegram_stars", 1000, "applied"),
            ("code", 0, "applied"),
        ]
    # a payment of one seat's price against the gift's invoice is refused and grants nothing
    a2, c2 = tg("513")
    out = await app.router.dispatch(Command(a2, c2, name="gift", args="monthly 2"))
    inv2 = next(r for r in out if isinstance(r, Invoice))
    out = await app.router.dispatch(
        PaymentReceived(
            a2,
            c2,
            "gpay3",
            provider="telegram_stars",
            charge_id="stxGIFT2",
            amount=250,
            currency="XTR",
            payload=inv2.payload,
            extra={},
        )
    )
    assert any(isinstance(r, Reply) and "500 XTR" in r.text for r in out)
    async with db.session() as s:
        from models.membership import Code

        assert (await s.execute(select(func.count(Code.id)))).scalar_one() == 1
        status = await s.scalar(
            select(Payment.status).where(Payment.provider_charge_id == "stxGIFT2")
        )
        assert status == "rejected"
