"""Digest test helpers: members with a DM account, courses, a recording fake Deliverer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import load_settings
from core.callbacks import CallbackSigner
from core.clock import FrozenClock
from core.context import Services
from core.ports import SendOutcome
from models.catalog import Course, Lesson
from models.interaction import Interaction
from models.member import Account, Member


async def add_member(
    s: AsyncSession,
    name: str,
    now: datetime,
    *,
    platform: str = "telegram",
    tags: tuple[str, ...] = ("sql",),
    **prefs: Any,
) -> Member:
    m = Member(
        display_name=name,
        created_at=now,
        tags=list(tags),
        prefs={},
        digest_frequency=prefs.pop("frequency", "daily"),
        digest_hour=prefs.pop("hour", 9),
        **prefs,
    )
    s.add(m)
    await s.flush()
    s.add(
        Account(
            member_id=m.id,
            platform=platform,
            platform_user_id=f"u-{name}",
            username=name,
            chat_id=f"c-{name}" if platform != "console" else name,
            created_at=now,
        )
    )
    await s.flush()
    return m


async def add_course(
    s: AsyncSession, slug: str, now: datetime, tags: tuple[str, ...] = ("sql",), lessons: int = 0
) -> Course:
    c = Course(
        slug=slug,
        title=slug.replace("-", " ").title(),
        title_zh=f"{slug} 课程",
        tags=list(tags),
        plan_codes=[],
        created_at=now,
        url=f"https://example.org/{slug}",
    )
    s.add(c)
    await s.flush()
    for i in range(lessons):
        s.add(Lesson(course_id=c.id, slug=f"l{i}", title=f"Lesson {i}", position=i))
    await s.flush()
    return c


async def lessons_done(
    s: AsyncSession, member: Member, course: Course, n: int, at: datetime, weight: float = 1.0
) -> None:
    """The member finished the course's first ``n`` lessons (interaction rows, as /done)."""
    lesson_ids = (
        await s.execute(
            select(Lesson.id)
            .where(Lesson.course_id == course.id)
            .order_by(Lesson.position, Lesson.id)
            .limit(n)
        )
    ).scalars()
    s.add_all(
        Interaction(
            member_id=member.id,
            course_id=course.id,
            lesson_id=lesson_id,
            kind="lesson_complete",
            weight=weight,
            at=at,
            source="chat",
            meta={},
        )
        for lesson_id in lesson_ids
    )


@dataclass
class RecordingDeliverer:
    """A fake platform at the wire: records every delivery, answers from a script per target."""

    platform: str = "telegram"
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    script: dict[str, list[SendOutcome]] = field(default_factory=dict)
    calls: int = 0

    async def deliver(self, target: str, payload: dict[str, Any]) -> SendOutcome:
        self.calls += 1
        queue = self.script.get(target)
        if queue:
            outcome = queue.pop(0)
            if outcome.status != "sent":
                return outcome
        self.sent.append((target, payload))
        return SendOutcome("sent", message_ref=str(len(self.sent)))


def make_services(db: Any, clock: FrozenClock, engine: Any = None) -> Services:
    from models.db import session_factory

    return Services(
        settings=load_settings(None, database_url=db.url, secret_key="test-secret"),
        session_factory=session_factory(engine) if engine is not None else db.session_factory,
        clock=clock,
        signer=CallbackSigner("test-secret"),
    )
