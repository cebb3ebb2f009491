"""Private messages that reach a member in their quiet hours arrive without a sound.

Digests and expert invitations wait for the quiet hours to end; a message the member is
waiting for (an answer to their question, a moderator's decision, a payment receipt) should
not wait until morning, and should not wake them either. So it goes now, silently: both
platforms can deliver a message with no notification sound (Telegram
``disable_notification``, Discord's silent messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.localtime import quiet_now
from core.replies import AnyReply, Reply
from models.member import Member

CHUNK = 500
"""Members looked up per query (SQLite caps the parameters of one statement)."""


async def hush(
    session: AsyncSession,
    now: datetime,
    replies: Sequence[AnyReply],
    awake: int | None = None,
) -> list[AnyReply]:
    """``replies`` with each DM to a member in their quiet hours made silent. ``awake`` is
    the member whose action caused them: they are at their phone, so theirs ring as usual."""
    ids = {
        r.member_id
        for r in replies
        if isinstance(r, Reply) and r.member_id is not None and r.member_id != awake
    }
    if not ids:
        return list(replies)
    quiet: set[int] = set()
    ordered = sorted(ids)
    for i in range(0, len(ordered), CHUNK):  # a job may DM thousands; keep IN (...) short
        rows = await session.execute(
            select(Member.id, Member.timezone, Member.quiet_start, Member.quiet_end).where(
                Member.id.in_(ordered[i : i + CHUNK]), Member.quiet_start.is_not(None)
            )
        )
        quiet |= {mid for mid, tz, start, end in rows.all() if quiet_now(now, tz, start, end)}
    return [
        replace(r, silent=True) if isinstance(r, Reply) and r.member_id in quiet else r
        for r in replies
    ]
