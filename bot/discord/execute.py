"""core.replies -> Discord API calls. Every rule was applied in core; this only performs."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord

from bot.discord.views import PLATFORM, build_view, render_text
from core.accounts.service import mark_unreachable, platform_user_id
from core.events import Actor, Chat, ThreadFailed, ThreadOpened
from core.i18n import translate
from core.replies import (
    AnyReply,
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
    Reply,
)
from models.member import Member

if TYPE_CHECKING:
    from bot.wiring import App

log = logging.getLogger("syllabot.discord")

SOLVED_TAGS = frozenset({"solved", "resolved", "answered", "✅ solved", "已解决"})
"""A forum tag with one of these names (any case) marks a solved question's post."""

DM_CLOSED = 50007  # "Cannot send messages to this user"
UNKNOWN_MEMBER = 10007
INVITE_AGE = timedelta(days=1)
"""How long a server invite for a paying member who is not on the server works (one use)."""
INVITE_AGAIN = timedelta(minutes=1)
"""Within this, a second grant for the same member and server sends no second invite."""
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
NO_MENTIONS = discord.AllowedMentions.none()

ForeignExecutor = Callable[[list[AnyReply]], Awaitable[None]]


@dataclass
class Origin:
    """Where the replies came from: the interaction to answer, or a channel to post to."""

    interaction: discord.Interaction[Any] | None = None
    chat: Chat | None = None
    actor: Actor | None = None
    answered: bool = field(default=False)
    hand_over: bool = True
    dm_to: int | None = None  # gateway events have no channel: answers go to this user's DMs


