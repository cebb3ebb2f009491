"""Discord objects -> core.events. Pure mapping: no I/O, no rules."""

from __future__ import annotations

from typing import Any

import discord

from core.events import (
    Actor,
    Button,
    Chat,
    Command,
    EntitlementChanged,
    MemberJoined,
    MemberLeft,
    Message,
    MessageEdited,
)

PLATFORM = "discord"


def is_admin(perms: discord.Permissions | None) -> bool:
    """Guild managers count as moderators; the router still checks every command server-side."""
    return bool(perms is not None and (perms.manage_guild or perms.administrator))


def actor(
    user: discord.abc.User | discord.Object,
    *,
    locale: str | None = None,
    perms: discord.Permissions | None = None,
) -> Actor:
    name = getattr(user, "display_name", None) or getattr(user, "name", None) or str(user.id)
    return Actor(
        PLATFORM,
        str(user.id),
        display_name=str(name),
        username=getattr(user, "name", None),
        locale=locale,
        is_platform_admin=is_admin(perms),
    )


def interaction_actor(interaction: discord.Interaction[Any]) -> Actor:
    perms = interaction.permissions if interaction.guild_id is not None else None
    return actor(interaction.user, locale=str(interaction.locale.value), perms=perms)


def interaction_chat(interaction: discord.Interaction[Any]) -> Chat:
    """DMs are private chats; a thread maps to (parent channel, thread id)."""
    channel = interaction.channel
    channel_id = interaction.channel_id or (channel.id if channel is not None else 0)
    if interaction.guild_id is None:
        return Chat(PLATFORM, str(channel_id), "private")
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        kind = "forum" if isinstance(parent, discord.ForumChannel) else "group"
        return Chat(PLATFORM, str(channel.parent_id), kind, thread_id=str(channel.id))
    if isinstance(channel, discord.ForumChannel):
        return Chat(PLATFORM, str(channel_id), "forum")
    return Chat(PLATFORM, str(channel_id), "group")


def command_event(interaction: discord.Interaction[Any], name: str, args: str) -> Command:
    return Command(
        interaction_actor(interaction),
        interaction_chat(interaction),
        f"i:{interaction.id}",
        name=name,
        args=args.strip(),
    )


def button_event(interaction: discord.Interaction[Any], data: str) -> Button:
    msg = interaction.message
    return Button(
        interaction_actor(interaction),
        interaction_chat(interaction),
        f"i:{interaction.id}",
        data=data,
        message_ref=str(msg.id) if msg is not None else None,
    )


def entitlement_event(ent: discord.Entitlement, action: str) -> EntitlementChanged | None:
    """SKU purchases by a user; guild-wide subscriptions have no user to credit."""
    if ent.user_id is None:
        return None
    where = (
        Chat(PLATFORM, str(ent.guild_id), "guild")
        if ent.guild_id
        else Chat(PLATFORM, str(ent.user_id), "private")
    )
    # Renewals re-send the same entitlement with a new end: each end is a distinct update.
    stamp = ent.ends_at.isoformat() if ent.ends_at and action == "update" else ""
    return EntitlementChanged(
        Actor(PLATFORM, str(ent.user_id)),
        where,
        f"ent:{ent.id}:{action}:{stamp}"[:64],
        action=action,
        entitlement_id=str(ent.id),
        sku_id=str(ent.sku_id),
        starts_at=ent.starts_at,
        ends_at=ent.ends_at,
    )


def member_joined(member: discord.Member) -> MemberJoined:
    joined = member.joined_at.isoformat() if member.joined_at else ""
    return MemberJoined(
        actor(member),
        Chat(PLATFORM, str(member.guild.id), "guild"),
        f"join:{member.guild.id}:{member.id}:{joined}"[:64],
        target=str(member.guild.id),
    )


def member_left(payload: discord.RawMemberRemoveEvent) -> MemberLeft:
    return MemberLeft(
        actor(payload.user),
        Chat(PLATFORM, str(payload.guild_id), "guild"),
        None,
        target=str(payload.guild_id),
    )


def _media(attachments: list[discord.Attachment]) -> str:
    """ "image", "audio" or "video" for a picture, voice message or clip; "" for files (a
    document stays unread, as a text-less file on Telegram)."""
    for a in attachments:
        kind = (a.content_type or "").split("/")[0]
        if kind in ("image", "audio", "video"):
            return kind
    return ""


def message_event(message: discord.Message) -> Message | None:
    """DMs and messages in threads (answers to questions); other channel chatter is not ours."""
    if message.author.bot:
        return None
    channel = message.channel
    if not message.content.strip():  # a voice message, picture or sticker alone in a DM
        media = "sticker" if message.stickers else _media(message.attachments)
        if message.guild is None and media:
            chat = Chat(PLATFORM, str(channel.id), "private")
            return Message(actor(message.author), chat, f"m:{message.id}", media=media)
        return None
    if message.guild is None:
        chat = Chat(PLATFORM, str(channel.id), "private")
    elif isinstance(channel, discord.Thread):
        kind = "forum" if isinstance(channel.parent, discord.ForumChannel) else "group"
        chat = Chat(PLATFORM, str(channel.parent_id), kind, thread_id=str(channel.id))
    else:
        return None
    ref = message.reference.message_id if message.reference else None
    return Message(
        actor(message.author),
        chat,
        f"m:{message.id}",
        text=message.content,
        reply_to=str(ref) if ref else None,
        message_ref=str(message.id),
    )


def edited_event(message: discord.Message) -> MessageEdited | None:
    """A member corrected a message in a DM or thread (Discord sends MESSAGE_UPDATE for
    embeds unfurling too: only a changed text, marked by ``edited_at``, counts)."""
    said = message_event(message)
    if said is None or message.edited_at is None:
        return None
    return MessageEdited(
        said.actor,
        said.chat,
        f"e:{message.id}:{message.edited_at.isoformat()}",
        text=said.text,
        message_ref=str(message.id),
    )
