"""Subscription rows driven through the pure state machine, with audit and access effects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from core.audit import audit
from core.context import Services
from core.membership import grants
from core.membership.state import Ev, Snapshot, State, Terms, has_access, step
from core.replies import AnyReply
from models.member import Member
from models.membership import Plan, Subscription

REVOKING = (State.REFUNDED, State.BANNED, State.REMOVED)


def snapshot(sub: Subscription) -> Snapshot:
    return Snapshot(State(sub.state), sub.current_period_end, sub.grace_until)


def terms(plan: Plan, paid_until: datetime | None = None) -> Terms:
    return Terms(plan.period_days, plan.trial_days, plan.grace_days, paid_until)


def _dump(sub: Subscription) -> dict[str, object]:
    return {
        "state": sub.state,
        "period_end": sub.current_period_end.isoformat() if sub.current_period_end else None,
        "grace_until": sub.grace_until.isoformat() if sub.grace_until else None,
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
    now = services.clock.now()
    dialect = session.get_bind().dialect.name
    ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Subscription)
    stmt = (
        ins.values(
            member_id=member_id,
            plan_id=plan.id,
            state=State.PENDING.value,
            started_at=now,
            updated_at=now,
            source=source,
            auto_renew=False,
        )
        .on_conflict_do_update(
            index_elements=["member_id", "plan_id"], set_={"plan_id": ins.excluded.plan_id}
        )
        .returning(Subscription)
    )
    sub = (await session.scalars(stmt, execution_options={"populate_existing": True})).one()
    return sub


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
    old = _dump(sub)
    sub.state = after.state.value
    sub.current_period_end = after.period_end
    sub.grace_until = after.grace_until
    sub.updated_at = now
    if ev is Ev.CANCEL:
        sub.cancelled_at = now
        sub.auto_renew = False
    # The row update and its audit row go out together at the next flush.
    await audit(
        session,
        services.clock,
        actor=actor,
        action=f"subscription.{ev.value}",
        target=f"member:{sub.member_id}",
        before=old,
        after={**_dump(sub), "plan": plan.code},
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
