"""The python-telegram-bot Application: one callback per update kind, each a thin translation.

Update -> core event (updates.py) -> app.router.dispatch -> replies -> Bot API (execute.py).
No JobQueue: scheduling is core's. The network is injectable (`request`) for tests.
"""

from __future__ import annotations

import dataclasses
import logging
from contextvars import ContextVar
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeChat,
    ChatMember,
    Update,
)
from telegram import Document as TgDocument
from telegram import Message as TgMessage
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.telegram.deliver import TelegramDeliverer
from bot.telegram.execute import Executor, forum_chat_id
from bot.telegram.outgoing import chat_arg, send_text, text_for
from bot.telegram.updates import MEDIA, PLATFORM, to_event
from bot.wiring import App
from core.context import Role
from core.errors import Unavailable
from core.events import (
    MAX_UPLOAD_BYTES,
    BotStatusChanged,
    Button,
    Command,
    Event,
    PreCheckout,
    Upload,
)
from core.i18n import translate
from core.qa import curation as qa_curation
from core.replies import AnswerPreCheckout, AnyReply, Reply
from core.router import CommandSpec

log = logging.getLogger("syllabot.telegram")
# Set while a webhook body is processed: Telegram redelivers it if we answer 5xx.
_REDELIVERED: ContextVar[bool] = ContextVar("telegram_redelivered", default=False)

LANGUAGES = {"en": "en", "zh": "zh-CN"}  # Telegram language_code -> our locale
CALLBACK_TEXT_LIMIT = 200
_ADMIN = {ChatMember.ADMINISTRATOR, ChatMember.OWNER}


def bot_commands(specs: list[CommandSpec], locale: str) -> list[BotCommand]:
    """Telegram's menu: names [a-z0-9_]{1,32}, descriptions 1..256 characters, at most 100."""
    out = []
    for spec in specs:
        if not spec.name.replace("_", "").isalnum() or not spec.name.islower():
            continue
        desc = translate(locale, spec.help_key).strip() or spec.name
        out.append(BotCommand(spec.name, desc[:256]))
    return out[:100]


class _HoldsMedia(filters.MessageFilter):
    """A message holding one of `updates.MEDIA`: that one list says which contents are
    told "only text is read", here and where the update is translated."""

    def filter(self, message: TgMessage) -> bool:
        return any(getattr(message, kind, None) for kind in MEDIA)


