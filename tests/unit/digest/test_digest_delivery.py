"""Compose and send exactly once: crashes, two workers, 429s, blocked bots, opt-out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from digest_helpers import RecordingDeliverer, add_course, add_member, lessons_done, make_services
from sqlalchemy import func, select

from core.digest.compose import compose_due
from core.digest.delivery import drain
from core.digest.outbox import claim, enqueue
from core.digest.providers import SECTIONS, register_section
from core.digest.ratelimit import RateLimiter
from core.ports import SendOutcome
from models.audit import AuditLog
from models.db import make_engine
from models.digest import Digest, Outbox
from models.member import Member


class SimTime:
    """Limiter clock for tests: sleeping advances it instantly."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, dt: float) -> None:
        self.t += dt


def limiter() -> RateLimiter:
    st = SimTime()
    return RateLimiter(monotonic=st.monotonic, sleep=st.sleep)


async def seed(services, clock, n=3, **prefs):
    async with services.session_factory() as s, s.begin():
        await add_course(s, "intro-sql", clock.now())
        await add_course(s, "sql-joins", clock.now())
        ids = [(await add_member(s, f"m{i}", clock.now(), **prefs)).id for i in range(n)]
    return ids


async def send_all(services, fake, **kw):
    return await drain(services, senders={"telegram": fake}, rate_limiter=limiter(), **kw)


async def count(services, model, *where):
    async with services.session_factory() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_composed_once_per_period_and_sent_once(services, clock, fake_telegram):
    await seed(services, clock, n=3)  # daily at 09:00 UTC; the clock is Monday 09:00
    first = await compose_due(services)
    assert (first.composed, first.queued) == (3, 3)
    again = await compose_due(services)
    assert again.composed == 0 and again.skipped == 3
    await send_all(services, fake_telegram)
    await send_all(services, fake_telegram)
    assert sorted(t for t, _ in fake_telegram.sent) == ["c-m0", "c-m1", "c-m2"]
    text = fake_telegram.sent[0][1]["text"]
    assert "Intro Sql" in text and "sql" in text  # a suggestion with its explanation
    assert len(fake_telegram.sent[0][1]["buttons"]) == 2  # one row (open/👍/👎/🚫) per item
    assert await count(services, Digest, Digest.status == "sent") == 3
    clock.advance(days=1)  # next day: a new period
    assert (await compose_due(services)).composed == 3


async def test_crash_during_compose_then_restart_neither_loses_nor_duplicates(
    db, services, clock, fake_telegram
):
    await seed(services, clock, n=6)
    stuck = asyncio.Event()
    calls = {"n": 0}

    async def hang_on_fourth(session, member, now, locale):
        calls["n"] += 1
        if calls["n"] == 4:
            stuck.set()
            await asyncio.Event().wait()  # the process dies here
        return []

    register_section("zz_test_hang", hang_on_fourth)
    try:
        task = asyncio.create_task(compose_due(services, chunk=2))
        await stuck.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        SECTIONS.pop("zz_test_hang", None)
    # whatever survived the crash is whole: each digest row has its outbox row, m3 (being
    # composed when the process died) has neither
    async with services.session_factory() as s:
        pairs = (
            await s.execute(
                select(Digest.member_id, Outbox.member_id).outerjoin(
                    Outbox, Outbox.payload["digest_id"].as_integer() == Digest.id
                )
            )
        ).all()
    assert pairs and all(d == o for d, o in pairs)
    assert len(pairs) < 4
    # "restart": a fresh engine and services on the same database
    engine = make_engine(db.url)
    try:
        restarted = make_services(db, clock, engine)
        assert (await compose_due(restarted)).composed == 6 - len(pairs)
        await drain(restarted, senders={"telegram": fake_telegram}, rate_limiter=limiter())
    finally:
        await engine.dispose()
    assert sorted(t for t, _ in fake_telegram.sent) == [f"c-m{i}" for i in range(6)]


async def test_worker_dying_after_claim_leaves_rows_for_the_next(services, clock, fake_telegram):
    await seed(services, clock, n=4)
    await compose_due(services)
    taken = await claim(
        services.session_factory, now=clock.now(), worker="dead", platforms=["telegram"]
    )
    assert len(taken) == 4  # claimed, then the worker vanished without sending
    assert (await send_all(services, fake_telegram)).sent == 0  # lease still held
    clock.advance(minutes=6)
    assert (await send_all(services, fake_telegram)).sent == 4
    assert len(fake_telegram.sent) == 4


