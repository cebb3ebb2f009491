"""Periodic jobs declared by features; the scheduler (or the demo's /clock) runs them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from core.replies import AnyReply

if TYPE_CHECKING:
    from core.context import Services

JobFn = Callable[["Services"], Awaitable[list[AnyReply]]]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    fn: JobFn


JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, every: timedelta) -> Callable[[JobFn], JobFn]:
    def deco(fn: JobFn) -> JobFn:
        JOBS[name] = PeriodicJob(name, every, fn)
        return fn

    return deco


async def run_all(services: Services) -> list[AnyReply]:
    """Run every job once (the demo's clock jump and tests use this)."""
    out: list[AnyReply] = []
    for job in sorted(JOBS.values(), key=lambda j: j.name):
        out.extend(await job.fn(services))
    return out
