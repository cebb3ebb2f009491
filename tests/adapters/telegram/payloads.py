"""Realistic Bot API update JSON, shaped like what Telegram sends (see core.telegram.org/bots/api)."""

from __future__ import annotations

import itertools
from typing import Any

from tg_wire import BOT_USER, NOW

_ids = itertools.count(845_000_000)
_msg_ids = itertools.count(300)

GROUP_ID = -1001987654321  # the community supergroup (a plan's telegram chat)
FORUM_ID = -1001555000111  # the community's forum supergroup


def user(
    uid: int, first: str = "Alice", *, username: str | None = "alice", lang: str = "en"
) -> dict[str, Any]:
    u: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": first, "language_code": lang}
    if username:
        u["username"] = username
    return u


def private_chat(u: dict[str, Any]) -> dict[str, Any]:
    c = {"id": u["id"], "type": "private", "first_name": u["first_name"]}
    if "username" in u:
        c["username"] = u["username"]
    return c


def group_chat(chat_id: int = GROUP_ID, *, forum: bool = False) -> dict[str, Any]:
    c: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": "SQL Study Circle"}
    if forum:
        c["is_forum"] = True
    return c


def update(**body: Any) -> dict[str, Any]:
    return {"update_id": next(_ids), **body}


def message(
    u: dict[str, Any],
    text: str,
    chat: dict[str, Any] | None = None,
    *,
    thread_id: int | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": next(_msg_ids),
        "from": u,
        "chat": chat or private_chat(u),
        "date": NOW,
        "text": text,
    }
    if text.startswith("/"):
        cmd = text.split()[0]
        msg["entities"] = [{"offset": 0, "length": len(cmd), "type": "bot_command"}]
    if thread_id is not None:
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = True
        msg["reply_to_message"] = {
            "message_id": thread_id,
            "chat": chat,
            "date": NOW - 60,
            "forum_topic_created": {"name": "Question", "icon_color": 7322096},
        }
    upd = update(message=msg)
    if update_id is not None:
        upd["update_id"] = update_id
    return upd


def document(u: dict[str, Any], caption: str, file_id: str, name: str, size: int) -> dict[str, Any]:
    """A file sent with a caption (a command such as "/kb import", or plain words)."""
    msg: dict[str, Any] = {
        "message_id": next(_msg_ids),
        "from": u,
        "chat": private_chat(u),
        "date": NOW,
        "caption": caption,
        "document": {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": "text/csv",
            "file_size": size,
        },
    }
    if caption.startswith("/"):
        cmd = caption.split()[0]
        msg["caption_entities"] = [{"offset": 0, "length": len(cmd), "type": "bot_command"}]
    return update(message=msg)


def callback(u: dict[str, Any], data: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
    return update(
        callback_query={
            "id": str(next(_ids) * 1000 + 17),
            "from": u,
            "chat_instance": "-5123400987654321",
            "data": data,
            "message": {
                "message_id": next(_msg_ids),
                "from": BOT_USER,
                "chat": chat or private_chat(u),
                "date": NOW - 30,
                "text": "Choose a plan",
            },
        }
    )


def pre_checkout(
    u: dict[str, Any], amount: int, payload: str, currency: str = "XTR"
) -> dict[str, Any]:
    return update(
        pre_checkout_query={
            "id": str(next(_ids) * 7),
            "from": u,
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
        }
    )


def successful_payment(
    u: dict[str, Any], amount: int, payload: str, charge_id: str, *, update_id: int | None = None
) -> dict[str, Any]:
    upd = update(
        message={
            "message_id": next(_msg_ids),
            "from": u,
            "chat": private_chat(u),
            "date": NOW,
            "successful_payment": {
                "currency": "XTR",
                "total_amount": amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": "",
            },
        }
    )
    if update_id is not None:
        upd["update_id"] = update_id
    return upd


def refunded_payment(
    u: dict[str, Any], amount: int, payload: str, charge_id: str
) -> dict[str, Any]:
    """Telegram's service message for a refunded Stars payment (Message.refunded_payment)."""
    return update(
        message={
            "message_id": next(_msg_ids),
            "from": u,
            "chat": private_chat(u),
            "date": NOW,
            "refunded_payment": {
                "currency": "XTR",
                "total_amount": amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge_id,
            },
        }
    )


ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


def _member(u: dict[str, Any], status: str) -> dict[str, Any]:
    if status == "restricted":
        return {
            "status": "restricted",
            "user": u,
            "is_member": False,
            "can_send_messages": False,
            "can_send_audios": False,
            "can_send_documents": False,
            "can_send_photos": False,
            "can_send_videos": False,
            "can_send_video_notes": False,
            "can_send_voice_notes": False,
            "can_send_polls": False,
            "can_send_other_messages": False,
            "can_add_web_page_previews": False,
            "can_change_info": False,
            "can_invite_users": False,
            "can_pin_messages": False,
            "can_manage_topics": False,
            "until_date": 0,
        }
    if status == "kicked":
        return {"status": "kicked", "user": u, "until_date": 0}
    if status == "administrator":
        return {"status": status, "user": u, **ADMIN_RIGHTS}
    return {"status": status, "user": u}


def chat_member(
    u: dict[str, Any],
    old: str,
    new: str,
    chat: dict[str, Any] | None = None,
    link: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "chat": chat or group_chat(),
        "from": u,
        "date": NOW,
        "old_chat_member": _member(u, old),
        "new_chat_member": _member(u, new),
    }
    if link:
        body["invite_link"] = {
            "invite_link": link,
            "creator": BOT_USER,
            "creates_join_request": False,
            "is_primary": False,
            "is_revoked": False,
            "member_limit": 1,
        }
    return update(chat_member=body)


def join_request(u: dict[str, Any], chat: dict[str, Any] | None = None) -> dict[str, Any]:
    return update(
        chat_join_request={
            "chat": chat or group_chat(),
            "from": u,
            "user_chat_id": u["id"],
            "date": NOW,
            "bio": "Learning SQL",
        }
    )


def my_chat_member(
    u: dict[str, Any], old: str, new: str, chat: dict[str, Any] | None = None
) -> dict[str, Any]:
    bot_new: dict[str, Any] = {"status": new, "user": BOT_USER}
    if new == "kicked":
        bot_new["until_date"] = 0
    if new == "administrator":
        bot_new.update(ADMIN_RIGHTS)
    return update(
        my_chat_member={
            "chat": chat or private_chat(u),
            "from": u,
            "date": NOW,
            "old_chat_member": {"status": old, "user": BOT_USER},
            "new_chat_member": bot_new,
        }
    )
