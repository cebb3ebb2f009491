"""Token buckets per platform and per chat, with an injectable clock and sleep.

One `RateLimiter` is shared by every send of a process, so a 10,000-member digest run is spread
at the platform's pace instead of bursting into 429s. Limits (documented by the platforms):
Telegram ~30 messages/s overall, ~1/s per chat, 20/min per group; Discord has no published DM
rate but flags bulk DMs as spam, so we keep DMs to a tight 5/s and 5 per 5 s per channel.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

EPS = 1e-9
# 429s from FLOOD_CHATS different chats within FLOOD_WINDOW seconds: the bot as a whole is
# over the limit, pause the platform. (A stray per-chat 429 now and then is not a flood.)
FLOOD_WINDOW = 1.0
FLOOD_CHATS = 5


@dataclass(frozen=True)
class Limit:
    rate: float  # tokens per second
    burst: float  # bucket size


@dataclass(frozen=True)
class PlatformLimits:
    overall: Limit | None
    per_chat: Limit | None
    per_group: Limit | None = None


DEFAULT_LIMITS: dict[str, PlatformLimits] = {
    "telegram": PlatformLimits(Limit(30.0, 1.0), Limit(1.0, 1.0), Limit(20 / 60, 1.0)),
    "discord": PlatformLimits(Limit(5.0, 5.0), Limit(1.0, 5.0)),
    "console": PlatformLimits(None, None),
}


@dataclass
class TokenBucket:
    limit: Limit
    tokens: float
    stamp: float

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.limit.burst, self.tokens + (now - self.stamp) * self.limit.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        self._refill(now)
        if self.tokens >= 1.0 - EPS:  # float refills land a hair under 1.0
            return 0.0
        return (1.0 - self.tokens) / self.limit.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


@dataclass
class RateLimiter:
    limits: dict[str, PlatformLimits] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    max_chats: int = 50_000  # idle per-chat buckets are dropped beyond this
    _buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    _blocked: dict[tuple[str, str], float] = field(default_factory=dict)
    _recent_429: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> TokenBucket:
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= self.max_chats:
                self._gc(now)
            b = self._buckets[key] = TokenBucket(limit, limit.burst, now)
        return b

    def _gc(self, now: float) -> None:
        for k, b in list(self._buckets.items()):
            if k[1] != "*" and b.wait_time(now) == 0.0 and b.tokens >= b.limit.burst:
                del self._buckets[k]

    def _relevant(self, platform: str, chat: str, group: bool, now: float) -> list[TokenBucket]:
        lim = self.limits.get(platform)
        if lim is None:
            return []
        out = []
        if lim.overall:
            out.append(self._bucket((platform, "*"), lim.overall, now))
        if lim.per_chat:
            out.append(self._bucket((platform, chat), lim.per_chat, now))
        if group and lim.per_group:
            out.append(self._bucket((platform, "g:" + chat), lim.per_group, now))
        return out

    def penalize(self, platform: str, chat: str, retry_after: float) -> None:
        """A 429 for this chat: nothing more goes to it for `retry_after` seconds.

        429s from several chats at once mean the bot as a whole is over its limit: then the
        whole platform pauses for `retry_after` (Telegram's flood control is per bot too)."""
        now = self.monotonic()
        self._blocked[(platform, chat)] = now + retry_after
        recent = self._recent_429.setdefault(platform, [])
        recent[:] = [(t, c) for t, c in recent if now - t <= FLOOD_WINDOW] + [(now, chat)]
        if len({c for _, c in recent}) >= FLOOD_CHATS:
            until = now + retry_after
            self._blocked[(platform, "*")] = max(self._blocked.get((platform, "*"), 0.0), until)

    def ready_in(self, platform: str, chat: str, group: bool = False) -> float:
        """Seconds until a send to this chat would be allowed (0 = now)."""
        now = self.monotonic()
        wait = max(
            0.0,
            self._blocked.get((platform, chat), 0.0) - now,
            self._blocked.get((platform, "*"), 0.0) - now,
        )
        for b in self._relevant(platform, chat, group, now):
            wait = max(wait, b.wait_time(now))
        return wait

    async def acquire(self, platform: str, chat: str, group: bool = False) -> float:
        """Wait until one message may go to `chat`, take the tokens; returns seconds waited."""
        waited = 0.0
        async with self._lock:  # one taker at a time: fair and never over the overall rate
            while True:
                wait = self.ready_in(platform, chat, group)
                if wait <= 0:
                    break
                await self.sleep(wait)
                waited += wait
            now = self.monotonic()
            for b in self._relevant(platform, chat, group, now):
                b.take(now)
            self._blocked.pop((platform, chat), None)
        return waited
