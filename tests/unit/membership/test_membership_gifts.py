"""Gifts and team seats: one payment for N seats, one code, each person one period."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.membership.errors import MembershipError
from core.payments import gifts, ledger
from models.audit import AuditLog
from models.membership import Code, Payment, Subscription

CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


async def _buy(console_bot, who: str = "alice", args: str = "monthly 3") -> str:
    out = await console_bot.send(f"/gift {args}", as_member=who)
    assert "invoice:" in out
    out = await console_bot.send("/press 1", as_member=who)
    found = CODE.search(out)
    assert found, out
    return found.group(1)


async def test_a_gift_of_three_seats_is_one_payment_and_one_code_for_three_people(console_bot, db):
    out = await console_bot.send("/gift monthly 3", as_member="alice")
    assert "3 seats of Monthly membership (30 days each) for others" in out
    assert "invoice: 🎁 Monthly membership ×3 — 27.00 USD" in out  # the price times the seats
    out = await console_bot.send("/press 1", as_member="alice")
    assert "Your gift of 3 seats of Monthly membership is ready" in out
    code = CODE.search(out).group(1)
    assert "It works 3 times in all, until 2027-03-02" in out
    # the buyer paid for others: no period for alice herself
    assert "no membership" in await console_bot.send("/status", as_member="alice")
    assert "already applied" in await console_bot.send("/press 1", as_member="alice")

    out = await console_bot.send(f"/redeem {code}", as_member="bob")
    assert "“Monthly membership” is active until 2026-04-01" in out
    assert "This was a gift from Alice" in out
    assert "📨 to @alice: 🎁 Bob joined with your gift of Monthly membership. Seats left: 2" in out
    assert await console_bot.send(f"/redeem {code}", as_member="bob") == (
        "You have already redeemed this code."
    )
    assert "is active" in await console_bot.send(code, as_member="carol")  # the code alone
    # the buyer may take a seat too
    out = await console_bot.send(f"/redeem {code}", as_member="alice")
    assert "is active" in out and "Seats left" not in out
    assert await console_bot.send(f"/redeem {code}", as_member="dave") == (
        "That code has already been used."
    )
    out = await console_bot.send("/gifts", as_member="alice")
    assert "• Monthly membership ×3, bought 2026-03-02: 3 of 3 used (Bob, Carol, Alice)" in out
    assert "All seats used." in out and "New code" not in out
    async with db.session() as s:
        pays = (await s.execute(select(Payment).order_by(Payment.id))).scalars().all()
        assert [(p.provider, p.amount, p.status) for p in pays] == [
            ("demo", 2700, "applied"),
            ("code", 0, "applied"),
            ("code", 0, "applied"),
            ("code", 0, "applied"),
        ]
        assert pays[0].subscription_id is None and pays[0].meta["gift_seats"] == 3
        assert {p.meta["gift_of"] for p in pays[1:]} == {pays[0].id}
        subs = (await s.execute(select(Subscription))).scalars().all()
        assert len(subs) == 3 and {x.state for x in subs} == {"active"}
        actions = (await s.execute(select(AuditLog.action))).scalars().all()
        assert actions.count("gift.code") == 1


async def test_a_lost_gift_code_is_replaced_for_the_seats_left_and_the_old_one_stops(
    console_bot, db
):
    code = await _buy(console_bot)
    await console_bot.send(f"/redeem {code}", as_member="bob")
    out = await console_bot.send("/gifts", as_member="alice")
    hint = code.replace("-", "")[-4:]
    assert "1 of 3 used (Bob). Code …" + hint + " works until 2027-03-02." in out
    assert f"[1] 🔁 New code instead of …{hint}" in out
    out = await console_bot.send("/press 1", as_member="alice")
    new = CODE.search(out).group(1)
    assert new != code and "It has 2 seats left, until 2027-03-02" in out
    # pressing the same button again makes nothing more
    out = await console_bot.send("/press 1", as_member="alice")
    assert "already replaced, used up or ended" in out and not CODE.search(out)
    assert "expired" in await console_bot.send(f"/redeem {code}", as_member="carol")
    # one seat per person across the gift's codes
    assert await console_bot.send(f"/redeem {new}", as_member="bob") == (
        "You have already redeemed this code."
    )
    assert "is active" in await console_bot.send(f"/redeem {new}", as_member="carol")
    out = await console_bot.send("/gifts", as_member="alice")
    assert "2 of 3 used (Bob, Carol)" in out
    # moderators see which codes members bought
    out = await console_bot.send("/codes", as_member="mod")
    assert (
        "#2 …" in out and "1/2 used, valid until 2027-03-02 — 🎁 Alice's gift (payment #1)" in out
    )
    # nobody else can replace alice's code
    out = await console_bot.send("/gifts", as_member="bob")
    assert "You have not bought a gift yet" in out
    async with db.session() as s:
        codes = (await s.execute(select(Code).order_by(Code.id))).scalars().all()
        assert [(c.uses_total, c.uses_left) for c in codes] == [(3, 2), (2, 1)]
        assert codes[0].payment_id == codes[1].payment_id is not None
        replaced = (
            await s.execute(select(AuditLog).where(AuditLog.action == "gift.code_replaced"))
        ).scalar_one()
        assert replaced.before["code"] == codes[0].id and replaced.after["uses"] == 2
    # replacing it again, days later, keeps the gift's year
    await console_bot.send("/clock +10d", as_member="alice")
    await console_bot.send("/gifts", as_member="alice")
    out = await console_bot.send("/press 1", as_member="alice")
    assert "It has 1 seat left, until 2027-03-02" in out
    await console_bot.send("/clock +10d", as_member="alice")
    await console_bot.send("/gifts", as_member="alice")
    out = await console_bot.send("/press 1", as_member="alice")
    assert "It has 1 seat left, until 2027-03-02" in out


async def test_refunding_a_gift_ends_its_code_and_the_seats_taken_with_it(console_bot, db):
    code = await _buy(console_bot, args="monthly 2")
    await console_bot.send(f"/redeem {code}", as_member="bob")
    out = await console_bot.send("/refund @alice", as_member="mod")
    assert "It was a gift of seats: its code stops working" in out and "(1 so far)" in out
    out = await console_bot.send("/press 1", as_member="mod")
    assert "📨 to @bob: The gift of “Monthly membership” you joined with was refunded" in out
    assert "📨 to @alice: Your gift of Monthly membership was refunded" in out
    assert "the 1 person who joined with it has lost that access" in out
    assert "expired" in await console_bot.send(f"/redeem {code}", as_member="carol")
    assert "Refunded." in await console_bot.send("/gifts", as_member="alice")
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalars().all() == ["refunded"]
        assert (await s.execute(select(Payment.status))).scalars().all() == [
            "refunded",
            "refunded",
        ]
        gone = (
            await s.execute(select(AuditLog).where(AuditLog.action == "gift.refunded"))
        ).scalar_one()
        assert gone.after["seats_ended"] == 1


async def test_gift_requests_that_cannot_be_sold_are_refused_clearly(console_bot, db):
    out = await console_bot.send("/gift", as_member="alice")
    assert "/gift PLAN SEATS, e.g. /gift monthly 5" in out
    assert "1 to 50 seats" in await console_bot.send("/gift monthly 0", as_member="alice")
    assert "1 to 50 seats" in await console_bot.send("/gift monthly 51", as_member="alice")
    assert "Usage: /gift PLAN [SEATS]" in await console_bot.send("/gift 5", as_member="alice")
    out = await console_bot.send("/gift lifetime 2", as_member="alice")
    assert "code" in out and "invoice" not in out
    out = await console_bot.send("/gift platinum 2", as_member="alice")
    assert "invoice" not in out and "/plans" in out
    assert "You have not bought a gift yet" in await console_bot.send("/gifts", as_member="alice")
    # the words people reach for first
    assert "Did you mean /gift?" in await console_bot.send("/team", as_member="alice")
    assert "Did you mean /gift or /gifts?" in await console_bot.send("/seats", as_member="alice")
    async with db.session() as s:
        assert (await s.execute(select(Payment))).first() is None


@pytest.mark.parametrize(
    ("typed", "plan", "seats"),
    [
        ("monthly", "monthly", 1),
        ("monthly 5", "monthly", 5),
        ("5 monthly", "monthly", 5),
        ("monthly x5", "monthly", 5),
        ("monthly 5 seats", "monthly", 5),
        ("Monthly membership for 4 people", "Monthly membership", 4),
        ("月度会员 5个", "月度会员", 5),
    ],
)
def test_seats_are_read_as_people_write_them(typed, plan, seats):
    assert gifts.parse(typed) == (plan, seats, "")


def test_a_gift_carries_the_buyers_message():
    assert gifts.parse('yearly "Happy birthday, Sam!"') == ("yearly", 1, "Happy birthday, Sam!")
    assert gifts.parse("monthly 3 | Welcome to the team") == ("monthly", 3, "Welcome to the team")
    assert gifts.parse("月度会员 2个 「生日快乐」") == ("月度会员", 2, "生日快乐")
    with pytest.raises(MembershipError) as err:
        gifts.parse("monthly | " + "x" * 201)
    assert err.value.key == "membership.gift_note_long"


async def test_the_one_who_redeems_a_gift_reads_its_message(console_bot):
    """ "can i gift a yearly plan? can I add a message?" (a walk): now one can."""
    out = await console_bot.send('/gift monthly "Happy birthday, Sam! Learn lots."', "helen")
    assert "Your message goes with it: “Happy birthday, Sam! Learn lots.”" in out
    out = await console_bot.send("/press 1", as_member="helen")
    assert "Your message goes with it" in out
    code = CODE.search(out).group(1)
    out = await console_bot.send(f"/redeem {code}", as_member="sam")
    assert "🎁 This was a gift from Helen: “Happy birthday, Sam! Learn lots.”" in out


async def test_a_gift_left_recorded_by_a_failure_is_completed_by_the_job(
    console_bot, app, db, monkeypatch
):
    real = gifts.made

    async def broken(*a, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gifts, "made", broken)
    await console_bot.send("/gift monthly 2", as_member="alice")
    out = await console_bot.send("/press 1", as_member="alice")
    assert not CODE.search(out)
    async with db.session() as s:
        pay = (await s.execute(select(Payment))).scalar_one()
        assert pay.status == "recorded" and pay.meta["gift_seats"] == 2
    monkeypatch.setattr(gifts, "made", real)
    out = await ledger.in_transaction(
        app.services, lambda s: ledger.complete_recorded(s, app.services)
    )
    assert len(out) == 1 and "Your gift of 2 seats" in out[0].text and CODE.search(out[0].text)
    async with db.session() as s:
        pay = (await s.execute(select(Payment))).scalar_one()
        code = (await s.execute(select(Code))).scalar_one()
        assert pay.status == "applied" and (code.uses_total, code.payment_id) == (2, pay.id)
    assert "already applied" in await console_bot.send("/press 1", as_member="alice")


def test_a_gift_request_without_a_plan_is_a_usage_error():
    with pytest.raises(MembershipError) as err:
        gifts.parse("5 seats")
    assert err.value.key == "membership.usage_gift"


async def test_a_buyer_who_lost_the_code_or_asks_who_joined_gets_their_gifts(console_bot):
    """Both opened a public thread, or were offered to the moderators as a payment problem."""
    code = await _buy(console_bot, "marcus")
    await console_bot.send(f"/redeem {code}", as_member="bob")
    out = await console_bot.send(
        "Ugh, I deleted the message with the invite code by accident. Can you resend it?",
        as_member="marcus",
    )
    assert out.startswith("I never keep a gift code itself")
    assert "1 of 3 used (Bob)" in out and "🔁 New code instead of" in out
    out = await console_bot.send(
        "Payment went through I think. Which of my people have actually joined so far?",
        as_member="marcus",
    )
    assert out.startswith("Here is who joined with your gifts so far:") and "(Bob)" in out
    # one who bought no gift is not shown one
    out = await console_bot.send("I lost my code, can you resend it?", as_member="carol")
    assert "Your gifts" not in out


async def test_a_code_named_in_a_sentence_is_tried_not_posted(console_bot):
    code = await _buy(console_bot)
    out = await console_bot.send("The code is LEARN-7Q2X-KD94", as_member="diego")
    assert out.startswith("A code has 12 letters and digits in three groups")
    out = await console_bot.send(f"hi, my voucher {code} from my company", as_member="diego")
    assert "is active" in out and "gift from Alice" in out
    # an error code in lower case is no voucher
    out = await console_bot.send("what does error code ab12-cd34-ef56 mean", as_member="diego")
    assert "A code has 12 letters" not in out and "is active" not in out


async def test_moderators_see_gifts_on_the_member_card_and_in_stats(console_bot):
    assert "Gifts" not in await console_bot.send("/stats", as_member="mod")  # none yet: no line
    code = await _buy(console_bot, "marcus")
    await console_bot.send(f"/redeem {code}", as_member="bob")
    out = await console_bot.send("/member @marcus", as_member="mod")
    assert "27.00 USD via demo (applied) — 🎁 a gift of 3 seats" in out
    out = await console_bot.send("/stats", as_member="mod")
    assert "Gifts: 1 bought, 3 seats, 1 redeemed so far" in out
    # asked in words (it got the members' answer on buying gifts)
    out = await console_bot.send("who bought gifts or team seats this month?", as_member="mod")
    assert "/codes shows this any time" in out and "1/3 used" in out and "Marcus's gift" in out
    out = await console_bot.send("这个月团队席位买了几单？兑换了多少个？", as_member="mod")
    assert "Marcus 购买的礼物" in out or "Marcus's gift" in out
