"""The scheduled retrain: on the configured interval, audited, and a failed training keeps
the last good model serving (FrozenClock drives time)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.jobs import JOBS
from core.recommend import jobs
from core.recommend.encoders import HashingEncoder
from core.recommend.hybrid import HybridConfig, HybridModel
from core.recommend.service import SERVICE_KEY, RecommendService
from models.audit import AuditLog
from models.catalog import Course
from models.interaction import Interaction
from models.member import Member


async def _audit(db) -> list[tuple[str, str]]:
    async with db.session() as s:
        rows = await s.execute(
            select(AuditLog.action, AuditLog.reason)
            .where(AuditLog.action.like("recommend.retrain%"))
            .order_by(AuditLog.id)
        )
        return [(a, r) for a, r in rows]


async def _interaction(db, clock, member_id: int, course_id: int) -> None:
    async with db.session() as s, s.begin():
        s.add(
            Interaction(
                member_id=member_id,
                course_id=course_id,
                kind="course_complete",
                weight=5.0,
                at=clock.now() - timedelta(hours=1),
            )
        )


async def test_retrain_runs_on_its_interval_and_a_failure_keeps_the_last_model(
    app, db, clock, tmp_path, monkeypatch
):
    services = app.services
    job = JOBS["recommend.retrain"]
    assert await job.fn(services) == []  # no service in this process yet: nothing to do
    cfg = HybridConfig(dim=8, epochs=5, batch_size=16, seed=0, threads=1)
    svc = RecommendService(HashingEncoder(32), tmp_path / "models", cfg)
    services.extras[SERVICE_KEY] = svc
    monkeypatch.setattr(services.settings, "recommend_retrain_hours", 12.0)
    async with db.session() as s, s.begin():
        courses = [
            Course(slug=f"c{i}", title=f"C{i}", tags=["sql"], created_at=clock.now())
            for i in range(4)
        ]
        members = [Member(display_name=f"m{i}", created_at=clock.now()) for i in range(3)]
        s.add_all(courses + members)
        await s.flush()
        ids = [(m.id, c.id) for m, c in zip(members, courses, strict=False)]
    for mid, cid in ids:
        await _interaction(db, clock, mid, cid)

    await job.fn(services)  # no model yet: trains
    first = svc.artifact
    assert first is not None and first.version != "memory"
    assert await _audit(db) == [("recommend.retrain", "")]

    clock.advance(hours=11)
    await job.fn(services)  # within the interval: nothing
    assert svc.artifact is first and len(await _audit(db)) == 1

    clock.advance(hours=2)  # 13 h: due, and training breaks
    await _interaction(db, clock, ids[0][0], ids[1][1])

    def broken(self, data):  # type: ignore[no-untyped-def]
        raise RuntimeError("injected: out of memory")

    monkeypatch.setattr(HybridModel, "fit", broken)
    await job.fn(services)
    assert svc.artifact is first  # the last good model keeps serving
    assert await _audit(db) == [
        ("recommend.retrain", ""),
        ("recommend.retrain_failed", "RuntimeError: injected: out of memory"),
    ]
    async with db.session() as s:
        assert await svc.recommend_for(s, ids[2][0], 2, clock.now())  # still answers

    clock.advance(minutes=15)
    await job.fn(services)  # a failure is retried after RETRY_AFTER, not every tick
    assert len(await _audit(db)) == 2

    monkeypatch.undo()
    monkeypatch.setattr(services.settings, "recommend_retrain_hours", 12.0)
    clock.advance(hours=1)
    await job.fn(services)
    assert svc.artifact is not first and svc.artifact.version != first.version
    assert [a for a, _ in await _audit(db)][-1] == "recommend.retrain"


def test_zero_hours_turns_scheduled_retraining_off(app, monkeypatch):
    monkeypatch.setattr(app.services.settings, "recommend_retrain_hours", 0)
    assert jobs.interval(app.services) is None
    assert not jobs.due(app.services, app.services.clock.now())


@pytest.mark.parametrize("hours", [6, 24])
def test_the_interval_comes_from_settings(app, monkeypatch, hours):
    monkeypatch.setattr(app.services.settings, "recommend_retrain_hours", hours)
    assert jobs.interval(app.services) == timedelta(hours=hours)
