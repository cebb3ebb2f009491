"""The streak shows in the member's digest (and only when there is one worth showing)."""

from __future__ import annotations

from datetime import timedelta

from core.digest.compose import render
from core.digest.providers import SECTIONS
from core.router import load_features
from models.interaction import Interaction
from models.member import Member


async def test_digest_shows_a_running_streak_without_buttons(app, db, clock):
    load_features()
    now = clock.now()
    async with db.session() as s, s.begin():
        m = Member(display_name="Sam", created_at=now - timedelta(days=30), tags=[], prefs={})
        s.add(m)
        await s.flush()
        for d in range(4):
            s.add(
                Interaction(
                    member_id=m.id,
                    kind="lesson_complete",
                    weight=3.0,
                    at=now - timedelta(days=d, hours=1),
                    meta={},
                )
            )
    async with db.session() as s:
        member = await s.get(Member, m.id)
        items = await SECTIONS["streak"](s, member, now, "en")
        assert len(items) == 1 and "4 learning days in a row" in items[0].title
        out = render(app.services, member, list(items), 1, "en")
        assert "🔥 Your streak" in out.text and out.buttons == []
        zh = await SECTIONS["streak"](s, member, now, "zh-CN")
        assert "已连续学习 4 天" in zh[0].title


async def test_no_streak_line_for_a_member_without_one(app, db, clock):
    load_features()
    async with db.session() as s, s.begin():
        m = Member(display_name="New", created_at=clock.now(), tags=[], prefs={})
        s.add(m)
    async with db.session() as s:
        assert await SECTIONS["streak"](s, await s.get(Member, m.id), clock.now(), "en") == []
