"""Row ids typed by people: bounded before they reach the database."""

from __future__ import annotations

MAX_DIGITS = 9
"""Below 2**31: PostgreSQL's INTEGER refuses larger, and SQLite past 2**63, each with an
error rather than "not found"."""


def parse_id(text: str) -> int | None:
    """A row id typed by a person ("12" or "#12"); None when not a sane positive int."""
    t = text.strip().lstrip("#")
    if not (t.isascii() and t.isdecimal()) or len(t) > MAX_DIGITS:
        return None
    value = int(t)
    return value if value > 0 else None
