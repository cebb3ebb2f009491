"""A fake Discord HTTP layer at discord.py's route level, checked against the OpenAPI spec.

Both ways discord.py talks to Discord are replaced: `HTTPClient.request` (bot token routes)
and `AsyncWebhookAdapter.request` (interaction responses and follow-ups). Every call is
recorded as (method, path template, JSON body) and checked against
tests/data/discord/openapi.json: the path and method exist, body keys are known properties
(recursively, following $ref/anyOf/allOf) and required keys are present. Failures can be
scripted per route (403 50007, 429, 5xx) to test the adapter's mapping.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter

SPEC_PATH = Path(__file__).parents[2] / "data" / "discord" / "openapi.json"
APP_ID = 1100000000000000001
BOT_ID = 1100000000000000002
OWNER_ID = 1100000000000000003
NOW = "2026-03-02T09:00:00.000000+00:00"

BOT_USER = {
    "id": str(BOT_ID),
    "username": "syllabot",
    "discriminator": "0",
    "global_name": "Syllabot",
    "avatar": None,
    "bot": True,
}


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@cache
def _paths() -> dict[str, str]:
    return {_norm(p): p for p in spec()["paths"]}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    return set(t) if isinstance(t, list) else ({t} if t else set())


def check_value(value: Any, schema: dict[str, Any], where: str = "body") -> list[str]:
    """Errors of `value` against a JSON schema (the subset the Discord spec uses)."""
    schema = _resolve(schema)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            results = [check_value(value, s, where) for s in schema[union]]
            return [] if any(not r for r in results) else min(results, key=len)
    if "allOf" in schema:
        parts = [_resolve(p) for p in schema["allOf"]]
        base = {k: v for k, v in schema.items() if k != "allOf"}
        if any("properties" in p for p in parts):  # an object assembled from pieces
            merged: dict[str, Any] = {
                "type": "object",
                "properties": dict(base.get("properties", {})),
                "required": list(base.get("required", [])),
            }
            for part in parts:
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return check_value(value, merged, where)
        errors = check_value(value, base, where)
        for part in parts:
            errors += check_value(value, part, where)
        return errors
    types = _types(schema)
    if value is None:
        return [] if ("null" in types or not types) else [f"{where}: null not allowed"]
    if "const" in schema and value != schema["const"]:
        return [f"{where}: {value!r} != {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if isinstance(value, dict):
        if types and "object" not in types:
            return [f"{where}: object given, schema wants {types}"]
        props = schema.get("properties")
        errors: list[str] = []
        if props is not None:
            for key, sub in value.items():
                if key not in props:
                    errors.append(f"{where}.{key}: unknown property")
                else:
                    errors += check_value(sub, props[key], f"{where}.{key}")
            errors += [
                f"{where}.{k}: required" for k in schema.get("required", []) if k not in value
            ]
        return errors
    if isinstance(value, list):
        if types and "array" not in types:
            return [f"{where}: array given, schema wants {types}"]
        items = schema.get("items")
        out: list[str] = []
        if items:
            for i, v in enumerate(value):
                out += check_value(v, items, f"{where}[{i}]")
        return out
    if isinstance(value, bool):
        return [] if (not types or "boolean" in types) else [f"{where}: bool given, wants {types}"]
    if isinstance(value, int):
        ok = (
            not types
            or types & {"integer", "number"}
            or ("string" in types and schema.get("format") in ("snowflake", "int64"))
        )
        return [] if ok else [f"{where}: int given, wants {types}"]
    if isinstance(value, float):
        return [] if (not types or "number" in types) else [f"{where}: float given, wants {types}"]
    if isinstance(value, str):
        return [] if (not types or "string" in types) else [f"{where}: str given, wants {types}"]
    return []


# Known differences, each checked by hand against discord.com/developers/docs:
# - commands: `nsfw` is documented but missing from the preview spec ("the docs win");
# - forum posts: discord.py 2.7 always adds `type: 11` and `message.tts`, which the forum
#   endpoint does not list and Discord ignores.
SPEC_GAPS = {
    "PUT /applications/{}/commands": ("nsfw",),
    "POST /channels/{}/threads": ("type", "tts"),
}


def check_call(method: str, template: str, body: Any, multipart: bool = False) -> list[str]:
    """Errors for one request: unknown path/method, or a body the operation does not take."""
    real = _paths().get(_norm(template))
    if real is None:
        return [f"{method} {template}: no such path in the Discord OpenAPI spec"]
    op = spec()["paths"][real].get(method.lower())
    if op is None:
        return [f"{method} {template}: path has no {method}"]
    if body is None:
        return []
    content = op.get("requestBody", {}).get("content", {})
    media = (
        "multipart/form-data"
        if multipart and "multipart/form-data" in content
        else ("application/json")
    )
    if media not in content:
        return [f"{method} {template}: takes no {media} body"]
    gaps = SPEC_GAPS.get(f"{method} {_norm(template)}", ())
    errors = check_value(body, content[media]["schema"])
    errors = [e for e in errors if not any(e.endswith(f".{g}: unknown property") for g in gaps)]
    return [f"{method} {template} {e}" for e in errors]


@dataclass
class Call:
    method: str
    template: str
    url: str
    body: Any
    files: list[str] = field(default_factory=list)
    reason: str | None = None
    response: Any = None
    params: dict[str, Any] = field(default_factory=dict)  # the URL's query string

    @property
    def route(self) -> str:
        return f"{self.method} {self.template}"


class FakeResponse:
    """What discord.py's HTTPException reads from an aiohttp response."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = {403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}.get(
            status, "Error"
        )
        self.headers = headers or {}


