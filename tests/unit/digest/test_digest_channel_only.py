"""Members whose cohort digest goes to a channel only (`personal = false`) get no personal
digest composed at all; members who also belong to a cohort keeping DMs still get theirs."""

from __future__ import annotations

from digest_helpers import add_course, add_member
from sqlalchemy import func, select

from config.settings import load_settings
from core.digest.compose import compose_due
from models.digest import Digest, Outbox
from models.experiments import Exposure


def _channels(services, *channels: dict) -> None:
    services.settings = load_settings(
        None,
        database_url=services.settings.database_url,
        secret_key="test-secret",
        digest_channels=list(channels),
    )


async def _world(services, clock) -> dict[str, int]:
    now = clock.now()
    async with services.session_factory() as s, s.begin():
        await add_course(s, "intro-sql", now)
        return {
            name: (await add_member(s, name, now, locale=locale)).id
            for name, locale in [("ann", "en"), ("bob", "en"), ("li", "zh-CN"), ("wu", "zh-CN")]
        }


async def _composed(services) -> set[int]:
    async with services.session_factory() as s:
        return set((await s.execute(select(Digest.member_id))).scalars())


async def test_channel_only_members_get_no_personal_digest(services, clock):
    _channels(services, {"name": "en-all", "channel_id": 1, "locale": "en", "personal": False})
    ids = await _world(services, clock)
    report = await compose_due(services)
    assert (report.due, report.channel_only, report.queued) == (4, 2, 2)
    assert await _composed(services) == {ids["li"], ids["wu"]}
    async with services.session_factory() as s:
        targets = set((await s.execute(select(Outbox.target))).scalars())
        exposed = set((await s.execute(select(Exposure.member_id))).scalars())
        assert (await s.execute(select(func.count()).select_from(Digest))).scalar_one() == 2
    assert targets == {"c-li", "c-wu"}
    assert not exposed & {ids["ann"], ids["bob"]}  # nothing logged as shown to them
    again = await compose_due(services)  # a later run does not compose them either
    assert (again.channel_only, again.queued, again.skipped) == (2, 0, 2)


async def test_a_cohort_that_keeps_personal_digests_wins(services, clock):
    _channels(
        services,
        {"name": "all", "channel_id": 1, "personal": False},
        {"name": "zh", "channel_id": 2, "locale": "zh-CN", "personal": True},
    )
    ids = await _world(services, clock)
    report = await compose_due(services)
    assert (report.channel_only, report.queued) == (2, 2)
    assert await _composed(services) == {ids["li"], ids["wu"]}


async def test_without_channel_only_cohorts_everyone_is_composed(services, clock):
    _channels(services, {"name": "en-all", "channel_id": 1, "locale": "en", "personal": True})
    ids = await _world(services, clock)
    report = await compose_due(services)
    assert (report.channel_only, report.queued) == (0, 4)
    assert await _composed(services) == set(ids.values())
