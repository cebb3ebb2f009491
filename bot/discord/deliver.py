"""Outbox delivery to Discord: DMs strictly throttled, failures mapped to outbox outcomes.

Discord quarantines bots that DM many users in a burst, so DMs leave one at a time with a
fixed gap; channel posts only follow discord.py's per-route buckets.

Targets: "user:<id>" (a DM to a user id), "channel:<id>" (a guild channel or thread, e.g. a
cohort's digest channel) or a bare id: an account's DM channel id (throttled like a DM unless
it is a known guild channel); when no such channel exists it is tried as a user id.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from bot.discord.views import build_view, buttons_from_payload, render_text
from core.ports import SendOutcome

log = logging.getLogger("syllabot.discord.deliver")

DM_CLOSED = 50007
UNKNOWN_CHANNEL = 10003
UNKNOWN_USER = 10013
DEFAULT_DM_INTERVAL = 2.5  # seconds between two DMs from this process: at most 24 a minute


class DiscordDeliverer:
    platform = "discord"

    def __init__(
        self,
        client: discord.Client,
        *,
        dm_interval: float = DEFAULT_DM_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.dm_interval = dm_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._next_dm_at = 0.0

    async def deliver(self, target: str, payload: dict[str, Any]) -> SendOutcome:
        kind, _, ident = target.rpartition(":")
        if not ident.isdecimal() or kind not in ("", "user", "channel"):
            return SendOutcome("failed", error=f"bad discord target {target!r}")
        try:
            if kind == "user":
                return await self._dm(int(ident), payload)
            cached = self.client.get_channel(int(ident))
            if kind == "" and getattr(cached, "guild", None) is None:
                await self._throttle()  # an account's DM channel (or unknown): DM pace
            try:
                return await self._post(self.client.get_partial_messageable(int(ident)), payload)
            except discord.NotFound as exc:
                if kind == "channel" or exc.code != UNKNOWN_CHANNEL:
                    raise
                return await self._dm(int(ident), payload)
        except discord.RateLimited as exc:
            return SendOutcome("retry", retry_after=exc.retry_after, error="429 rate limited")
        except discord.Forbidden as exc:
            if exc.code == DM_CLOSED:
                return SendOutcome("unreachable", error="50007 cannot send messages to this user")
            return SendOutcome("failed", error=f"403 {exc.code} {exc.text}")
        except discord.NotFound as exc:
            if kind != "channel" and exc.code == UNKNOWN_USER:
                return SendOutcome("unreachable", error="10013 unknown user")
            return SendOutcome("failed", error=f"404 {exc.code} {exc.text}")
        except discord.DiscordServerError as exc:
            return SendOutcome("retry", error=f"{exc.status} discord server error")
        except discord.HTTPException as exc:
            if exc.status == 429:
                return SendOutcome("retry", retry_after=_retry_after(exc), error="429")
            if exc.status >= 500:
                return SendOutcome("retry", error=f"{exc.status}")
            return SendOutcome("failed", error=f"{exc.status} {exc.code} {exc.text}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendOutcome("retry", error=f"network: {exc!r}")

    async def _dm(self, user_id: int, payload: dict[str, Any]) -> SendOutcome:
        await self._throttle()
        channel = await self.client.create_dm(discord.Object(user_id))
        return await self._post(channel, payload)

    async def _throttle(self) -> None:
        """One DM per `dm_interval`, however many callers wait: never a burst."""
        async with self._lock:
            now = self._monotonic()
            wait = self._next_dm_at - now
            if wait > 0:
                await self._sleep(wait)
                now += wait
            self._next_dm_at = now + self.dm_interval

    async def _post(self, channel: discord.abc.Messageable, payload: dict[str, Any]) -> SendOutcome:
        parts = render_text(str(payload.get("text", "")), str(payload.get("markup", "plain")))
        view = build_view(buttons_from_payload(payload.get("buttons")))
        file = _photo(payload)
        if file is not None:
            parts = parts or [""]
        last: discord.Message | None = None
        nonce = str(payload.get("nonce") or "")[:25]
        for i, part in enumerate(parts):
            kw: dict[str, Any] = {
                "allowed_mentions": discord.AllowedMentions.none(),
                "silent": bool(payload.get("silent")),
            }
            if nonce:  # Discord drops a resend with the same enforced nonce (outbox crash window)
                kw["nonce"] = nonce if i == 0 else f"{nonce}{i}"[:25]
            if i == len(parts) - 1:
                if view is not None:
                    kw["view"] = view
                if file is not None:
                    kw["file"] = file
            last = await channel.send(part or None, **kw)
        if last is None:
            return SendOutcome("failed", error="empty payload")
        return SendOutcome("sent", message_ref=str(last.id))


def _photo(payload: dict[str, Any]) -> discord.File | None:
    raw = payload.get("photo_b64")
    if not raw:
        return None
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    return discord.File(io.BytesIO(data), filename=str(payload.get("filename", "chart.png")))


def _retry_after(exc: discord.HTTPException) -> float | None:
    headers = getattr(exc.response, "headers", {}) or {}
    for key in ("Retry-After", "retry-after", "X-RateLimit-Reset-After"):
        if key in headers:
            try:
                return float(headers[key])
            except (TypeError, ValueError):
                pass
    return None
