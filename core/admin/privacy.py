"""Privacy registry: each feature says how to export and forget a member's data in its tables.

/mydata calls every `export`, /forget every `forget`, in one transaction. To register a
feature's tables, call `register` at import time from a module the router imports (your
`core/<feature>/commands.py` or `jobs.py`)::

    from core.admin.privacy import register

    async def export_questions(session, member_id):       # -> JSON-able dict/list
        ...
    async def forget_questions(session, member_id, now):  # delete or anonymise, no commit
        ...
    register("qa", tables=("question", "answer"), export=export_questions,
             forget=forget_questions)

A handler registered later under the same name replaces the earlier one. Tables that hold a
`member.id` foreign key and are claimed by no handler are still covered by `generic`: exported
column by column, and on forget their rows are deleted (ON DELETE CASCADE / NOT NULL) or the
link is cut (ON DELETE SET NULL). So a new table is never missed, only handled bluntly.

What /forget keeps, and why (documented for operators):
- the `member` row itself, anonymised (no name, bio, goals, tags, prefs; `forgotten_at` set):
  its number keeps subscriptions, the payment ledger, RSVPs and outbox reports consistent;
- `payment` rows: the legal bookkeeping minimum (provider, charge id, amount, currency,
  status, dates); `note`, `meta` and a platform user id kept in `ext_ref` are cleared
  (so a Telegram Stars refund is no longer possible after /forget);
- `subscription` rows (plan, state, dates) so member counts and MRR history still add up.
  Before the erasure the membership ends (`/forget` runs the membership's
  `end_before_erasure`): the member is removed from the chats while the accounts are still
  known, and no provider bills a member we no longer know;
- `audit_log` rows unchanged: the log is append-only (the database refuses UPDATE and
  DELETE, see migration admin_0002), and admin commands write actors/targets as
  `member:<id>` (never names or raw arguments), which after /forget points at an anonymous
  row. So no rewrite of the audit log is needed and none is done. Features must keep names
  and platform ids out of audit rows for this to hold.
Everything identifying goes: accounts (platform ids, usernames, DM chats), the raw
interaction log, pending confirmations, queued messages' contents and invite links.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import models
from core.accounts import holds
from models.admin import CommunityEvent, EventRsvp, PendingAction
from models.audit import AuditLog
from models.digest import Outbox
from models.interaction import Interaction
from models.member import Account, Member
from models.membership import AccessGrant, Payment, Subscription

ExportFn = Callable[[AsyncSession, int], Awaitable[Any]]
ForgetFn = Callable[[AsyncSession, int, datetime], Awaitable[None]]


@dataclass(frozen=True)
class PrivacyHandler:
    name: str
    tables: tuple[str, ...]
    export: ExportFn | None
    forget: ForgetFn | None


REGISTRY: dict[str, PrivacyHandler] = {}


def register(
    name: str,
    *,
    tables: tuple[str, ...],
    export: ExportFn | None = None,
    forget: ForgetFn | None = None,
) -> None:
    REGISTRY[name] = PrivacyHandler(name, tuple(tables), export, forget)


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        c.key: _jsonable(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip
    }


def member_fk_columns() -> list[tuple[Table, str, str | None, bool]]:
    """(table, column, ondelete, nullable) for every column referencing member.id."""
    out: list[tuple[Table, str, str | None, bool]] = []
    for table in models.Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "member" and table.name != "member":
                col = fk.parent
                out.append((table, col.name, fk.ondelete, bool(col.nullable)))
    return out


def covered_tables() -> set[str]:
    return {t for h in REGISTRY.values() for t in h.tables}


# ---- the foundation's own tables -----------------------------------------------------------


async def _export_member(session: AsyncSession, member_id: int) -> Any:
    m = await session.get_one(Member, member_id)
    accounts = (
        (await session.execute(select(Account).where(Account.member_id == member_id)))
        .scalars()
        .all()
    )
    return {"profile": _row(m), "accounts": [_row(a) for a in accounts]}


async def _forget_member(session: AsyncSession, member_id: int, now: datetime) -> None:
    m = await session.get_one(Member, member_id)
    for acc in list(m.accounts):
        await session.delete(acc)
    m.display_name = ""
    m.bio = ""
    m.goals = ""
    m.level = ""
    m.tags = []
    m.prefs = {}
    m.timezone = "UTC"
    m.role = "member"
    m.weekly_minutes = 0
    m.peer_opt_in = False
    m.leaderboard_opt_in = False
    m.reachable = False
    m.digest_frequency = "off"
    m.forgotten_at = now
    await session.flush()


async def _export_payments(session: AsyncSession, member_id: int) -> Any:
    pays = (
        (await session.execute(select(Payment).where(Payment.member_id == member_id)))
        .scalars()
        .all()
    )
    subs = (
        (await session.execute(select(Subscription).where(Subscription.member_id == member_id)))
        .scalars()
        .all()
    )
    grants = (
        (
            await session.execute(
                select(AccessGrant).where(
                    AccessGrant.subscription_id.in_([s.id for s in subs] or [-1])
                )
            )
        )
        .scalars()
        .all()
    )
    return {
        "payments": [_row(p, ("raw_hash",)) for p in pays],
        "subscriptions": [_row(s) for s in subs],
        "access_grants": [_row(g) for g in grants],
        **{name: await _dump(session, name, member_id) for name in LEDGER_EXTRA},
    }


LEDGER_EXTRA = ("trial_claim", "code_redemption", "payment_intent")


async def _dump(session: AsyncSession, table_name: str, member_id: int) -> list[dict[str, Any]]:
    table = models.Base.metadata.tables.get(table_name)
    if table is None or "member_id" not in table.c:
        return []
    rows = (await session.execute(select(table).where(table.c.member_id == member_id))).mappings()
    return [{k: _jsonable(v) for k, v in r.items()} for r in rows]


async def _forget_payments(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Keep provider, charge id, amount, currency, status and dates; drop what names a person."""
    await session.execute(
        update(Payment)
        .where(Payment.member_id == member_id)
        .values(note="", meta={})
        .execution_options(synchronize_session=False)
    )
    ids = [
        i
        for row in (
            await session.execute(
                select(Account.platform_user_id, Account.chat_id).where(
                    Account.member_id == member_id
                )
            )
        ).all()
        for i in row
        if i
    ]
    if ids:  # a platform user id kept for refunds (Telegram Stars) identifies the person
        await session.execute(
            update(Payment)
            .where(Payment.member_id == member_id, Payment.ext_ref.in_(ids))
            .values(ext_ref=None)
            .execution_options(synchronize_session=False)
        )
    sub_ids = select(Subscription.id).where(Subscription.member_id == member_id)
    await session.execute(
        update(AccessGrant)
        .where(AccessGrant.subscription_id.in_(sub_ids))
        .values(invite_link=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Subscription)
        .where(Subscription.member_id == member_id)
        .values(external_ref=None)
        .execution_options(synchronize_session=False)
    )


