"""Done-when: the console demo walk from /plans to removal, and codes that work once."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from models.audit import AuditLog
from models.membership import Payment, Subscription


async def test_console_walk_pay_status_reminders_grace_removal(console_bot, db):
    out = await console_bot.send("/plans", as_member="alice")
    assert "Monthly membership [monthly] — 30 days, 9.00 USD" in out
    assert "Lifetime access [lifetime] — lifetime, by code only" in out
    assert "Buy Monthly membership" in out and "Buy Lifetime access" not in out
    assert await console_bot.send("/subscribe") == out  # no plan named: the plans to pick from
    out = await console_bot.send("/subscribe monthly")
    assert "invoice: Monthly membership — 9.00 USD" in out
    assert "[1] Pay 9.00 USD" in out
    out = await console_bot.send("/press 1")
    assert "Payment received" in out and "active until 2026-04-01 09:00 UTC" in out
    out = await console_bot.send("/press 1")  # the same Pay button again: no second period
    assert "already applied" in out
    out = await console_bot.send("/status")
    assert "Monthly membership: active, ends on 2026-04-01 09:00 UTC" in out

    timeline: list[str] = []
    for step in ("+26d", "+1d", "+1d", "+1d", "+1d", "+1d", "+1d", "+1d", "+1d", "+1d"):
        out = await console_bot.send(f"/clock {step}")
        timeline += [line for line in out.splitlines() if line.startswith("📨 to @alice")]
    kinds = []
    for line in timeline:
        if "ends in 3 day" in line:
            kinds.append("remind3")
        elif "ends in 1 day" in line:
            kinds.append("remind1")
        elif "has ended. You keep access until" in line and "/subscribe monthly" in line:
            kinds.append("grace")  # a one-off payment: nothing "could not renew"
        elif "access to the members' chats was removed" in line:
            kinds.append("removed")
        else:
            kinds.append(line)
    assert kinds == ["remind3", "remind1", "grace", "removed"]
    out = await console_bot.send("/status")
    # the plan is still sold: the ended line says how to come back
    assert "Monthly membership: ended — /subscribe monthly to come back" in out
    async with db.session() as s:
        assert (await s.execute(select(func.count(Payment.id)))).scalar_one() == 1
        sub = (await s.execute(select(Subscription))).scalar_one()
        assert sub.state == "removed"
        actions = (
            (
                await s.execute(
                    select(AuditLog.action)
                    .where(AuditLog.action.like("subscription.%"))
                    .order_by(AuditLog.id)
                )
            )
            .scalars()
            .all()
        )
        assert actions == [
            "subscription.pay",
            "subscription.lapse",
            "subscription.grace_over",
            "subscription.remove",
        ]


async def test_an_ended_plan_beside_a_live_one_asks_nothing_of_the_member(console_bot):
    """Monthly bought, then yearly: when the monthly ran out, /status said "access kept
    until … — /subscribe monthly to stay", though the yearly plan keeps the access."""
    for cmd in ("/subscribe monthly", "/press 1", "/subscribe yearly", "/press 1"):
        out = await console_bot.send(cmd, as_member="alice")
    assert "“Yearly membership” is active until 2027-03-02" in out
    await console_bot.send("/clock +31d")
    out = await console_bot.send("/status")
    assert "• Monthly membership: ended on 2026-04-01 09:00 UTC\n" in out + "\n"
    assert "to stay" not in out and "Yearly membership: active, ends on 2027-03-02" in out


async def test_moderator_code_redeems_once_then_fails_clearly(console_bot):
    out = await console_bot.send("/codes new yearly --uses 1 --expires 2026-12-31", as_member="mod")
    assert "Create 1 code for Yearly membership, 1 use each, valid until 2026-12-31." in out
    assert "Confirm?" in out
    assert not re.search(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b", out)  # nothing made yet
    out = await console_bot.send("/press 1", as_member="mod")
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", out).group(1)
    out = await console_bot.send(f"/redeem {code}", as_member="bob")
    assert "“Yearly membership” is active" in out
    assert "active until 2027-03-02" in out
    out = await console_bot.send(f"/redeem {code}", as_member="bob")
    assert out == "You have already redeemed this code."
    out = await console_bot.send(f"/redeem {code.lower()}", as_member="carol")
    assert out == "That code has already been used."
    out = await console_bot.send("/status", as_member="carol")
    assert "no membership" in out


async def test_moderators_list_codes_and_end_a_leaked_one(console_bot, db):
    """Before, codes could only be made: a moderator could not see what was left of them,
    and a code posted in public stayed redeemable until it ran out."""
    assert "No codes yet" in await console_bot.send("/codes", as_member="mod")
    out = await console_bot.send("/codes new monthly 2 --uses 3", as_member="mod")
    assert "3 uses each, with no end date." in out  # was "expiring never"
    made = await console_bot.send("/press 1", as_member="mod")
    first, second = re.findall(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", made)
    await console_bot.send("/codes new yearly", as_member="mod")
    await console_bot.send("/press 1", as_member="mod")
    assert "is active" in await console_bot.send(f"/redeem {first}", as_member="bob")
    listing = await console_bot.send("/codes monthly", as_member="mod")
    assert "The 2 newest codes" in listing and "Yearly" not in listing
    assert f"#1 …{first.replace('-', '')[-4:]} Monthly membership: 1/3 used, no expiry" in listing
    assert first not in listing and second not in listing  # only hashes are kept
    out = await console_bot.send("/codes off 1", as_member="mod")
    assert "End code #1" in out and "Confirm?" in out
    assert "is active" in await console_bot.send(f"/redeem {second}", "carol")  # not this one
    assert "is ended" in await console_bot.send("/press 1", as_member="mod")
    out = await console_bot.send(f"/redeem {first}", as_member="dave")
    assert out == "That code expired on 2026-03-02."
    assert "ended 2026-03-02" in await console_bot.send("/codes", as_member="mod")
    assert "nothing to end" in await console_bot.send("/codes off 1", as_member="mod")
    assert "no code #9" in await console_bot.send("/codes off 9", as_member="mod")
    assert "moderators only" in await console_bot.send("/codes", as_member="eve")
    async with db.session() as s:
        offs = (
            (await s.execute(select(AuditLog.target).where(AuditLog.action == "codes.off")))
            .scalars()
            .all()
        )
    assert offs == ["code:1"]


async def test_members_cannot_make_codes(console_bot):
    out = await console_bot.send("/codes new yearly", as_member="eve")
    assert "moderators only" in out


async def test_demo_provider_refuses_to_load_with_real_tokens(app, db):
    import pytest
    from membership_helpers import demo_settings

    from core.events import Actor, Chat, Command
    from core.payments import demo
    from core.replies import Invoice

    app.services.settings = demo_settings(db.url, telegram_token="123:real")
    assert not demo.available(app.services.settings)
    with pytest.raises(demo.DemoProviderRefused):
        demo.require(app.services.settings)
    out = await app.router.dispatch(
        Command(Actor("console", "zoe"), Chat("console", "zoe"), name="subscribe", args="monthly")
    )
    assert not [r for r in out if isinstance(r, Invoice)]
    assert "cannot be bought here" in out[0].text
    app.services.settings = demo_settings(db.url, demo=False)
    with pytest.raises(demo.DemoProviderRefused):
        demo.require(app.services.settings)
