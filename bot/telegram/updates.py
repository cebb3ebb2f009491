"""Telegram Update -> core.events. Pure translation: no database, no network, no rules."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from telegram import Chat as TgChat
from telegram import ChatMember, ChatMemberUpdated, Update, User
from telegram import Message as TgMessage

from bot.telegram.outgoing import REPLY_THREAD, topic_link
from core.events import (
    Actor,
    BotStatusChanged,
    Button,
    ChannelSubscribed,
    Chat,
    Command,
    Event,
    MemberJoined,
    MemberLeft,
    Message,
    MessageEdited,
    PaymentReceived,
    PaymentRefunded,
    PreCheckout,
)

PLATFORM = "telegram"

# Every update kind the adapter handles; Telegram sends chat_member only when asked explicitly.
ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "pre_checkout_query",
    "chat_member",
    "my_chat_member",
    "chat_join_request",
]

_COMMAND = re.compile(
    r"^/([A-Za-z][A-Za-z0-9_]{0,31})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.S
)
_INSIDE = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER}


def actor_of(user: User) -> Actor:
    return Actor(
        PLATFORM,
        str(user.id),
        display_name=user.full_name,
        username=user.username,
        locale=user.language_code,
    )


def chat_of(chat: TgChat, message: object | None = None) -> Chat:
    """Our Chat; a thread only for real forum topics (the General topic has none)."""
    if chat.type == TgChat.PRIVATE:
        kind = "private"
    elif chat.type == TgChat.CHANNEL:
        kind = "channel"
    elif chat.type == TgChat.SUPERGROUP and chat.is_forum:
        kind = "forum"
    else:
        kind = "group"
    thread: str | None = None
    if message is not None and getattr(message, "is_topic_message", False):
        tid = getattr(message, "message_thread_id", None)
        thread = str(tid) if tid else None
    elif message is not None and kind == "group":
        thread = reply_thread(message)
    return Chat(PLATFORM, str(chat.id), kind, thread)


def reply_thread(message: object) -> str | None:
    """A group without topics discusses in reply chains: "r<root message id>" names one.

    Supergroups mark every message of a chain with its root's id (``message_thread_id``);
    basic groups only say what a message replies to, so there a direct reply to the root
    is all that can be followed. Core decides whether the chain is a question's thread."""
    root = getattr(message, "message_thread_id", None)
    if not root and (parent := getattr(message, "reply_to_message", None)) is not None:
        root = parent.message_id
    return f"{REPLY_THREAD}{root}" if root else None


def private_chat(user_id: int) -> Chat:
    return Chat(PLATFORM, str(user_id), "private")


def parse_command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """`/name@bot args` -> (name, args); None when not a command or addressed to another bot."""
    m = _COMMAND.match(text.strip())
    if not m:
        return None
    name, addressee, args = m.group(1), m.group(2), m.group(3)
    if addressee and (not bot_username or addressee.lower() != bot_username.lower()):
        return None
    return name.lower(), (args or "").strip()


def _is_inside(m: ChatMember) -> bool:
    if m.status in _INSIDE:
        return True
    return m.status == ChatMember.RESTRICTED and bool(getattr(m, "is_member", False))


def _rights(m: ChatMember) -> tuple[str, ...]:
    if m.status != ChatMember.ADMINISTRATOR:
        return ()
    return tuple(
        sorted(
            k
            for k, v in m.to_dict().items()
            if k.startswith("can_") and v is True and k != "can_be_edited"
        )
    )


def _subscription(cm: ChatMemberUpdated, was_inside: bool) -> dict[str, Any] | None:
    """A join through a Star subscription link, or its renewal (the member's `until_date`
    moved later); None for any other change."""
    paid = cm.invite_link if cm.invite_link and cm.invite_link.subscription_period else None
    until = getattr(cm.new_chat_member, "until_date", None)
    before = getattr(cm.old_chat_member, "until_date", None)
    if not was_inside and paid is None:
        return None
    if was_inside and (until is None or (before is not None and until <= before)):
        return None
    if was_inside and paid is None and before is None:
        return None  # an until_date appearing without a paid link: not a renewal we know
    period = paid.subscription_period if paid else None
    return {
        "invite_link": paid.invite_link if paid else None,
        "until": until,
        "period_s": int(period.total_seconds() if isinstance(period, timedelta) else period or 0),
        "price": int(paid.subscription_price or 0) if paid else 0,
        "renewal": was_inside,
    }


def _provider(currency: str) -> str:
    """Stars (XTR) are paid to the bot itself; any other currency went through a provider."""
    return "telegram_stars" if currency == "XTR" else "telegram"


MEDIA = ("voice", "audio", "video_note", "video", "photo", "sticker", "animation")
"""Message contents without text (Bot API `Message` fields), the first present named. A
document is not among them: a file sent without a caption stays unread, as before (a
moderator's `/kb import` file carries the command as its caption)."""


