"""Variant parameters take effect for the members assigned to them, and only for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.digest import providers
from core.digest.compose import compose_due
from core.digest.providers import Item
from core.events import Actor, Chat, Command
from core.experiments import service
from core.experiments.assign import Variant
from core.experiments.variants import section_order
from models.catalog import Course
from models.digest import Digest, Outbox
from models.experiments import ExperimentAssignment
from models.interaction import Interaction
from models.member import Account, Member


def mod(args: str, uid: str) -> Command:
    return Command(
        Actor("telegram", "9000"), Chat("telegram", "9000"), uid, name="experiment", args=args
    )


async def make_members(s, now, n):
    ms = [Member(display_name=f"m{i}", created_at=now, tags=["sql"], prefs={}) for i in range(n)]
    s.add_all(ms)
    await s.flush()
    s.add_all(
        Account(
            member_id=m.id,
            platform="telegram",
            platform_user_id=f"u{m.id}",
            chat_id=f"c{m.id}",
            created_at=now,
        )
        for m in ms
    )
    await s.flush()
    return ms


async def _arms(db, ids) -> dict[int, str]:
    async with db.session() as s:
        rows = await s.execute(select(ExperimentAssignment.member_id, ExperimentAssignment.variant))
        return {m: v for m, v in rows if m in ids}


async def _courses(db, clock, n=4):
    async with db.session() as s, s.begin():
        for i in range(n):
            s.add(
                Course(
                    slug=f"c{i}", title=f"C{i}", tags=["sql"], plan_codes=[], created_at=clock.now()
                )
            )


async def test_compact_layout_and_section_order_only_for_their_arm(
    app, db, clock, monkeypatch: pytest.MonkeyPatch
):
    async def question(session, member, now, locale):
        return [Item("question", 1, "How do joins work?", "about sql")]

    monkeypatch.setitem(providers.SECTIONS, "zz_test_question", question)
    await _courses(db, clock)
    async with db.session() as s, s.begin():
        ms = await make_members(s, clock.now(), 30)
        for m in ms:
            m.digest_frequency, m.digest_hour = "daily", 9
    r = await app.router.dispatch(
        mod(
            "create look digest_click control:50,tight:50:layout=compact;order=question digest",
            "l1",
        )
    )
    assert "running" in r[0].text
    await compose_due(app.services)
    ids = {m.id for m in ms}
    arms = await _arms(db, ids)
    async with db.session() as s:
        texts = {
            m: p["text"]
            for m, p in (await s.execute(select(Outbox.member_id, Outbox.payload))).all()
            if m in ids
        }
    assert set(arms.values()) == {"control", "tight"} and len(texts) == 30
    for mid, text in texts.items():
        lines = text.splitlines()
        q = next(i for i, line in enumerate(lines) if "How do joins work?" in line)
        c = next(i for i, line in enumerate(lines) if line.split(". ", 1)[-1].startswith("C"))
        if arms[mid] == "tight":
            assert "📚 Suggested for you" not in text and " — " not in text
            assert q < c  # questions first
        else:
            assert "📚 Suggested for you" in text and "How do joins work? — about sql" in text
            assert c < q  # the usual order: courses, then questions


def test_section_order_ignores_unknown_names():
    default = ("streak", "course", "peer", "question")
    assert section_order({"order": "question|bogus|peer"}, default) == (
        "question",
        "peer",
        "streak",
        "course",
    )
    assert section_order({}, default) == default


async def test_send_hour_moves_only_the_assigned_members(app, db, clock):
    await _courses(db, clock)
    async with db.session() as s, s.begin():
        ms = await make_members(s, clock.now(), 30)
        for m in ms:
            m.digest_frequency, m.digest_hour, m.timezone = "daily", 9, "UTC"
        await service.create(
            s,
            clock,
            name="hour",
            metric="digest_click",
            variants=[Variant("nine", 50), Variant("evening", 50, {"send_hour": 18})],
            target="digest",
        )
    ids = {m.id for m in ms}
    nine = clock.now().replace(hour=9, minute=5)
    await compose_due(app.services, now=nine)
    arms = await _arms(db, ids)
    assert len(arms) == 30 and set(arms.values()) == {"nine", "evening"}

    async def composed() -> set[int]:
        async with db.session() as s:
            return {m for (m,) in (await s.execute(select(Digest.member_id))).all() if m in ids}

    assert await composed() == {m for m, v in arms.items() if v == "nine"}
    await compose_due(app.services, now=nine.replace(hour=18))
    assert await composed() == ids
    assert await _arms(db, ids) == arms  # nobody moved


async def test_recommend_strategy_variant_serves_popular_to_its_arm_only(
    console_bot, app, db, clock, tmp_path
):
    from core.recommend.encoders import HashingEncoder
    from core.recommend.hybrid import HybridConfig
    from core.recommend.service import SERVICE_KEY, RecommendService

    cfg = HybridConfig(dim=16, epochs=40, batch_size=32, lr=0.05, seed=0, threads=1)
    app.services.extras[SERVICE_KEY] = RecommendService(HashingEncoder(64), tmp_path / "m", cfg)
    catalog = [
        ("sql-1", "SQL basics", ["sql"], "SQL select queries tables"),
        ("sql-2", "SQL joins", ["sql"], "SQL joins tables keys"),
        ("ds-1", "Colour theory", ["design"], "design colour palettes contrast"),
        ("ds-2", "Typography", ["design"], "design fonts typography layout"),
        ("ds-3", "Layout grids", ["design"], "design grids layout spacing"),
    ]
    async with db.session() as s, s.begin():
        for slug, title, tags, desc in catalog:
            s.add(
                Course(slug=slug, title=title, tags=tags, description=desc, created_at=clock.now())
            )
    fans = [f"sqlfan{i}" for i in range(8)]
    testers = [f"t{i}" for i in range(6)]
    for user in fans + testers:
        await console_bot.send("/recommend on", as_member=user)
    async with db.session() as s, s.begin():
        ids = {
            u: m for u, m in await s.execute(select(Account.platform_user_id, Account.member_id))
        }
        cs = {c.slug: c.id for c in (await s.execute(select(Course))).scalars()}
        past = clock.now() - timedelta(days=1)
        for u in fans:  # SQL basics is by far the most popular course
            s.add(Interaction(member_id=ids[u], course_id=cs["sql-1"], kind="view", at=past))
        for u in testers:  # every tester likes design
            s.add(Interaction(member_id=ids[u], course_id=cs["ds-1"], kind="view", at=past))
        await service.create(
            s,
            clock,
            name="strategy",
            metric="enroll_7d",
            variants=[Variant("hybrid", 50), Variant("popular", 50, {"strategy": "popular"})],
            target="recommend",
        )
    tops = {}
    for u in testers:
        out = await console_bot.send("/recommend 1", as_member=u)
        tops[ids[u]] = out.splitlines()[1].split(". ", 1)[1].split(" — ")[0]
    arms = await _arms(db, set(tops))
    assert set(arms.values()) == {"hybrid", "popular"}
    for mid, top in tops.items():
        if arms[mid] == "popular":
            assert top == "SQL basics", top
        else:
            assert top != "SQL basics", top  # a design fan's own taste


async def test_cli_report_prints_the_report_and_writes_the_chart(
    db, clock, settings, tmp_path, capsys
):
    from core.experiments.cli import _report

    async with db.session() as s, s.begin():
        ms = await make_members(s, clock.now(), 40)
        exp = await service.create(
            s,
            clock,
            name="cli",
            metric="digest_click",
            variants=[Variant("a", 50), Variant("b", 50)],
        )
        await service.assign_many(s, exp, [m.id for m in ms], clock.now())
        for m in ms[::4]:
            s.add(
                Interaction(
                    member_id=m.id, kind="digest_click", at=clock.now() + timedelta(hours=1)
                )
            )
    chart = tmp_path / "cli.png"
    await _report(settings, "cli", chart)
    out = capsys.readouterr().out
    assert "z-test" in out and "a:" in out and "b:" in out and "Verdict" in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_a_parameter_the_target_ignores_is_refused(app, db):
    r = await app.router.dispatch(
        mod("create typo digest_click a:50,b:50:send_hour=18 recommend", "p1")
    )
    assert "send_hour does nothing for target recommend" in r[0].text
    r = await app.router.dispatch(
        mod("create ok digest_click a:50,b:50:strategy=popular recommend", "p2")
    )
    assert "is running" in r[0].text


async def test_new_creates_like_create_and_a_second_stop_says_so(app, db, clock):
    """Moderators type /experiment new as they type /codes new; stopping twice does not
    pretend to stop it again."""
    r = await app.router.dispatch(mod("new tone digest_click a:50,b:50", "n1"))
    assert r[0].text == "Experiment tone is running: 2 variants, metric digest_click."
    r = await app.router.dispatch(mod("stop tone", "n2"))
    assert r[0].text.startswith("Experiment tone stopped;")
    clock.advance(days=1)
    r = await app.router.dispatch(mod("stop tone", "n3"))
    assert r[0].text == (
        "Experiment tone was already stopped on 2026-03-02 09:00 UTC; nothing changed."
    )
