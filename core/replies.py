"""Platform-neutral outputs. Services return these; adapters execute them via bot/render.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.events import Chat


@dataclass(frozen=True)
class ButtonSpec:
    label: str
    data: str | None = None  # signed callback data (core.callbacks)
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """A text message. `to=None` answers in the chat the event came from."""

    text: str
    buttons: list[list[ButtonSpec]] = field(default_factory=list)
    to: Chat | None = None
    member_id: int | None = None  # deliver to this member's DM (adapters resolve the account)
    markup: str = "plain"  # plain|markdown (render.py escapes for each platform)
    ephemeral: bool = False
    silent: bool = False  # no notification sound (a DM in the member's quiet hours)
    # A DM answering something said in a group: this line goes to the group once the DM is
    # delivered ("sent you privately"); if the platform refuses the DM, the adapter says
    # how to open a private chat instead.
    chat_note: str = ""


@dataclass(frozen=True)
class Invite:
    """Give a member a way in: a single-use invite link (Telegram) or a role (Discord)."""

    member_id: int
    platform: str
    target: str
    role: str | None = None
    expires_at: Any = None
    grant_id: int | None = None


@dataclass(frozen=True)
class Kick:
    """Remove access: Telegram ban+unban, Discord role removal (or kick when `hard`)."""

    member_id: int
    platform: str
    target: str
    role: str | None = None
    hard: bool = False
    platform_user_id: str | None = None


@dataclass(frozen=True)
class MemberTag:
    """A short label next to a member's name in a group (Telegram member tag, 0-16
    characters, no emoji); an empty `tag` clears it. Platforms without tags ignore it."""

    member_id: int
    platform: str
    target: str  # chat id
    tag: str = ""


@dataclass(frozen=True)
class SubscriptionInvite:
    """Send a member the paid way into a channel: a Star subscription invite link (Telegram
    createChatSubscriptionInviteLink, `price` Stars every `period_s` seconds)."""

    member_id: int
    platform: str
    target: str  # the channel's chat id
    price: int
    period_s: int = 2592000
    plan_code: str = ""


@dataclass(frozen=True)
class ApproveJoin:
    platform: str
    target: str
    platform_user_id: str
    approve: bool = True


@dataclass(frozen=True)
class OpenThread:
    """Open a discussion thread (Telegram forum topic / Discord thread) for a question."""

    question_id: int
    title: str
    text: str
    tags: list[str] = field(default_factory=list)
    mention_member_ids: list[int] = field(default_factory=list)
    to: Chat | None = None


@dataclass(frozen=True)
class CloseThread:
    """A question's discussion thread is solved: show it in the thread's name (``title``,
    e.g. "✅ …") and, where the platform has such a state, mark it done (Discord: archived,
    with a forum's "solved" tag when it has one). Posting in it stays possible."""

    where: Chat
    title: str


@dataclass(frozen=True)
class DeleteMessage:
    """Take a message of a group down (where the bot has the right): a member's `/report`,
    which would tell the reported author who reported them."""

    where: Chat
    message_ref: str


@dataclass(frozen=True)
class Invoice:
    title: str
    description: str
    payload: str
    currency: str
    amount: int
    provider: str = "telegram_stars"
    url: str | None = None  # checkout URL for web providers (Stripe, demo)
    subscription_period: int | None = None  # seconds; Stars subscription invoices renew


@dataclass(frozen=True)
class AnswerPreCheckout:
    query_id: str
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class Photo:
    data: bytes
    caption: str = ""
    filename: str = "chart.png"


@dataclass(frozen=True)
class Document:
    data: bytes
    filename: str
    caption: str = ""


@dataclass(frozen=True)
class RefundStars:
    platform_user_id: str
    charge_id: str


@dataclass(frozen=True)
class StopStarSubscription:
    """Stop (or, `stop=False`, resume) the automatic renewal of a member's Telegram Stars
    subscription (editUserStarSubscription); `charge_id` is a telegram_payment_charge_id of it."""

    platform_user_id: str
    charge_id: str
    stop: bool = True


AnyReply = (
    Reply
    | Invite
    | Kick
    | MemberTag
    | SubscriptionInvite
    | ApproveJoin
    | OpenThread
    | CloseThread
    | DeleteMessage
    | Invoice
    | AnswerPreCheckout
    | Photo
    | Document
    | RefundStars
    | StopStarSubscription
)
