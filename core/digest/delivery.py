"""The drain: claim due outbox rows, pace them through the rate limiter, send, record.

Adapters register their `core.ports.Deliverer` with `register_deliverer(services, d)`; the
console platform always has `ConsoleDeliverer` (no network: it records what it "sent").
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.context import Services
from core.digest import outbox
from core.digest.ratelimit import RateLimiter
from core.digest.schedule import local_instant
from core.localtime import in_quiet, zone
from core.ports import Deliverer, SendOutcome
from models.member import Member

log = logging.getLogger("syllabot.digest.delivery")


@dataclass
class ConsoleDeliverer:
    """The console "platform": keeps what was delivered so the demo can print it."""

    platform: str = "console"
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def deliver(self, target: str, payload: dict[str, Any]) -> SendOutcome:
        self.sent.append((target, payload))
        return SendOutcome("sent", message_ref=f"console-{len(self.sent)}")


def deliverers(services: Services) -> dict[str, Deliverer]:
    reg: dict[str, Deliverer] = services.extras.setdefault("deliverers", {})
    reg.setdefault("console", ConsoleDeliverer())
    return reg


def register_deliverer(services: Services, deliverer: Deliverer) -> None:
    """Adapters call this at start-up (e.g. bot/telegram/deliver.py)."""
    deliverers(services)[deliverer.platform] = deliverer


def limiter(services: Services) -> RateLimiter:
    """One limiter per process: every send shares the same buckets."""
    return services.get("digest.rate_limiter", lambda _s: RateLimiter())


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    failed: int = 0
    cancelled: int = 0
    lost_claims: int = 0
    statuses: dict[int, str] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.unreachable + self.failed + self.cancelled


DIGEST_ONLY = ("opted out", "cohort channel")  # reasons that hold back digests only


def _is_group(platform: str, target: str) -> bool:
    return platform == "telegram" and target.startswith("-")


async def drain(
    services: Services,
    *,
    worker: str | None = None,
    batch: int = 50,
    budget_s: float | None = 50.0,
    limit_total: int | None = None,
    rate_limiter: RateLimiter | None = None,
    senders: dict[str, Deliverer] | None = None,
    concurrency: int = 8,
) -> DrainReport:
    """Send what is due until nothing is, or `budget_s` (limiter clock) has passed."""
    rl = rate_limiter or limiter(services)
    reg = senders if senders is not None else deliverers(services)
    me = worker or worker_id()
    report = DrainReport()
    started = rl.monotonic()
    factory = services.session_factory
    while True:
        if budget_s is not None and rl.monotonic() - started >= budget_s:
            break
        if limit_total is not None and report.handled >= limit_total:
            break
        rows = await outbox.claim(
            factory, now=services.clock.now(), worker=me, platforms=sorted(reg), limit=batch
        )
        if not rows:
            break
        gate = await _gate(services, rows)
        sem = asyncio.Semaphore(concurrency)

        async def one(
            row: outbox.Claimed, sem: asyncio.Semaphore = sem, gate: dict[int, str | None] = gate
        ) -> tuple[int, str]:
            async with sem:
                return row.id, await _send_one(services, rl, reg[row.platform], row, gate)

        # a few sends in flight, so database writes overlap the platform calls; the shared
        # limiter still decides when each one may go
        for row_id, status in await asyncio.gather(*(one(r) for r in rows)):
            report.statuses[row_id] = status
            if status == "sent":
                report.sent += 1
            elif status == "pending":
                report.retried += 1
            elif status == "unreachable":
                report.unreachable += 1
            elif status == "cancelled":
                report.cancelled += 1
            elif status == "lost":
                report.lost_claims += 1
            else:
                report.failed += 1
    return report


async def _gate(services: Services, rows: list[outbox.Claimed]) -> dict[int, str | None]:
    """Why each member's row must not go now, checked at send time: "forgotten",
    "unreachable", "opted out" (cancel), or "quiet:<seconds>" (digests wait out quiet hours)."""
    ids = {r.member_id for r in rows if r.member_id is not None}
    if not ids:
        return {}
    async with services.session_factory() as s:
        found = (
            await s.execute(
                select(
                    Member.id,
                    Member.reachable,
                    Member.digest_frequency,
                    Member.forgotten_at,
                    Member.timezone,
                    Member.quiet_start,
                    Member.quiet_end,
                ).where(Member.id.in_(ids))
            )
        ).all()
    now = services.clock.now()
    out: dict[int, str | None] = {}
    for mid, reachable, freq, forgotten, tz, qs, qe in found:
        if forgotten is not None:
            out[mid] = "forgotten"
        elif not reachable:
            out[mid] = "unreachable"
        elif freq == "off":
            out[mid] = "opted out"
        else:
            wait = quiet_wait(now, tz or "UTC", qs, qe)
            out[mid] = f"quiet:{wait:.0f}" if wait > 0 else None
    if services.settings.digest_channels:  # their digest goes to a cohort channel instead
        from core.digest.cohorts import CHANNEL_ONLY, channel_only

        async with services.session_factory() as s:
            for mid in await channel_only(s, services.settings, out):
                out[mid] = out[mid] or CHANNEL_ONLY
    return out


def quiet_wait(now: datetime, tz: str, start: int | None, end: int | None) -> float:
    """Seconds until the member's quiet hours end (0 when not in them)."""
    z = zone(tz)
    local = now.astimezone(z)
    if not in_quiet(local.hour, start, end):
        return 0.0
    assert end is not None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return max(0.0, (local_instant(day, end, z) - now).total_seconds())


