"""Pure rules: points per action with daily caps, level thresholds, streaks with a weekly freeze."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# interaction kind -> (points, most awards per member and local day). No points for chatter.
POINTS: dict[str, tuple[int, int]] = {
    "lesson_complete": (10, 10),
    "course_complete": (50, 3),
    "question_asked": (5, 3),
    "answer_given": (10, 5),
    "answer_accepted": (25, 5),
    "answer_helpful": (5, 10),
    "event_attended": (15, 2),
    "peer_session": (15, 2),
}
LEARNING_KINDS = ("lesson_open", "lesson_complete", "course_complete")
LEVELS: tuple[int, ...] = (0, 50, 200, 500, 1000, 2500)  # level n starts at LEVELS[n-1]
ADJUST_LIMIT = 1000


def local_day(at: datetime, tz: str) -> date:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).date()


@dataclass(frozen=True)
class Action:
    id: int
    member_id: int
    kind: str
    day: str


def score(
    actions: Iterable[Action], awarded: dict[tuple[int, str, str], int] | None = None
) -> dict[int, int]:
    """Points for each action id, in id order; `awarded` counts earlier awards per group."""
    counts: dict[tuple[int, str, str], int] = defaultdict(int, awarded or {})
    out: dict[int, int] = {}
    for a in sorted(actions, key=lambda a: a.id):
        rule = POINTS.get(a.kind)
        if rule is None:
            continue
        pts, cap = rule
        key = (a.member_id, a.kind, a.day)
        if counts[key] < cap:
            counts[key] += 1
            out[a.id] = pts
        else:
            out[a.id] = 0
    return out


def level_for(points: int) -> tuple[int, int | None]:
    """(level, points needed for the next level or None at the top)."""
    level = sum(1 for t in LEVELS if points >= t)
    nxt = LEVELS[level] if level < len(LEVELS) else None
    return max(level, 1), nxt


@dataclass(frozen=True)
class Streak:
    days: int
    frozen: tuple[date, ...]  # missed days bridged by the weekly freeze


def streak(days: set[date], today: date) -> Streak:
    """Consecutive learning days up to today (today may still come); one missed day per
    ISO week is bridged by a freeze when the day before it was a learning day."""
    cur = today if today in days else today - timedelta(days=1)
    n = 0
    frozen: list[date] = []
    while True:
        if cur in days:
            n += 1
        elif (
            (n > 0 or cur == today - timedelta(days=1))
            and (cur - timedelta(days=1)) in days
            and cur.isocalendar()[:2] not in {f.isocalendar()[:2] for f in frozen}
        ):
            frozen.append(cur)
        else:
            break
        cur -= timedelta(days=1)
    return Streak(n, tuple(frozen))
