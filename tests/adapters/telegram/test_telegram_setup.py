"""Start-up check: the forum where question topics open lets the bot open them."""

from __future__ import annotations

from tg_payloads import FORUM_ID
from tg_wire import BOT_ID


async def test_a_forum_where_the_bot_may_not_manage_topics_is_reported(tg, wire, monkeypatch):
    """Not an administrator there with Manage topics: the owner (here the Telegram moderator
    in the settings, telegram:9000) hears at start-up, not from the first failed question."""
    monkeypatch.setattr(tg.app.settings, "telegram_forum_chat_id", FORUM_ID)
    wire.set_member_status(FORUM_ID, BOT_ID, "administrator")  # no can_manage_topics
    assert await tg.check_forum() == ["telegram.forum_rights_missing"]
    (call,) = wire.of("getChatMember")
    assert (call["chat_id"], call["user_id"]) == (FORUM_ID, BOT_ID)
    (told,) = wire.of("sendMessage")
    assert told["chat_id"] == 9000
    assert "Manage topics" in told["text"] and str(FORUM_ID) in told["text"]


async def test_a_forum_the_bot_manages_topics_in_reports_nothing(tg, wire, monkeypatch):
    monkeypatch.setattr(tg.app.settings, "telegram_forum_chat_id", FORUM_ID)
    wire.set_member_status(FORUM_ID, BOT_ID, "administrator", can_manage_topics=True)
    assert await tg.check_forum() == []
    assert not wire.of("sendMessage")


async def test_a_forum_the_bot_is_not_in_is_reported(tg, wire, monkeypatch):
    monkeypatch.setattr(tg.app.settings, "telegram_forum_chat_id", FORUM_ID)
    wire.fail("getChatMember", 400, "Bad Request: chat not found")
    assert await tg.check_forum() == ["telegram.forum_unreachable"]
    assert "cannot reach the forum" in wire.of("sendMessage")[0]["text"]


async def test_no_forum_set_checks_nothing(tg, wire):
    assert await tg.check_forum() == []
    assert wire.methods() == []
