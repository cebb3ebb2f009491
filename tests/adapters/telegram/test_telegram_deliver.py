"""The outbox's Telegram deliverer: what each Bot API answer means for the next attempt."""

from __future__ import annotations

import base64

from tg_payloads import GROUP_ID

from bot.telegram.deliver import TelegramDeliverer
from core.ports import SendOutcome

DIGEST = {
    "text": "Your week: **3 lessons** done.\nNext: `JOIN` basics",
    "markup": "markdown",
    "buttons": [[{"label": "Open course", "url": "https://example.org/c/1"}]],
}


async def test_digest_is_sent_as_html_with_its_buttons(bot, wire):
    out = await TelegramDeliverer(bot).deliver("4242", DIGEST)
    assert out.status == "sent" and out.message_ref
    (call,) = wire.of("sendMessage")
    assert call["chat_id"] == 4242 and call["parse_mode"] == "HTML"
    assert "<b>3 lessons</b>" in call["text"] and "<code>JOIN</code>" in call["text"]
    assert call["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://example.org/c/1"


async def test_a_silent_message_and_photo_go_without_a_notification(bot, wire):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    await TelegramDeliverer(bot).deliver("4242", {**DIGEST, "silent": True})
    await TelegramDeliverer(bot).deliver(
        "4242", {"caption": "Chart", "photo_b64": png, "silent": True}
    )
    await TelegramDeliverer(bot).deliver("4242", DIGEST)
    (quiet, loud), (photo,) = wire.of("sendMessage"), wire.of("sendPhoto")
    assert quiet["disable_notification"] is True and photo["disable_notification"] is True
    assert "disable_notification" not in loud.params


async def test_member_who_blocked_the_bot_is_unreachable_not_retried(bot, wire):
    wire.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    out = await TelegramDeliverer(bot).deliver("4242", DIGEST)
    assert out.status == "unreachable" and "blocked" in out.error


async def test_flood_limit_429_is_retried_after_what_telegram_says(bot, wire):
    wire.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    out = await TelegramDeliverer(bot).deliver(str(GROUP_ID), DIGEST)
    assert out == SendOutcome("retry", retry_after=7.0, error=out.error)
    assert (await TelegramDeliverer(bot).deliver(str(GROUP_ID), DIGEST)).status == "sent"


async def test_server_errors_retry_and_bad_requests_fail(bot, wire):
    wire.fail("sendMessage", 502, "Bad Gateway")
    assert (await TelegramDeliverer(bot).deliver("4242", DIGEST)).status == "retry"
    wire.fail("sendMessage", 500, "Internal Server Error")
    assert (await TelegramDeliverer(bot).deliver("4242", DIGEST)).status == "retry"
    wire.fail("sendMessage", 400, "Bad Request: can't parse entities")
    out = await TelegramDeliverer(bot).deliver("4242", DIGEST)
    assert out.status == "failed" and "parse entities" in out.error


async def test_chart_digest_goes_as_photo_with_caption(bot, wire):
    payload = {"photo_b64": base64.b64encode(b"\x89PNG fake").decode(), "caption": "Progress <3"}
    assert (await TelegramDeliverer(bot).deliver("4242", payload)).status == "sent"
    (call,) = wire.of("sendPhoto")
    assert "photo" in call.files and call["caption"] == "Progress &lt;3"
