"""One way to write an item's text into its knowledge-base row."""

from __future__ import annotations

from datetime import datetime

from core.qa.index import KBItem
from models.qa import KBEntry


def fill(row: KBEntry, item: KBItem, at: datetime) -> KBEntry:
    """The item's title, texts, language, link and tags on `row` (new or replaced), active,
    versioned `at`: what `/kb import` and the built-in answers store alike."""
    row.title = item.title[:300]
    row.body = item.body
    row.answer = item.answer
    row.lang = item.language()
    row.url = item.url[:500]
    row.tags = list(item.tags)
    row.active = True
    row.updated_at = at
    return row
