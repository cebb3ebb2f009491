"""core.replies -> Bot API calls. Each reply is carried out on its own; one failure stops nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from telegram import Bot, InputFile, LabeledPrice
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.render import escape
from bot.telegram.deliver import retry_seconds
from bot.telegram.outgoing import (
    REPLY_THREAD,
    caption,
    chat_arg,
    send_text,
    text_for,
    thread_kwargs,
    topic_link,
)
from bot.telegram.updates import PLATFORM
from bot.wiring import App
from core.events import Actor, Chat, Event, ThreadFailed, ThreadOpened
from core.i18n import translate
from core.replies import (
    AnswerPreCheckout,
    AnyReply,
    ApproveJoin,
    ButtonSpec,
    CloseThread,
    DeleteMessage,
    Document,
    Invite,
    Invoice,
    Kick,
    MemberTag,
    OpenThread,
    Photo,
    RefundStars,
    Reply,
    StopStarSubscription,
    SubscriptionInvite,
)
from models.member import Account, Member

log = logging.getLogger("syllabot.telegram")

# Replies that do no harm when sent a second time (an Invite would mint a second link).
_RESENDABLE = (Reply, AnswerPreCheckout, ApproveJoin, Photo, Document)

INVITE_DEFAULT_TTL = timedelta(days=1)
TOPIC_NAME_LIMIT = 128


@dataclass(frozen=True)
class Recipient:
    chat_id: str
    user_id: str
    locale: str
    name: str


def forum_chat_id(app: App) -> str | None:
    """The community's forum supergroup (settings.telegram_forum_chat_id, once settings has it)."""
    value = getattr(app.settings, "telegram_forum_chat_id", None)
    return str(value) if value else None


