"""What a variant's parameters change, read where digests are composed and suggestions served.

Parameters (``name:weight:key=value;key=value`` in ``/experiment create``):

- target ``recommend`` (applies to ``/recommend`` and to the courses in digests):
  ``strategy=hybrid|popular|content`` and ``content_weight=<0..5>`` (extra weight of the
  course-text match on top of the hybrid model's score).
- target ``digest``: ``n_courses=<0..8>``, ``layout=compact`` (no section headers or
  reasons), ``order=peer|course|question`` (sections first, in that order; the rest follow
  in the usual order), ``send_hour=<0..23>`` (local hour the digest is due).

A member's parameters come from their sticky, recorded assignment; members outside the
experiment (or a stopped one they never joined) get the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.experiments import Experiment, ExperimentAssignment

STRATEGIES = ("hybrid", "popular", "content")


async def params_for(
    session: AsyncSession, member_id: int, target: str, now: datetime
) -> tuple[dict[str, Any], list[str]]:
    """Merged parameters of the running experiments on `target` this member is in (assigning
    them on first contact), and their ``experiment=variant`` labels."""
    from core.experiments import service

    params: dict[str, Any] = {}
    arms: list[str] = []
    for exp in await service.running_for(session, target):
        variant = await service.assign(session, exp, member_id, now)
        if variant is not None:
            params.update(variant.params)
            arms.append(f"{exp.name}={variant.name}")
    return params, arms


async def send_hours(
    session: AsyncSession, member_ids: Sequence[int], now: datetime
) -> dict[int, int]:
    """member -> send hour, for members in a running digest experiment whose variant sets
    ``send_hour``. Members not yet assigned are assigned here (before their first digest of
    the experiment is due, so that digest already goes at the variant's hour)."""
    from core.experiments import service

    exps = [
        e
        for e in await service.running_for(session, "digest")
        if any("send_hour" in (v.get("params") or {}) for v in e.variants)
    ]
    out: dict[int, int] = {}
    ids = list(member_ids)
    for exp in exps:
        known = {
            mid
            for (mid,) in (
                await session.execute(
                    select(ExperimentAssignment.member_id).where(
                        ExperimentAssignment.experiment_id == exp.id
                    )
                )
            ).all()
        }
        missing = [m for m in ids if m not in known]
        for i in range(0, len(missing), 1000):
            await service.assign_many(session, exp, missing[i : i + 1000], now)
        out.update(await _hours_of(session, exp, ids))
    return out


async def _hours_of(session: AsyncSession, exp: Experiment, ids: list[int]) -> dict[int, int]:
    from core.experiments import service

    by_name = {v.name: v for v in service.variants_of(exp)}
    out: dict[int, int] = {}
    wanted = set(ids)
    for mid, variant in await session.execute(
        select(ExperimentAssignment.member_id, ExperimentAssignment.variant).where(
            ExperimentAssignment.experiment_id == exp.id
        )
    ):
        v = by_name.get(variant)
        if mid in wanted and v is not None:
            hour = send_hour(v.params)
            if hour is not None:
                out[mid] = hour
    return out


def send_hour(params: dict[str, Any]) -> int | None:
    try:
        h = int(params["send_hour"])
    except (KeyError, TypeError, ValueError):
        return None
    return h if 0 <= h <= 23 else None


def section_order(params: dict[str, Any], default: Sequence[str]) -> tuple[str, ...]:
    """Sections named by ``order`` first (in that order), then the others as usual."""
    raw = str(params.get("order") or "")
    first = [s for s in re.split(r"[|/+>\s]+", raw.lower()) if s in default]
    return tuple(dict.fromkeys([*first, *default]))


def compact(params: dict[str, Any]) -> bool:
    return str(params.get("layout") or "").lower() == "compact"


def strategy(params: dict[str, Any]) -> str:
    s = str(params.get("strategy") or "hybrid").lower()
    return s if s in STRATEGIES else "hybrid"


def content_weight(params: dict[str, Any]) -> float:
    try:
        w = float(params.get("content_weight", 0.0))
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, min(5.0, w))