async def _export_interactions(session: AsyncSession, member_id: int) -> Any:
    rows = (
        (
            await session.execute(
                select(Interaction)
                .where(Interaction.member_id == member_id)
                .order_by(Interaction.at)
            )
        )
        .scalars()
        .all()
    )
    return [_row(r, ("member_id",)) for r in rows]


async def _forget_interactions(session: AsyncSession, member_id: int, now: datetime) -> None:
    await session.execute(delete(Interaction).where(Interaction.member_id == member_id))


async def _export_audit(session: AsyncSession, member_id: int) -> Any:
    rows = (
        (
            await session.execute(
                select(AuditLog)
                .where(
                    (AuditLog.actor_member_id == member_id)
                    | (AuditLog.target == f"member:{member_id}")
                )
                .order_by(AuditLog.id)
            )
        )
        .scalars()
        .all()
    )
    return [_row(r) for r in rows]


async def _keep(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Append-only: see the module docstring."""


async def _export_outbox(session: AsyncSession, member_id: int) -> Any:
    rows = (
        (await session.execute(select(Outbox).where(Outbox.member_id == member_id))).scalars().all()
    )
    return [_row(r, ("claimed_by", "lease_until")) for r in rows]


async def _forget_outbox(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Keep the rows (delivery reports still count them) without content or address."""
    await session.execute(
        update(Outbox)
        .where(Outbox.member_id == member_id, Outbox.status.in_(("pending", "sending")))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Outbox)
        .where(Outbox.member_id == member_id)
        .values(payload={}, target="", last_error="", message_ref=None)
        .execution_options(synchronize_session=False)
    )


