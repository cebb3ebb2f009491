"""Periodic membership work: time transitions with reminders, and access reconcile."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.jobs import periodic
from core.membership import service
from core.membership.reconcile import reconcile
from core.membership.reminders import advance_all
from core.payments.ledger import complete_recorded, in_transaction
from core.replies import AnyReply
from models.membership import CodeAttempt

log = logging.getLogger("syllabot.membership")


@periodic("membership.advance", every=timedelta(minutes=10))
async def advance(services: Services) -> list[AnyReply]:
    return await in_transaction(services, lambda s: advance_all(s, services))


@periodic("membership.lift_ended_bans", every=timedelta(minutes=10))
async def lift_ended_bans(services: Services) -> list[AnyReply]:
    return await in_transaction(services, lambda s: service.lift_ended_bans(s, services))


@periodic("membership.reconcile", every=timedelta(hours=6))
async def reconcile_job(services: Services) -> list[AnyReply]:
    rep = await in_transaction(services, lambda s: reconcile(s, services))
    for line in rep.lines():
        log.warning("reconcile fixed: %s", line)
    return rep.replies


@periodic("membership.purge_code_attempts", every=timedelta(hours=6))
async def purge_code_attempts(services: Services) -> list[AnyReply]:
    """Wrong-guess rows only matter inside the rate-limit window."""
    cutoff = services.clock.now() - timedelta(days=1)

    async def run(session: AsyncSession) -> list[AnyReply]:
        await session.execute(delete(CodeAttempt).where(CodeAttempt.at < cutoff))
        return []

    return await in_transaction(services, run)


@periodic("payments.complete_recorded", every=timedelta(minutes=5))
async def complete(services: Services) -> list[AnyReply]:
    return await in_transaction(services, lambda s: complete_recorded(s, services))