async def _send_one(
    services: Services,
    rl: RateLimiter,
    sender: Deliverer,
    row: outbox.Claimed,
    gate: dict[int, str | None],
) -> str:
    factory = services.session_factory
    is_digest = (row.dedupe_key or "").startswith("digest:")
    payload = row.payload
    if row.member_id is not None:
        why = gate.get(row.member_id, "forgotten")
        if why and (why in DIGEST_ONLY or why.startswith("quiet:")) and not is_digest:
            if why.startswith("quiet:"):  # other messages go now, without a sound
                payload = {**payload, "silent": True}
            why = None  # digest settings do not hold other messages back
        if why and why.startswith("quiet:"):
            async with factory() as s, s.begin():
                wait_s = float(why.split(":", 1)[1])
                return await outbox.record(
                    s,
                    row,
                    SendOutcome("retry", retry_after=wait_s, error="quiet hours"),
                    services.clock.now(),
                    counted=False,
                )
        if why:
            async with factory() as s, s.begin():
                await outbox.cancel(s, row, why)
            return "cancelled"
    group = _is_group(row.platform, row.target)
    if rl.ready_in(row.platform, row.target, group) > 30:  # a chat in a long 429 penalty
        async with factory() as s, s.begin():
            wait = rl.ready_in(row.platform, row.target, group)
            return await outbox.record(
                s,
                row,
                SendOutcome("retry", retry_after=wait, error="throttled"),
                services.clock.now(),
                counted=False,
            )
    async with factory() as s, s.begin():
        if not await outbox.mark_inflight(s, row):
            return "lost"
    # the token is taken right before the call: nothing awaits in between, so messages leave
    # at the limiter's pace even with several sends in flight
    await rl.acquire(row.platform, row.target, group)
    try:
        outcome = await sender.deliver(row.target, payload)
    except Exception as exc:  # noqa: BLE001 - a deliverer bug must not kill the drain
        log.exception("deliverer %s crashed on outbox %s", row.platform, row.id)
        outcome = SendOutcome("retry", error=f"{type(exc).__name__}: {exc}"[:300])
    if outcome.status == "retry" and outcome.retry_after:
        rl.penalize(row.platform, row.target, outcome.retry_after)
    async with factory() as s, s.begin():
        status = await outbox.record(s, row, outcome, services.clock.now())
    if status != "sent":
        log.info("outbox %s -> %s (%s)", row.id, status, outcome.error)
    return status