class TelegramAdapter:
    """Owns the PTB Application for one App; webhook route and runner share it."""

    def __init__(
        self,
        app: App,
        *,
        token: str | None = None,
        request: BaseRequest | None = None,
        get_updates_request: BaseRequest | None = None,
    ) -> None:
        self.app = app
        if token is None:
            secret = app.settings.telegram_token
            token = secret.get_secret_value() if secret is not None else ""
        if not token:
            raise ValueError("SYLLABOT_TELEGRAM_TOKEN is not set")
        builder = ApplicationBuilder().token(token).job_queue(None)
        if request is not None:
            builder = builder.request(request)
        if get_updates_request is not None:
            builder = builder.get_updates_request(get_updates_request)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.bot = self.application.bot
        self.executor = Executor(self.bot, app)
        self.deliverer = TelegramDeliverer(self.bot)
        self._unavailable: set[int | None] = set()  # update ids to answer 5xx (see process)
        a = self.application
        a.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, self.on_update))
        a.add_handler(MessageHandler(filters.StatusUpdate.REFUNDED_PAYMENT, self.on_update))
        a.add_handler(
            MessageHandler(
                (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE)
                & (filters.TEXT | filters.CAPTION),
                self.on_update,
            )
        )
        # a voice note, photo or sticker sent to the bot privately: told only text is read
        a.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & _HoldsMedia(),
                self.on_update,
            )
        )
        a.add_handler(CallbackQueryHandler(self.on_button))
        a.add_handler(PreCheckoutQueryHandler(self.on_pre_checkout))
        a.add_handler(ChatMemberHandler(self.on_update, ChatMemberHandler.CHAT_MEMBER))
        a.add_handler(ChatMemberHandler(self.on_update, ChatMemberHandler.MY_CHAT_MEMBER))
        a.add_handler(ChatJoinRequestHandler(self.on_update))
        a.add_error_handler(self.on_error)
        # what core's outbox and jobs send through (see core.ports.Deliverer)
        extras = app.services.extras
        extras.setdefault("deliverers", {})[PLATFORM] = self.deliverer
        extras.setdefault("executors", {})[PLATFORM] = self.executor.run

    # --- inbound -------------------------------------------------------------------------

    async def initialize(self) -> None:
        """getMe and friends; idempotent, so the webhook and the runner may both call it."""
        await self.application.initialize()

    async def dispatch(self, update: Update) -> tuple[Event | None, list[AnyReply]]:
        event = to_event(update, self.bot.username)
        if event is None:
            return None, []
        if isinstance(event, BotStatusChanged):  # how operators learn chat ids and rights
            log.info(
                "telegram: bot is now %s in %s chat %s (rights: %s)",
                event.status,
                event.chat.kind,
                event.chat.chat_id,
                ", ".join(event.rights) or "none",
            )
            forum = forum_chat_id(self.app)
            if event.chat.chat_id == forum and "can_manage_topics" in event.rights:
                await self.executor.run(
                    await qa_curation.threads_waiting(self.app.services, PLATFORM)
                )
        event = await self._with_admin_flag(event)
        if isinstance(event, Command) and update.message and update.message.document:
            event = await self._with_upload(event, update.message.document)
        return event, await self.app.router.dispatch(event, retryable=_REDELIVERED.get())

    async def _with_upload(self, event: Command, doc: TgDocument) -> Command:
        """Fetch a document sent with a command (getFile, then the file URL), up to
        MAX_UPLOAD_BYTES; a larger one is named so core can say why it was not read."""
        name = doc.file_name or "file"
        if doc.file_size is not None and doc.file_size > MAX_UPLOAD_BYTES:
            return dataclasses.replace(event, too_large=name)
        try:
            file = await self.bot.get_file(doc.file_id)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:  # core answers as if nothing was attached
            log.warning("telegram: document %s for /%s not fetched: %s", name, event.name, exc)
            return event
        if len(data) > MAX_UPLOAD_BYTES:
            return dataclasses.replace(event, too_large=name)
        return dataclasses.replace(event, upload=Upload(name, data))

    async def on_update(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        event, replies = await self.dispatch(update)
        await self.executor.run(replies, event)

    async def on_button(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        event, replies = await self.dispatch(update)
        toast = None
        first = replies[0] if replies else None
        if (
            isinstance(first, Reply)
            and first.ephemeral
            and not first.buttons
            and first.to is None
            and first.member_id is None
            and len(first.text) <= CALLBACK_TEXT_LIMIT
        ):
            toast, replies = first.text, replies[1:]
        query = update.callback_query
        if query is not None:
            try:  # stop the client's spinner whatever happens next
                await query.answer(text=toast)
            except TelegramError as exc:
                log.info("callback query %s not answered: %s", query.id, exc)
        await self.executor.run(replies, event)

    async def on_pre_checkout(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        event, replies = await self.dispatch(update)
        if isinstance(event, PreCheckout) and not any(
            isinstance(r, AnswerPreCheckout) for r in replies
        ):
            # Telegram waits 10 s for an answer; without core's verdict the safe answer is no.
            text = text_for(event.actor.locale, "telegram.payments_unavailable")
            replies = [*replies, AnswerPreCheckout(event.query_id, ok=False, error=text)]
        await self.executor.run(replies, event)

    async def on_error(self, update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(ctx.error, Unavailable):  # process() turns it into a 5xx for the webhook
            self._unavailable.add(getattr(update, "update_id", None))
            return
        log.error(
            "telegram update %r failed", getattr(update, "update_id", None), exc_info=ctx.error
        )

    def community_chats(self) -> set[str]:
        chats = {str(c) for p in self.app.settings.plans for c in p.telegram_chat_ids}
        if (forum := forum_chat_id(self.app)) is not None:
            chats.add(forum)
        return chats

    async def _with_admin_flag(self, event: Event) -> Event:
        """Admins of the community's own chats act as moderators there (asked, never assumed)."""
        if not isinstance(event, (Command, Button)) or event.chat.kind == "private":
            return event
        if event.chat.chat_id not in self.community_chats():
            return event
        try:
            member = await self.bot.get_chat_member(event.chat.chat_id, int(event.actor.user_id))
        except TelegramError as exc:
            log.info("admin check in %s failed: %s", event.chat.chat_id, exc)
            return event
        if member.status not in _ADMIN:
            return event
        return dataclasses.replace(
            event, actor=dataclasses.replace(event.actor, is_platform_admin=True)
        )

    async def process(self, data: dict[str, Any]) -> None:
        """Feed one raw update (webhook body) into the Application."""
        await self.initialize()
        update = Update.de_json(data, self.bot)
        token = _REDELIVERED.set(True)
        try:
            await self.application.process_update(update)
        finally:
            _REDELIVERED.reset(token)
        if update.update_id in self._unavailable:
            self._unavailable.discard(update.update_id)
            raise Unavailable(str(update.update_id))

    # --- setup calls ---------------------------------------------------------------------

    async def set_commands(self) -> None:
        """Menus per language, plus the moderator menu for chat admins and configured mods."""
        router = self.app.router
        member, mods = router.commands_for(Role.MEMBER), router.commands_for(Role.MODERATOR)
        default = self.app.settings.locale
        await self.bot.set_my_commands(bot_commands(member, default))
        await self.bot.set_my_commands(
            bot_commands(mods, default), scope=BotCommandScopeAllChatAdministrators()
        )
        for lang, locale in LANGUAGES.items():
            await self.bot.set_my_commands(bot_commands(member, locale), language_code=lang)
            await self.bot.set_my_commands(
                bot_commands(mods, locale),
                scope=BotCommandScopeAllChatAdministrators(),
                language_code=lang,
            )
        s = self.app.settings
        for ident in {*s.moderator_ids, *s.owner_ids}:
            platform, _, uid = ident.partition(":")
            if platform != PLATFORM or not uid.lstrip("-").isdecimal():
                continue
            try:  # their private chat with the bot shows the moderator menu too
                await self.bot.set_my_commands(
                    bot_commands(mods, default), scope=BotCommandScopeChat(int(uid))
                )
            except TelegramError as exc:  # they may never have opened the bot yet
                log.info("moderator menu for %s not set: %s", ident, exc)

    async def check_forum(self) -> list[str]:
        """Tell the owners at start-up when question topics cannot open in the forum (not an
        administrator there with Manage topics, or topics are off), rather than from the first
        question that fails. Returns the problems' message keys."""
        forum = forum_chat_id(self.app)
        if forum is None:
            return []
        try:
            me = await self.bot.get_chat_member(chat_arg(forum), self.bot.id)
        except TelegramError as exc:
            log.warning("telegram: forum %s: %s", forum, exc)
            problems = ["telegram.forum_unreachable"]
        else:
            ok = me.status == "administrator" and bool(getattr(me, "can_manage_topics", False))
            problems = [] if ok else ["telegram.forum_rights_missing"]
        s = self.app.settings
        tell = [i for i in s.owner_ids if i.startswith(f"{PLATFORM}:")] or [
            i for i in s.moderator_ids if i.startswith(f"{PLATFORM}:")
        ]
        if not problems:  # questions whose topic could not open before may get one now
            await self.executor.run(await qa_curation.threads_waiting(self.app.services, PLATFORM))
        for key in problems:
            text = translate(s.locale, key, chat=forum)
            log.error("%s", text)
            for ident in tell:
                try:
                    await send_text(self.bot, ident.partition(":")[2], text)
                except TelegramError as exc:  # they may never have opened the bot yet
                    log.info("could not tell %s: %s", ident, exc)
        return problems

    def webhook_url(self) -> str:
        from bot.http.telegram_webhook import PATH

        return self.app.settings.public_url.rstrip("/") + PATH


def get_adapter(app: App) -> TelegramAdapter:
    """The process's one adapter for `app` (tests put theirs in services.extras first)."""
    return app.services.get("telegram", lambda _s: TelegramAdapter(app))
