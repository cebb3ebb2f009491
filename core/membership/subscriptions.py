"""Subscription rows driven through the pure state machine, with audit and access effects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core import audit as audit_mod
from core.audit import audit
from core.context import Services
from core.membership import grants
from core.membership.state import Ev, Snapshot, State, Terms, has_access, step
from core.replies import AnyReply
from models.db import conflict_insert
from models.member import Member
from models.membership import Plan, Subscription

REVOKING = (State.REFUNDED, State.BANNED, State.REMOVED)
# Providers that bill again by themselves; /cancel and /resume tell them (Discord bills
# through its own app, so only the member can stop it there).
RENEWS_AT_PROVIDER = ("stripe", "telegram_stars")


def resumable_renewal(sub: Subscription) -> bool:
    """A provider subscription whose renewal /resume can switch back on."""
    return sub.source in RENEWS_AT_PROVIDER and bool(sub.external_ref)


def snapshot(sub: Subscription) -> Snapshot:
    return Snapshot(State(sub.state), sub.current_period_end, sub.grace_until)


def terms(plan: Plan, paid_until: datetime | None = None) -> Terms:
    return Terms(plan.period_days, plan.trial_days, plan.grace_days, paid_until)


def _dump(snap: Snapshot) -> dict[str, object]:
    """How the audit log shows a subscription's state (the same for `transition` and `pay`)."""
    return {
        "state": snap.state.value,
        "period_end": snap.period_end.isoformat() if snap.period_end else None,
        "grace_until": snap.grace_until.isoformat() if snap.grace_until else None,
    }


async def find(
    session: AsyncSession, member_id: int, plan_id: int, *, lock: bool = False
) -> Subscription | None:
    q = select(Subscription).where(
        Subscription.member_id == member_id, Subscription.plan_id == plan_id
    )
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def get_or_create(
    session: AsyncSession, services: Services, member_id: int, plan: Plan, source: str
) -> Subscription:
    """The member's row for this plan, created if missing and locked for this transaction.

    One upsert statement: `ON CONFLICT DO UPDATE` (a no-op update) returns the existing row
    and takes its row lock like `SELECT ... FOR UPDATE` (two first payments at once: one
    insert wins, the other waits for it and gets the winner's row)."""
    ins: Any = conflict_insert(session.get_bind().dialect.name, Subscription)
    stmt = _keep_existing(ins.values(_pending_row(services, member_id, plan, source))).returning(
        Subscription
    )
    sub = (await session.scalars(stmt, execution_options={"populate_existing": True})).one()
    return sub


_TABLE: Table = Subscription.__table__  # type: ignore[assignment]
_LOCK: dict[str, Any] = {}  # dialect name -> the upsert below, built once
# The PAY write: values come as parameters named after the columns (SET clause).
_PAY = update(_TABLE).where(_TABLE.c.id == bindparam("sub_id"))


_PAY_CTE: dict[tuple[int, bool], Any] = {}


def _pay_with_audit(n_audit: int, with_ref: bool) -> Any:
    """PostgreSQL: `_PAY` with `n_audit` audit rows inserted by the same statement."""
    key = (n_audit, with_ref)
    stmt = _PAY_CTE.get(key)
    if stmt is None:
        cols = ["state", "current_period_end", "grace_until", "updated_at", "source", "auto_renew"]
        cols += ["external_ref"] if with_ref else []
        stmt = _PAY_CTE[key] = (
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("sub_id"))
            .values({c: bindparam(c, type_=_TABLE.c[c].type) for c in cols})
            .add_cte(*audit_mod.insert_ctes(n_audit))
        )
    return stmt


def _pending_row(services: Services, member_id: int, plan: Plan, source: str) -> dict[str, Any]:
    """The row both upserts insert when the member has none for this plan."""
    now = services.clock.now()
    return {
        "member_id": member_id,
        "plan_id": plan.id,
        "state": State.PENDING.value,
        "started_at": now,
        "updated_at": now,
        "source": source,
        "auto_renew": False,
    }


def _keep_existing(ins: Any) -> Any:
    """`ON CONFLICT (member_id, plan_id)`: a no-op update, so an existing row is returned
    (and row-locked) instead of a second one inserted."""
    return ins.on_conflict_do_update(
        index_elements=["member_id", "plan_id"], set_={"plan_id": ins.excluded.plan_id}
    )


def _lock_stmt(dialect: str) -> Any:
    stmt = _LOCK.get(dialect)
    if stmt is None:
        stmt = _LOCK[dialect] = _keep_existing(conflict_insert(dialect, _TABLE)).returning(
            _TABLE.c.id,
            _TABLE.c.state,
            _TABLE.c.current_period_end,
            _TABLE.c.grace_until,
            _TABLE.c.source,
            _TABLE.c.auto_renew,
        )
    return stmt