async def _export_admin(session: AsyncSession, member_id: int) -> Any:
    rsvps = (
        await session.execute(
            select(CommunityEvent.title, CommunityEvent.starts_at, EventRsvp.attended_at)
            .join(EventRsvp, EventRsvp.event_id == CommunityEvent.id)
            .where(EventRsvp.member_id == member_id)
        )
    ).all()
    return {
        "event_rsvps": [
            {"event": t, "starts_at": _jsonable(s), "attended_at": _jsonable(a)}
            for t, s, a in rsvps
        ]
    }


async def _forget_admin(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Attended RSVPs stay (attendance totals) on the anonymous row, places in coming events
    were given up before (`release_places`); pending confirmations go."""
    await session.execute(delete(PendingAction).where(PendingAction.actor_member_id == member_id))


register("member", tables=("member", "account"), export=_export_member, forget=_forget_member)
register(
    "ledger",
    tables=("payment", "subscription", "access_grant", *LEDGER_EXTRA),
    export=_export_payments,
    forget=_forget_payments,
)
register(
    "interactions",
    tables=("interaction",),
    export=_export_interactions,
    forget=_forget_interactions,
)
register("audit", tables=("audit_log",), export=_export_audit, forget=_keep)
register("outbox", tables=("outbox",), export=_export_outbox, forget=_forget_outbox)
register(
    "admin",
    tables=("community_event", "event_rsvp", "broadcast", "pending_action"),
    export=_export_admin,
    forget=_forget_admin,
)


# ---- the fallback for tables nobody registered ----------------------------------------------


async def _export_generic(session: AsyncSession, member_id: int) -> Any:
    out: dict[str, list[dict[str, Any]]] = {}
    covered = covered_tables()
    for table, col, _ondelete, _nullable in member_fk_columns():
        if table.name in covered:
            continue
        rows = (await session.execute(select(table).where(table.c[col] == member_id))).mappings()
        found = [{k: _jsonable(v) for k, v in r.items()} for r in rows]
        if found:
            out.setdefault(table.name, []).extend(found)
    return out


async def _forget_generic(session: AsyncSession, member_id: int, now: datetime) -> None:
    covered = covered_tables()
    for table, col, ondelete, nullable in member_fk_columns():
        if table.name in covered:
            continue
        if nullable and (ondelete or "").upper() == "SET NULL":
            await session.execute(
                update(table).where(table.c[col] == member_id).values({col: None})
            )
        else:
            await session.execute(delete(table).where(table.c[col] == member_id))


async def export_all(session: AsyncSession, member_id: int, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {"member_id": member_id, "exported_at": now.isoformat()}
    for name, h in sorted(REGISTRY.items()):
        if h.export is not None:
            data[name] = _jsonable(await h.export(session, member_id))
    data["other_tables"] = await _export_generic(session, member_id)
    return data


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()


async def forget_all(session: AsyncSession, member_id: int, now: datetime, *, secret: str) -> None:
    """Every registered feature first (they know their data), then the generic sweep. A ban
    and a used trial stay with the member's accounts (`core.accounts.holds`)."""
    await holds.keep(session, secret, await session.get_one(Member, member_id), now)
    for name, h in sorted(REGISTRY.items()):
        if h.forget is not None and name != "member":
            await h.forget(session, member_id, now)
    await _forget_generic(session, member_id, now)
    await REGISTRY["member"].forget(session, member_id, now)  # type: ignore[misc]