class Executor:
    """Carries out the replies of one event (or of a job) with a real `telegram.Bot`."""

    # A flood wait this short is waited out inline for replies that are safe to send again.
    max_inline_wait = 5.0

    def __init__(self, bot: Bot, app: App) -> None:
        self.bot = bot
        self.app = app
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._subscription_links: dict[tuple[str, int, int], str] = {}
        self._notes_said: set[str] = set()  # group notes already sent, by kind and update

    async def run(self, replies: Sequence[AnyReply], origin: Event | None = None) -> None:
        """Carry out `replies`; those for another platform go to its executor when they came
        from a Telegram update (never back again: that could ping-pong)."""
        foreign: list[AnyReply] = []
        for reply in replies:
            try:
                if not await self._one_with_retry(reply, origin):
                    foreign.append(reply)
            except TelegramError as exc:
                log.warning("telegram: %s failed: %s", type(reply).__name__, exc)
        if foreign and origin is not None:
            await self._hand_over(foreign)

    async def _one_with_retry(self, reply: AnyReply, origin: Event | None) -> bool:
        try:
            return await self._one(reply, origin)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if wait > self.max_inline_wait or not isinstance(reply, _RESENDABLE):
                raise
            log.info("telegram flood wait %.0fs before resending %s", wait, type(reply).__name__)
            await self.sleep(wait)
            return await self._one(reply, origin)

    async def _hand_over(self, replies: list[AnyReply]) -> None:
        executors = self.app.services.extras.get("executors", {})
        for platform, run in executors.items():
            if platform == PLATFORM:
                continue
            mine = [
                r for r in replies if getattr(r, "platform", platform) == platform
            ]  # member DMs (no .platform) are offered to every other platform
            if not mine:
                continue
            try:
                await run(mine)
            except Exception:
                log.exception("handing %d replies to %s failed", len(mine), platform)

    async def recipient(self, member_id: int) -> Recipient | None:
        """Where a member's DMs go on Telegram; None if they have no Telegram account."""
        async with self.app.services.session_factory() as session:
            row = (
                await session.execute(
                    select(Account, Member)
                    .join(Member, Member.id == Account.member_id)
                    .where(Account.member_id == member_id, Account.platform == PLATFORM)
                )
            ).first()
        if row is None:
            return None
        acc, member = row
        return Recipient(
            acc.chat_id or acc.platform_user_id,
            acc.platform_user_id,
            member.locale,
            member.display_name,
        )

    def _origin_chat(self, origin: Event | None) -> Chat | None:
        if origin is not None and origin.chat.platform == PLATFORM:
            return origin.chat
        return None

    async def _one(self, r: AnyReply, origin: Event | None) -> bool:
        """Do one reply; False when it belongs to another platform."""
        here = self._origin_chat(origin)
        if isinstance(r, Reply):
            return await self._reply(r, here, origin)
        elif isinstance(r, AnswerPreCheckout):
            await self.bot.answer_pre_checkout_query(
                r.query_id, ok=r.ok, error_message=None if r.ok else (r.error or "")[:255] or "-"
            )
        elif isinstance(r, OpenThread):
            await self._thread(r, here, origin)
        elif isinstance(r, CloseThread):
            if r.where.platform != PLATFORM:
                return False
            # A topic in the forum; a reply chain in a group without one has no name to change.
            if r.where.thread_id and not r.where.thread_id.startswith(REPLY_THREAD):
                await self.bot.edit_forum_topic(
                    chat_arg(r.where.chat_id),
                    int(r.where.thread_id),
                    name=r.title[:TOPIC_NAME_LIMIT],
                )
        elif isinstance(r, DeleteMessage):
            if r.where.platform != PLATFORM:
                return False
            # without the right to delete, the message stays (logged by the caller)
            await self.bot.delete_message(chat_arg(r.where.chat_id), int(r.message_ref))
        elif isinstance(r, RefundStars):
            await self.bot.refund_star_payment(int(r.platform_user_id), r.charge_id)
        elif isinstance(r, StopStarSubscription):
            await self.bot.edit_user_star_subscription(
                int(r.platform_user_id), r.charge_id, is_canceled=r.stop
            )
        elif isinstance(r, (Invite, Kick, ApproveJoin)):
            if r.platform != PLATFORM:
                return False
            await self._access(r)
        elif isinstance(r, SubscriptionInvite):
            if r.platform != PLATFORM:
                return False
            await self._subscription_invite(r, here, origin.actor if origin else None)
        elif isinstance(r, MemberTag):
            if r.platform != PLATFORM:
                return False
            await self._member_tag(r)
        elif here is None:
            log.debug("%s has no telegram chat to go to", type(r).__name__)
        elif isinstance(r, Invoice):
            await self._invoice(r, here, origin.actor if origin else None)
        elif isinstance(r, (Photo, Document)):
            send = self.bot.send_photo if isinstance(r, Photo) else self.bot.send_document
            await send(
                chat_arg(here.chat_id),
                InputFile(r.data, filename=r.filename),
                caption=caption(r.caption),
                parse_mode=ParseMode.HTML,
                **thread_kwargs(here.thread_id),
            )
        return True

    async def _access(self, r: Invite | Kick | ApproveJoin) -> None:
        if isinstance(r, Invite):
            await self._invite(r)
        elif isinstance(r, Kick):
            await self._kick(r)
        elif r.approve:
            await self.bot.approve_chat_join_request(chat_arg(r.target), int(r.platform_user_id))
        else:
            await self.bot.decline_chat_join_request(chat_arg(r.target), int(r.platform_user_id))

    async def _reply(self, r: Reply, here: Chat | None, origin: Event | None = None) -> bool:
        if r.member_id is not None:
            who = await self.recipient(r.member_id)
            if who is None:  # known on another platform only
                return False
            sent = await self._private(r, who, here, origin)
            if sent and r.chat_note and here is not None and here.kind != "private":
                await send_text(self.bot, here.chat_id, r.chat_note, thread_id=here.thread_id)
            return True
        if (
            r.ephemeral
            and r.to is None
            and here is not None
            and here.kind != "private"
            and origin is not None
            and origin.actor.platform == PLATFORM
        ):
            # "Only you can see this" (a /link code, a moderator's lookup): Telegram has no
            # such message in a group, so it goes privately to the one who asked.
            actor = origin.actor
            locale = actor.locale or self.app.services.settings.locale
            who = Recipient(actor.user_id, actor.user_id, locale, actor.display_name)
            sent = await self._private(r, who, here, origin)
            if sent and self._first_note(origin, "sent"):  # one note however many answers
                note = translate(locale, "telegram.sent_privately")
                await send_text(self.bot, here.chat_id, note, thread_id=here.thread_id)
            return True
        target = r.to if r.to is not None else here
        if target is None:
            return True
        if target.platform != PLATFORM:
            return False
        chat_id, thread_id = target.chat_id, target.thread_id
        await send_text(
            self.bot,
            chat_id,
            r.text,
            markup=r.markup,
            buttons=r.buttons,
            thread_id=thread_id,
            silent=r.silent,
        )
        return True

    async def _private(
        self, r: Reply, who: Recipient, here: Chat | None, origin: Event | None
    ) -> bool:
        """`r` as a private message to `who`; False when Telegram refused it and the group
        was told how to open a chat with the bot instead."""
        try:
            await send_text(
                self.bot, who.chat_id, r.text, markup=r.markup, buttons=r.buttons, silent=r.silent
            )
        except Forbidden:
            if not await self._say_start_me(who, here, origin):
                raise
            return False
        return True

    def _first_note(self, origin: Event, kind: str) -> bool:
        """True the first time a group note of this kind is due for this update."""
        key = f"{kind}:{origin.update_id}"
        if key in self._notes_said:
            return False
        if len(self._notes_said) > 10_000:  # a long-running process: keep it bounded
            self._notes_said.clear()
        self._notes_said.add(key)
        return True

    async def _say_start_me(self, who: Recipient, here: Chat | None, origin: Event | None) -> bool:
        """A private answer to someone who wrote in a group but never opened a chat with the
        bot (Telegram refuses it): say so in the group, once per update, with the link that
        opens that chat. False when there is no such group message to answer."""
        if (
            here is None
            or here.kind == "private"
            or origin is None
            or origin.actor.user_id != who.user_id
        ):
            return False
        if not self._first_note(origin, "start_me"):
            return True  # said already for this update

        username = self.bot.username
        buttons = (
            [
                [
                    ButtonSpec(
                        translate(who.locale, "telegram.start_me_button"),
                        url=f"https://t.me/{username}",
                    )
                ]
            ]
            if username
            else []
        )
        await send_text(
            self.bot,
            here.chat_id,
            translate(who.locale, "telegram.start_me", name=who.name),
            buttons=buttons,
            thread_id=here.thread_id,
        )
        return True

    async def _invoice(self, r: Invoice, here: Chat, actor: Actor | None) -> None:
        period = r.subscription_period  # Stars subscription invoices
        stars = r.provider == "telegram_stars" and r.currency.upper() == "XTR"
        form: dict[str, Any] = {  # the same Stars invoice, as a message or as a link
            "title": r.title[:32],
            "description": r.description[:255] or r.title[:32],
            "payload": r.payload,
            "provider_token": "",
            "currency": "XTR",
            "prices": [LabeledPrice(r.title[:32], r.amount)],
        }
        if stars and (period or here.kind != "private"):
            # sendInvoice cannot carry a subscription period, and an invoice message in a
            # group is a payment form for everyone there: a link button opens it for the
            # one who taps (anyone else is refused at pre-checkout: the payload is theirs).
            url = await self.bot.create_invoice_link(**form, subscription_period=period)
            locale = actor.locale if actor else None
            label = text_for(locale, "telegram.pay_button", title=f"{r.title} ({r.amount} ⭐)")
            await send_text(
                self.bot,
                here.chat_id,
                r.description or r.title,
                buttons=[[ButtonSpec(label, url=url)]],
                thread_id=here.thread_id,
            )
        elif stars:
            await self.bot.send_invoice(
                chat_id=chat_arg(here.chat_id), **form, **thread_kwargs(here.thread_id)
            )
        elif r.url:
            locale = actor.locale if actor else None
            label = text_for(locale, "telegram.pay_button", title=r.title)
            await send_text(
                self.bot,
                here.chat_id,
                r.description or r.title,
                buttons=[[ButtonSpec(label, url=r.url)]],
                thread_id=here.thread_id,
            )
        else:
            log.warning("invoice for %s %s has no way to pay on telegram", r.provider, r.currency)

    async def _invite(self, r: Invite) -> None:
        who = await self.recipient(r.member_id)
        if who is None:
            log.warning("invite for member %s who has no telegram account", r.member_id)
            return
        expires = r.expires_at if isinstance(r.expires_at, datetime) else None
        if expires is None:
            expires = self.app.services.clock.now() + INVITE_DEFAULT_TTL
        link = await self.bot.create_chat_invite_link(
            chat_arg(r.target),
            expire_date=expires,
            member_limit=1,
            name=(f"grant {r.grant_id}" if r.grant_id else f"member {r.member_id}")[:32],
        )
        if r.grant_id is not None:  # so a join through someone else's link can be caught
            from core.membership.grants import record_invite_link

            async with self.app.services.session_factory() as session, session.begin():
                await record_invite_link(session, r.grant_id, link.invite_link)
        text = text_for(
            who.locale,
            "telegram.invite_link",
            link=link.invite_link,
            expires=f"{expires:%Y-%m-%d %H:%M}",
        )
        await send_text(self.bot, who.chat_id, text)

    async def _member_tag(self, r: MemberTag) -> None:
        """setChatMemberTag (Bot API 10): the bot needs can_manage_tags; "" clears the tag."""
        who = await self.recipient(r.member_id)
        if who is None:
            log.warning("member tag for member %s who has no telegram account", r.member_id)
            return
        await self.bot.set_chat_member_tag(chat_arg(r.target), int(who.user_id), r.tag[:16])

    async def _subscription_invite(
        self, r: SubscriptionInvite, here: Chat | None, actor: Actor | None
    ) -> None:
        """A Star subscription link to the channel (one per channel and price, reused: it is
        not personal, Telegram charges whoever joins through it)."""
        key = (r.target, r.price, r.period_s)
        link = self._subscription_links.get(key)
        if link is None:
            made = await self.bot.create_chat_subscription_invite_link(
                chat_arg(r.target),
                subscription_period=r.period_s,
                subscription_price=r.price,
                name=(f"plan {r.plan_code}" if r.plan_code else "subscription")[:32],
            )
            link = self._subscription_links[key] = made.invite_link
        who = await self.recipient(r.member_id)
        chat, thread = (here.chat_id, here.thread_id) if here is not None else (None, None)
        if chat is None and who is not None:
            chat = who.chat_id
        if chat is None:
            log.warning("subscription link for member %s: nowhere to send it", r.member_id)
            return
        locale = who.locale if who is not None else (actor.locale if actor else None)
        text = text_for(
            locale, "telegram.subscription_link", price=r.price, days=r.period_s // 86400
        )
        button = text_for(locale, "telegram.subscription_button", price=r.price)
        await send_text(
            self.bot, chat, text, buttons=[[ButtonSpec(button, url=link)]], thread_id=thread
        )

    async def _kick(self, r: Kick) -> None:
        user_id = r.platform_user_id
        if user_id is None:
            who = await self.recipient(r.member_id)
            if who is None:
                log.warning("kick for member %s who has no telegram account", r.member_id)
                return
            user_id = who.user_id
        # ban then unban: removes the person but lets them come back with a new invite later
        await self.bot.ban_chat_member(chat_arg(r.target), int(user_id))
        await self.bot.unban_chat_member(chat_arg(r.target), int(user_id), only_if_banned=True)

    async def _thread(self, r: OpenThread, here: Chat | None, origin: Event | None) -> None:
        forum = r.to if r.to is not None and r.to.platform == PLATFORM else None
        forum_id = forum.chat_id if forum else forum_chat_id(self.app)
        if forum_id is None and here is not None and here.kind == "forum":
            forum_id = here.chat_id  # asked in a forum no setting names: a topic there
        parts = [escape(PLATFORM, r.text)]
        mentions = []
        for mid in r.mention_member_ids:
            who = await self.recipient(mid)
            if who is not None:
                mentions.append(
                    f'<a href="tg://user?id={int(who.user_id)}">{escape(PLATFORM, who.name)}</a>'
                )
        if mentions:
            locale = self.app.services.settings.locale
            ping = escape(PLATFORM, translate(locale, "qa.thread_ping", mentions="\x00"))
            parts.append(ping.replace("\x00", " ".join(mentions)))
        if r.tags:
            parts.append(escape(PLATFORM, " ".join("#" + t.replace(" ", "_") for t in r.tags)))
        body = "\n\n".join(parts)
        if forum_id is None:
            if here is not None and here.kind != "private":
                await self._reply_chain(r, here, origin, body)
            else:  # a private chat is no place for a discussion
                await self._thread_failed(r, origin, "no_place")
            return
        try:
            topic = await self.bot.create_forum_topic(
                chat_arg(forum_id), r.title[:TOPIC_NAME_LIMIT] or "?"
            )
        except (Forbidden, BadRequest) as exc:
            # Not an administrator with Manage topics, not in the chat, or topics are off.
            log.warning("question %s: no topic in %s: %s", r.question_id, forum_id, exc)
            rights = isinstance(exc, Forbidden) or "right" in str(exc).lower()
            await self._thread_failed(r, origin, "forbidden" if rights else "error")
            return
        if origin is not None:  # core first: a failed post below must not orphan the topic
            await self._opened(
                r,
                origin,
                Chat(PLATFORM, str(forum_id), "forum", str(topic.message_thread_id)),
                f"topic:{forum_id}:{topic.message_thread_id}",
                f"{forum_id}:{topic.message_thread_id}",
                topic_link(forum_id, topic.message_thread_id),
            )
        await send_text(self.bot, forum_id, body, markup="html", thread_id=topic.message_thread_id)

    async def _reply_chain(
        self, r: OpenThread, here: Chat, origin: Event | None, body: str
    ) -> None:
        """No forum configured: the question is posted in the group where it was asked, and
        the replies to that post are its thread. The post starts a chain of its own (were it
        a reply, Telegram would file the answers under the older chain's root)."""
        try:
            sent = await send_text(self.bot, here.chat_id, body, markup="html")
        except (Forbidden, BadRequest) as exc:  # e.g. muted in the group, or removed from it
            log.warning("question %s: no post in %s: %s", r.question_id, here.chat_id, exc)
            await self._thread_failed(
                r, origin, "forbidden" if isinstance(exc, Forbidden) else "error"
            )
            return
        if origin is None or not sent:
            return
        root = sent[0].message_id
        await self._opened(
            r,
            origin,
            Chat(PLATFORM, here.chat_id, here.kind, f"{REPLY_THREAD}{root}"),
            f"chain:{here.chat_id}:{root}",
            f"{REPLY_THREAD}{root}",
            topic_link(here.chat_id, root),
        )

    async def _opened(
        self, r: OpenThread, origin: Event, where: Chat, update_id: str, ref: str, url: str
    ) -> None:
        """Tell core where the question's thread is, then do what it answers (on a retry,
        the asker's DM with the link)."""
        opened = await self.app.router.dispatch(
            ThreadOpened(
                origin.actor, where, update_id, question_id=r.question_id, thread_ref=ref, url=url
            )
        )
        await self.run([x for x in opened if not isinstance(x, OpenThread)], origin)

    async def _thread_failed(self, r: OpenThread, origin: Event | None, reason: str) -> None:
        """Core tells the asker and the moderators what happens instead."""
        if origin is None:
            log.warning("question %s: no thread (%s) and no one to tell", r.question_id, reason)
            return
        replies = await self.app.router.dispatch(
            ThreadFailed(
                origin.actor,
                origin.chat,
                f"thread-failed:{r.question_id}",
                question_id=r.question_id,
                reason=reason,
            )
        )
        await self.run([x for x in replies if not isinstance(x, OpenThread)], origin)
