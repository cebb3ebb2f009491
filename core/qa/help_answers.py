"""Answers about using the bot itself, in the knowledge base from the first start.

"How do I stop getting digests?" or "how do I change the language?" opened a community
thread (the second tagged with programming topics, inviting Python experts): every
community needs these answers and nobody had written them yet. At start-up each bundled
answer (``data/help_answers.jsonl``, English and Chinese) that the knowledge base has never
held is added as an FAQ entry with ``source_ref`` "help:KEY:LANG". Once added it is the
community's entry: moderators may ``/kb edit`` or ``/kb remove`` it, and later starts leave
it as it is (an answer added in a later release still arrives). An answer a later release
rewrites is rewritten in the knowledge base too, unless a moderator changed it: its text is
then none that a release shipped (``data/help_answers_released.json`` keeps a fingerprint
of every text each answer shipped with; ``python -m core.qa.help_answers`` records the
current ones after a rewrite, and a test fails until it is run).
"""

from __future__ import annotations

import hashlib
import json
import sys
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
RELEASED = FILE.with_name("help_answers_released.json")
PREFIX = "help:"
"""The `source_ref` of every bundled answer starts so."""

LiveView = Callable[["Context"], Awaitable[list["AnyReply"]]]
LIVE: dict[str, LiveView] = {}
"""What a bundled answer's command would show now, given under the answer: "is there a
live session soon?" is told how /events works and which events come next. Features
register theirs by the answer's key (``help:KEY:LANG``)."""


def live_view(key: str) -> Callable[[LiveView], LiveView]:
    def register(fn: LiveView) -> LiveView:
        LIVE[key] = fn
        return fn

    return register


SHOWS = {
    "status": "status",
    "cancel": "status",
    "join": "plans",
    "plans": "plans",
    "digest": "digest",
    "language": "language",
    "profile": "profile",
    "name": "profile",
    "timezone": "profile",
    "points": "points",
    "questions": "questions",
    "courses": "next",
    "reminders": "digest",
    "peers": "peers",
    "certificates": "certificate",
    "receipts": "status",
    "settings": "settings",
}
"""The command whose reply is a bundled answer as things stand for the member, shown under
it in a private chat (a group never reads a member's plan or profile): "how much is a
membership?" gets the plans to buy, "how do I change my digests?" their schedule."""

Lookup = Callable[["Context", str], Awaitable["list[AnyReply] | None"]]
LOOKUPS: list[Lookup] = []
"""Questions a feature answers from what it holds now, before the knowledge base is
searched: "when is the next office hours?" is told when the event called "SQL office hours"
is (no entry could know). Each returns None for a question it does not answer."""


def lookup(fn: Lookup) -> Lookup:
    LOOKUPS.append(fn)
    return fn


def lookup_first(fn: Lookup) -> Lookup:
    """A lookup asked before those registered with `lookup`: one that can settle a question
    another would hand on ("I paid but can't get into the group": a fresh invite, not a
    message to the moderators)."""
    LOOKUPS.insert(0, fn)
    return fn


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


def fingerprint(title: str, body: str, answer: str) -> str:
    """What identifies a text an answer shipped with (whitespace aside)."""
    text = "\x1f".join(" ".join(part.split()) for part in (title, body, answer))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def released() -> dict[str, list[str]]:
    """Each bundled answer's fingerprints, the current release's first."""
    data: dict[str, list[str]] = json.loads(RELEASED.read_text(encoding="utf-8"))
    return data


def record_release() -> dict[str, list[str]]:
    """Put the current texts' fingerprints first in `RELEASED` (after rewriting an answer)."""
    known = released() if RELEASED.exists() else {}
    for it in bundled():
        now = fingerprint(it.title, it.body, it.answer)
        known[it.id] = [now, *(f for f in known.get(it.id, []) if f != now)]
    RELEASED.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return known


async def ensure(session: AsyncSession) -> int:
    """Add the bundled answers the knowledge base never held, and bring those a later
    release rewrote up to date where no moderator changed them; returns how many changed.
    Two processes starting at once may both add one: the later copy is switched off here."""
    items = bundled()
    shipped = released()
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
    by_id = {it.id: it for it in items}
    changed = 0
    for row in rows:
        if row.source_ref in held and row.active:
            row.active, row.updated_at = False, stamp
        elif row.active:  # an earlier release's text, untouched: the new one replaces it
            was = fingerprint(row.title, row.body, row.answer)
            versions = shipped.get(row.source_ref, [])
            if was in versions[1:] and versions[0] != was:
                fill(row, by_id[row.source_ref], stamp)
                changed += 1
        held.add(row.source_ref)
    for it in items:
        if it.id in held:
            continue
        session.add(fill(KBEntry(source="faq", source_ref=it.id, created_at=stamp), it, stamp))
        changed += 1
    await session.flush()
    return changed


if __name__ == "__main__":  # python -m core.qa.help_answers: after rewriting an answer
    record_release()
    sys.stdout.write(f"{RELEASED.name}: the current texts recorded\n")