async def test_two_workers_on_two_engines_send_each_message_once(db, clock):
    a_engine, b_engine = make_engine(db.url), make_engine(db.url)
    try:
        a, b = make_services(db, clock, a_engine), make_services(db, clock, b_engine)
        await seed(a, clock, n=30)
        await compose_due(a)
        fake = RecordingDeliverer()

        async def slow_deliver(target, payload, _orig=fake.deliver):
            await asyncio.sleep(0)  # let the other worker interleave
            return await _orig(target, payload)

        fake.deliver = slow_deliver  # type: ignore[method-assign]
        ra, rb = await asyncio.gather(
            drain(a, worker="A", batch=5, senders={"telegram": fake}, rate_limiter=limiter()),
            drain(b, worker="B", batch=5, senders={"telegram": fake}, rate_limiter=limiter()),
        )
        targets = [t for t, _ in fake.sent]
        assert len(targets) == 30 and len(set(targets)) == 30
        assert ra.sent + rb.sent == 30
    finally:
        await a_engine.dispose()
        await b_engine.dispose()


async def test_429_waits_retry_after_then_sends_once(services, clock, fake_telegram):
    await seed(services, clock, n=1)
    await compose_due(services)
    fake_telegram.script["c-m0"] = [SendOutcome("retry", retry_after=7, error="429")]
    report = await send_all(services, fake_telegram)
    assert report.retried == 1 and fake_telegram.sent == []
    clock.advance(seconds=5)
    assert (await send_all(services, fake_telegram)).sent == 0  # retry_after not over
    clock.advance(seconds=3)
    assert (await send_all(services, fake_telegram)).sent == 1
    assert len(fake_telegram.sent) == 1
    async with services.session_factory() as s:
        row = (await s.execute(select(Outbox))).scalar_one()
        assert (row.status, row.attempts) == ("sent", 2)


async def test_transient_errors_back_off_then_give_up(services, clock, fake_telegram):
    await seed(services, clock, n=1)
    await compose_due(services)
    fake_telegram.script["c-m0"] = [SendOutcome("retry", error="502")] * 20
    for _ in range(8):
        await send_all(services, fake_telegram)
        clock.advance(hours=2)
    async with services.session_factory() as s:
        row = (await s.execute(select(Outbox))).scalar_one()
        assert row.status == "dead" and row.attempts == 8
        assert (await s.execute(select(Digest.status))).scalar_one() == "failed"


async def test_403_marks_member_unreachable_and_stops_digests(services, clock, fake_telegram):
    ids = await seed(services, clock, n=2)
    await compose_due(services)
    fake_telegram.script["c-m0"] = [SendOutcome("unreachable", error="403 bot was blocked")]
    report = await send_all(services, fake_telegram)
    assert report.unreachable == 1 and report.sent == 1
    async with services.session_factory() as s:
        assert (await s.get(Member, ids[0])).reachable is False
        assert (await s.get(Member, ids[1])).reachable is True
        assert (
            await s.execute(select(AuditLog.action).where(AuditLog.target == f"member:{ids[0]}"))
        ).scalar_one() == "member.unreachable"
    clock.advance(days=1)
    assert (await compose_due(services)).composed == 1  # only the reachable member


async def test_opt_out_mid_period_cancels_the_queued_digest(app, services, clock, fake_telegram):
    from core.events import Actor, Chat, Command

    ids = await seed(services, clock, n=2)
    await compose_due(services)
    # m0 turns digests off through the chat command after composition, before sending
    out = await app.router.dispatch(
        Command(
            Actor("telegram", "u-m0"), Chat("telegram", "c-m0"), "opt-1", name="digest", args="off"
        )
    )
    assert "off" in out[0].text
    report = await send_all(services, fake_telegram)
    assert [t for t, _ in fake_telegram.sent] == ["c-m1"]
    assert report.sent == 1
    assert await count(services, Outbox, Outbox.status == "cancelled") == 1
    async with services.session_factory() as s:
        assert (await s.get(Member, ids[0])).digest_frequency == "off"


