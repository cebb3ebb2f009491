"""Start-up checks: the bot can only manage roles below its own highest role, and question
threads need a help channel it may open and close threads in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from config.settings import Settings


@dataclass(frozen=True)
class SetupProblem:
    guild_id: int
    key: str  # i18n key under discord.*
    params: dict[str, Any]


def plan_roles(settings: Settings) -> dict[int, set[int]]:
    """guild id -> role ids that plans grant there."""
    out: dict[int, set[int]] = {}
    for plan in settings.plans:
        if plan.discord_guild_id and plan.discord_role_ids:
            out.setdefault(plan.discord_guild_id, set()).update(plan.discord_role_ids)
    return out


def check_guild(guild: discord.Guild, role_ids: set[int]) -> list[SetupProblem]:
    """Problems that would make grants fail: no Manage Roles, missing or higher plan roles."""
    me = guild.me
    if me is None:
        return []
    problems: list[SetupProblem] = []
    name = guild.name or str(guild.id)
    if not me.guild_permissions.manage_roles:
        problems.append(SetupProblem(guild.id, "discord.manage_roles_missing", {"guild": name}))
    top = me.top_role
    too_high: list[discord.Role] = []
    for rid in sorted(role_ids):
        role = guild.get_role(rid)
        if role is None:
            problems.append(
                SetupProblem(guild.id, "discord.role_missing", {"guild": name, "role": rid})
            )
        elif role >= top:
            too_high.append(role)
    if too_high:
        problems.append(
            SetupProblem(
                guild.id,
                "discord.role_hierarchy",
                {
                    "guild": name,
                    "bot_role": top.name,
                    "roles": ", ".join(r.name for r in too_high),
                },
            )
        )
    return problems


def owner_user_ids(settings: Settings, guild: discord.Guild | None) -> list[int]:
    """Who hears about setup problems: configured Discord owners, else the guild owner."""
    ids = [
        int(i.split(":", 1)[1])
        for i in settings.owner_ids
        if i.startswith("discord:") and i.split(":", 1)[1].isdecimal()
    ]
    if not ids and guild is not None and guild.owner_id:
        ids = [guild.owner_id]
    return ids


THREAD_PERMISSIONS = {
    # (attribute of discord.Permissions, the name Discord's settings show)
    "forum": (
        ("view_channel", "View Channel"),
        ("send_messages", "Create Posts"),
        ("send_messages_in_threads", "Send Messages in Posts"),
        ("manage_threads", "Manage Posts"),
    ),
    "text": (
        ("view_channel", "View Channel"),
        ("create_public_threads", "Create Public Threads"),
        ("send_messages_in_threads", "Send Messages in Threads"),
        ("manage_threads", "Manage Threads"),
    ),
}
"""What opening a question's thread, posting and pinging in it, and closing it when solved
(rename, archive, the forum's Solved tag) take."""


def check_help_channel(channel: object, channel_id: int) -> list[SetupProblem]:
    """Problems that would stop question threads in the help channel: it is missing (or
    hidden from the bot), cannot hold threads, or the bot lacks a permission there."""
    if not isinstance(channel, (discord.ForumChannel, discord.TextChannel)):
        key = "discord.help_channel_missing" if channel is None else "discord.help_channel_kind"
        return [SetupProblem(0, key, {"channel": channel_id})]
    me = channel.guild.me
    if me is None:
        return []
    perms = channel.permissions_for(me)
    kind = "forum" if isinstance(channel, discord.ForumChannel) else "text"
    missing = [label for attr, label in THREAD_PERMISSIONS[kind] if not getattr(perms, attr)]
    if not missing:
        return []
    return [
        SetupProblem(
            channel.guild.id,
            "discord.thread_permissions_missing",
            {
                "guild": channel.guild.name or str(channel.guild.id),
                "channel": channel.name,
                "perms": ", ".join(missing),
            },
        )
    ]
