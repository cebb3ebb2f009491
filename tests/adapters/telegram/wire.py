"""A fake Bot API at the wire: records every call, checks it against api.json, answers canned JSON.

The adapter runs the real python-telegram-bot stack (Bot, Application, RequestData); only the
HTTP round trip is replaced. Failures are scriptable per method (429 with retry_after, 403, 5xx).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

SPEC_PATH = Path(__file__).resolve().parents[2] / "data" / "telegram" / "api.json"
BOT_ID = 777000111
BOT_USERNAME = "syllabot_test_bot"
TOKEN = f"{BOT_ID}:AAtest-token"
NOW = 1772442000  # 2026-03-02 09:00 UTC, the tests' frozen clock

BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Syllabot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@cache
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


_MUST_BE = re.compile(r"must be ([a-z_]+)")
_FILE_URL = re.compile(r"/file/bot[^/]+/(.+)$")


def _object_errors(spec: dict[str, Any], tname: str, value: Any, path: str) -> list[str]:
    tdef = spec["types"][tname]
    if not isinstance(value, dict):
        return [f"{path}: expected {tname} object, got {type(value).__name__}"]
    if tdef.get("subtypes"):
        options = [_object_errors(spec, sub, value, path) for sub in tdef["subtypes"]]
        return [] if any(not o for o in options) else [f"{path}: matches no {tname} variant"]
    fields = {f["name"]: f for f in tdef.get("fields", [])}
    errors = [f"{path}.{k}: unknown field of {tname}" for k in value if k not in fields]
    for name, f in fields.items():
        if name not in value:
            if f["required"]:
                errors.append(f"{path}.{name}: required field of {tname} missing")
            continue
        errors += _value_errors(spec, f["types"], value[name], f"{path}.{name}")
        m = _MUST_BE.search(f.get("description", "")) if name == "type" else None
        if m is not None and value[name] != m.group(1):
            errors.append(f"{path}.type: {value[name]!r} is not {m.group(1)!r}")
    return errors


def _one_type_errors(spec: dict[str, Any], t: str, v: Any, path: str) -> list[str]:
    ok: bool
    if t == "Integer":
        ok = isinstance(v, int) and not isinstance(v, bool)
    elif t == "Float":
        ok = isinstance(v, int | float) and not isinstance(v, bool)
    elif t == "String":
        ok = isinstance(v, str)
    elif t == "Boolean":
        ok = isinstance(v, bool)
    elif t == "True":
        ok = v is True
    elif t == "InputFile":
        ok = isinstance(v, str) and v.startswith("attach://")
    elif t.startswith("Array of "):
        if not isinstance(v, list):
            return [f"{path}: expected {t}, got {type(v).__name__}"]
        inner = t.removeprefix("Array of ")
        return [
            e for i, x in enumerate(v) for e in _one_type_errors(spec, inner, x, f"{path}[{i}]")
        ]
    elif t in spec["types"]:
        return _object_errors(spec, t, v, path)
    else:
        return [f"{path}: unknown spec type {t}"]
    return [] if ok else [f"{path}: expected {t}, got {type(v).__name__} {v!r:.60}"]


def _value_errors(spec: dict[str, Any], types: list[str], v: Any, path: str) -> list[str]:
    options = [_one_type_errors(spec, t, v, path) for t in types]
    if any(not o for o in options):
        return []
    return min(options, key=len) if len(types) == 1 else [f"{path}: not any of {types}: {v!r:.80}"]


def check_call(method: str, params: dict[str, Any], files: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Spec violations of one Bot API call (empty when it is valid)."""
    spec = load_spec()
    m = spec["methods"].get(method)
    if m is None:
        return [f"{method}: no such Bot API method"]
    fields = {f["name"]: f for f in m.get("fields", [])}
    errors = [f"{method}.{k}: unknown parameter" for k in params if k not in fields]
    for name, f in fields.items():
        if name in files:
            if "InputFile" not in f["types"]:
                errors.append(f"{method}.{name}: a file where {f['types']} is expected")
        elif name in params:
            errors += _value_errors(spec, f["types"], params[name], f"{method}.{name}")
        elif f["required"]:
            errors.append(f"{method}.{name}: required parameter missing")
    return errors


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: set[str] = field(default_factory=set)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    failures: dict[str, deque[_Failure]] = field(default_factory=lambda: defaultdict(deque))
    updates: deque[list[dict[str, Any]]] = field(default_factory=deque)
    chat_members: dict[tuple[str, str], str] = field(default_factory=dict)
    member_rights: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)


