"""The learning streak as a digest line: progress members see where they already look."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FrozenClock
from core.digest.providers import Item, register_section
from core.engagement.service import learning_streak
from core.i18n import translate
from models.member import Member


async def streak_section(
    session: AsyncSession, member: Member, now: datetime, locale: str
) -> Sequence[Item]:
    s = await learning_streak(session, FrozenClock(now), member)
    if s.days < 2:  # a one-day "streak" is noise in a digest
        return []
    return [Item("streak", 0, translate(locale, "digest.streak_line", days=s.days))]


register_section("streak", streak_section)
