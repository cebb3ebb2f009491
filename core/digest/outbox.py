"""The outbox: every bulk message (digests, broadcasts) is a row first, sent later, exactly once.

Public API for other features (admin broadcasts, reminders)::

    from core.digest.outbox import enqueue
    row = await enqueue(
        session,                      # the caller's transaction: enqueued iff it commits
        member_id=42,                 # a member's DM (their preferred reachable account) ...
        # platform="telegram", target="-100123",   # ... or an explicit chat
        payload={"text": "...", "buttons": [[{"label": "Open", "data": signed}]]},
        dedupe_key="broadcast:7:42",  # the same key twice enqueues once (returns the first row)
        not_before=clock.now(),       # earliest send time (aware UTC)
    )

`payload` follows `core.ports.Deliverer`. `enqueue` returns None when a member has no
reachable account (nothing is queued). The drain (`core.digest.delivery.drain`) sends rows
at the platform's pace through the registered `Deliverer`s.

States: pending -> sending (claimed with a lease) -> inflight (the platform call started) ->
sent | pending (retry, with not_before) | dead (gave up) | failed (permanent for this message)
| unreachable (permanent for this member) | cancelled (member opted out before it went).

Exactly once: a row is claimed by one worker (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite:
a compare-and-set UPDATE under SQLite's single writer). A worker that dies leaves rows
`sending` or `inflight` with an expired lease; another worker takes them back. `sending` rows
were never handed to the platform, so re-sending them cannot duplicate. `inflight` rows are
the one window no database can close (the platform may have accepted the message just before
the crash): they are re-sent with the same `payload["nonce"]`, which the Discord deliverer
passes as an enforced message nonce so Discord drops the duplicate; Telegram has no such key,
so there a crash inside that one HTTP call may show a message twice, never zero times.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.members import DM_PLATFORM_PREFERENCE
from core.ports import SendOutcome
from models.digest import Digest, Outbox
from models.member import Account, Member

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=5)


def dm_target(acc: Account) -> str | None:
    """Where a DM to this account goes: its private chat, or (Discord) the user to open one."""
    if acc.chat_id:
        return acc.chat_id
    if acc.platform == "discord":  # slash-command users have no DM channel id yet
        return f"user:{acc.platform_user_id}"
    return None


def pick_account(member: Member) -> Account | None:
    """The account a member's DMs go to: their chosen platform, else the first we can reach."""
    wanted = (member.prefs or {}).get("digest_platform")
    usable = [a for a in member.accounts if dm_target(a)]
    order = [wanted, *DM_PLATFORM_PREFERENCE] if wanted else list(DM_PLATFORM_PREFERENCE)
    for platform in order:
        for acc in usable:
            if acc.platform == platform:
                return acc
    return usable[0] if usable else None


def nonce_for(dedupe_key: str) -> str:
    """A stable short nonce for platforms that deduplicate by it (Discord's enforce_nonce)."""
    return str(int(hashlib.sha256(dedupe_key.encode()).hexdigest()[:15], 16))


