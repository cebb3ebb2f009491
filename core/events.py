"""Platform-neutral inputs. Adapters build these; the router consumes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    platform: str  # telegram|discord|console|system
    user_id: str
    display_name: str = ""
    username: str | None = None
    locale: str | None = None  # platform language hint, e.g. "zh-hans" / "en-US"
    is_platform_admin: bool = False


@dataclass(frozen=True)
class Chat:
    platform: str
    chat_id: str
    kind: str = "private"  # private|group|forum|channel|guild
    thread_id: str | None = None


@dataclass(frozen=True)
class Event:
    actor: Actor
    chat: Chat
    update_id: str | None = None


@dataclass(frozen=True)
class Upload:
    """A file sent with a command (a Telegram document captioned with the command, a
    Discord attachment option), already fetched by the adapter and at most MAX_UPLOAD_BYTES."""

    name: str
    data: bytes


MAX_UPLOAD_BYTES = 2_000_000
"""Adapters fetch no larger file: imports are text, and this is thousands of entries."""


@dataclass(frozen=True)
class Command(Event):
    name: str = ""
    args: str = ""
    upload: Upload | None = None
    too_large: str = ""
    """The name of a file the adapter left unfetched for being over MAX_UPLOAD_BYTES."""
    reply_to_user: str | None = None
    """The platform user id of whoever wrote the message this command replies to (Telegram
    replies): `/solved` sent as a reply to an answer accepts that answerer's answer."""
    reply_to_ref: str | None = None
    """That message's id in its chat, and (`reply_to_text`, `reply_to_url`) the start of its
    text and a link to it where the platform has one: what `/report` hands moderators."""
    reply_to_text: str = ""
    reply_to_url: str = ""
    message_ref: str | None = None
    """The command message's own id in its chat, where the platform lets it be edited."""


@dataclass(frozen=True)
class Message(Event):
    text: str = ""
    reply_to: str | None = None
    message_ref: str | None = None
    """The message's own id in its chat (what a later edit of it names)."""
    media: str = ""
    """What a private message without text held instead ("voice", "photo", "sticker"…):
    the member is told only text is read, rather than met with silence."""


@dataclass(frozen=True)
class MessageEdited(Event):
    """A member changed the text of a message they sent earlier (`message_ref`)."""

    text: str = ""
    message_ref: str = ""


@dataclass(frozen=True)
class Button(Event):
    data: str = ""
    message_ref: str | None = None


@dataclass(frozen=True)
class MemberJoined(Event):
    """Someone entered a community chat/guild (or asked to: join_request=True)."""

    target: str = ""
    invite_link: str | None = None
    join_request: bool = False


@dataclass(frozen=True)
class ChannelSubscribed(Event):
    """Someone joined a channel through a paid Star subscription link, or renewed it: the
    platform took `price` Stars for `period_s` seconds; access runs until `until` (aware UTC)."""

    target: str = ""
    invite_link: str | None = None
    until: Any = None
    period_s: int = 0
    price: int = 0
    renewal: bool = False


@dataclass(frozen=True)
class MemberLeft(Event):
    target: str = ""


@dataclass(frozen=True)
class PaymentReceived(Event):
    """A platform-delivered payment (e.g. Telegram successful_payment)."""

    provider: str = ""
    charge_id: str = ""
    amount: int = 0
    currency: str = ""
    payload: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentRefunded(Event):
    """A platform says a payment was refunded (Telegram refunded_payment): by our own
    refundStarPayment, or by Telegram itself (a dispute, support)."""

    provider: str = ""
    charge_id: str = ""
    amount: int = 0
    currency: str = ""


@dataclass(frozen=True)
class PreCheckout(Event):
    query_id: str = ""
    amount: int = 0
    currency: str = ""
    payload: str = ""


@dataclass(frozen=True)
class EntitlementChanged(Event):
    """Discord Premium Apps entitlement created / updated / deleted (SKU maps to a plan)."""

    action: str = ""  # create|update|delete
    entitlement_id: str = ""
    sku_id: str = ""
    starts_at: Any = None
    ends_at: Any = None


@dataclass(frozen=True)
class Tick(Event):
    """A scheduled job entering the router like any other input."""

    job: str = ""


@dataclass(frozen=True)
class BotStatusChanged(Event):
    """The bot itself was added, promoted, restricted or removed (or blocked in a DM).

    `status` is the platform's new status (member|administrator|left|kicked|restricted);
    `rights` lists the admin rights the bot now holds in `chat` (empty when not an admin).
    """

    status: str = ""
    old_status: str = ""
    rights: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThreadOpened(Event):
    """An adapter opened the thread asked for by `OpenThread`: `thread_ref` finds it again."""

    question_id: int = 0
    thread_ref: str = ""
    url: str = ""
    """A link members can open the thread with ("" when the platform gives none)."""


THREAD_FAILURES = ("no_place", "forbidden", "error")
"""Why an adapter could not open a thread: nowhere to open it (asked in a private chat and
no forum or help channel set), the bot lacks the right to, or the platform failed."""


@dataclass(frozen=True)
class ThreadFailed(Event):
    """An adapter could not open the thread asked for by `OpenThread`."""

    question_id: int = 0
    reason: str = "error"
    """One of :data:`THREAD_FAILURES`."""