async def lock(
    session: AsyncSession, services: Services, member_id: int, plan: Plan, source: str
) -> tuple[int, Snapshot, str | None]:
    """`get_or_create` on Core for the payment hot path: (row id, its snapshot, the source
    renewing it if a provider still does), the row created `pending` if missing and locked
    for this transaction, no ORM object loaded. Pending ORM changes are flushed first, so
    they cannot land after (and over) our write."""
    await session.flush()
    conn = await session.connection()
    row = (
        await conn.execute(
            _lock_stmt(conn.dialect.name), _pending_row(services, member_id, plan, source)
        )
    ).one()
    snap = Snapshot(State(row.state), row.current_period_end, row.grace_until)
    renewing = row.source if row.auto_renew and has_access(snap.state) else None
    return row.id, snap, renewing


async def pay(
    session: AsyncSession,
    services: Services,
    sub_id: int,
    before: Snapshot,
    plan: Plan,
    member: Member,
    *,
    actor: str,
    source: str,
    paid_until: datetime | None = None,
    external_ref: str | None = None,
    auto_renew: bool = False,
    actor_member_id: int | None = None,
    also_audit: Sequence[dict[str, Any]] = (),
) -> tuple[Snapshot, list[AnyReply]]:
    """`transition(..., Ev.PAY)` for a row `lock` returned, written on Core: the same `step`,
    audit row and grants, then one UPDATE and one audit INSERT (with the caller's
    `also_audit` rows). An ORM copy of the row in the session is updated, not left stale."""
    now = services.clock.now()
    after = step(before, Ev.PAY, now, terms(plan, paid_until))
    values: dict[str, Any] = {
        "sub_id": sub_id,
        "state": after.state.value,
        "current_period_end": after.period_end,
        "grace_until": after.grace_until,
        "updated_at": now,
        "source": source,
        "auto_renew": auto_renew,
    }
    if external_ref:
        values["external_ref"] = external_ref
    rows = [
        audit_mod.entry(
            services.clock,
            actor=actor,
            action=f"subscription.{Ev.PAY.value}",
            target=f"member:{member.id}",
            before=_dump(before),
            after={**_dump(after), "plan": plan.code},
            actor_member_id=actor_member_id,
        ),
        *also_audit,
    ]
    conn = await session.connection()
    if conn.dialect.name == "postgresql":  # one statement: the audit INSERT rides as a CTE
        await conn.execute(
            _pay_with_audit(len(rows), "external_ref" in values),
            {**values, **audit_mod.cte_params(rows)},
        )
    else:
        await conn.execute(_PAY, values)
        await audit_mod.write(conn, rows)
    cached = session.sync_session.identity_map.get(identity_key(Subscription, sub_id))
    if cached is not None:  # the caller's ORM copy shows what we wrote (not dirty, no reload)
        for k, v in values.items():
            if k != "sub_id":
                set_committed_value(cached, k, v)
    effects: list[AnyReply] = []
    if has_access(after.state) and not has_access(before.state) and grants.targets_for(plan):
        effects += await grants.activate_for(session, services.clock, sub_id, plan, member)
    return after, effects


async def for_member(session: AsyncSession, member_id: int) -> list[tuple[Subscription, Plan]]:
    rows = await session.execute(
        select(Subscription, Plan)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(Subscription.member_id == member_id)
        .order_by(Subscription.id)
    )
    return [(s, p) for s, p in rows.all()]


async def transition(
    session: AsyncSession,
    services: Services,
    sub: Subscription,
    plan: Plan,
    ev: Ev,
    *,
    actor: str,
    reason: str = "",
    paid_until: datetime | None = None,
    actor_member_id: int | None = None,
) -> list[AnyReply]:
    """Apply one event (InvalidTransition propagates); audit it; return Invite/Kick effects."""
    now = services.clock.now()
    before = snapshot(sub)
    after = step(before, ev, now, terms(plan, paid_until))
    sub.state = after.state.value
    sub.current_period_end = after.period_end
    sub.grace_until = after.grace_until
    sub.updated_at = now
    if ev is Ev.CANCEL:
        sub.cancelled_at = now
        sub.auto_renew = False
    elif ev is Ev.RESUME:
        sub.cancelled_at = None
        sub.auto_renew = resumable_renewal(sub)
    # The row update and its audit row go out together at the next flush.
    await audit(
        session,
        services.clock,
        actor=actor,
        action=f"subscription.{ev.value}",
        target=f"member:{sub.member_id}",
        before=_dump(before),
        after={**_dump(after), "plan": plan.code},
        reason=reason,
        actor_member_id=actor_member_id,
        flush=False,
    )
    effects: list[AnyReply] = []
    if has_access(after.state) and not has_access(before.state) and grants.targets_for(plan):
        member = await load_member(session, sub.member_id)
        effects += await grants.activate(session, services.clock, sub, plan, member)
    elif after.state in REVOKING:
        member = await load_member(session, sub.member_id)
        if not await grants.is_exempt(session, member, services.settings):
            effects += await grants.revoke(session, services.clock, sub, plan, member, ev.value)
    return effects


async def load_member(session: AsyncSession, member_id: int) -> Member:
    """The member row without its accounts (grants query those when they need them)."""
    return await session.get_one(Member, member_id, options=[raiseload(Member.accounts)])
