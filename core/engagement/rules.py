"""Pure rules: points per action with daily caps, level thresholds, streaks with a weekly freeze."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from config.settings import EngagementConfig, Settings

LEARNING_KINDS = ("lesson_open", "lesson_complete", "course_complete")
TAG_MAX = 16  # Telegram member tags: 0-16 characters, no emoji


@dataclass(frozen=True)
class Scoring:
    """One community's points table (kind -> (points, daily cap)) and level thresholds."""

    points: Mapping[str, tuple[int, int]]
    levels: tuple[int, ...]  # level n starts at levels[n-1]
    adjust_limit: int = 1000

    @classmethod
    def from_config(cls, cfg: EngagementConfig | None = None) -> Scoring:
        cfg = cfg if cfg is not None else EngagementConfig()
        return cls(
            points={k: (r.points, r.daily_cap) for k, r in cfg.points.items()},
            levels=tuple(cfg.levels),
            adjust_limit=cfg.adjust_limit,
        )

    @classmethod
    def of(cls, settings: Settings) -> Scoring:
        return cls.from_config(settings.engagement)


@dataclass(frozen=True)
class Action:
    id: int
    member_id: int
    kind: str
    day: str


def score(
    actions: Iterable[Action],
    awarded: dict[tuple[int, str, str], int] | None = None,
    scoring: Scoring | None = None,
) -> dict[int, int]:
    """Points for each action id, in id order; `awarded` counts earlier awards per group."""
    table = (scoring or Scoring.from_config()).points
    counts: dict[tuple[int, str, str], int] = defaultdict(int, awarded or {})
    out: dict[int, int] = {}
    for a in sorted(actions, key=lambda a: a.id):
        rule = table.get(a.kind)
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


def level_for(points: int, scoring: Scoring | None = None) -> tuple[int, int | None]:
    """(level, points needed for the next level or None at the top)."""
    levels = (scoring or Scoring.from_config()).levels
    level = sum(1 for t in levels if points >= t)
    nxt = levels[level] if level < len(levels) else None
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


def member_tag_ok(tag: str) -> bool:
    """A Telegram member tag: 1-16 characters, no emoji (nor other pictographs)."""
    if not 0 < len(tag) <= TAG_MAX or tag != tag.strip():
        return False
    for ch in tag:
        cp = ord(ch)
        if unicodedata.category(ch) in ("So", "Cs", "Co", "Cc", "Cf") or 0xFE00 <= cp <= 0xFE0F:
            return False
        if 0x1F000 <= cp <= 0x1FAFF:
            return False
    return True
