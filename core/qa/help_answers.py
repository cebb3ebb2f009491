"""Answers about using the bot itself, in the knowledge base from the first start.

"How do I stop getting digests?" or "how do I change the language?" opened a community
thread (the second tagged with programming topics, inviting Python experts): every
community needs these answers and nobody had written them yet. At start-up each bundled
answer (``data/help_answers.jsonl``, English and Chinese) that the knowledge base has never
held is added as an FAQ entry with ``source_ref`` "help:KEY:LANG". Once added it is the
community's entry: moderators may ``/kb edit`` or ``/kb remove`` it, and later starts leave
it as it is (an answer added in a later release still arrives).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.qa.catalog_sync import next_stamp
from core.qa.entries import fill
from core.qa.index import KBItem
from core.qa.kbfile import parse_kb
from models.qa import KBEntry

if TYPE_CHECKING:
    from core.context import Context
    from core.replies import AnyReply

FILE = Path(__file__).parent / "data" / "help_answers.jsonl"
PREFIX = "help:"
"""The `source_ref` of every bundled answer starts so."""

LiveView = Callable[["Context"], Awaitable[list["AnyReply"]]]
LIVE: dict[str, LiveView] = {}
"""What a bundled answer's command would show now, given under the answer: "when is the
next office hours?" is told how /events works and which events come next. Features
register theirs by the answer's key (``help:KEY:LANG``)."""


def live_view(key: str) -> Callable[[LiveView], LiveView]:
    def register(fn: LiveView) -> LiveView:
        LIVE[key] = fn
        return fn

    return register


def live_key(source_ref: str) -> str | None:
    """The key of a bundled answer ("help:events:en" -> "events"); None for any other."""
    if not source_ref.startswith(PREFIX):
        return None
    return source_ref.removeprefix(PREFIX).rsplit(":", 1)[0] or None


def bundled() -> list[KBItem]:
    items, errors = parse_kb(FILE, "jsonl", source="faq")
    if errors:  # a packaging mistake, not something a community can fix
        raise ValueError(f"{FILE.name}: {errors[0]}")
    return items


async def ensure(session: AsyncSession) -> int:
    """Add the bundled answers the knowledge base never held; returns how many. Two
    processes starting at once may both add one: the later copy is switched off here."""
    items = bundled()
    rows = (
        (
            await session.execute(
                select(KBEntry)
                .where(KBEntry.source_ref.in_([it.id for it in items]))
                .order_by(KBEntry.id)
            )
        )
        .scalars()
        .all()
    )
    stamp = await next_stamp(session)  # one version for the whole start-up change
    held: set[str] = set()
    for row in rows:
        if row.source_ref in held and row.active:
            row.active, row.updated_at = False, stamp
        held.add(row.source_ref)
    added = 0
    for it in items:
        if it.id in held:
            continue
        session.add(fill(KBEntry(source="faq", source_ref=it.id, created_at=stamp), it, stamp))
        added += 1
    await session.flush()
    return added
