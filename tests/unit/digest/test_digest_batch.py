"""Composing many digests asks the recommender once per chunk (recommend_many, peers_many),
with the same suggestions the per-member path gives; a failing batch falls back per member."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

from digest_helpers import add_course, add_member, lessons_done
from sqlalchemy import select

from core.digest.compose import compose_due
from core.digest.providers import RecommendServiceAdapter
from core.recommend.encoders import HashingEncoder
from models.digest import Digest
from models.interaction import Interaction
from models.member import Member
from models.recommend import PeerMatch


class Spy(RecommendServiceAdapter):
    def __init__(self, *a: Any, fail: bool = False, fail_peers: bool = False) -> None:
        super().__init__(*a)
        self.fail, self.fail_peers = fail, fail_peers
        self.calls: dict[str, int] = {"many": 0, "one": 0}
        self.peer_calls: dict[str, int] = {"many": 0, "one": 0}

    async def peers_many(self, session, members, k):  # type: ignore[no-untyped-def]
        self.peer_calls["many"] += 1
        got = await super().peers_many(session, members, k)
        if self.fail_peers:  # after the batch recorded its picks: they must not stay
            raise RuntimeError("peers batch broke")
        return got

    async def peers_for(self, session, member, k, locale):  # type: ignore[no-untyped-def]
        self.peer_calls["one"] += 1
        return await super().peers_for(session, member, k, locale)

    async def recommend_many(self, session, members, k):  # type: ignore[no-untyped-def]
        self.calls["many"] += 1
        if self.fail:
            raise RuntimeError("batch broke")
        return await super().recommend_many(session, members, k)

    async def recommend_for(self, session, member, k, locale):  # type: ignore[no-untyped-def]
        self.calls["one"] += 1
        return await super().recommend_for(session, member, k, locale)


async def _seed(services, clock, peers: bool = False) -> list[int]:
    now = clock.now()
    async with services.session_factory() as s, s.begin():
        courses = [
            await add_course(s, slug, now, tags)
            for slug, tags in [
                ("intro-sql", ("sql",)),
                ("sql-joins", ("sql",)),
                ("sql-indexes", ("sql",)),
                ("python-basics", ("python",)),
                ("python-classes", ("python",)),
                ("design-colour", ("design",)),
            ]
        ]
        ids = []
        for i in range(8):
            tags = ("sql",) if i % 2 else ("python",)
            m = await add_member(
                s,
                f"m{i}",
                now,
                tags=tags,
                locale="zh-CN" if i == 3 else "en",
                peer_opt_in=peers and i != 6,
            )
            ids.append(m.id)
            pool = courses[:3] if i % 2 else courses[3:5]
            s.add(
                Interaction(
                    member_id=m.id,
                    course_id=pool[i % len(pool)].id,
                    kind="course_complete",
                    weight=5.0,
                    at=now - timedelta(days=2),
                    source="chat",
                    meta={},
                )
            )
    return ids


def _wire(services, fail: bool = False, fail_peers: bool = False) -> Spy:
    services.extras["recommend.encoder"] = HashingEncoder()
    mod = importlib.import_module("core.recommend.service")
    spy = Spy(mod, services, fail=fail, fail_peers=fail_peers)
    services.extras["digest.recommender"] = spy
    return spy


async def test_compose_asks_the_recommender_once_per_chunk(services, clock):
    spy = _wire(services)
    ids = await _seed(services, clock)
    report = await compose_due(services, chunk=5)
    assert report.queued == 8
    assert spy.calls == {"many": 2, "one": 0}  # 8 members in chunks of 5
    async with services.session_factory() as s:
        digests = {
            d.member_id: d.content for d in (await s.execute(select(Digest))).scalars().all()
        }
        for mid in ids:
            got = [i for i in digests[mid]["items"] if i["kind"] == "course"]
            one = list(await spy.recommend_for(s, await s.get(Member, mid), 3, "en"))
            # the last slot may explore (epsilon-greedy); the others are the recommender's
            assert [i["ref"] for i in got[:2]] == [i.ref for i in one[:2]]
            assert all(i["reason"] for i in got)


async def test_a_failing_batch_falls_back_to_one_member_at_a_time(services, clock):
    spy = _wire(services, fail=True)
    await _seed(services, clock)
    report = await compose_due(services)
    assert report.queued == 8
    assert spy.calls == {"many": 1, "one": 8}


async def _peer_lines(services) -> tuple[dict[int, list[int]], list[tuple[int, int]]]:
    async with services.session_factory() as s:
        digests = (await s.execute(select(Digest))).scalars().all()
        shown = {
            d.member_id: [i["ref"] for i in d.content["items"] if i["kind"] == "peer"]
            for d in digests
        }
        rows = await s.execute(select(PeerMatch.member_a_id, PeerMatch.member_b_id))
        return shown, sorted((a, b) for a, b in rows)


async def test_study_partners_come_from_one_batch_per_chunk(services, clock):
    spy = _wire(services)
    ids = await _seed(services, clock, peers=True)
    report = await compose_due(services, chunk=5)
    assert report.queued == 8
    assert spy.peer_calls == {"many": 2, "one": 0}
    shown, recorded = await _peer_lines(services)
    assert shown[ids[6]] == []  # not opted in: nobody suggested to them, nor them to anyone
    assert all(ids[6] not in refs for refs in shown.values())
    assert sum(1 for refs in shown.values() if refs) >= 6  # the opted-in ones got a partner
    # each line shown is the suggestion recorded for the member (no pair twice)
    assert sorted((m, p) for m, refs in shown.items() for p in refs) == recorded
    assert len({frozenset(p) for p in recorded}) == len(recorded)


async def test_a_failing_peers_batch_falls_back_and_leaves_no_records(services, clock):
    spy = _wire(services, fail_peers=True)
    await _seed(services, clock, peers=True)
    assert (await compose_due(services)).queued == 8
    assert spy.peer_calls == {"many": 1, "one": 7}
    shown, recorded = await _peer_lines(services)
    # only the per-member path's picks are recorded: the failed batch's were rolled back
    assert sorted((m, p) for m, refs in shown.items() for p in refs) == recorded


async def test_nudges_read_once_per_chunk_match_the_per_member_ones(services, clock):
    from core.digest import providers
    from models.catalog import Lesson

    now = clock.now()
    async with services.session_factory() as s, s.begin():
        courses = [await add_course(s, f"c{i}", now, lessons=3 + i) for i in range(4)]
        lessons = {
            c.id: list(
                (await s.execute(select(Lesson.id).where(Lesson.course_id == c.id))).scalars()
            )
            for c in courses
        }
        members = [
            await add_member(s, f"m{i}", now, locale=("zh-CN", "en")[i % 2]) for i in range(6)
        ]

        def done(m, c, n, kind="lesson_complete"):
            for lid in lessons[c.id][:n] if kind == "lesson_complete" else [None]:
                s.add(
                    Interaction(
                        member_id=m.id,
                        course_id=c.id,
                        lesson_id=lid,
                        kind=kind,
                        weight=1.0,
                        at=now - timedelta(days=1),
                        source="chat",
                        meta={},
                    )
                )

        done(members[0], courses[0], 1)
        done(members[0], courses[1], 2)
        done(members[1], courses[1], 4)  # every lesson done: nothing left to nudge
        done(members[2], courses[2], 2)
        done(members[2], courses[2], 0, kind="course_complete")  # finished: no nudge
        done(members[3], courses[3], 1)
        done(members[3], courses[0], 2)
        done(members[3], courses[2], 3)
    await compose_due(services, chunk=4)
    async with services.session_factory() as s:
        digests = {d.member_id: d.content for d in (await s.execute(select(Digest))).scalars()}
        for m in members:
            got = [i for i in digests[m.id]["items"] if i["kind"] == "nudge"]
            member = await s.get(Member, m.id)
            one = await providers.progress_nudges(s, member, now, digests[m.id]["locale"])
            assert got == [i.as_dict() for i in one]
        nudged = {
            m.id for m in members if any(i["kind"] == "nudge" for i in digests[m.id]["items"])
        }
    assert nudged == {members[0].id, members[3].id}
    assert len([i for i in digests[members[3].id]["items"] if i["kind"] == "nudge"]) == 2


async def test_a_nudge_on_a_course_closed_to_the_member_says_where_to_renew(services, clock):
    """ "Keep going: 2 lessons left" named a course whose plan had ended, and /next then said
    it was closed: the line says so and points to /plans, in the batch as one by one."""
    from core.digest import providers
    from models.membership import Plan, Subscription

    now = clock.now()
    async with services.session_factory() as s, s.begin():
        course = await add_course(s, "paid", now, lessons=4)
        course.plan_codes = ["monthly"]
        plan = Plan(code="monthly", title_en="Monthly", prices={}, targets={})
        s.add(plan)
        pia, lou = await add_member(s, "pia", now), await add_member(s, "lou", now)
        await s.flush()
        for member, ends in ((pia, now + timedelta(days=9)), (lou, now - timedelta(days=2))):
            s.add(
                Subscription(
                    member_id=member.id,
                    plan_id=plan.id,
                    state="active",
                    started_at=now - timedelta(days=30),
                    current_period_end=ends,
                    updated_at=now,
                )
            )
        for member in (pia, lou):
            await lessons_done(s, member, course, 2, now - timedelta(days=1))
    await compose_due(services)
    async with services.session_factory() as s:
        digests = {d.member_id: d.content for d in (await s.execute(select(Digest))).scalars()}
        reasons = {
            mid: [i["reason"] for i in content["items"] if i["kind"] == "nudge"]
            for mid, content in digests.items()
        }
        assert reasons[pia.id] == ["2 lessons left"]
        assert reasons[lou.id] == ["2 lessons left, open again with a plan: /plans"]
        one = await providers.progress_nudges(s, await s.get(Member, lou.id), now, "en")
        assert [i.reason for i in one] == reasons[lou.id]
