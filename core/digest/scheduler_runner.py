"""`syllabot run --role scheduler|all`: the leader runs every `core.jobs` job on APScheduler.

APScheduler 3.x `AsyncIOScheduler` with a `SQLAlchemyJobStore` on the project database, so
the schedule (and each job's next run time) survives restarts. Only the leader (see
leader.py) runs a scheduler; standbys retry the lock every `leader.RETRY` seconds.

The job store can only persist importable callables and plain arguments, so every job is
`run_job(<job name>)`, resolved at run time against this process's `Services` (kept in
`_RUNTIME`, set by `start` and nowhere else).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.settings import Settings
from core.context import Services
from core.digest import leader as leader_mod
from core.digest.delivery import deliverers
from core.jobs import JOBS, run_and_deliver
from models.db import sync_url

log = logging.getLogger("syllabot.digest.scheduler")

JOBSTORE_TABLE = "apscheduler_jobs"
# coalesce=True: every job here is "catch up to now" (compose what is due, drain what is
# queued), so after downtime one run does all the missed runs' work; running it N times in a
# row would only add load. misfire_grace_time=300: a run delayed by a busy event loop or a
# slow start still happens if it is under 5 minutes late; a later one is dropped because the
# next regular run (at most a few minutes away) does the same work.
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "misfire_grace_time": 300, "max_instances": 1}

_RUNTIME: dict[str, Services] = {}


def enabled(settings: Settings) -> bool:
    """The scheduler has no token of its own to wait for: always on for its role."""
    return True


async def run_job(name: str) -> None:
    """What the job store calls: one `core.jobs` job with this process's services."""
    services = _RUNTIME.get("services")
    job = JOBS.get(name)
    if services is None or job is None:
        log.warning("scheduled job %s has nothing to run in this process", name)
        return
    try:
        await run_and_deliver(services, job)
    except Exception:
        log.exception("scheduled job %s failed", name)


def build_scheduler(services: Services, url: str | None = None) -> AsyncIOScheduler:
    """A scheduler whose jobs live in the project database (table `apscheduler_jobs`)."""
    store = SQLAlchemyJobStore(
        url=sync_url(url or services.settings.database_url), tablename=JOBSTORE_TABLE
    )
    sched = AsyncIOScheduler(jobstores={"default": store}, job_defaults=JOB_DEFAULTS, timezone=UTC)
    return sched


def sync_jobs(sched: AsyncIOScheduler) -> None:
    """Make the stored jobs match `core.jobs.JOBS` (call after `start`).

    A job already stored with the same interval keeps its next run time, so a restart neither
    runs everything at once nor pushes every job a full interval later."""
    for job in JOBS.values():
        current = sched.get_job(job.name)
        if current is not None and getattr(current.trigger, "interval", None) == job.every:
            continue
        sched.add_job(
            run_job,
            "interval",
            seconds=job.every.total_seconds(),
            id=job.name,
            name=job.name,
            args=[job.name],
            replace_existing=True,
        )


async def lead(
    services: Services,
    leadership: leader_mod.Leadership,
    *,
    retry_s: float = leader_mod.RETRY,
    url: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    make_scheduler: Callable[[Services, str | None], Any] = build_scheduler,
) -> None:
    """Stand by until we get the lock, then run the scheduler for as long as we hold it."""
    _RUNTIME["services"] = services
    deliverers(services)
    try:
        while True:
            if not await leadership.try_acquire():
                await sleep(retry_s)
                continue
            sched = make_scheduler(services, url)
            sched.start()
            sync_jobs(sched)
            log.info("scheduler started with %d jobs", len(JOBS))
            try:
                while await leadership.still_held():
                    await sleep(retry_s)
            finally:
                sched.shutdown(wait=False)
                log.info("scheduler stopped")
    finally:
        await leadership.release()


async def start(app: Any) -> None:
    """Entry point used by bot/runtime.py; runs until cancelled."""
    await lead(app.services, leader_mod.Leadership(app.engine))
