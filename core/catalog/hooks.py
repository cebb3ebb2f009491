"""Content-changed callbacks: Q&A indexes and the recommender embeds new content at once.

Subscribers register with `@on_content_changed` at import time and run inside the same
transaction as the change, so an index row is written with the content or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("syllabot.catalog")


@dataclass(frozen=True)
class ContentChanged:
    """What changed: `action` is created|updated|hidden|shown; ids are database ids."""

    action: str
    course_ids: tuple[int, ...] = ()
    lesson_ids: tuple[int, ...] = ()
    source: str = "chat"  # chat|import
    fields: tuple[str, ...] = field(default=())


ContentHook = Callable[[AsyncSession, ContentChanged], Awaitable[None]]
CONTENT_HOOKS: list[ContentHook] = []


def on_content_changed(fn: ContentHook) -> ContentHook:
    """Register a subscriber (idempotent)."""
    if fn not in CONTENT_HOOKS:
        CONTENT_HOOKS.append(fn)
    return fn


async def fire(session: AsyncSession, change: ContentChanged) -> None:
    """Run every subscriber; a failing subscriber fails the change (nothing half-indexed)."""
    if not (change.course_ids or change.lesson_ids):
        return
    for fn in list(CONTENT_HOOKS):
        log.debug("content hook %s for %s", getattr(fn, "__name__", fn), change)
        await fn(session, change)
