"""Discord gateway JSON as Discord sends it (documented shapes), for discord.py's parsers."""

from __future__ import annotations

import itertools
from typing import Any

from dc_wire import APP_ID, BOT_ID, BOT_USER, NOW, OWNER_ID

GUILD_ID = 1200000000000000001
HELP_CHANNEL = 1200000000000000010
FORUM_CHANNEL = 1200000000000000011
GENERAL_CHANNEL = 1200000000000000012
BOT_ROLE = 1200000000000000020
PLAN_ROLE = 1200000000000000021
HIGH_ROLE = 1200000000000000022
TAG_SQL = 1200000000000000030
TAG_PY = 1200000000000000031
TAG_SOLVED = 1200000000000000032
SKU_ID = 1200000000000000040

MANAGE_GUILD = 1 << 5
MANAGE_ROLES = 1 << 28
SEND = (1 << 10) | (1 << 11) | (1 << 31)  # view channel, send messages, use app commands

_ids = itertools.count(1400000000000000000)


def user(uid: int, name: str) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name.capitalize(),
        "avatar": None,
    }


def role(rid: int, name: str, position: int, permissions: int = 0) -> dict[str, Any]:
    return {
        "id": str(rid),
        "name": name,
        "color": 0,
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def guild(
    *, bot_role_position: int = 5, plan_role_position: int = 2, bot_perms: int = MANAGE_ROLES
) -> dict[str, Any]:
    """GUILD_CREATE: roles, a text help channel, a forum with tags, the bot as a member."""
    return {
        "id": str(GUILD_ID),
        "name": "Learning Club",
        "icon": None,
        "owner_id": str(OWNER_ID),
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [
            role(GUILD_ID, "@everyone", 0, SEND),
            role(BOT_ROLE, "Syllabot", bot_role_position, bot_perms),
            role(PLAN_ROLE, "Pro members", plan_role_position),
            role(HIGH_ROLE, "Staff", 9),
        ],
        "channels": [
            {
                "id": str(HELP_CHANNEL),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "help",
                "position": 1,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
            },
            {
                "id": str(FORUM_CHANNEL),
                "type": 15,
                "guild_id": str(GUILD_ID),
                "name": "questions",
                "position": 2,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
                "flags": 0,
                "available_tags": [
                    {
                        "id": str(TAG_SQL),
                        "name": "sql",
                        "moderated": False,
                        "emoji_id": None,
                        "emoji_name": None,
                    },
                    {
                        "id": str(TAG_PY),
                        "name": "python",
                        "moderated": False,
                        "emoji_id": None,
                        "emoji_name": None,
                    },
                    {
                        "id": str(TAG_SOLVED),
                        "name": "Solved",
                        "moderated": True,
                        "emoji_id": None,
                        "emoji_name": "✅",
                    },
                ],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
            },
            {
                "id": str(GENERAL_CHANNEL),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
            },
        ],
        "threads": [],
        "members": [
            {
                "user": BOT_USER,
                "roles": [str(BOT_ROLE)],
                "joined_at": NOW,
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        ],
        "member_count": 3,
        "large": False,
        "unavailable": False,
        "joined_at": NOW,
        "voice_states": [],
        "presences": [],
        "system_channel_id": None,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
    }


def _channel(channel_id: int, thread_parent: int | None = None) -> dict[str, Any]:
    if thread_parent is not None:
        return {
            "id": str(channel_id),
            "type": 11,
            "guild_id": str(GUILD_ID),
            "parent_id": str(thread_parent),
            "owner_id": str(BOT_ID),
            "name": "question",
            "message_count": 1,
            "member_count": 2,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": NOW,
                "locked": False,
            },
            "permissions": str(SEND),
        }
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": "help",
        "position": 1,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "permissions": str(SEND),
    }