async def test_enqueue_is_idempotent_on_dedupe_key(services, clock):
    ids = await seed(services, clock, n=1)
    for _ in range(2):
        async with services.session_factory() as s, s.begin():
            row = await enqueue(
                s,
                member_id=ids[0],
                payload={"text": "Event tonight"},
                dedupe_key="broadcast:1:" + str(ids[0]),
                not_before=clock.now(),
            )
            assert row is not None and (row.platform, row.target) == ("telegram", "c-m0")
    assert await count(services, Outbox) == 1


async def test_progress_nudge_and_open_question_in_member_language(services, clock, fake_telegram):
    from models.catalog import Tag
    from models.qa import Question

    async with services.session_factory() as s, s.begin():
        c = await add_course(s, "sql-joins", clock.now(), lessons=4)
        m = await add_member(s, "li", clock.now(), locale="zh-CN", tags=("sql", "databases"))
        other = await add_member(s, "asker", clock.now(), frequency="off")
        s.add(Tag(slug="databases", title="Databases", title_zh="数据库"))
        await lessons_done(s, m, c, 2, clock.now(), weight=3)
        s.add(
            Question(
                member_id=other.id,
                text="怎么写 LEFT JOIN?",
                tags=["databases"],
                status="open",
                lang="zh",
                created_at=clock.now(),
            )
        )
    await compose_due(services)
    await send_all(services, fake_telegram)
    ((target, payload),) = fake_telegram.sent
    assert target == "c-li"
    assert "还剩 2 课" in payload["text"]
    assert "LEFT JOIN" in payload["text"] and "你可以回答的问题" in payload["text"]
    assert "LEFT JOIN? — 关于数据库" in payload["text"]  # the topic's name, not its slug


async def test_a_question_is_suggested_to_members_who_read_its_language(
    services, clock, fake_telegram
):
    """A Chinese question goes in the digests of members who read Chinese (their language,
    or one they have answered in before), not in an English-only member's; the same rule
    ranks the experts a thread invites."""
    from models.qa import Answer, Question

    async with services.session_factory() as s, s.begin():
        await add_course(s, "sql-joins", clock.now(), lessons=2)
        await add_member(s, "li", clock.now(), locale="zh-CN")
        await add_member(s, "ann", clock.now(), locale="en")
        ben = await add_member(s, "ben", clock.now(), locale="en")
        asker = await add_member(s, "asker", clock.now(), frequency="off")
        done = Question(
            member_id=asker.id,
            text="索引为什么没有生效？",
            tags=["sql"],
            status="solved",
            lang="zh",
            created_at=clock.now() - timedelta(days=3),
        )
        s.add(done)
        await s.flush()
        s.add(
            Answer(
                question_id=done.id, member_id=ben.id, text="看执行计划。", created_at=clock.now()
            )
        )
        for text, lang in (("怎么写 LEFT JOIN？", "zh"), ("Why is my GROUP BY slow?", "en")):
            s.add(
                Question(
                    member_id=asker.id,
                    text=text,
                    tags=["sql"],
                    status="open",
                    lang=lang,
                    created_at=clock.now(),
                )
            )
    await compose_due(services)
    await send_all(services, fake_telegram)
    sent = {target: payload["text"] for target, payload in fake_telegram.sent}
    assert "LEFT JOIN" in sent["c-li"] and "GROUP BY" not in sent["c-li"]
    assert "GROUP BY" in sent["c-ann"] and "LEFT JOIN" not in sent["c-ann"]
    assert "LEFT JOIN" in sent["c-ben"] and "GROUP BY" in sent["c-ben"]


async def test_recommender_failure_falls_back_and_digest_still_goes(services, clock, fake_telegram):
    class Broken:
        async def recommend_for(self, session, member, k, locale):
            raise RuntimeError("model file missing")

        async def peers_for(self, session, member, k, locale):
            raise RuntimeError("model file missing")

    services.extras["digest.recommender"] = Broken()
    await seed(services, clock, n=1)
    assert (await compose_due(services)).queued == 1
    await send_all(services, fake_telegram)
    ((_, payload),) = fake_telegram.sent
    assert "Intro Sql" in payload["text"]


async def test_injected_recommender_items_and_explanations_are_used(services, clock, fake_telegram):
    from core.digest.providers import Item

    class Model:
        async def recommend_for(self, session, member, k, locale):
            return [Item("course", 1, "Intro Sql", "because you finished SQL Basics")]

        async def peers_for(self, session, member, k, locale):
            return []

    services.extras["digest.recommender"] = Model()
    await seed(services, clock, n=1)
    await compose_due(services)
    await send_all(services, fake_telegram)
    ((_, payload),) = fake_telegram.sent
    assert "Intro Sql — because you finished SQL Basics" in payload["text"]
    assert "Sql Joins" not in payload["text"]


