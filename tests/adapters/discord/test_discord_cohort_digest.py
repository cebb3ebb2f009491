"""Cohort digests: one post per cohort and period to its Discord channel, checked against
the OpenAPI spec; members whose cohort is channel-only get no personal DM digest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dc_payloads as P
import pytest
from sqlalchemy import select

from config.settings import Settings
from core.digest.cohorts import compose_cohorts
from core.digest.delivery import drain
from core.digest.outbox import enqueue
from core.digest.ratelimit import RateLimiter
from core.events import Actor
from core.members import resolve
from models.catalog import Course
from models.digest import Outbox
from models.interaction import Interaction
from models.membership import Plan, Subscription

MESSAGES = "POST /channels/{channel_id}/messages"
ZH_THREAD = 1200000000000000099  # a thread is a channel to Discord: posted to the same route


@pytest.fixture
def settings(settings: Settings) -> Settings:
    from config.settings import DigestChannelConfig

    return settings.model_copy(
        update={
            "digest_channels": [
                DigestChannelConfig(
                    name="pro", channel_id=P.GENERAL_CHANNEL, plan="pro", personal=False
                ),
                DigestChannelConfig(
                    name="zh", channel_id=ZH_THREAD, locale="zh-CN", frequency="daily", hour=9
                ),
            ]
        }
    )


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def _world(app: Any) -> dict[str, int]:
    """Pat pays for Pro and opened the SQL course this week; Lin reads Chinese, no plan."""
    now = app.services.clock.now()
    async with app.services.session_factory() as s, s.begin():
        clock, secret = app.services.clock, "test"
        pat, _ = await resolve(s, clock, Actor("discord", "6001", "Pat"), secret=secret)
        lin, _ = await resolve(
            s, clock, Actor("discord", "6002", "Lin", locale="zh-CN"), secret=secret
        )
        sql = Course(
            slug="sql",
            title="SQL joins",
            title_zh="SQL 连接",
            url="https://ex.org/sql",
            created_at=now,
        )
        py = Course(
            slug="py",
            title="Python basics",
            title_zh="Python 入门",
            url="https://ex.org/py",
            created_at=now,
        )
        s.add_all([sql, py])
        await s.flush()
        pro = (await s.execute(select(Plan).where(Plan.code == "pro"))).scalar_one()
        s.add(
            Subscription(
                member_id=pat.id,
                plan_id=pro.id,
                state="active",
                started_at=now - timedelta(days=3),
                current_period_end=now + timedelta(days=27),
                updated_at=now,
            )
        )
        for _ in range(2):
            s.add(
                Interaction(
                    member_id=pat.id, course_id=sql.id, kind="open", at=now - timedelta(days=1)
                )
            )
        ids = {"pat": pat.id, "lin": lin.id}
    async with app.services.session_factory() as s, s.begin():
        for who, mid in ids.items():  # what compose_due queues for each member
            await enqueue(
                s,
                member_id=mid,
                payload={"text": f"{who}'s own digest"},
                dedupe_key=f"digest:{mid}:w10",
                not_before=now,
            )
        await enqueue(
            s,
            member_id=ids["pat"],
            payload={"text": "Your plan renews soon"},
            dedupe_key=f"reminder:{ids['pat']}",
            not_before=now,
        )
    return ids


async def test_each_cohort_gets_one_channel_post_and_channel_only_members_no_dm(
    discord_bot, app, db
):
    ids = await _world(app)
    assert await compose_cohorts(app.services) == 2
    assert await compose_cohorts(app.services) == 0  # same period: nothing new
    t = FakeTime()
    report = await drain(
        app.services,
        senders={"discord": app.services.extras["deliverers"]["discord"]},
        rate_limiter=RateLimiter(monotonic=t.monotonic, sleep=t.sleep),
        budget_s=None,
    )
    posts = {
        c.url.split("/channels/")[1].split("/")[0]: c.body for c in discord_bot.wire.find(MESSAGES)
    }
    pro = posts[str(P.GENERAL_CHANNEL)]
    assert "SQL joins" in pro["content"] and "Python basics" not in pro["content"]  # theirs
    link = pro["components"][0]["components"][0]
    assert (link["style"], link["url"]) == (5, "https://ex.org/sql")
    assert "SQL 连接" in posts[str(ZH_THREAD)]["content"]  # nothing opened: the newest
    contents = [b["content"] for b in posts.values()]
    assert "lin's own digest" in contents  # the zh cohort keeps personal digests
    assert "pat's own digest" not in contents  # the pro cohort is channel-only
    assert "Your plan renews soon" in contents  # and only digests are held back
    async with db.session() as s:
        row = (
            await s.execute(select(Outbox).where(Outbox.dedupe_key == f"digest:{ids['pat']}:w10"))
        ).scalar_one()
    assert (row.status, row.last_error) == ("cancelled", "not sent: cohort channel")
    assert report.sent == 4 and report.cancelled == 1