class DiscordWire:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.errors: list[str] = []
        self.channels: dict[int, dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []  # what Discord has registered
        self._failures: dict[str, deque[Exception]] = defaultdict(deque)
        self._ids = itertools.count(1300000000000000000)
        self.cdn: dict[str, bytes] = {}  # attachment URL -> bytes members uploaded
        self.fetched: list[str] = []

    # -- scripting ------------------------------------------------------------------------

    def fail(
        self,
        route: str,
        status: int,
        code: int = 0,
        message: str = "error",
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next call to `route` ("POST /channels/{channel_id}/messages") fails so."""
        resp = FakeResponse(status, headers)
        body = {"code": code, "message": message}
        exc: Exception
        if status == 403:
            exc = discord.Forbidden(resp, body)  # type: ignore[arg-type]
        elif status == 404:
            exc = discord.NotFound(resp, body)  # type: ignore[arg-type]
        elif status >= 500:
            exc = discord.DiscordServerError(resp, body)  # type: ignore[arg-type]
        elif status == 429 and headers and "Retry-After" in headers:
            exc = discord.RateLimited(float(headers["Retry-After"]))
        else:
            exc = discord.HTTPException(resp, body)  # type: ignore[arg-type]
        self._failures[_norm(route)].append(exc)

    def install(self, monkeypatch: Any, client: discord.Client) -> None:
        monkeypatch.setattr(client.http, "request", self._http_request)
        monkeypatch.setattr(client.http, "get_from_cdn", self._get_from_cdn)
        wire = self

        async def webhook_request(_adapter: Any, route: Any, session: Any, **kw: Any) -> Any:
            return await wire._handle(
                route, kw.get("payload"), kw.get("multipart"), kw.get("files"), kw.get("reason")
            )

        monkeypatch.setattr(AsyncWebhookAdapter, "request", webhook_request)

    # -- queries --------------------------------------------------------------------------

    def routes(self) -> list[str]:
        return [c.route for c in self.calls]

    def find(self, route: str) -> list[Call]:
        return [c for c in self.calls if _norm(c.route) == _norm(route)]

    def assert_spec_clean(self) -> None:
        assert not self.errors, "requests not allowed by the Discord OpenAPI spec:\n" + "\n".join(
            self.errors
        )

    # -- the fake -------------------------------------------------------------------------

    async def _get_from_cdn(self, url: str) -> bytes:
        self.fetched.append(url)
        if url not in self.cdn:
            raise discord.NotFound(FakeResponse(404), {"code": 0, "message": "404: Not Found"})  # type: ignore[arg-type]
        return self.cdn[url]

    async def _http_request(
        self, route: Any, *, files: Any = None, form: Any = None, **kw: Any
    ) -> Any:
        return await self._handle(
            route, kw.get("json"), form, files, kw.get("reason"), kw.get("params")
        )

    async def _handle(
        self,
        route: Any,
        body: Any,
        multipart: Any,
        files: Any,
        reason: str | None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        names: list[str] = []
        is_multipart = bool(multipart)
        if multipart:
            for part in multipart:
                if part.get("name") == "payload_json":
                    body = json.loads(part["value"])
                elif part.get("filename"):
                    names.append(part["filename"])
        call = Call(route.method, route.path, route.url, body, names, reason, params=params or {})
        self.calls.append(call)
        self.errors += check_call(route.method, route.path, body, is_multipart)
        key = _norm(call.route)
        if self._failures.get(key):
            raise self._failures[key].popleft()
        call.response = self._answer(call)
        return call.response

    def _id(self) -> str:
        return str(next(self._ids))

    def _ids_in(self, call: Call) -> list[str]:
        return re.findall(r"/(\d{15,20})", call.url)

    def message(self, channel_id: str, body: dict[str, Any] | None) -> dict[str, Any]:
        body = body or {}
        return {
            "id": self._id(),
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content") or "",
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
            "flags": body.get("flags", 0) or 0,
            "components": [],
        }

    def _answer(self, call: Call) -> Any:
        m, t, body = call.method, _norm(call.template), call.body
        ids = self._ids_in(call)
        if (m, t) == ("GET", "/users/@me"):
            return BOT_USER
        if (m, t) == ("GET", "/oauth2/applications/@me"):
            return {
                "id": str(APP_ID),
                "name": "Syllabot",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": {**BOT_USER, "id": str(OWNER_ID), "username": "owner", "bot": False},
                "verify_key": "00",
                "flags": 0,
            }
        if (m, t) == ("GET", "/applications/{}/commands"):
            if str(call.params.get("with_localizations", "")).lower() == "true":
                return self.commands
            # Without it Discord leaves out the localization dictionaries.
            return [
                {k: v for k, v in c.items() if not k.endswith("_localizations")}
                for c in self.commands
            ]
        if (m, t) == ("PUT", "/applications/{}/commands"):
            # Discord answers every command with a description ("" for message menus, which
            # send none): the spec's ApplicationCommandResponse requires it.
            self.commands = [
                {
                    "description": "",
                    **c,
                    "id": self._id(),
                    "application_id": str(APP_ID),
                    "version": "1",
                }
                for c in body or []
            ]
            return self.commands
        if (m, t) == ("POST", "/channels/{}/invites"):
            code = f"inv{len(self.find('POST /channels/{channel_id}/invites')):04d}"
            return {
                "type": 0,
                "code": code,
                "channel": {"id": ids[0], "type": 0, "name": "welcome"},
                "max_age": (body or {}).get("max_age"),
                "max_uses": (body or {}).get("max_uses"),
                "uses": 0,
                "temporary": False,
                "created_at": NOW,
            }
        if (m, t) == ("POST", "/users/@me/channels"):
            uid = str(body["recipient_id"])
            user = {**BOT_USER, "id": uid, "username": f"user{uid[-4:]}", "bot": False}
            return {
                "id": str(int(uid) + 7),
                "type": 1,
                "recipients": [user],
                "last_message_id": None,
            }
        if (m, t) in {("POST", "/channels/{}/messages"), ("POST", "/webhooks/{}/{}")}:
            return self.message(ids[0] if ids else "0", body)
        if (m, t) == ("POST", "/interactions/{}/{}/callback"):
            data = (body or {}).get("data") or {}
            return {
                "interaction": {
                    "id": ids[0],
                    "type": 2,
                    "response_message_id": self._id(),
                    "response_message_loading": body.get("type") == 5,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
                },
            }
        if (m, t) == ("POST", "/channels/{}/threads"):
            parent = self.channels.get(int(ids[0]), {})
            thread = {
                "id": self._id(),
                "type": body.get("type") or 11,
                "guild_id": parent.get("guild_id"),
                "parent_id": ids[0],
                "owner_id": str(BOT_ID),
                "name": body["name"],
                "message_count": 0,
                "member_count": 1,
                "rate_limit_per_user": 0,
                "applied_tags": body.get("applied_tags") or [],
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": body.get("auto_archive_duration") or 1440,
                    "archive_timestamp": NOW,
                    "locked": False,
                },
            }
            self.channels[int(thread["id"])] = dict(thread)  # GET and PATCH it later
            if "message" in body:
                thread["message"] = self.message(thread["id"], body["message"])
            return thread
        if (m, t) == ("GET", "/channels/{}"):
            return self.channels[int(ids[0])]
        if (m, t) == ("PATCH", "/channels/{}"):
            channel = self.channels[int(ids[0])]
            meta = dict(channel.get("thread_metadata") or {})
            for key in ("archived", "locked", "auto_archive_duration"):
                if key in body:
                    meta[key] = body[key]
            channel.update({k: v for k, v in body.items() if k in ("name", "applied_tags")})
            if meta:
                channel["thread_metadata"] = meta
            return channel
        if m in ("PUT", "DELETE"):
            return None
        raise AssertionError(f"wire has no canned answer for {call.route}")