class FakeWire(BaseRequest):
    """BaseRequest for Application.builder().request(...); `twin()` for get_updates_request."""

    def __init__(self, state: _State | None = None) -> None:
        self.state = state or _State()

    def twin(self) -> FakeWire:
        return FakeWire(self.state)

    # --- test API --------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.state.calls

    @property
    def violations(self) -> list[str]:
        return self.state.violations

    def of(self, method: str) -> list[Call]:
        return [c for c in self.state.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.state.calls if c.method != "getMe"]

    def clear(self) -> None:
        self.state.calls.clear()

    def fail(
        self, method: str, status: int, description: str, *, retry_after: int | None = None
    ) -> None:
        """The next call of `method` gets this error answer (queue several for several calls)."""
        self.state.failures[method].append(_Failure(status, description, retry_after))

    def feed(self, *updates: dict[str, Any]) -> None:
        """Updates the next getUpdates returns (long polling)."""
        self.state.updates.append(list(updates))

    def put_file(self, file_id: str, data: bytes) -> None:
        """A file members sent: getFile describes it, its file URL serves the bytes."""
        self.state.files[file_id] = data

    @property
    def downloads(self) -> list[str]:
        return self.state.downloads

    def set_member_status(
        self, chat_id: int | str, user_id: int | str, status: str, **rights: bool
    ) -> None:
        """getChatMember's answer; ``rights`` (e.g. can_manage_topics=True) for an admin."""
        self.state.chat_members[(str(chat_id), str(user_id))] = status
        self.state.member_rights[(str(chat_id), str(user_id))] = rights

    # --- BaseRequest -----------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if (download := _FILE_URL.search(url)) is not None:  # a file, not a Bot API method
            path = download.group(1)
            self.state.downloads.append(path)
            data = self.state.files.get(path.removeprefix("documents/"))
            return (200, data) if data is not None else (404, b"Not Found")
        api = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = (
            set(request_data.multipart_data)
            if request_data and request_data.contains_files
            else set()
        )
        self.state.calls.append(Call(api, params, files))
        self.state.violations.extend(check_call(api, params, files))
        queue = self.state.failures.get(api)
        if queue:
            f = queue.popleft()
            body: dict[str, Any] = {
                "ok": False,
                "error_code": f.status,
                "description": f.description,
            }
            if f.retry_after is not None:
                body["parameters"] = {"retry_after": f.retry_after}
            return f.status, json.dumps(body).encode()
        result = await self._result(api, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # --- canned answers shaped like the real API's ----------------------------------------

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "private", "first_name": "Member"}
            if chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Community"}
        )
        msg = {"message_id": next(self.state.ids), "date": NOW, "chat": chat, "from": BOT_USER}
        if params.get("message_thread_id"):
            msg["message_thread_id"] = params["message_thread_id"]
            msg["is_topic_message"] = True
            chat["is_forum"] = True
        msg.update(extra)
        return msg

    async def _result(self, api: str, p: dict[str, Any]) -> Any:
        n = next(self.state.ids)
        if api == "getMe":
            return BOT_USER
        if api == "getUpdates":
            if self.state.updates:
                return self.state.updates.popleft()
            await asyncio.sleep(0.02)
            return []
        if api == "sendMessage":
            return self._message(p, text=p.get("text", ""))
        if api == "sendPhoto":
            size = {
                "file_id": f"AgAC{n}",
                "file_unique_id": f"AQAD{n}",
                "width": 800,
                "height": 600,
            }
            return self._message(p, photo=[size])
        if api == "sendDocument":
            doc = {"file_id": f"BQAC{n}", "file_unique_id": f"AgAD{n}", "file_name": "report.csv"}
            return self._message(p, document=doc)
        if api == "sendInvoice":
            inv = {
                "title": p["title"],
                "description": p["description"],
                "start_parameter": "",
                "currency": p["currency"],
                "total_amount": sum(x["amount"] for x in p["prices"]),
            }
            return self._message(p, invoice=inv)
        if api == "createInvoiceLink":
            return f"https://t.me/$inv{n}"
        if api == "createChatInviteLink":
            link = {
                "invite_link": f"https://t.me/+Inv{n}xYz",
                "creator": BOT_USER,
                "creates_join_request": bool(p.get("creates_join_request", False)),
                "is_primary": False,
                "is_revoked": False,
            }
            for k in ("name", "expire_date", "member_limit"):
                if k in p:
                    link[k] = p[k]
            return link
        if api == "createChatSubscriptionInviteLink":
            return {
                "invite_link": f"https://t.me/+Sub{n}aBc",
                "creator": BOT_USER,
                "creates_join_request": False,
                "is_primary": False,
                "is_revoked": False,
                "name": p.get("name", ""),
                "subscription_period": p["subscription_period"],
                "subscription_price": p["subscription_price"],
            }
        if api == "getFile":
            fid = str(p["file_id"])
            found = self.state.files.get(fid)
            described: dict[str, Any] = {"file_id": fid, "file_unique_id": f"u{fid}"}
            if found is not None:
                described |= {"file_size": len(found), "file_path": f"documents/{fid}"}
            return described
        if api == "createForumTopic":
            return {"message_thread_id": n, "name": p["name"], "icon_color": 7322096}
        if api == "getChatMember":
            status = self.state.chat_members.get((str(p["chat_id"]), str(p["user_id"])), "member")
            user = {"id": int(p["user_id"]), "is_bot": False, "first_name": "User"}
            if status == "administrator":
                return {
                    "status": status,
                    "user": user,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                } | self.state.member_rights.get((str(p["chat_id"]), str(p["user_id"])), {})
            if status == "creator":
                return {"status": status, "user": user, "is_anonymous": False}
            return {"status": status, "user": user}
        return True
