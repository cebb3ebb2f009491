"""Pure argument parsing for admin commands: refuse bad input before anything is read or written."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from core.errors import BadArguments
from core.localtime import zone

MAX_DAYS = 3660  # ten years: anything longer is a typo, not a grant


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Drop control characters (PostgreSQL refuses NUL in text; none belongs in a command)."""
    return _CONTROL.sub("", text)


def split_ref(args: str, usage: str) -> tuple[str, str]:
    """'@alice 30 rest' -> ('@alice', '30 rest'); a missing member ref is a usage error."""
    head, _, rest = args.strip().partition(" ")
    if not head:
        raise BadArguments("errors.usage", usage=usage)
    return head, rest.strip()


def parse_days(text: str) -> int:
    """A positive whole number of days, at most MAX_DAYS."""
    raw = text.strip().split(" ", 1)[0] if text.strip() else ""
    if not re.fullmatch(r"[+-]?\d{1,9}", raw):
        raise BadArguments("admin.bad_days", value=raw[:20], max=MAX_DAYS)
    days = int(raw)
    if days <= 0 or days > MAX_DAYS:
        raise BadArguments("admin.bad_days", value=raw[:20], max=MAX_DAYS)
    return days


def parse_when(text: str, tz: str | None = None) -> datetime:
    """'2026-03-10 18:00' in the zone `tz` (the moderator's own; UTC when unset, or when the
    text ends in 'UTC' or 'Z') -> aware datetime; anything else is refused."""
    raw = text.strip()
    if raw.upper().endswith(("Z", "UTC")):
        raw, tz = raw[: -1 if raw.upper().endswith("Z") else -3], "UTC"
    raw = raw.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            local = datetime.strptime(raw.strip(), fmt).replace(tzinfo=zone(tz))
        except ValueError:
            continue
        return local.astimezone(UTC)
    raise BadArguments("admin.bad_time", value=text[:40])
