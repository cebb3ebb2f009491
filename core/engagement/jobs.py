"""Score new interactions every few minutes so /leaderboard stays current without work per message."""

from __future__ import annotations

from datetime import timedelta

from core.context import Services
from core.engagement import service
from core.engagement.rules import Scoring
from core.jobs import periodic
from core.notifications import wants
from core.replies import AnyReply


@periodic("engagement.sync", timedelta(minutes=10))
async def sync_points(services: Services) -> list[AnyReply]:
    """New points, and a word to each member who reached a new level with them."""
    from core.i18n import translate
    from core.replies import Reply

    scoring = Scoring.of(services.settings)
    async with services.session_factory() as session, session.begin():
        await service.sync(session, services.clock, scoring=scoring)
        out: list[AnyReply] = []
        for m, level, points in await service.level_ups(session, services.clock, scoring):
            if not wants(m, "levels"):  # reached all the same; not told (/settings)
                continue
            text = translate(
                m.locale,
                "engagement.level_up",
                level=level,
                name=translate(m.locale, f"engagement.level_{level}"),
                points=points,
            )
            if more := service.next_level(m.locale, points, scoring):
                text += " " + more
            out.append(Reply(text, member_id=m.id))
        return out


@periodic("engagement.nudge", timedelta(minutes=30))
async def streak_nudges(services: Services) -> list[AnyReply]:
    """A gentle DM in the member's evening when today's learning would keep their streak."""
    from core.i18n import translate
    from core.replies import Reply

    async with services.session_factory() as session, session.begin():
        due = await service.due_nudges(session, services.clock)
        return [
            Reply(translate(m.locale, "engagement.nudge", days=days), member_id=m.id)
            for m, days in due
        ]


@periodic("engagement.levels", timedelta(minutes=30))
async def level_rewards(services: Services) -> list[AnyReply]:
    async with services.session_factory() as session, session.begin():
        return await service.sync_level_rewards(
            session, services.clock, Scoring.of(services.settings), services.settings
        )


@periodic("engagement.weekly_post", timedelta(hours=1))
async def weekly_leaderboard(services: Services) -> list[AnyReply]:
    s = services.settings
    async with services.session_factory() as session, session.begin():
        return await service.weekly_post(
            session, services.clock, s.timezone, s.locale, Scoring.of(s)
        )
