"""Housekeeping jobs of the foundation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from core.context import Services
from core.jobs import periodic
from core.replies import AnyReply
from models.inbound import InboundUpdate

KEEP_UPDATE_IDS = timedelta(days=14)  # platforms stop redelivering long before this


@periodic("core.purge_inbound_updates", every=timedelta(hours=6))
async def purge_inbound_updates(services: Services) -> list[AnyReply]:
    cutoff = services.clock.now() - KEEP_UPDATE_IDS
    async with services.session_factory() as s, s.begin():
        await s.execute(delete(InboundUpdate).where(InboundUpdate.received_at < cutoff))
    return []
