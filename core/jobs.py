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


async def run_and_deliver(services: Services, job: PeriodicJob) -> int:
    """Run one job and hand its replies (DMs, invites, removals) to the reply sink.

    The composition root installs the sink (bot/delivery.py); without one (tests of a bare
    core) the replies are returned to nobody, so we log how many were dropped."""
    import logging

    replies = await job.fn(services)
    sink = services.extras.get("reply_sink")
    if replies and sink is not None:
        await sink(replies)
    elif replies:
        logging.getLogger("syllabot.jobs").warning(
            "job %s produced %d replies and no reply sink is installed", job.name, len(replies)
        )
    return len(replies)
