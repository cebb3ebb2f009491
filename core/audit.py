"""The one way to write the audit log (append-only: nothing here updates or deletes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select
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
        **entry(
            clock,
            actor=actor,
            action=action,
            target=target,
            before=before,
            after=after,
            reason=reason,
            actor_member_id=actor_member_id,
        )
    )
    session.add(row)
    if flush:
        await session.flush()
    return row


async def count_since(
    session: AsyncSession,
    action: str,
    since: datetime,
    *,
    target: str | None = None,
    actor_member_id: int | None = None,
) -> int:
    """How many `action` rows were written since `since` (for one target, or one actor):
    the per-member limits ("five support messages a day") read the log they write."""
    stmt = select(func.count(AuditLog.id)).where(AuditLog.action == action, AuditLog.at >= since)
    if target is not None:
        stmt = stmt.where(AuditLog.target == target)
    if actor_member_id is not None:
        stmt = stmt.where(AuditLog.actor_member_id == actor_member_id)
    return int((await session.execute(stmt)).scalar_one())


_TABLE: Table = AuditLog.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)  # built once: hot paths skip per-call statement building


def iso(at: datetime | None) -> str | None:
    """A moment as audit rows hold it in `before`/`after` (JSON): ISO text, or None."""
    return at.isoformat() if at is not None else None


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


_CTE: dict[int, list[Any]] = {}


def insert_ctes(n: int) -> list[Any]:
    """PostgreSQL: `n` one-row INSERTs as CTEs to attach to another statement (`.add_cte`),
    so a hot path writes its audit rows in the same round trip. One CTE per row: a
    multi-row VALUES has no cache key in SQLAlchemy and would be compiled on every call.
    Parameters come from `cte_params`."""
    ctes = _CTE.get(n)
    if ctes is None:
        cols = [c for c in _TABLE.c if c.key != "id"]
        ctes = _CTE[n] = [
            insert(_TABLE)
            .values({c.key: bindparam(f"audit{i}_{c.key}", type_=c.type) for c in cols})
            .cte(f"audit_row_{i}")
            for i in range(n)
        ]
    return ctes


def cte_params(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The parameters of `insert_ctes(len(rows))` for these `entry` rows."""
    return {f"audit{i}_{k}": v for i, row in enumerate(rows) for k, v in row.items()}
