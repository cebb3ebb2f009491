"""A ban and a used free trial outlive /forget, tied to the platform account only.

Erasing oneself must not be a way around a moderator's ban, nor a way to a second free
trial. So before a member is forgotten, each of their accounts leaves an `IdentityHold`:
an HMAC of "platform:user id" under the server's secret (no name, no member, no message;
a bare hash of a Telegram id could be reversed by trying every id), with the ban and the
trial. The next first contact from that account carries both over to the new member.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from models.accounts import IdentityHold
from models.member import Account, Member
from models.membership import Plan, TrialClaim


def hold_key(secret: str, platform: str, user_id: str) -> str:
    message = f"identity-hold:{platform}:{user_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def keeps_anything(session: AsyncSession, member: Member) -> bool:
    """Whether forgetting this member leaves a hold (the /forget preview says so)."""
    return member.role == "banned" or await session.get(TrialClaim, member.id) is not None


async def keep(session: AsyncSession, secret: str, member: Member, now: datetime) -> None:
    """Called before the member's accounts are deleted; a hold with nothing to keep (a ban
    lifted since an earlier erasure) is removed."""
    claim = await session.get(TrialClaim, member.id)
    banned = member.role == "banned"
    for account in member.accounts:
        key = hold_key(secret, account.platform, account.platform_user_id)
        hold = await session.get(IdentityHold, key)
        if not banned and claim is None:
            if hold is not None:
                await session.execute(delete(IdentityHold).where(IdentityHold.key == key))
            continue
        if hold is None:
            hold = IdentityHold(key=key, kept_at=now)
            session.add(hold)
        hold.kept_at = now
        hold.banned_at = (hold.banned_at or now) if banned else None
        hold.banned_until = member.banned_until if banned else None
        if claim is not None:
            hold.trial_plan_id, hold.trial_at = claim.plan_id, claim.at
    await session.flush()


async def carry_over(
    session: AsyncSession, clock: Clock, secret: str, member: Member, account: Account
) -> None:
    """On an account's first contact: the ban and the trial its earlier member left."""
    hold = await session.get(
        IdentityHold, hold_key(secret, account.platform, account.platform_user_id)
    )
    if hold is None:
        return
    lifted = hold.banned_until is not None and hold.banned_until <= clock.now()
    if hold.banned_at is not None and not lifted and member.role != "banned":
        from core.audit import audit, iso

        await audit(
            session,
            clock,
            actor="system",
            action="member.ban",
            target=f"member:{member.id}",
            before={"role": member.role},
            after={"role": "banned", "until": iso(hold.banned_until)},
            reason="ban kept after /forget",
        )
        member.role, member.banned_until = "banned", hold.banned_until
    if (
        hold.trial_plan_id is not None
        and hold.trial_at is not None
        and await session.get(Plan, hold.trial_plan_id) is not None
        and await session.get(TrialClaim, member.id) is None
    ):
        session.add(TrialClaim(member_id=member.id, plan_id=hold.trial_plan_id, at=hold.trial_at))
        await session.flush()
