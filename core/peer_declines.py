"""Study partners a member asked never to be shown again (the digest's 🚫 on a partner).

Shared by the digest, which records the tap, and by whatever suggests partners (the
recommender, or the digest's own fallback when the recommender is not installed): a declined
pair is a `PeerMatch` in the DECLINED state, kept for good.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.recommend import PeerMatch

DECLINED = "declined"


async def decline(session: AsyncSession, member_id: int, peer_id: int, now: datetime) -> None:
    """ "I won't suggest that again" (the same partner came back in the next digest)."""
    if peer_id == member_id or peer_id in await declined_ids(session, member_id):
        return
    session.add(
        PeerMatch(
            member_a_id=member_id,
            member_b_id=peer_id,
            state=DECLINED,
            reason=DECLINED,
            suggested_at=now,
        )
    )
    await session.flush()


async def declined_ids(session: AsyncSession, member_id: int) -> set[int]:
    """The partners ``member_id`` declined."""
    rows = await session.execute(
        select(PeerMatch.member_b_id).where(
            PeerMatch.member_a_id == member_id, PeerMatch.state == DECLINED
        )
    )
    return {int(b) for (b,) in rows}
