"""Study partners for a batch of members (digests) are the ones asking one by one gives,
recorded the same way, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from core.recommend.encoders import HashingEncoder
from core.recommend.service import RecommendService
from models.catalog import Course
from models.interaction import Interaction
from models.member import Member
from models.recommend import PeerMatch

TAGS = ["sql", "python", "stats", "viz", "ml", "design"]
ZONES = ["UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York", "Asia/Kolkata"]


async def _community(db, clock, n: int = 48) -> list[int]:
    rng = random.Random(11)
    now = clock.now()
    async with db.session() as s, s.begin():
        courses = [
            Course(
                slug=f"c{i}", title=f"Course {i}", title_zh=f"课程 {i}", tags=[t], created_at=now
            )
            for i, t in enumerate(TAGS * 2)
        ]
        s.add_all(courses)
        members = [
            Member(
                display_name=f"m{i}",
                created_at=now,
                tags=rng.sample(TAGS, rng.randint(1, 2)),
                prefs={},
                locale="zh-CN" if i % 3 == 1 else "en",
                timezone=rng.choice(ZONES),
                peer_opt_in=i % 6 != 0,
            )
            for i in range(n)
        ]
        s.add_all(members)
        await s.flush()
        for m in members:
            for c in rng.sample(courses, rng.randint(0, 3)):
                kind = rng.choice(["enroll", "course_complete", "view"])
                for _ in range(rng.randint(1, 3)):
                    s.add(
                        Interaction(
                            member_id=m.id,
                            course_id=c.id,
                            kind=kind,
                            weight=1.0,
                            at=now - timedelta(days=rng.randint(1, 20)),
                        )
                    )
        # earlier suggestions: one pair in the window, one older, and a member near the cap
        ids = [m.id for m in members]
        for a, b, days in [(ids[1], ids[2], 3), (ids[3], ids[4], 45)] + [
            (ids[7 + i], ids[5], 1) for i in range(2)
        ]:
            s.add(
                PeerMatch(
                    member_a_id=a,
                    member_b_id=b,
                    score=0.5,
                    reason="x",
                    state="suggested",
                    suggested_at=now - timedelta(days=days),
                )
            )
    return ids


def _svc(tmp_path, name: str) -> RecommendService:
    return RecommendService(HashingEncoder(64), tmp_path / name)


async def _one_by_one(db, clock, tmp_path, ids: list[int]) -> tuple[dict, list]:
    svc = _svc(tmp_path, "one")
    async with db.session() as s:
        await s.begin()
        got = {mid: await svc.peers_for(s, mid, 1, clock.now()) for mid in ids}
        rows = await _matches(s, clock)
        await s.rollback()  # the batch run starts from the same history
    return got, rows


async def _matches(s, clock) -> list:
    q = select(PeerMatch).where(PeerMatch.suggested_at == clock.now()).order_by(PeerMatch.id)
    return [
        (r.member_a_id, r.member_b_id, round(r.score, 12), r.reason)
        for r in (await s.execute(q)).scalars()
    ]


async def test_batch_matches_one_by_one_and_records_the_same(db, clock, tmp_path):
    ids = await _community(db, clock)
    want, want_rows = await _one_by_one(db, clock, tmp_path, ids)
    svc = _svc(tmp_path, "batch")
    async with db.session() as s, s.begin():
        got: dict = {}
        for lo in range(0, len(ids), 10):  # in chunks, as compose_due asks
            got.update(await svc.peers_many(s, ids[lo : lo + 10], 1, clock.now()))
        rows = await _matches(s, clock)
    assert got == want
    assert rows == want_rows
    assert len(rows) > 20  # most opted-in members got a partner
    opted_out = {mid for i, mid in enumerate(ids) if i % 6 == 0}
    assert all(got[mid] == [] for mid in opted_out)
    assert not {a for a, b, _, _ in rows} & opted_out and not {b for _, b, _, _ in rows} & opted_out
    pairs = [frozenset((a, b)) for a, b, _, _ in rows]
    assert len(set(pairs)) == len(pairs) and frozenset((ids[1], ids[2])) not in pairs
    assert Counter(b for _, b, _, _ in rows)[ids[5]] <= 1  # 2 earlier + 1 = the cap of 3
    assert all(p.explanation.key.startswith("recommend.peer_") for v in got.values() for p in v)


async def test_batch_explains_in_the_members_language(db, clock, tmp_path):
    ids = await _community(db, clock)
    async with db.session() as s, s.begin():
        got = await _svc(tmp_path, "batch").peers_many(s, ids, 1, clock.now())
    finished = [
        (mid, p)
        for mid, v in got.items()
        for p in v
        if p.explanation.key == "recommend.peer_finished"
    ]
    zh = {mid for i, mid in enumerate(ids) if i % 3 == 1}
    assert {mid in zh for mid, _ in finished} == {True, False}  # both languages shown
    for mid, p in finished:
        title = p.explanation.params["title"]
        assert title.startswith("课程") if mid in zh else title.startswith("Course")