class Executor:
    def __init__(self, client: discord.Client, app: App) -> None:
        self.client = client
        self.app = app
        self._server_invites: dict[tuple[int, str], datetime] = {}

    @property
    def services(self) -> Any:
        return self.app.services

    async def run(
        self, replies: list[AnyReply], origin: Origin | None = None, *, hand_over: bool = True
    ) -> None:
        """Perform each reply; one failing call is logged and never stops the others.

        Replies for another platform go to its executor, unless they were handed to us by
        one (`hand_over=False`): never back again, that could ping-pong."""
        origin = origin or Origin(hand_over=hand_over)
        origin.hand_over = origin.hand_over and hand_over
        foreign: dict[str, list[AnyReply]] = {}
        for r in replies:
            platform = _platform_of(r)
            if platform not in (None, PLATFORM):
                foreign.setdefault(platform, []).append(r)
                continue
            try:
                await self._one(r, origin)
            except discord.HTTPException as exc:
                log.warning(
                    "discord call for %s failed: %s %s", type(r).__name__, exc.status, exc.text
                )
            except Exception:  # a malformed reply must not stop the ones after it
                log.exception("executing %s failed", type(r).__name__)
        if origin.hand_over:
            await self._hand_over(foreign)
        elif foreign:
            log.info("%d replies for other platforms dropped (handed to us)", len(foreign))
        await self._acknowledge(origin)

    async def _one(self, r: AnyReply, origin: Origin) -> None:
        if isinstance(r, Reply):
            if r.member_id is not None:
                uid = await self._user_of(r.member_id)
                if uid is None and origin.hand_over:  # known only on another platform
                    others = self.services.extras.get("executors", {})
                    await self._hand_over({p: [r] for p in others if p != PLATFORM})
                elif uid is None:
                    log.info("member %s has no Discord account; DM skipped", r.member_id)
                else:
                    sent = await self.dm_user(
                        uid, r.text, markup=r.markup, buttons=r.buttons, silent=r.silent
                    )
                    if r.chat_note:  # their privacy settings may refuse DMs from the server
                        note = r.chat_note if sent else self._dm_closed(origin)
                        await self._answer(origin, note, "plain", [])
            elif r.to is not None:
                await self._to_channel(r.to, r.text, r.markup, r.buttons)
            else:
                await self._answer(origin, r.text, r.markup, r.buttons, ephemeral=r.ephemeral)
        elif isinstance(r, Invite):
            await self._invite(r)
        elif isinstance(r, Kick):
            await self._kick(r)
        elif isinstance(r, OpenThread):
            await self._open_thread(r, origin)
        elif isinstance(r, CloseThread):
            await self._close_thread(r)
        elif isinstance(r, (Photo, Document)):
            file = discord.File(io.BytesIO(r.data), filename=r.filename)
            await self._answer(origin, r.caption, "plain", [], files=[file])
        elif isinstance(r, Invoice):
            await self._invoice(r, origin)
        elif isinstance(r, DeleteMessage):  # needs Manage Messages in that channel
            await self._channel(r.where).get_partial_message(int(r.message_ref)).delete()
        else:  # e.g. MemberTag: Discord shows roles, not per-member tags
            log.debug("%s has no meaning on Discord", type(r).__name__)

    def _dm_closed(self, origin: Origin) -> str:
        """In the asker's language: their Discord settings refuse our private message."""
        it = origin.interaction
        locale = str(it.locale) if it is not None else self.services.settings.locale
        return translate(locale, "discord.dm_closed")

    # -- messages -------------------------------------------------------------------------

    async def _answer(
        self,
        origin: Origin,
        text: str,
        markup: str,
        buttons: list[list[ButtonSpec]],
        *,
        ephemeral: bool = False,
        files: list[discord.File] | None = None,
    ) -> None:
        parts = render_text(text, markup) or ([""] if files or buttons else [])
        view = build_view(buttons)
        interaction = origin.interaction
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            kw: dict[str, Any] = {"content": part or None, "allowed_mentions": NO_MENTIONS}
            if last and view is not None:
                kw["view"] = view
            if last and files:
                kw["files"] = files
            if interaction is not None:
                if not interaction.response.is_done():
                    await interaction.response.send_message(ephemeral=ephemeral, **kw)
                else:
                    await interaction.followup.send(ephemeral=ephemeral, **kw)
                origin.answered = True
            elif origin.chat is not None:
                await self._channel(origin.chat).send(**kw)
            elif origin.dm_to is not None and not files:
                await self.dm_user(origin.dm_to, text, markup=markup, buttons=buttons)
                return
            else:
                log.info("reply with nowhere to go dropped")

    async def _acknowledge(self, origin: Origin) -> None:
        """Discord shows an error when an interaction gets no answer at all."""
        interaction = origin.interaction
        if interaction is None or origin.answered:
            return
        if not interaction.response.is_done():
            await interaction.response.defer()
        elif interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            await interaction.followup.send("✓", ephemeral=True)

    def _channel(self, chat: Chat) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(chat.thread_id or chat.chat_id))

    async def _full_channel(
        self, channel_id: str
    ) -> discord.abc.GuildChannel | discord.Thread | discord.abc.PrivateChannel:
        """The channel or thread itself (its kind, tags, parent), from the cache or fetched."""
        found = self.client.get_channel(int(channel_id))
        return found if found is not None else await self.client.fetch_channel(int(channel_id))

    async def _to_channel(
        self, chat: Chat, text: str, markup: str, buttons: list[list[ButtonSpec]]
    ) -> None:
        channel = self._channel(chat)
        parts = render_text(text, markup)
        view = build_view(buttons)
        for i, part in enumerate(parts):
            kw: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
            if i == len(parts) - 1 and view is not None:
                kw["view"] = view
            await channel.send(part, **kw)

    async def dm_user(
        self,
        user_id: int,
        text: str,
        *,
        markup: str = "plain",
        buttons: list[list[ButtonSpec]] | None = None,
        silent: bool = False,
    ) -> bool:
        """DM one user; closed DMs mark the member unreachable instead of retrying forever.
        `silent` DMs arrive without a notification (Discord's @silent messages)."""
        try:
            dm = await self.client.create_dm(discord.Object(user_id))
            parts = render_text(text, markup)
            view = build_view(buttons or [])
            for i, part in enumerate(parts):
                kw: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "silent": silent}
                if i == len(parts) - 1 and view is not None:
                    kw["view"] = view
                await dm.send(part, **kw)
            return True
        except discord.Forbidden as exc:
            if exc.code != DM_CLOSED:
                raise
            await mark_unreachable(
                self.services.session_factory,
                self.services.clock,
                PLATFORM,
                str(user_id),
                "discord 50007: DMs closed",
            )
            return False

    # -- access ---------------------------------------------------------------------------

    async def _user_of(self, member_id: int, known: str | None = None) -> int | None:
        uid = known or await platform_user_id(self.services.session_factory, member_id, PLATFORM)
        return int(uid) if uid else None

    async def _invite(self, r: Invite) -> None:
        uid = await self._user_of(r.member_id)
        if uid is None or not r.role:
            # Bots cannot pull a user into a guild without OAuth; the role waits for the join.
            log.info("invite for member %s: no Discord user or role", r.member_id)
            return
        try:
            await self.client.http.add_role(
                int(r.target), uid, int(r.role), reason=f"Syllabot grant {r.grant_id or ''}".strip()
            )
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_MEMBER:
                raise
            # Not on the server yet: the role is given when they join (core's on_join); a
            # single-use invite to it is what gets them there.
            await self._server_invite(uid, r)

    async def _server_invite(self, uid: int, r: Invite) -> None:
        """DM a paying member who is not on the server a one-use, one-day invite to it (a
        plan with two roles asks twice in one run: one invite)."""
        settings = self.services.settings
        channel = settings.discord_invite_channel_id or settings.discord_help_channel_id
        if channel is None:
            log.info("member %s not in guild %s; no invite channel set", uid, r.target)
            return
        key = (uid, r.target)
        now = self.services.clock.now()
        if (last := self._server_invites.get(key)) is not None and now - last < INVITE_AGAIN:
            return
        self._server_invites[key] = now
        made = await self.client.http.create_invite(
            channel,
            reason=f"Syllabot grant {r.grant_id or ''}".strip(),
            max_age=int(INVITE_AGE.total_seconds()),
            max_uses=1,
            unique=True,
        )
        async with self.services.session_factory() as session:
            member = await session.get(Member, r.member_id)
        locale = member.locale if member is not None else settings.locale
        url = f"https://discord.gg/{made['code']}"
        await self.dm_user(uid, translate(locale, "discord.server_invite", url=url))

    async def _kick(self, r: Kick) -> None:
        uid = await self._user_of(r.member_id, r.platform_user_id)
        if uid is None:
            return
        try:
            if r.hard:
                await self.client.http.kick(uid, int(r.target), reason="Syllabot: access ended")
            elif r.role:
                await self.client.http.remove_role(
                    int(r.target), uid, int(r.role), reason="Syllabot: access ended"
                )
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_MEMBER:
                raise
            log.info("member %s already left guild %s", uid, r.target)

    async def _invoice(self, r: Invoice, origin: Origin) -> None:
        amount = f"{r.amount / 100:.2f} {r.currency}" if r.currency != "XTR" else f"{r.amount} ⭐"
        text = f"{r.title} — {amount}\n{r.description}".strip()
        buttons = [[ButtonSpec(r.title, url=r.url)]] if r.url else []
        await self._answer(origin, text, "plain", buttons, ephemeral=True)

    # -- threads --------------------------------------------------------------------------

    def _thread_place(self, r: OpenThread, origin: Origin) -> Chat | None:
        """Where a question's thread opens: the place core named, else the community's help
        channel (``discord_help_channel_id``), else the channel the question was asked in;
        never a DM."""
        if r.to is not None and r.to.platform == PLATFORM:
            return r.to
        help_id = getattr(self.services.settings, "discord_help_channel_id", None)
        if help_id:
            return Chat(PLATFORM, str(help_id), "guild")
        here = origin.chat
        if here is not None and here.platform == PLATFORM and here.kind != "private":
            return here
        return None

    async def _open_thread(self, r: OpenThread, origin: Origin) -> None:
        """A forum post (with matching tags) or a public thread, experts pinged inside. When
        none can be opened, core hears why (it tells the asker and the moderators); once one
        is, core hears of it before anything else is posted, so a failed post later cannot
        leave a thread core does not know."""
        where = self._thread_place(r, origin)
        if where is None:
            log.info("question %s: no Discord channel to open a thread in", r.question_id)
            await self._thread_failed(r, origin, "no_place")
            return
        try:
            made = await self._create_thread(r, where)
        except discord.Forbidden as exc:
            log.warning("question %s: no thread in %s: %s", r.question_id, where.chat_id, exc.text)
            await self._thread_failed(r, origin, "forbidden")
            return
        except discord.HTTPException as exc:
            log.warning("question %s: no thread in %s: %s", r.question_id, where.chat_id, exc.text)
            await self._thread_failed(r, origin, "error")
            return
        if made is None:
            log.warning("channel %s cannot hold threads", where.chat_id)
            await self._thread_failed(r, origin, "error")
            return
        thread, rest = made
        await self._report_thread(r, origin, where, thread)
        for part in rest:
            await thread.send(part, allowed_mentions=NO_MENTIONS)
        users = [u for u in [await self._user_of(m) for m in r.mention_member_ids] if u]
        if users:
            locale = self.services.settings.locale
            ping = translate(locale, "qa.thread_ping", mentions=" ".join(f"<@{u}>" for u in users))
            mentions = discord.AllowedMentions(everyone=False, roles=False, users=True)
            await thread.send(ping, allowed_mentions=mentions)

    async def _create_thread(
        self, r: OpenThread, where: Chat
    ) -> tuple[discord.Thread, list[str]] | None:
        """The thread, and what is still to be posted in it; None when the channel cannot
        hold threads."""
        channel = await self._full_channel(where.chat_id)
        lines = [*render_text(r.text, "plain")]
        title = (r.title or "?").strip()[:100]
        if isinstance(channel, discord.ForumChannel):
            wanted = {t.lower() for t in r.tags}
            forum_tags = [t for t in channel.available_tags if t.name.lower() in wanted][:5]
            made = await channel.create_thread(
                name=title,
                content=lines[0] if lines else title,
                applied_tags=forum_tags,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                allowed_mentions=NO_MENTIONS,
            )
            return made.thread, lines[1:]
        if isinstance(channel, discord.TextChannel):
            thread = await channel.create_thread(
                name=title,
                type=discord.ChannelType.public_thread,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            locale = self.services.settings.locale
            tag_line = translate(locale, "discord.thread_tags", tags=", ".join(r.tags))
            return thread, lines + ([tag_line] if r.tags else [])
        return None

    async def _thread_failed(self, r: OpenThread, origin: Origin, reason: str) -> None:
        actor = origin.actor
        if actor is None:
            log.warning("question %s: no thread (%s) and no asker to tell", r.question_id, reason)
            return
        event = ThreadFailed(
            actor,
            origin.chat or Chat(PLATFORM, actor.user_id),
            f"thread-failed:{r.question_id}",
            question_id=r.question_id,
            reason=reason,
        )
        for reply in await self.app.router.dispatch(event):
            if not isinstance(reply, OpenThread):  # never loop
                await self._one(reply, Origin(chat=event.chat, actor=actor))

    async def _close_thread(self, r: CloseThread) -> None:
        """Rename and archive a solved thread; a forum's "solved" tag goes on it when the
        forum has one. Archived threads reopen when someone posts, so nothing is locked."""
        if not r.where.thread_id:
            return
        thread = await self._full_channel(r.where.thread_id)
        if not isinstance(thread, discord.Thread):
            log.info("channel %s is not a thread; nothing to close", r.where.thread_id)
            return
        if not isinstance(thread.parent, discord.ForumChannel):
            await thread.edit(name=r.title[:100], archived=True)
            return
        tags = list(thread.applied_tags)
        solved = [t for t in thread.parent.available_tags if t.name.lower() in SOLVED_TAGS]
        tags += [t for t in solved[:1] if t not in tags]
        await thread.edit(name=r.title[:100], archived=True, applied_tags=tags[:5])

    async def _report_thread(
        self, r: OpenThread, origin: Origin, where: Chat, thread: discord.Thread
    ) -> None:
        actor = origin.actor
        if actor is None:  # nobody to attribute it to: core cannot link it back
            log.info("thread %s for question %s opened without an asker", thread.id, r.question_id)
            return
        event = ThreadOpened(
            actor,
            Chat(PLATFORM, where.chat_id, where.kind, thread_id=str(thread.id)),
            f"thread:{thread.id}",
            question_id=r.question_id,
            thread_ref=str(thread.id),
            url=thread.jump_url,
        )
        more = await self.app.router.dispatch(event)
        for reply in more:
            if not isinstance(reply, OpenThread):  # never loop
                await self._one(reply, Origin(chat=event.chat, actor=actor))

    # -- other platforms ------------------------------------------------------------------

    async def _hand_over(self, foreign: dict[str, list[AnyReply]]) -> None:
        """A Discord event may grant Telegram access (linked accounts): pass it on."""
        executors: dict[str, ForeignExecutor] = self.services.extras.get("executors", {})
        for platform, replies in foreign.items():
            run = executors.get(platform)
            if run is None:
                log.info(
                    "%d %s replies and no %s adapter running", len(replies), platform, platform
                )
                continue
            try:
                await run(replies)
            except Exception:
                log.exception("handing %d replies to %s failed", len(replies), platform)


def _platform_of(r: AnyReply) -> str | None:
    if isinstance(r, (Invite, Kick, MemberTag)):
        return r.platform
    if isinstance(r, (CloseThread, DeleteMessage)):
        return r.where.platform
    if isinstance(r, (Reply, OpenThread)) and r.to is not None:
        return r.to.platform
    return None