async def enqueue(
    session: AsyncSession,
    *,
    payload: dict[str, Any],
    dedupe_key: str,
    not_before: datetime,
    member_id: int | None = None,
    platform: str | None = None,
    target: str | None = None,
    now: datetime | None = None,
) -> Outbox | None:
    """Queue one message in the caller's transaction; idempotent on `dedupe_key`."""
    if not dedupe_key:
        raise ValueError("dedupe_key is required: it is what makes a retry harmless")
    existing = (
        await session.execute(select(Outbox).where(Outbox.dedupe_key == dedupe_key))
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    if platform is None or target is None:
        if member_id is None:
            raise ValueError("give member_id, or platform and target")
        member = await session.get(Member, member_id)
        if member is None or not member.reachable or member.forgotten_at is not None:
            return None
        acc = pick_account(member)
        dm = dm_target(acc) if acc is not None else None
        if acc is None or dm is None:
            return None
        platform, target = acc.platform, dm
    row = new_row(
        member_id=member_id,
        platform=platform,
        target=target,
        payload=payload,
        dedupe_key=dedupe_key,
        not_before=not_before,
        now=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # a concurrent enqueue with the same key won
        return (
            await session.execute(select(Outbox).where(Outbox.dedupe_key == dedupe_key))
        ).scalar_one_or_none()
    return row


def new_row(
    *,
    member_id: int | None,
    platform: str,
    target: str,
    payload: dict[str, Any],
    dedupe_key: str,
    not_before: datetime,
    now: datetime | None = None,
) -> Outbox:
    """An unsaved pending row (callers that already hold a savepoint add it themselves)."""
    return Outbox(
        dedupe_key=dedupe_key,
        member_id=member_id,
        platform=platform,
        target=target,
        payload={**payload, "nonce": payload.get("nonce") or nonce_for(dedupe_key)},
        not_before=not_before,
        attempts=0,
        status="pending",
        last_error="",
        created_at=now or not_before,
    )


async def cancel_pending_digests(session: AsyncSession, member_id: int) -> int:
    """Opt-out: digests not yet handed to the platform are not sent."""
    res = await session.execute(
        update(Outbox)
        .where(
            Outbox.member_id == member_id,
            Outbox.status.in_(("pending", "sending")),
            Outbox.dedupe_key.like("digest:%"),
        )
        .values(status="cancelled", last_error="member opted out")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Digest)
        .where(Digest.member_id == member_id, Digest.status == "queued")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Claimed:
    id: int
    member_id: int | None
    platform: str
    target: str
    payload: dict[str, Any]
    attempts: int
    dedupe_key: str | None
    token: str


def _claimable(now: datetime, platforms: list[str]) -> Any:
    return and_(
        Outbox.platform.in_(platforms),
        or_(
            and_(Outbox.status == "pending", Outbox.not_before <= now),
            and_(Outbox.status.in_(("sending", "inflight")), Outbox.lease_until < now),
        ),
    )


async def claim(
    factory: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    worker: str,
    platforms: list[str],
    limit: int = 50,
    lease: timedelta = LEASE,
) -> list[Claimed]:
    """Take up to `limit` due rows for this worker, in their own short transaction."""
    if not platforms:
        return []
    token = f"{worker}:{uuid.uuid4().hex[:12]}"[:64]
    async with factory() as s, s.begin():
        pg = s.get_bind().dialect.name == "postgresql"
        q = (
            select(Outbox.id)
            .where(_claimable(now, platforms))
            .order_by(Outbox.not_before, Outbox.id)
            .limit(limit)
        )
        if pg:
            q = q.with_for_update(skip_locked=True)
        ids = list((await s.execute(q)).scalars())
        if not ids:
            return []
        # compare-and-set: on SQLite a second process that read the same ids updates nothing
        await s.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids), _claimable(now, platforms))
            .values(
                status="sending",
                claimed_by=token,
                lease_until=now + lease,
                attempts=Outbox.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        rows = (
            await s.execute(
                select(Outbox)
                .where(Outbox.id.in_(ids), Outbox.claimed_by == token)
                .order_by(Outbox.id)
            )
        ).scalars()
        return [
            Claimed(
                r.id,
                r.member_id,
                r.platform,
                r.target,
                dict(r.payload),
                r.attempts,
                r.dedupe_key,
                token,
            )
            for r in rows
        ]


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


async def mark_inflight(s: AsyncSession, row: Claimed) -> bool:
    """Just before the platform call; False if the claim was lost (lease expired and retaken)."""
    res = await s.execute(
        update(Outbox)
        .where(Outbox.id == row.id, Outbox.claimed_by == row.token, Outbox.status == "sending")
        .values(status="inflight")
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(res, "rowcount", 0))


async def record(
    s: AsyncSession, row: Claimed, outcome: SendOutcome, now: datetime, *, counted: bool = True
) -> str:
    """Apply one delivery outcome to the row (and its digest / member); returns the new status.

    `counted=False`: the row was never offered to the platform (we throttled it ourselves),
    so the claim does not use up one of its MAX_ATTEMPTS."""
    values: dict[str, Any] = {"lease_until": None, "last_error": outcome.error[:500]}
    if not counted:
        values["attempts"] = Outbox.attempts - 1
    digest_status: str | None = None
    if outcome.status == "sent":
        values.update(status="sent", sent_at=now, message_ref=outcome.message_ref)
        digest_status = "sent"
    elif outcome.status == "retry":
        if row.attempts - (0 if counted else 1) >= MAX_ATTEMPTS:
            values["status"] = "dead"
            digest_status = "failed"
        else:
            delay = (
                timedelta(seconds=outcome.retry_after)
                if outcome.retry_after is not None
                else backoff(row.attempts)
            )
            values.update(status="pending", not_before=now + delay)
    elif outcome.status == "unreachable":
        values["status"] = "unreachable"
        digest_status = "failed"
    else:
        values["status"] = "failed"
        digest_status = "failed"
    res = await s.execute(
        update(Outbox)
        .where(Outbox.id == row.id, Outbox.claimed_by == row.token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(res, "rowcount", 0):
        return "lost"
    digest_id = row.payload.get("digest_id")
    if digest_status and digest_id:
        vals: dict[str, Any] = {"status": digest_status}
        if digest_status == "sent":
            vals["sent_at"] = now
        await s.execute(
            update(Digest)
            .where(Digest.id == int(digest_id))
            .values(**vals)
            .execution_options(synchronize_session=False)
        )
    if outcome.status == "unreachable" and row.member_id is not None:
        await _mark_unreachable(s, row, outcome, now)
    return str(values["status"])


async def _mark_unreachable(
    s: AsyncSession, row: Claimed, outcome: SendOutcome, now: datetime
) -> None:
    from core.audit import audit
    from core.clock import FrozenClock

    member = await s.get(Member, row.member_id)
    if member is None or not member.reachable:
        return
    member.reachable = False
    await s.execute(
        update(Outbox)
        .where(
            Outbox.member_id == row.member_id,
            Outbox.platform == row.platform,
            Outbox.status == "pending",
        )
        .values(status="unreachable", last_error="member unreachable")
        .execution_options(synchronize_session=False)
    )
    await audit(
        s,
        FrozenClock(now),
        actor="system",
        action="member.unreachable",
        target=f"member:{row.member_id}",
        before={"reachable": True},
        after={"reachable": False},
        reason=f"{row.platform}: {outcome.error[:200]}",
    )


async def cancel(s: AsyncSession, row: Claimed, why: str) -> None:
    """A claimed row that must not go (member opted out / unreachable / forgotten)."""
    await s.execute(
        update(Outbox)
        .where(Outbox.id == row.id, Outbox.claimed_by == row.token)
        .values(status="cancelled", last_error=f"not sent: {why}", lease_until=None)
        .execution_options(synchronize_session=False)
    )
    digest_id = row.payload.get("digest_id")
    if digest_id:
        await s.execute(
            update(Digest)
            .where(Digest.id == int(digest_id))
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )


TERMINAL = ("sent", "failed", "dead", "unreachable", "cancelled")
KEEP_DONE = timedelta(days=30)


async def purge_done(s: AsyncSession, now: datetime, keep: timedelta = KEEP_DONE) -> int:
    """Delete finished rows older than `keep` (their dedupe keys are no longer needed: digests
    are deduplicated by the digest table, broadcasts do not repeat a month later)."""
    from sqlalchemy import delete

    res = await s.execute(
        delete(Outbox)
        .where(Outbox.status.in_(TERMINAL), Outbox.created_at < now - keep)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)