async def test_blocked_member_who_starts_again_gets_digests_again(
    app, services, clock, fake_telegram
):
    from core.events import Actor, Chat, Command

    ids = await seed(services, clock, n=1)
    await compose_due(services)
    fake_telegram.script["c-m0"] = [SendOutcome("unreachable", error="403 bot was blocked")]
    await send_all(services, fake_telegram)
    clock.advance(days=1)
    assert (await compose_due(services)).composed == 0
    await app.router.dispatch(
        Command(Actor("telegram", "u-m0"), Chat("telegram", "c-m0"), "back-1", name="start")
    )
    async with services.session_factory() as s:
        assert (await s.get(Member, ids[0])).reachable is True
    assert (await compose_due(services)).queued == 1
    await send_all(services, fake_telegram)
    assert [t for t, _ in fake_telegram.sent] == ["c-m0"]


async def test_recommend_service_adapter_renders_ids_and_i18n_explanations(services, clock):
    from dataclasses import dataclass, field
    from types import SimpleNamespace

    from core.digest.providers import RecommendServiceAdapter

    @dataclass(frozen=True)
    class Explanation:  # the recommender's shape: an i18n key and its parameters
        key: str
        params: dict = field(default_factory=dict)

        def english(self):
            return "because you finished " + self.params["title"]

    calls = []

    async def recommend_for(session, member_id, k):
        calls.append((member_id, k))
        return [
            SimpleNamespace(
                course_id=1, explanation=Explanation("recommend.why_finished", {"title": "SQL 101"})
            )
        ]

    ids = await seed(services, clock, n=1)
    adapter = RecommendServiceAdapter(SimpleNamespace(recommend_for=recommend_for), services)
    async with services.session_factory() as s:
        member = await s.get(Member, ids[0])
        items = await adapter.recommend_for(s, member, 3, "en")
    assert calls == [(ids[0], 3)]
    assert [(i.ref, i.title, i.url) for i in items] == [
        (1, "Intro Sql", "https://example.org/intro-sql")
    ]
    assert "SQL 101" in items[0].reason


async def test_worker_dying_inside_the_platform_call_resends_with_the_same_nonce(
    services, clock, fake_telegram
):
    from core.digest.outbox import mark_inflight, nonce_for

    ids = await seed(services, clock, n=1)
    await compose_due(services)
    (row,) = await claim(
        services.session_factory, now=clock.now(), worker="dying", platforms=["telegram"]
    )
    async with services.session_factory() as s, s.begin():
        assert await mark_inflight(s, row)  # ... and the process died during the HTTP call
    clock.advance(minutes=6)
    assert (await send_all(services, fake_telegram)).sent == 1
    ((_, payload),) = fake_telegram.sent
    # the retry carries the nonce the first try had: Discord (enforce_nonce) drops a duplicate
    assert payload["nonce"] == row.payload["nonce"] == nonce_for(f"digest:{ids[0]}:d:2026-03-02")


async def test_a_delayed_digest_waits_out_quiet_hours(services, clock, fake_telegram):
    await seed(services, clock, n=1, quiet_start=10, quiet_end=12)  # due 09:00 UTC
    await compose_due(services)
    fake_telegram.script["c-m0"] = [SendOutcome("retry", retry_after=3600, error="429")]
    await send_all(services, fake_telegram)
    clock.advance(hours=1, seconds=1)  # 10:00:01: retry_after over, but quiet hours began
    assert (await send_all(services, fake_telegram)).sent == 0
    async with services.session_factory() as s:
        row = (await s.execute(select(Outbox))).scalar_one()
        assert row.not_before == clock.now().replace(hour=12, minute=0, second=0)
        assert row.attempts == 1  # waiting for quiet hours is not a failed attempt
    clock.advance(hours=2)
    assert (await send_all(services, fake_telegram)).sent == 1


