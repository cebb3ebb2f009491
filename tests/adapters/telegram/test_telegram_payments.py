"""Paying with Stars on Telegram, end to end through core membership and payments:
/subscribe -> sendInvoice -> pre-checkout -> successful_payment -> invite link -> join."""

from __future__ import annotations

from sqlalchemy import func, select
from tg_payloads import (
    GROUP_ID,
    chat_member,
    join_request,
    message,
    pre_checkout,
    refunded_payment,
    successful_payment,
    user,
)

from models.membership import AccessGrant, Payment, Subscription

ALICE = user(4242, "Alice", username="alice")
BOB = user(5151, "Bob", username="bob")


async def _count(db, model) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def _invoice(tg, wire, who=ALICE):
    await tg.process(message(who, "/subscribe monthly"))
    (inv,) = wire.of("sendInvoice")
    assert inv["currency"] == "XTR" and inv["provider_token"] == ""
    assert inv["prices"][0]["amount"] == 250
    wire.clear()
    return inv["payload"]


async def test_pre_checkout_for_a_wrong_amount_is_refused(tg, wire, db):
    payload = await _invoice(tg, wire)
    await tg.process(pre_checkout(ALICE, 1, payload))
    (answer,) = wire.of("answerPreCheckoutQuery")
    assert answer["ok"] is False and "250" in answer["error_message"]
    wire.clear()
    await tg.process(pre_checkout(BOB, 250, payload))  # someone else's invoice
    assert wire.of("answerPreCheckoutQuery")[0]["ok"] is False
    wire.clear()
    await tg.process(pre_checkout(ALICE, 250, payload))
    assert wire.of("answerPreCheckoutQuery")[0]["ok"] is True
    assert await _count(db, Payment) == 0  # pre-checkout never takes money


async def test_forged_invoice_payload_is_refused_at_pre_checkout(tg, wire):
    await tg.process(pre_checkout(ALICE, 250, "pay:monthly:1~forged"))
    (answer,) = wire.of("answerPreCheckoutQuery")
    assert answer["ok"] is False and answer["error_message"]


async def test_join_with_payment_invite_and_join_request_approved(tg, wire, db):
    payload = await _invoice(tg, wire)
    await tg.process(pre_checkout(ALICE, 250, payload))
    wire.clear()
    await tg.process(successful_payment(ALICE, 250, payload, "stxPAID0001"))
    (link,) = wire.of("createChatInviteLink")
    assert link["chat_id"] == GROUP_ID and link["member_limit"] == 1 and link["expire_date"]
    dms = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == 4242]
    assert any("https://t.me/+Inv" in t for t in dms)
    assert await _count(db, Payment) == 1
    async with db.session() as s:
        grant = (await s.execute(select(AccessGrant))).scalar_one()
        assert grant.invite_link and grant.invite_link.startswith("https://t.me/+Inv")
    # she asks to join the group: a paying member is let in
    wire.clear()
    await tg.process(join_request(ALICE))
    (ok,) = wire.of("approveChatJoinRequest")
    assert (ok["chat_id"], ok["user_id"]) == (GROUP_ID, 4242)
    # Bob has not paid: declined, and told how to join
    wire.clear()
    await tg.process(join_request(BOB))
    (no,) = wire.of("declineChatJoinRequest")
    assert no["user_id"] == 5151
    assert [c["chat_id"] for c in wire.of("sendMessage")] == [5151]


async def test_duplicate_successful_payment_applies_once(tg, wire, db):
    payload = await _invoice(tg, wire)
    upd = successful_payment(ALICE, 250, payload, "stxDUP0001")
    await tg.process(upd)
    await tg.process(upd)  # the same update delivered again (webhook retry)
    assert len(wire.of("createChatInviteLink")) == 1
    wire.clear()
    # the same charge in a new update (e.g. after a restart): recorded once, no second link
    await tg.process(successful_payment(ALICE, 250, payload, "stxDUP0001"))
    assert wire.of("createChatInviteLink") == []
    assert len(wire.of("sendMessage")) == 1  # "already applied"
    assert await _count(db, Payment) == 1
    async with db.session() as s:
        subs = (await s.execute(select(Subscription))).scalars().all()
        assert len(subs) == 1


async def test_someone_slipping_in_without_a_grant_is_removed(tg, wire):
    await tg.process(chat_member(BOB, "left", "member"))
    methods = wire.methods()
    assert methods[:2] == ["banChatMember", "unbanChatMember"]
    ban, unban = wire.of("banChatMember")[0], wire.of("unbanChatMember")[0]
    assert (ban["chat_id"], ban["user_id"]) == (GROUP_ID, 5151) and unban["only_if_banned"] is True


async def test_a_member_using_anothers_invite_link_is_removed(tg, wire, db):
    payload = await _invoice(tg, wire)
    await tg.process(successful_payment(ALICE, 250, payload, "stxLINK0001"))
    link = wire.of("createChatInviteLink")[0]
    async with db.session() as s:
        url = (await s.execute(select(AccessGrant.invite_link))).scalar_one()
    wire.clear()
    await tg.process(chat_member(BOB, "left", "member", link=url))
    assert "banChatMember" in wire.methods()
    assert wire.of("banChatMember")[0]["user_id"] == 5151
    assert link["member_limit"] == 1


async def test_a_refund_made_by_telegram_ends_the_access_it_bought_once(tg, wire, db):
    """Telegram can refund Stars itself (a dispute, support); it tells the bot with a
    refunded_payment message. Before, that message was ignored and access went on."""
    payload = await _invoice(tg, wire)
    await tg.process(successful_payment(ALICE, 250, payload, "stxREF0001"))
    await tg.process(chat_member(ALICE, "left", "member"))  # she joined the group
    wire.clear()
    await tg.process(refunded_payment(ALICE, 250, payload, "stxREF0001"))
    async with db.session() as s:
        assert (await s.execute(select(Payment.status))).scalar_one() == "refunded"
        assert (await s.execute(select(Subscription.state))).scalar_one() == "refunded"
    assert [(c["chat_id"], c["user_id"]) for c in wire.of("banChatMember")] == [(GROUP_ID, 4242)]
    assert wire.of("refundStarPayment") == []  # Telegram already sent the Stars back
    assert any("refunded" in c["text"] for c in wire.of("sendMessage") if c["chat_id"] == 4242)
    # The same news again (redelivery, or the echo of a refund we made): nothing more.
    wire.clear()
    await tg.process(refunded_payment(ALICE, 250, payload, "stxREF0001"))
    assert wire.of("banChatMember") == [] and wire.of("sendMessage") == []
