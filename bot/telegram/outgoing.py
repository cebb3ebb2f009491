"""Core text -> Telegram HTML messages: escaping, markdown subset, 4096 splits, inline keyboards."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram import Message as TgMessage
from telegram.constants import ParseMode

from bot.render import escape, split
from core.i18n import has_key, normalize_locale, translate
from core.replies import ButtonSpec

PLATFORM = "telegram"
CAPTION_LIMIT = 1024

# Adapter wording, used until the catalogs carry these keys (core/i18n/catalogs/*/telegram.toml).
_FALLBACK: dict[str, dict[str, str]] = {
    "telegram.invite_link": {
        "en": "Here is your personal invite link (one person, valid until {expires} UTC): {link}",
        "zh-CN": "这是你的专属邀请链接（仅限一人使用，{expires} UTC 前有效）：{link}",
    },
    "telegram.pay_button": {"en": "Pay: {title}", "zh-CN": "支付：{title}"},
    "telegram.payments_unavailable": {
        "en": "Payments are not available right now. You have not been charged.",
        "zh-CN": "暂时无法付款，你没有被扣费。",
    },
}


def text_for(locale: str | None, key: str, /, **params: Any) -> str:
    """Translate `key`; the adapter's own fallback wording while the catalog lacks it."""
    if has_key(key):
        return translate(locale, key, **params)
    table = _FALLBACK[key]
    return table.get(normalize_locale(locale), table["en"]).format(**params)


_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)([^*_\n]+?)(?<=\S)[*_](?![\w*])")


def _inline(escaped: str) -> str:
    escaped = _LINK.sub(
        lambda m: f'<a href="{m.group(2).replace(chr(34), "&quot;")}">{m.group(1)}</a>', escaped
    )
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _ITALIC.sub(r"<i>\1</i>", escaped)


def to_html(text: str, markup: str = "plain") -> str:
    """Plain text is escaped verbatim; markdown (**b**, *i*, `code`, [a](url)) becomes HTML.

    "html" is for the adapter's own, already escaped, markup.
    """
    if markup == "html":
        return text
    if markup != "markdown":
        return escape(PLATFORM, text)
    out: list[str] = []
    pos = 0
    for m in _CODE.finditer(text):
        out.append(_inline(escape(PLATFORM, text[pos : m.start()])))
        out.append(f"<code>{html.escape(m.group(1), quote=False)}</code>")
        pos = m.end()
    out.append(_inline(escape(PLATFORM, text[pos:])))
    return "".join(out)


def keyboard(rows: Sequence[Sequence[ButtonSpec | dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from ButtonSpecs (or their outbox dict form); callback data is core's."""
    out: list[list[InlineKeyboardButton]] = []
    for row in rows:
        line: list[InlineKeyboardButton] = []
        for b in row:
            spec = b if isinstance(b, ButtonSpec) else ButtonSpec(**b)
            if spec.url:
                line.append(InlineKeyboardButton(spec.label, url=spec.url))
            elif spec.data:
                line.append(InlineKeyboardButton(spec.label, callback_data=spec.data))
        if line:
            out.append(line)
    return InlineKeyboardMarkup(out) if out else None


def chat_arg(chat_id: str | int) -> str | int:
    """Numeric chat ids go out as Integers; "@channelname" stays a String."""
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdecimal() else text


def topic_link(chat_id: str | int, thread_id: str | int) -> str:
    """The t.me link that opens a forum topic: by username for a public group, else the
    private-group form (supergroup ids are -100 followed by the id the link uses); "" for a
    chat that has neither."""
    text = str(chat_id)
    if text.startswith("@") and len(text) > 1:
        return f"https://t.me/{text[1:]}/{thread_id}"
    if text.startswith("-100") and text[4:].isdecimal():
        return f"https://t.me/c/{text[4:]}/{thread_id}"
    return ""


REPLY_THREAD = "r"
"""Prefix of a reply-chain thread ("r<root message id>") in a group without topics."""


def thread_kwargs(thread_id: str | int | None) -> dict[str, Any]:
    """Where in a chat a message goes: a forum topic by ``message_thread_id`` (none for the
    General topic, id 1, and plain chats); a reply chain as a reply to its root, since
    ``message_thread_id`` is for forums only and the root may since have been deleted."""
    text = "" if thread_id is None else str(thread_id)
    if text in ("", "1"):
        return {}
    if text.startswith(REPLY_THREAD):
        root = int(text[len(REPLY_THREAD) :])
        return {"reply_parameters": ReplyParameters(root, allow_sending_without_reply=True)}
    return {"message_thread_id": int(text)}


async def send_text(
    bot: Bot,
    chat_id: str | int,
    text: str,
    *,
    markup: str = "plain",
    buttons: Sequence[Sequence[ButtonSpec | dict[str, Any]]] = (),
    thread_id: str | int | None = None,
    silent: bool = False,
) -> list[TgMessage]:
    """Send `text` as HTML in as many messages as the 4096 limit needs; buttons on the last.
    `silent` messages arrive without a notification sound."""
    parts = [p for p in split(PLATFORM, text) if p.strip()]
    sent: list[TgMessage] = []
    for i, part in enumerate(parts):
        sent.append(
            await bot.send_message(
                chat_id=chat_arg(chat_id),
                text=to_html(part, markup),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(buttons) if i == len(parts) - 1 else None,
                **thread_kwargs(thread_id),
                disable_notification=True if silent else None,
            )
        )
    return sent


def caption(text: str) -> str | None:
    """Captions are limited to 1024 characters; longer ones are cut, never refused."""
    if not text:
        return None
    return escape(PLATFORM, text if len(text) <= CAPTION_LIMIT else text[: CAPTION_LIMIT - 1] + "…")
