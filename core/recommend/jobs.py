"""Scheduled retraining of the recommender.

``recommend.retrain`` runs every ``CHECK_EVERY`` in a process that serves recommendations
and retrains when the model is older than
``settings.recommend_retrain_hours`` (0 turns scheduled retraining off; serving still
retrains lazily after the service's TTL). A failed training keeps the last good model
serving (``train_or_keep``) and is retried after ``RETRY_AFTER`` rather than every tick.
Each attempt writes one audit row (``recommend.retrain`` / ``recommend.retrain_failed``)
and one log line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core.audit import audit
from core.jobs import periodic
from core.recommend.service import SERVICE_KEY, RecommendService, get_service
from core.replies import AnyReply

if TYPE_CHECKING:
    from core.context import Services

log = logging.getLogger("syllabot.recommend.jobs")

CHECK_EVERY = timedelta(minutes=15)
RETRY_AFTER = timedelta(hours=1)
STATE_KEY = "recommend.retrain_state"
DEFAULT_HOURS = 24.0


@dataclass
class RetrainState:
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    failures: int = 0


def interval(services: Services) -> timedelta | None:
    hours = float(getattr(services.settings, "recommend_retrain_hours", DEFAULT_HOURS) or 0)
    return timedelta(hours=hours) if hours > 0 else None


def _state(services: Services) -> RetrainState:
    state = services.extras.get(STATE_KEY)
    if not isinstance(state, RetrainState):
        state = RetrainState()
        services.extras[STATE_KEY] = state
    return state


def due(services: Services, now: datetime) -> bool:
    every = interval(services)
    if every is None:
        return False
    state = _state(services)
    svc = get_service(services)
    last_ok = state.last_success
    if last_ok is None and svc.artifact is not None and svc.snapshot is not None:
        last_ok = svc.snapshot.taken_at  # trained on demand before the first scheduled run
    if last_ok is not None and now - last_ok < every:
        return False
    if state.failures and state.last_attempt is not None:
        return now - state.last_attempt >= min(every, RETRY_AFTER)
    return True


async def retrain(services: Services, now: datetime) -> bool:
    """Retrain now; True when a new model serves, False when the previous one was kept."""
    svc = get_service(services)
    state = _state(services)
    state.last_attempt = now
    before = svc.artifact.version if svc.artifact is not None else None
    started = time.perf_counter()
    error: Exception | None
    try:
        async with services.session_factory() as s, s.begin():
            await svc.train(s, now)
        error = svc.last_error
    except Exception as exc:  # noqa: BLE001 - e.g. the snapshot query failed: keep serving
        log.exception("recommender retrain could not load the community")
        error = exc
    seconds = round(time.perf_counter() - started, 2)
    after = svc.artifact.version if svc.artifact is not None else None
    ok = error is None
    if ok:
        state.last_success, state.failures = now, 0
    else:
        state.failures += 1
    async with services.session_factory() as s, s.begin():
        await audit(
            s,
            services.clock,
            actor="system",
            action="recommend.retrain" if ok else "recommend.retrain_failed",
            target=after or "",
            before={"version": before},
            after={"version": after, "seconds": seconds},
            reason="" if ok else f"{type(error).__name__}: {error}"[:500],
        )
    if ok:
        log.info("recommender retrained in %.1fs: version %s (was %s)", seconds, after, before)
    else:
        log.warning(
            "recommender retrain failed after %.1fs (%s); still serving %s", seconds, error, after
        )
    return ok


@periodic("recommend.retrain", every=CHECK_EVERY)
async def retrain_job(services: Services) -> list[AnyReply]:
    """Retrain the model this process serves (a process that never served one, e.g. a
    bare job runner, has nothing to refresh: it trains on first use)."""
    if not isinstance(services.extras.get(SERVICE_KEY), RecommendService):
        return []
    now = services.clock.now()
    if due(services, now):
        await retrain(services, now)
    return []
