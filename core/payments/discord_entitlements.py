"""Discord Premium Apps entitlements (core side): SKU -> plan; create/update/delete ->
activate/renew/expire. Discord verified the money, so there is no amount to compare; each
(entitlement, end) pair is one ledger row, so a redelivered event grants once."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.membership import plans, service, subscriptions
from core.membership.state import LIVE, Ev
from core.payments import ledger
from core.replies import AnyReply
from models.member import Member
from models.membership import Plan

log = logging.getLogger("syllabot.payments")
PROVIDER = "discord"


async def plan_for_sku(session: AsyncSession, sku_id: str) -> Plan | None:
    for plan in (await session.execute(select(Plan))).scalars():
        if str((plan.targets or {}).get("discord_sku") or "") == str(sku_id):
            return plan
    return None


def _aware(v: object) -> datetime | None:
    if isinstance(v, datetime):
        return v if v.tzinfo else None
    if isinstance(v, str) and v:
        try:
            d = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
        return d if d.tzinfo else None
    return None


async def changed(
    session: AsyncSession,
    services: Services,
    member: Member,
    action: str,
    entitlement_id: str,
    sku_id: str,
    ends_at: object,
) -> list[AnyReply]:
    plan = await plan_for_sku(session, sku_id)
    if plan is None:
        log.warning("entitlement %s for unknown SKU %s ignored", entitlement_id, sku_id)
        return await ledger.flag(
            session, services, "membership.flag_sku", sku=sku_id[:32], member=member.id
        )
    end = _aware(ends_at)
    if action in ("create", "update"):
        res = await ledger.process(
            session,
            services,
            ledger.Charge(
                provider=PROVIDER,
                charge_id=f"{entitlement_id}:{end.isoformat() if end else 'open'}",
                amount=0,
                currency="SKU",
                member_id=member.id,
                plan_code=plan.code,
                expect_amount=False,
                paid_until=end,
                ext_ref=f"ent:{entitlement_id}",
                auto_renew=end is not None,
                actor="discord",
            ),
        )
        return res.replies
    if action == "delete":
        sub = await subscriptions.find(session, member.id, plan.id, lock=True)
        if sub is None or sub.state not in LIVE:
            return []
        out = await subscriptions.transition(
            session,
            services,
            sub,
            plan,
            Ev.EXPIRE,
            actor="discord",
            reason=f"entitlement {entitlement_id} deleted",
        )
        out += await service.remove_if_due(session, services, sub, plan, member, actor="discord")
        out.append(service.dm(member, "membership.removed", plan=plans.title(plan, member.locale)))
        return out
    return []
