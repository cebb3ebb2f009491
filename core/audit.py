"""The one way to write the audit log (append-only: nothing here updates or deletes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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


_TABLE: Table = AuditLog.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)  # built once: hot paths skip per-call statement building


def entry(
    clock: Clock,
    *,
    actor: str,
    action: str,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor_member_id: int | None = None,
) -> dict[str, Any]:
    """One audit row as column values, for `write` (the same fields `audit` takes)."""
    return {
        "at": clock.now(),
        "actor": actor,
        "actor_member_id": actor_member_id,
        "action": action,
        "target": target,
        "before": before,
        "after": after,
        "reason": reason,
    }


async def write(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `entry` rows in one statement on the session's connection: the payment hot
    path writes its rows on Core, without the ORM unit of work (several times cheaper)."""
    if rows:
        await conn.execute(_INSERT, list(rows))