def _base(
    kind: int,
    uid: int,
    name: str,
    *,
    channel_id: int,
    perms: int,
    locale: str,
    dm: bool,
    thread_parent: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"tok-{next(_ids)}",
        "version": 1,
        "locale": locale,
        "app_permissions": str(SEND | MANAGE_ROLES),
        "entitlements": [],
        "attachment_size_limit": 8388608,
    }
    if dm:
        data["channel_id"] = str(channel_id)
        data["channel"] = {"id": str(channel_id), "type": 1}
        data["user"] = user(uid, name)
        data["context"] = 1
        data["authorizing_integration_owners"] = {"0": "0"}
    else:
        data["guild_id"] = str(GUILD_ID)
        data["guild_locale"] = "en-US"
        data["channel_id"] = str(channel_id)
        data["channel"] = _channel(channel_id, thread_parent)
        data["member"] = {
            "user": user(uid, name),
            "roles": [],
            "joined_at": NOW,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(perms),
        }
        data["context"] = 0
        data["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
    return data


def slash(
    name: str,
    args: str | None = None,
    *,
    uid: int,
    username: str,
    channel_id: int = GENERAL_CHANNEL,
    perms: int = SEND,
    locale: str = "en-US",
    dm: bool = False,
    thread_parent: int | None = None,
    attachment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """INTERACTION_CREATE for `/name args:...` (type 2, chat input); in a thread when
    `thread_parent` is given (then `channel_id` is the thread); `attachment` (see
    :func:`attachment`) fills the command's file option."""
    data = _base(
        2,
        uid,
        username,
        channel_id=channel_id,
        perms=perms,
        locale=locale,
        dm=dm,
        thread_parent=thread_parent,
    )
    options = [] if args is None else [{"name": "args", "type": 3, "value": args}]
    data["data"] = {"id": str(next(_ids)), "name": name, "type": 1, "options": options}
    if attachment is not None:
        options.append({"name": "file", "type": 11, "value": attachment["id"]})
        data["data"]["resolved"] = {"attachments": {attachment["id"]: attachment}}
    return data


def message_menu(
    name: str,
    target: dict[str, Any],
    *,
    uid: int,
    username: str,
    channel_id: int,
    thread_parent: int | None = None,
) -> dict[str, Any]:
    """INTERACTION_CREATE for a message menu entry (type 2, data type 3: Apps → `name`) on
    `target`, a message as :func:`message` builds it."""
    data = _base(
        2,
        uid,
        username,
        channel_id=channel_id,
        perms=SEND,
        locale="en-US",
        dm=False,
        thread_parent=thread_parent,
    )
    data["data"] = {
        "id": str(next(_ids)),
        "name": name,
        "type": 3,
        "target_id": target["id"],
        "resolved": {"messages": {target["id"]: target}},
    }
    return data


def attachment(filename: str, size: int) -> dict[str, Any]:
    """An uploaded file as Discord resolves it in a command's options (served by the CDN)."""
    aid = str(next(_ids))
    url = f"https://cdn.discordapp.com/ephemeral-attachments/{GENERAL_CHANNEL}/{aid}/{filename}"
    return {
        "id": aid,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
        "content_type": "text/csv; charset=utf-8",
        "ephemeral": True,
    }


def press(
    custom_id: str, *, uid: int, username: str, channel_id: int = GENERAL_CHANNEL
) -> dict[str, Any]:
    """INTERACTION_CREATE for a button press (type 3) on one of the bot's messages."""
    data = _base(3, uid, username, channel_id=channel_id, perms=SEND, locale="en-US", dm=False)
    data["data"] = {"custom_id": custom_id, "component_type": 2}
    data["message"] = {
        "id": str(next(_ids)),
        "channel_id": str(channel_id),
        "type": 0,
        "content": "pick one",
        "author": BOT_USER,
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": NOW,
        "edited_timestamp": None,
        "flags": 0,
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "Pick", "custom_id": custom_id}],
            }
        ],
    }
    return data


def entitlement(
    ent_id: int,
    uid: int,
    *,
    ends_at: str | None = "2026-04-02T09:00:00+00:00",
    deleted: bool = False,
) -> dict[str, Any]:
    """ENTITLEMENT_CREATE/UPDATE/DELETE payload (type 8: application subscription)."""
    return {
        "id": str(ent_id),
        "sku_id": str(SKU_ID),
        "application_id": str(APP_ID),
        "user_id": str(uid),
        "guild_id": None,
        "type": 8,
        "deleted": deleted,
        "starts_at": NOW,
        "ends_at": ends_at,
        "consumed": False,
    }


def message(channel_id: int, uid: int, name: str, content: str) -> dict[str, Any]:
    """MESSAGE_CREATE from a person in a guild channel or thread."""
    return {
        "id": str(next(_ids)),
        "channel_id": str(channel_id),
        "guild_id": str(GUILD_ID),
        "type": 0,
        "content": content,
        "author": user(uid, name),
        "member": {"roles": [], "joined_at": NOW, "deaf": False, "mute": False, "flags": 0},
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": NOW,
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
    }


def dm_message(channel_id: int, uid: int, name: str, content: str) -> dict[str, Any]:
    """MESSAGE_CREATE in a direct message with the bot (no guild)."""
    data = message(channel_id, uid, name, content)
    del data["guild_id"], data["member"]
    return data


def member_add(uid: int, name: str) -> dict[str, Any]:
    return {
        "guild_id": str(GUILD_ID),
        "user": user(uid, name),
        "roles": [],
        "joined_at": NOW,
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


__all__ = ["BOT_ID", "GUILD_ID"]
