"""Score new interactions every few minutes so /leaderboard stays current without work per message."""

from __future__ import annotations

from datetime import timedelta

from core.context import Services
from core.engagement import service
from core.jobs import periodic
from core.replies import AnyReply


@periodic("engagement.sync", timedelta(minutes=10))
async def sync_points(services: Services) -> list[AnyReply]:
    async with services.session_factory() as session, session.begin():
        await service.sync(session, services.clock)
    return []
