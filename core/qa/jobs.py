"""Periodic Q&A work: bump quiet threads once, then list them for moderators."""

from __future__ import annotations

from datetime import timedelta

from core.context import Services
from core.jobs import periodic
from core.qa import service
from core.replies import AnyReply


@periodic("qa.stale_threads", every=timedelta(hours=1))
async def stale_threads(services: Services) -> list[AnyReply]:
    return await service.sweep_stale(services)
