"""The Discord client: gateway events and interactions in, router, replies out."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.http import Route

from bot.discord import commands, roles, translate
from bot.discord.execute import Executor, Origin
from bot.discord.views import SignedButton
from core.context import Role
from core.events import MAX_UPLOAD_BYTES, Command, Event, Upload
from core.i18n import translate as t
from core.qa import curation as qa_curation
from core.replies import AnyReply
from core.router import COMMANDS

if TYPE_CHECKING:
    from bot.wiring import App

log = logging.getLogger("syllabot.discord")

# Answer directly when the router is quick; otherwise show "thinking…" before Discord's 3 s.
DEFER_AFTER = 2.0


def intents(members: bool = True, content: bool = False) -> discord.Intents:
    """Only what the product uses. Commands and buttons need no intent at all; guilds gives
    roles, channels and threads; members (privileged) gives join/leave; messages give DMs and
    answers posted in Q&A threads, whose text needs the privileged message content intent
    (optional: without it, answers are given with `/solved TEXT`)."""
    out = discord.Intents.none()
    out.guilds = True
    out.members = members
    out.guild_messages = True
    out.dm_messages = True
    out.message_content = content
    return out


class SyllabotDiscord(discord.AutoShardedClient):
    def __init__(
        self,
        app: App,
        *,
        members_intent: bool = True,
        content_intent: bool = False,
        sync: bool = True,
        **kw: Any,
    ):
        kw.setdefault("chunk_guilds_at_startup", False)
        kw.setdefault("max_ratelimit_timeout", 30.0)
        kw.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(intents=intents(members_intent, content_intent), **kw)
        self.app = app
        self.sync_commands = sync
        self.tree: app_commands.CommandTree[SyllabotDiscord] = app_commands.CommandTree(self)
        self.executor = Executor(self, app)
        self.setup_problems: list[roles.SetupProblem] = []
        self._checked: set[int] = set()
        self._help_checked = False

    async def setup_hook(self) -> None:
        await self.tree.set_translator(commands.CatalogTranslator())
        names = commands.register(self.tree, self.on_core_command, self.on_message_menu)
        self.add_dynamic_items(SignedButton)
        if self.sync_commands:
            await self._sync(names)

    async def _sync(self, names: list[str]) -> None:
        """Overwrite global commands only when they differ (sync is rate limited)."""
        translator = self.tree.translator or commands.CatalogTranslator()
        local = [
            await c.get_translated_payload(self.tree, translator) for c in self.tree.get_commands()
        ]
        try:
            remote = await self.http.request(
                Route(
                    "GET",
                    "/applications/{application_id}/commands",
                    application_id=self.application_id or 0,
                ),
                # the localized names and descriptions are part of what is compared
                params={"with_localizations": "true"},
            )
        except discord.HTTPException:
            remote = []
        if commands.signature(local) != commands.signature(remote):
            await self.tree.sync()
            log.info("synced %d slash commands", len(names))
        else:
            log.info("slash commands unchanged; no sync")

    # -- interactions ---------------------------------------------------------------------

    async def on_core_command(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        args: str,
        file: discord.Attachment | None = None,
    ) -> None:
        spec = COMMANDS.get(name)
        quiet = spec is not None and (spec.role >= Role.MODERATOR or spec.private_only)
        event = translate.command_event(interaction, name, args)
        await self._serve(interaction, event, quiet, file)

    async def on_message_menu(
        self, name: str, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """A message menu (Apps → Accept as answer, Report to moderators): the router command
        pointing at that message and its author. A report is answered privately."""
        event = translate.command_event(interaction, name, "")
        event = dataclasses.replace(
            event,
            reply_to_user=str(message.author.id),
            reply_to_ref=str(message.id),
            reply_to_text=(message.content or "")[:1000],
            reply_to_url=message.jump_url,
        )
        await self._serve(interaction, event, name == "report")

    async def on_core_button(self, interaction: discord.Interaction[Any], data: str) -> None:
        await self._serve(interaction, translate.button_event(interaction, data), False)

    async def _with_upload(self, event: Event, file: discord.Attachment | None) -> list[AnyReply]:
        """Fetch a file sent with a command (at most MAX_UPLOAD_BYTES), then dispatch."""
        if file is not None and isinstance(event, Command):
            if file.size > MAX_UPLOAD_BYTES:
                event = dataclasses.replace(event, too_large=file.filename)
            else:
                try:
                    data = await file.read()
                except discord.HTTPException as exc:  # core answers as if nothing came
                    log.warning(
                        "attachment %s for /%s not fetched: %s", file.filename, event.name, exc
                    )
                else:
                    event = dataclasses.replace(event, upload=Upload(file.filename, data))
        return await self.app.router.dispatch(event)

    async def _serve(
        self,
        interaction: discord.Interaction[Any],
        event: Event,
        quiet: bool,
        file: discord.Attachment | None = None,
    ) -> None:
        # the file is fetched inside the task, so a slow download is covered by the deferral
        task = asyncio.ensure_future(self._with_upload(event, file))
        done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
        if not done:
            await interaction.response.defer(thinking=True, ephemeral=quiet)
        replies = await task
        await self.executor.run(
            replies, Origin(interaction=interaction, chat=event.chat, actor=event.actor)
        )

    # -- gateway events -------------------------------------------------------------------

    async def dispatch_event(self, event: Event | None) -> None:
        if event is None:
            return
        replies = await self.app.router.dispatch(event)
        dm_to = int(event.actor.user_id) if event.actor.user_id.isdecimal() else None
        await self.executor.run(replies, Origin(actor=event.actor, dm_to=dm_to))

    async def on_entitlement_create(self, ent: discord.Entitlement) -> None:
        await self.dispatch_event(translate.entitlement_event(ent, "create"))

    async def on_entitlement_update(self, ent: discord.Entitlement) -> None:
        await self.dispatch_event(translate.entitlement_event(ent, "update"))

    async def on_entitlement_delete(self, ent: discord.Entitlement) -> None:
        await self.dispatch_event(translate.entitlement_event(ent, "delete"))

    async def on_message(self, message: discord.Message) -> None:
        await self._dispatch_in_chat(translate.message_event(message))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self._dispatch_in_chat(translate.edited_event(payload.message))

    async def _dispatch_in_chat(self, event: Event | None) -> None:
        """A message (or its edit) in a DM or thread: replies go back to that chat."""
        if event is None:
            return
        replies = await self.app.router.dispatch(event)
        await self.executor.run(replies, Origin(chat=event.chat, actor=event.actor))

    async def on_member_join(self, member: discord.Member) -> None:
        await self.dispatch_event(translate.member_joined(member))

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self.dispatch_event(translate.member_left(payload))

    async def on_ready(self) -> None:
        log.info("discord ready as %s in %d guilds", self.user, len(self.guilds))
        await self.check_roles()
        await self.check_help_channel()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.check_roles()

    # -- start-up checks ------------------------------------------------------------------

    async def check_roles(self) -> list[roles.SetupProblem]:
        """Tell the owner (DM, and the log) when plan roles are out of the bot's reach."""
        settings = self.app.settings
        found: list[roles.SetupProblem] = []
        for gid, role_ids in roles.plan_roles(settings).items():
            guild = self.get_guild(gid)
            if guild is None or gid in self._checked:
                continue
            self._checked.add(gid)
            problems = roles.check_guild(guild, role_ids)
            found.extend(problems)
            await self._report(problems, guild)
        return found

    async def check_help_channel(self) -> list[roles.SetupProblem]:
        """Tell the owner when questions could not get (or close) a thread in the help
        channel: they would learn it only from the first question that fails."""
        channel_id = self.app.settings.discord_help_channel_id
        if not channel_id or self._help_checked:
            return []  # once a process: on_ready comes again after every reconnect
        self._help_checked = True
        channel = self.get_channel(channel_id)
        problems = roles.check_help_channel(channel, channel_id)
        guild = getattr(channel, "guild", None)
        if not isinstance(guild, discord.Guild):  # no channel: the community's guild's owner
            guild = next(
                (g for gid in roles.plan_roles(self.app.settings) if (g := self.get_guild(gid))),
                None,
            )
        await self._report(problems, guild)
        if not problems:  # questions whose thread could not open before may get one now
            await self.executor.run(
                await qa_curation.threads_waiting(self.app.services, translate.PLATFORM)
            )
        return problems

    async def _report(
        self, problems: list[roles.SetupProblem], guild: discord.Guild | None
    ) -> None:
        """Keep them (``setup_problems``), log them and DM them to the owner."""
        self.setup_problems.extend(problems)
        settings = self.app.settings
        for p in problems:
            text = t(settings.locale, p.key, **p.params)
            log.error("%s", text)
            for uid in roles.owner_user_ids(settings, guild):
                try:
                    await self.executor.dm_user(uid, text)
                except discord.HTTPException as exc:
                    log.warning("could not DM owner %s: %s", uid, exc)
