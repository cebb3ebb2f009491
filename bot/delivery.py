"""Replies that arise outside an update (jobs, webhooks) reach members through the adapters.

Each running adapter registers an executor in `services.extras["executors"][platform]`. This
module routes a batch of replies to them: effects name their platform; a DM to a member goes
to the member's Telegram account if they have one and Telegram runs, else Discord.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select

from core.context import Services
from core.members import DM_PLATFORM_PREFERENCE
from core.quiet_hours import hush
from core.replies import AnyReply, OpenThread, RefundStars, Reply, StopStarSubscription
from models.member import Account

log = logging.getLogger("syllabot.delivery")

Executor = Callable[[list[AnyReply]], Awaitable[None]]


async def _member_platforms(services: Services, member_ids: set[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    if not member_ids:
        return out
    async with services.session_factory() as s:
        rows = await s.execute(
            select(Account.member_id, Account.platform).where(Account.member_id.in_(member_ids))
        )
        for mid, platform in rows.all():
            out[mid].add(platform)
    return out


async def route(services: Services, replies: Sequence[AnyReply]) -> dict[str, list[AnyReply]]:
    """Which platform carries each reply (replies nobody can carry are logged and dropped)."""
    executors: dict[str, Executor] = services.extras.get("executors", {})
    dm_ids = {r.member_id for r in replies if isinstance(r, Reply) and r.member_id is not None}
    platforms = await _member_platforms(services, dm_ids)
    routed: dict[str, list[AnyReply]] = defaultdict(list)
    for r in replies:
        target: str | None = None
        if isinstance(r, Reply) and r.to is not None:
            target = r.to.platform
        elif isinstance(r, Reply) and r.member_id is not None:
            have = platforms.get(r.member_id, set())
            target = next((p for p in DM_PLATFORM_PREFERENCE if p in have and p in executors), None)
        elif isinstance(r, (RefundStars, StopStarSubscription)):
            target = "telegram"
        elif isinstance(r, OpenThread):
            target = (
                r.to.platform
                if r.to
                else next((p for p in DM_PLATFORM_PREFERENCE if p in executors), None)
            )
        else:
            target = getattr(r, "platform", None)
        if target is None or target not in executors:
            log.warning("no running adapter can deliver %s (target %s)", type(r).__name__, target)
            continue
        routed[target].append(r)
    return routed


async def deliver(services: Services, replies: Sequence[AnyReply]) -> None:
    if not replies:
        return
    async with services.session_factory() as session:
        replies = await hush(session, services.clock.now(), replies)
    executors: dict[str, Executor] = services.extras.get("executors", {})
    for platform, batch in (await route(services, replies)).items():
        try:
            await executors[platform](batch)
        except Exception:
            log.exception("delivering %d replies via %s failed", len(batch), platform)


def install(services: Services) -> None:
    """Make `services.extras["reply_sink"]` the router of out-of-band replies."""

    async def sink(replies: list[AnyReply]) -> None:
        await deliver(services, replies)

    services.extras["reply_sink"] = sink
