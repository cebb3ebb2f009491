"""Slash commands generated from the router registry, localized from the i18n catalogs.

One command per registered router command with one optional `args` string: the router
parses arguments exactly as on Telegram and the console, so behaviour never forks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from core.context import Role
from core.i18n import catalog, translate
from core.router import COMMANDS, CommandSpec, spec_for

CommandHandler = Callable[
    [discord.Interaction[Any], str, str, discord.Attachment | None], Awaitable[None]
]

MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)
ARGS_KEY = "discord.args_description"
# Discord locales we have catalogs for (English is the commands' default text).
LOCALES = {discord.Locale.chinese: "zh-CN"}


def _fit(text: str) -> str:
    """Discord wants 1-100 characters for descriptions."""
    text = " ".join(text.split()) or "-"
    return text if len(text) <= 100 else text[:99] + "…"


class CatalogTranslator(app_commands.Translator):
    """Descriptions come from the same catalog keys as /help; names stay as registered."""

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        loc = LOCALES.get(locale)
        if not key or loc is None:
            return None
        text = catalog(loc).get(key)
        return _fit(text) if text else None


FILE_KEY = "discord.file_description"


def _callback(name: str, handler: CommandHandler) -> Callable[..., Awaitable[None]]:
    async def slash(interaction: discord.Interaction[Any], args: str | None = None) -> None:
        await handler(interaction, name, args or "", None)

    return slash


def _upload_callback(name: str, handler: CommandHandler) -> Callable[..., Awaitable[None]]:
    async def slash(
        interaction: discord.Interaction[Any],
        args: str | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        await handler(interaction, name, args or "", file)

    return slash


def build_command(
    spec: CommandSpec, handler: CommandHandler
) -> app_commands.Command[Any, Any, Any]:
    arg_key = spec.usage_key or ARGS_KEY
    described = {"args": locale_str(_fit(translate("en", arg_key)), key=arg_key)}
    if spec.uploads:
        described["file"] = locale_str(_fit(translate("en", FILE_KEY)), key=FILE_KEY)
        base = _upload_callback(spec.name, handler)
    else:
        base = _callback(spec.name, handler)
    callback = app_commands.describe(**described)(base)
    # one command for everyone: a moderators' command with a members' version (/refund)
    # is not hidden, and described as members use it
    shared = spec_for(spec.name, Role.MEMBER) if spec.role >= Role.MODERATOR else None
    help_key = shared.help_key if shared is not None else spec.help_key
    cmd: app_commands.Command[Any, Any, Any] = app_commands.Command(
        name=spec.name,
        description=locale_str(_fit(translate("en", help_key)), key=help_key),
        callback=callback,  # type: ignore[arg-type]  # built per command, typed at runtime
    )
    if spec.role >= Role.MODERATOR and shared is None:
        # Hides the command from non-managers in the client; the router re-checks every call.
        cmd.default_permissions = MODERATOR_PERMISSIONS
    if spec.private_only:
        cmd.allowed_contexts = app_commands.AppCommandContext(
            guild=False, dm_channel=True, private_channel=True
        )
    return cmd


ACCEPT_ANSWER_KEY = "discord.accept_answer"
"""The message menu entry (Apps → …) that accepts a thread message as the answer: the
asker (or a moderator) picks it on the answer that worked, which is ``/solved`` for its
author, no list to pick from (the Telegram gesture is replying ``/solved`` to it)."""

REPORT_KEY = "discord.report_message"
"""The message menu entry that reports a message to the moderators: ``/report`` for it (the
Telegram gesture is replying ``/report`` to it)."""

MENUS = {"solved": ACCEPT_ANSWER_KEY, "report": REPORT_KEY}
"""Router commands that point at a message, and the menu entry that carries each."""

MENU_ONLY = frozenset({"report"})
"""Commands that make sense only on a message: a menu entry on Discord, no slash command."""

MessageHandler = Callable[[str, discord.Interaction[Any], discord.Message], Awaitable[None]]


def message_menu(command: str, handler: MessageHandler) -> app_commands.ContextMenu:
    """Discord's way to point at a message: Apps → the entry runs `command` on it."""

    async def picked(interaction: discord.Interaction[Any], message: discord.Message) -> None:
        await handler(command, interaction, message)

    key = MENUS[command]
    return app_commands.ContextMenu(
        name=locale_str(translate("en", key), key=key),
        callback=picked,
        type=discord.AppCommandType.message,
    )


def register(
    tree: app_commands.CommandTree[Any],
    handler: CommandHandler,
    on_message: MessageHandler | None = None,
) -> list[str]:
    """Add every visible router command to the tree, and the message menus (accept an
    answer, report a message) when their commands exist and a handler is given; returns
    the names added."""
    names: list[str] = []
    for spec in sorted(COMMANDS.values(), key=lambda s: s.name):
        if spec.hidden or spec.name in MENU_ONLY:
            continue
        tree.add_command(build_command(spec, handler), override=True)
        names.append(spec.name)
    for command in MENUS:
        if on_message is not None and command in COMMANDS:
            menu = message_menu(command, on_message)
            tree.add_command(menu, override=True)
            names.append(menu.name)
    return names


def signature(payloads: Any) -> list[tuple[Any, ...]]:
    """What users see of a command list, comparable between our payloads and Discord's."""

    def perms(v: Any) -> str | None:
        return None if v in (None, "", 0, "0") else str(v)

    def opt(o: dict[str, Any]) -> tuple[Any, ...]:
        return (
            o.get("name"),
            o.get("type"),
            o.get("description"),
            tuple(sorted((o.get("description_localizations") or {}).items())),
            bool(o.get("required", False)),
        )

    return sorted(
        (
            c.get("name"),
            c.get("type") or 1,  # chat input; 3 = a message menu, which has no description
            tuple(sorted((c.get("name_localizations") or {}).items())),
            c.get("description") or "",
            tuple(sorted((c.get("description_localizations") or {}).items())),
            perms(c.get("default_member_permissions")),
            tuple(sorted(c.get("contexts") or ())),
            tuple(opt(o) for o in c.get("options") or ()),
        )
        for c in payloads or []
    )
