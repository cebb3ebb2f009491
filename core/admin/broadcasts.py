"""Broadcasts: a draft, a confirmation, then one outbox row per member (`broadcast:<id>:<member>`).

The digest outbox sends them at each platform's pace and retries; the dedupe key makes a
double confirmation or a retried job enqueue each member once. The report counts the
outbox rows by status.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin import segments
from core.errors import DomainError
from models.admin import Broadcast
from models.digest import Outbox

MAX_TEXT = 3500  # leaves room for platform formatting under Telegram's 4096


def dedupe_key(broadcast_id: int, member_id: int) -> str:
    return f"broadcast:{broadcast_id}:{member_id}"


async def queue(session: AsyncSession, b: Broadcast, now: datetime) -> int:
    """Enqueue one message per member of the segment (as of now); returns how many queued."""
    try:
        from core.digest.outbox import enqueue
    except ModuleNotFoundError:
        raise DomainError("broadcast.outbox_unavailable") from None
    ids = await segments.members_in(session, segments.from_dict(b.segment), now)
    if not ids:
        raise DomainError("broadcast.empty_segment")
    queued = 0
    for mid in ids:
        row = await enqueue(
            session,
            member_id=mid,
            payload={"text": b.text, "markup": "plain"},
            dedupe_key=dedupe_key(b.id, mid),
            not_before=max(b.send_at, now),
            now=now,
        )
        queued += row is not None
    b.status = "queued"
    b.queued_at = now
    b.recipients = queued
    return queued


async def cancel(session: AsyncSession, b: Broadcast) -> int:
    """Holds back the messages of `b` not handed to a platform yet; returns how many."""
    result = await session.execute(
        update(Outbox)
        .where(
            Outbox.dedupe_key.like(f"broadcast:{b.id}:%", escape="\\"),
            Outbox.status == "pending",
        )
        .values(status="cancelled", last_error="broadcast cancelled by a moderator")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delivery(session: AsyncSession, broadcast_id: int) -> Counter[str]:
    rows = (
        await session.execute(
            select(Outbox.status).where(
                Outbox.dedupe_key.like(f"broadcast:{broadcast_id}:%", escape="\\")
            )
        )
    ).scalars()
    return Counter(rows)


def finished(counts: Counter[str]) -> bool:
    return not any(counts.get(s) for s in ("pending", "sending", "inflight"))
