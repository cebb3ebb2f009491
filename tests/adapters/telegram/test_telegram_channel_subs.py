"""Channels sold by Star subscription links (createChatSubscriptionInviteLink), joins and
renewals through chat_member updates, and invoice links where a link beats sendInvoice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from tg_payloads import GROUP_ID, group_chat, message, update, user
from tg_wire import BOT_USER, NOW

from config.settings import ConfigError, Settings, load_settings
from models.membership import Payment, Subscription

CHANNEL_ID = -1001222333444
MONTH = 2592000
ALICE = user(4242, "Alice", username="alice")
BOB = user(5151, "Bob", username="bob")
WEBHOOK_SECRET = "s3cret-Token_42"  # as in conftest.py (several conftest modules exist)


@pytest.fixture
def settings(db: Any) -> Settings:
    from tg_wire import TOKEN

    return load_settings(
        None,
        database_url=db.url,
        moderator_ids=["telegram:9000"],
        secret_key="test-secret",
        telegram_token=TOKEN,
        telegram_mode="webhook",
        telegram_webhook_secret=WEBHOOK_SECRET,
        public_url="https://bot.example.org/",
        plans=[
            {
                "code": "channel",
                "title_en": "Premium channel",
                "period_days": 30,
                "prices": {"telegram_stars": {"amount": 300, "currency": "XTR"}},
                "telegram_chat_ids": [CHANNEL_ID],
                "telegram_channel_subscription": True,
            },
            {
                "code": "monthly",
                "title_en": "Monthly membership",
                "period_days": 30,
                "prices": {"telegram_stars": {"amount": 250, "currency": "XTR"}},
                "telegram_chat_ids": [GROUP_ID],
            },
        ],
    )


def channel() -> dict[str, Any]:
    return {"id": CHANNEL_ID, "type": "channel", "title": "Premium"}


def member_update(
    u: dict[str, Any],
    old: dict[str, Any],
    new: dict[str, Any],
    link: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = {"chat": channel(), "from": u, "date": NOW, "old_chat_member": old}
    body["new_chat_member"] = new
    if link is not None:
        body["invite_link"] = link
    return update(chat_member=body)


def sub_link(price: int = 300) -> dict[str, Any]:
    return {
        "invite_link": "https://t.me/+Sub77aBc",
        "creator": BOT_USER,
        "creates_join_request": False,
        "is_primary": False,
        "is_revoked": False,
        "subscription_period": MONTH,
        "subscription_price": price,
    }


def inside(u: dict[str, Any], until: int | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"status": "member", "user": u}
    if until is not None:
        m["until_date"] = until
    return m


def left(u: dict[str, Any]) -> dict[str, Any]:
    return {"status": "left", "user": u}


async def _subs(db) -> list[tuple[str, datetime | None]]:
    async with db.session() as s:
        rows = await s.execute(select(Subscription.state, Subscription.current_period_end))
        return [(st, end.replace(tzinfo=UTC) if end else None) for st, end in rows.all()]


async def _payments(db) -> list[tuple[str, str, int]]:
    async with db.session() as s:
        rows = await s.execute(select(Payment.provider, Payment.status, Payment.amount))
        return sorted(rows.all())


def test_channel_subscription_plans_must_be_sellable_so():
    base = {
        "code": "ch",
        "title_en": "Channel",
        "prices": {"telegram_stars": {"amount": 300, "currency": "XTR"}},
        "telegram_chat_ids": [CHANNEL_ID],
        "telegram_channel_subscription": True,
    }
    load_settings(None, plans=[base])
    for bad in (
        {"period_days": 365},
        {"prices": {"stripe": {"amount": 900, "currency": "usd"}}},
        {"prices": {"telegram_stars": {"amount": 20000, "currency": "XTR"}}},
        {"telegram_chat_ids": []},
    ):
        with pytest.raises(ConfigError, match="telegram_channel_subscription"):
            load_settings(None, plans=[{**base, **bad}])


async def test_subscribe_sends_a_star_subscription_link_not_an_invoice(tg, wire):
    await tg.process(message(ALICE, "/subscribe channel"))
    assert not wire.of("sendInvoice")
    (made,) = wire.of("createChatSubscriptionInviteLink")
    assert (made["chat_id"], made["subscription_period"], made["subscription_price"]) == (
        CHANNEL_ID,
        MONTH,
        300,
    )
    (sent,) = wire.of("sendMessage")
    assert sent["chat_id"] == ALICE["id"] and "300 ⭐" in sent["text"]
    url = sent["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url.startswith("https://t.me/+Sub")
    wire.clear()
    await tg.process(message(BOB, "/subscribe channel"))  # the link is not personal: reused
    assert not wire.of("createChatSubscriptionInviteLink")
    assert wire.of("sendMessage")[0]["reply_markup"]["inline_keyboard"][0][0]["url"] == url


async def test_join_through_a_subscription_link_activates_until_telegrams_date(tg, wire, db):
    until = NOW + MONTH
    join = member_update(BOB, left(BOB), inside(BOB, until), sub_link())
    await tg.process(join)
    assert await _subs(db) == [("active", datetime.fromtimestamp(until, UTC))]
    assert await _payments(db) == [("telegram_channel", "applied", 300)]
    methods = wire.methods()
    assert "banChatMember" not in methods  # paid through Telegram: never kicked
    assert "createChatInviteLink" not in methods  # already inside: no invite link
    (dm,) = wire.of("sendMessage")
    assert dm["chat_id"] == BOB["id"]
    # Telegram repeats itself (same period end, new update id): applied once.
    await tg.process(member_update(BOB, left(BOB), inside(BOB, until), sub_link()))
    assert len(await _payments(db)) == 1
    # Only Bob can stop it, in Telegram: /cancel says where and changes nothing here.
    wire.clear()
    await tg.process(message(BOB, "/cancel"))
    assert "open the channel's info" in wire.of("sendMessage")[0]["text"]
    assert await _subs(db) == [("active", datetime.fromtimestamp(until, UTC))]


async def test_renewal_moves_the_period_end_and_a_free_rider_is_removed(tg, wire, db):
    first = NOW + MONTH
    await tg.process(member_update(BOB, left(BOB), inside(BOB, first), sub_link()))
    renewed = first + MONTH
    await tg.process(member_update(BOB, inside(BOB, first), inside(BOB, renewed)))
    assert await _subs(db) == [("active", datetime.fromtimestamp(renewed, UTC))]
    assert [p for p, _, _ in await _payments(db)] == ["telegram_channel"] * 2
    wire.clear()
    # Someone who got in without paying (e.g. added by hand) is still removed.
    await tg.process(member_update(ALICE, left(ALICE), inside(ALICE)))
    assert [c["user_id"] for c in wire.of("banChatMember")] == [ALICE["id"]]


async def test_in_a_group_stars_invoices_are_links_for_the_one_who_asked(tg, wire):
    await tg.process(message(ALICE, "/subscribe monthly", chat=group_chat()))
    assert not wire.of("sendInvoice")
    (link,) = wire.of("createInvoiceLink")
    assert (link["currency"], link["prices"][0]["amount"]) == ("XTR", 250)
    assert "subscription_period" not in link.params
    (sent,) = wire.of("sendMessage")
    assert sent["chat_id"] == GROUP_ID
    assert sent["reply_markup"]["inline_keyboard"][0][0]["url"].startswith("https://t.me/$inv")


async def test_stopping_a_stars_subscription_from_a_job_reaches_telegram(tg, wire, app):
    from core.replies import StopStarSubscription

    sink = app.services.extras["reply_sink"]  # how job and webhook replies leave
    await sink([StopStarSubscription("4242", "stxSUB1"), StopStarSubscription("5151", "s2", False)])
    calls = [(c["user_id"], c["telegram_payment_charge_id"], c["is_canceled"]) for c in wire.calls]
    assert calls == [(4242, "stxSUB1", True), (5151, "s2", False)]
    assert wire.methods() == ["editUserStarSubscription"] * 2


async def test_a_recurring_stars_plan_is_a_subscription_invoice_link(tg, wire, db):
    from sqlalchemy import select

    from models.membership import Plan

    async with db.session() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        plan.prices = {
            **plan.prices,
            "telegram_stars": {"amount": 250, "currency": "XTR", "recurring": True},
        }
    await tg.process(message(ALICE, "/subscribe monthly"))
    assert not wire.of("sendInvoice")  # sendInvoice cannot carry a subscription period
    (link,) = wire.of("createInvoiceLink")
    assert (link["currency"], link["subscription_period"]) == ("XTR", MONTH)
    (sent,) = wire.of("sendMessage")
    assert sent["reply_markup"]["inline_keyboard"][0][0]["url"].startswith("https://t.me/$inv")