async def test_an_announcement_in_quiet_hours_goes_now_without_a_sound(
    services, clock, fake_telegram
):
    """A broadcast is not held like a digest; in the member's quiet hours (08-12 here, and
    it is 09:00) it arrives silently, and outside them with the usual notification."""
    quiet, awake = await seed(services, clock, n=2)
    async with services.session_factory() as s, s.begin():
        night_owl = await s.get(Member, quiet)
        night_owl.quiet_start, night_owl.quiet_end = 8, 12
        for mid in (quiet, awake):
            await enqueue(
                s,
                member_id=mid,
                payload={"text": "Live Q&A tonight at 19:00"},
                dedupe_key=f"broadcast:1:{mid}",
                not_before=clock.now(),
            )
    assert (await send_all(services, fake_telegram)).sent == 2
    silent = {target: bool(p.get("silent")) for target, p in fake_telegram.sent}
    assert silent == {"c-m0": True, "c-m1": False}
    async with services.session_factory() as s:  # the stored message itself is unchanged
        rows = (await s.execute(select(Outbox))).scalars().all()
        assert all("silent" not in r.payload for r in rows)


async def test_finished_outbox_rows_are_purged_after_a_month(services, clock, fake_telegram):
    from core.digest.outbox import purge_done

    await seed(services, clock, n=2)
    await compose_due(services)
    fake_telegram.script["c-m1"] = [SendOutcome("retry", retry_after=10**7, error="429")]
    await send_all(services, fake_telegram)  # m0 sent, m1 still pending
    clock.advance(days=31)
    async with services.session_factory() as s, s.begin():
        assert await purge_done(s, clock.now()) == 1
    assert await count(services, Outbox) == 1  # the pending one stays
    assert await count(services, Digest) == 2  # history for /digest stats stays


async def test_digest_with_the_real_recommender_service(services, clock, fake_telegram):
    """core/recommend/service.py behind the seam: its suggestions and explanations arrive."""
    import importlib

    pytest.importorskip("core.recommend.service")
    from core.digest.providers import RecommendServiceAdapter
    from core.recommend.encoders import HashingEncoder
    from models.interaction import Interaction

    services.extras["recommend.encoder"] = HashingEncoder()
    services.extras["digest.recommender"] = RecommendServiceAdapter(
        importlib.import_module("core.recommend.service"), services
    )
    ids = await seed(services, clock, n=4)
    async with services.session_factory() as s, s.begin():
        for mid in ids[1:]:  # the others liked intro-sql
            s.add(
                Interaction(
                    member_id=mid,
                    course_id=1,
                    kind="course_complete",
                    weight=5.0,
                    at=clock.now() - timedelta(days=2),
                    source="chat",
                    meta={},
                )
            )
    assert (await compose_due(services)).queued == 4
    await send_all(services, fake_telegram)
    text = dict(fake_telegram.sent)["c-m0"]["text"]
    assert "Suggested for you" in text and ("Intro Sql" in text or "Sql Joins" in text)
    line = next(x for x in text.splitlines() if x.startswith("1. "))
    assert " — " in line  # every suggestion carries its explanation


async def test_a_bounded_run_defers_the_rest_to_the_next_run(services, clock, fake_telegram):
    await seed(services, clock, n=5)
    first = await compose_due(services, max_members=3)
    assert (first.composed, first.deferred) == (3, 2)
    second = await compose_due(services, max_members=3)
    assert (second.composed, second.deferred, second.skipped) == (2, 0, 3)
    await send_all(services, fake_telegram)
    assert sorted(t for t, _ in fake_telegram.sent) == [f"c-m{i}" for i in range(5)]


async def test_a_digest_late_from_downtime_goes_only_to_those_who_were_members_then(
    services, clock
):
    """A newcomer got last Monday's weekly digest five minutes after the interview, at
    midnight, while /digest had just said the next one was the coming Monday."""
    (old,) = await seed(services, clock, n=1)  # daily at 09:00; the clock is Monday 09:00
    clock.advance(hours=3)  # the bot was down at 09:00: the digest is still due, late
    async with services.session_factory() as s, s.begin():
        new = (await add_member(s, "newcomer", clock.now())).id
    report = await compose_due(services)
    assert report.composed == 1
    async with services.session_factory() as s:
        assert (await s.execute(select(Digest.member_id))).scalars().all() == [old]
    clock.advance(days=1)  # the next period is the newcomer's too
    assert (await compose_due(services)).composed == 2
    async with services.session_factory() as s:
        got = (await s.execute(select(Digest.member_id))).scalars().all()
    assert sorted(got) == sorted([old, old, new])
