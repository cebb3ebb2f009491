"""The one way to write the audit log (append-only: nothing here updates or deletes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from models.audit import AuditLog


async def audit(
    session: AsyncSession,
    clock: Clock,
    *,
    actor: str,
    action: str,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor_member_id: int | None = None,
    flush: bool = True,
) -> AuditLog:
    """Add one audit row. `flush=False` leaves it to the transaction's next flush, so hot
    paths (the payment ledger) write their rows in one batched INSERT."""
    row = AuditLog(
        at=clock.now(),
        actor=actor,
        actor_member_id=actor_member_id,
        action=action,
        target=target,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(row)
    if flush:
        await session.flush()
    return row
