"""Introductions between suggested study partners, only with both members' consent.

A member taps "Say hi" under /peers; the partner is asked privately and, only if they
accept, each gets the other's handle. Nobody's handle is shown without their own tap, and
one member cannot pester another: one request per partner a day, answerable for a week.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.recommend.sessions import put_stamps, stamps
from models.member import Account, Member

ASK_GAP = timedelta(days=1)
ANSWER_TTL = timedelta(days=7)
ASKED = "peer_intros"  # key in Member.prefs: {partner id: asked at (ISO)}
INTRODUCED = "peer_introduced"  # key in Member.prefs: {partner id: introduced at (ISO)}
PLATFORMS = {"telegram": "Telegram", "discord": "Discord", "console": "console"}


def ask(m: Member, partner_id: int, now: datetime) -> bool:
    """Record a request; False when one went to this partner in the last day."""
    asked = stamps(m, ASKED)
    at = asked.get(str(partner_id))
    if at is not None and now - at < ASK_GAP:
        return False
    asked = {k: t for k, t in asked.items() if now - t < ANSWER_TTL}
    asked[str(partner_id)] = now
    put_stamps(m, ASKED, asked)
    return True


def introduced(m: Member, partner_id: int) -> bool:
    return str(partner_id) in stamps(m, INTRODUCED)


def introduce(a: Member, b: Member, now: datetime) -> None:
    """Both said yes: each keeps the other as an introduced partner (for /peers' 📚)."""
    for m, other in ((a, b), (b, a)):
        put_stamps(m, INTRODUCED, {**stamps(m, INTRODUCED), str(other.id): now})


def introduced_ids(m: Member) -> list[int]:
    """The partners a member was introduced to, latest first."""
    done = stamps(m, INTRODUCED)
    return [int(k) for k, _ in sorted(done.items(), key=lambda kv: kv[1], reverse=True)]


def answerable(requester: Member, partner_id: int, now: datetime) -> bool:
    at = stamps(requester, ASKED).get(str(partner_id))
    return at is not None and now - at <= ANSWER_TTL


async def handles(session: AsyncSession, member_id: int) -> list[str]:
    """How to reach a member: their public usernames, one per platform."""
    rows = await session.execute(
        select(Account.platform, Account.username)
        .where(Account.member_id == member_id, Account.username.is_not(None))
        .order_by(Account.platform)
    )
    return [f"{PLATFORMS.get(p, p)} @{u}" for p, u in rows if u]