def _from_message(msg: TgMessage, uid: str, bot_username: str | None) -> Event | None:
    if msg.from_user is None:
        return None
    actor = actor_of(msg.from_user)
    chat = chat_of(msg.chat, msg)
    sp = msg.successful_payment
    if sp is not None:
        extra = {
            "provider_payment_charge_id": sp.provider_payment_charge_id,
            "is_recurring": bool(sp.is_recurring),
            "is_first_recurring": bool(sp.is_first_recurring),
            "subscription_expiration_date": sp.subscription_expiration_date,
        }
        return PaymentReceived(
            actor,
            chat,
            uid,
            provider=_provider(sp.currency),
            charge_id=sp.telegram_payment_charge_id,
            amount=sp.total_amount,
            currency=sp.currency,
            payload=sp.invoice_payload,
            extra=extra,
        )
    rp = msg.refunded_payment
    if rp is not None:
        return PaymentRefunded(
            actor,
            chat,
            uid,
            provider=_provider(rp.currency),
            charge_id=rp.telegram_payment_charge_id,
            amount=rp.total_amount,
            currency=rp.currency,
        )
    text = msg.text or msg.caption or ""
    if not text:  # a voice note or a sticker sent to the bot is told what it reads
        media = next((k for k in MEDIA if getattr(msg, k, None)), "")
        if media and chat.kind == "private":
            return Message(actor, chat, uid, media=media, message_ref=str(msg.message_id))
        return None  # service messages, media in groups: nothing for the router
    # A document captioned with a command ("/kb import") is that command with the file;
    # the adapter fetches the file before dispatch (TelegramAdapter.dispatch).
    reply_to = msg.reply_to_message
    # In a forum, every topic message "replies" to the topic's first message: not a real reply.
    if (
        reply_to is not None
        and msg.is_topic_message
        and reply_to.message_id == msg.message_thread_id
    ):
        reply_to = None
    if text.startswith("/") and (msg.text or msg.document is not None):
        if (parsed := parse_command(text, bot_username)) is None:
            return None
        author = reply_to.from_user if reply_to is not None else None
        return Command(
            actor,
            chat,
            uid,
            name=parsed[0],
            args=parsed[1],
            reply_to_user=str(author.id) if author is not None else None,
            reply_to_ref=str(reply_to.message_id) if reply_to is not None else None,
            reply_to_text=(reply_to.text or reply_to.caption or "")[:1000] if reply_to else "",
            reply_to_url=_message_link(msg.chat, reply_to.message_id) if reply_to else "",
            message_ref=str(msg.message_id),
        )
    return Message(
        actor,
        chat,
        uid,
        text=text,
        reply_to=str(reply_to.message_id) if reply_to else None,
        message_ref=str(msg.message_id),
    )


def _message_link(chat: TgChat, message_id: int) -> str:
    """A link that opens one message of a group: by the group's public name, else the
    private-group form (the same shapes as a forum topic's link)."""
    return topic_link(f"@{chat.username}" if chat.username else chat.id, message_id)


def _edited(msg: TgMessage, uid: str, bot_username: str | None) -> MessageEdited | None:
    """A member corrected a message: core updates what it recorded from it (an answer, or a
    question: an edited ``/ask`` too)."""
    text = msg.text or msg.caption or ""
    if msg.from_user is None or not text:
        return None
    if text.startswith("/"):
        parsed = parse_command(text, bot_username)
        if parsed is None or parsed[0] != "ask":
            return None
        text = f"/ask {parsed[1]}"  # without "@OurBot"
    return MessageEdited(
        actor_of(msg.from_user), chat_of(msg.chat, msg), uid, text, str(msg.message_id)
    )


def to_event(update: Update, bot_username: str | None) -> Event | None:
    """The core event for one update, or None for updates the product does not use."""
    uid = str(update.update_id)
    if update.message is not None:
        return _from_message(update.message, uid, bot_username)
    if update.edited_message is not None:
        return _edited(update.edited_message, uid, bot_username)
    if (cq := update.callback_query) is not None:
        msg = cq.message
        chat = chat_of(msg.chat, msg) if msg is not None else private_chat(cq.from_user.id)
        return Button(
            actor_of(cq.from_user),
            chat,
            uid,
            data=cq.data or "",
            message_ref=str(msg.message_id) if msg is not None else None,
        )
    if (pq := update.pre_checkout_query) is not None:
        return PreCheckout(
            actor_of(pq.from_user),
            private_chat(pq.from_user.id),
            uid,
            query_id=pq.id,
            amount=pq.total_amount,
            currency=pq.currency,
            payload=pq.invoice_payload,
        )
    if (cm := update.chat_member) is not None:
        was, now = _is_inside(cm.old_chat_member), _is_inside(cm.new_chat_member)
        actor = actor_of(cm.new_chat_member.user)
        chat = chat_of(cm.chat)
        link = cm.invite_link.invite_link if cm.invite_link else None
        if now and (sub := _subscription(cm, was)) is not None:
            return ChannelSubscribed(actor, chat, uid, target=str(cm.chat.id), **sub)
        if now and not was:
            return MemberJoined(actor, chat, uid, target=str(cm.chat.id), invite_link=link)
        if was and not now:
            return MemberLeft(actor, chat, uid, target=str(cm.chat.id))
        return None  # promotions, restrictions: not a change of who is inside
    if (jr := update.chat_join_request) is not None:
        # The request's user_chat_id lets the bot DM the person for 5 minutes: replies go there.
        return MemberJoined(
            actor_of(jr.from_user),
            private_chat(jr.user_chat_id),
            uid,
            target=str(jr.chat.id),
            invite_link=jr.invite_link.invite_link if jr.invite_link else None,
            join_request=True,
        )
    if (mcm := update.my_chat_member) is not None:
        return BotStatusChanged(
            actor_of(mcm.from_user),
            chat_of(mcm.chat),
            uid,
            status=str(mcm.new_chat_member.status),
            old_status=str(mcm.old_chat_member.status),
            rights=_rights(mcm.new_chat_member),
        )
    return None
