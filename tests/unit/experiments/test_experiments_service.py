"""Experiments on a real database: /experiment, sticky recorded assignment, reports, digests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.events import Actor, Chat, Command
from core.experiments import service
from core.experiments.assign import Variant
from core.replies import Photo
from models.experiments import Experiment, ExperimentAssignment, Exposure
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


async def test_create_list_stop_and_bad_input(app, db):
    r = await app.router.dispatch(
        mod("create items digest_click control:50,five:50:n_courses=5 digest", "x1")
    )
    assert "Experiment items is running: 2 variants" in r[0].text
    r = await app.router.dispatch(mod("create items digest_click a:50,b:50", "x2"))
    assert "already exists" in r[0].text
    for i, bad in enumerate(
        [
            "create x digest_click a:50",
            "create y clicks a:1,b:1",
            "create Z! digest_click a:1,b:1",
            "report nope",
            "frobnicate",
        ]
    ):
        r = await app.router.dispatch(mod(bad, f"b{i}"))
        assert any(
            s in r[0].text
            for s in (
                "Variants look like",
                "Unknown metric",
                "names use",
                "no experiment called",
                "Try: /experiment",
            )
        ), bad
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Experiment))).scalar_one() == 1
    r = await app.router.dispatch(mod("stop items", "x3"))
    assert "stopped" in r[0].text
    r = await app.router.dispatch(mod("list", "x4"))
    assert "items [stopped] digest_click: control 50, five 50" in r[0].text
    r = await app.router.dispatch(
        Command(
            Actor("telegram", "55"), Chat("telegram", "55"), "m1", name="experiment", args="list"
        )
    )
    assert "moderators only" in r[0].text


async def test_assignment_is_recorded_and_never_moves(db, clock):
    async with db.session() as s, s.begin():
        (m,) = await make_members(s, clock.now(), 1)
        exp = await service.create(
            s,
            clock,
            name="sticky",
            metric="digest_click",
            variants=[Variant("a", 50), Variant("b", 50)],
        )
        first = await service.assign(s, exp, m.id, clock.now())
        # the moderator re-weights everything to "b": members already in keep their variant
        exp.variants = [
            {"name": "a", "weight": 1, "params": {}},
            {"name": "b", "weight": 99, "params": {}},
        ]
        for _ in range(3):
            assert (await service.assign(s, exp, m.id, clock.now())).name == first.name
        assert (
            await s.execute(select(func.count()).select_from(ExperimentAssignment))
        ).scalar_one() == 1


async def test_report_rates_lift_verdict_and_chart(app, db, clock):
    async with db.session() as s, s.begin():
        ms = await make_members(s, clock.now(), 400)
        exp = await service.create(
            s,
            clock,
            name="layout",
            metric="digest_click",
            variants=[Variant("control", 50), Variant("big", 50)],
        )
        arms = await service.assign_many(s, exp, [m.id for m in ms], clock.now())
        # the treatment converts far more: 60% vs 20% within the window
        for i, m in enumerate(ms):
            share = 0.6 if arms[m.id].name == "big" else 0.2
            if (i % 10) < share * 10:
                s.add(
                    Interaction(
                        member_id=m.id,
                        kind="digest_click",
                        weight=1.5,
                        at=clock.now() + timedelta(days=1),
                        source="digest",
                        meta={},
                    )
                )
    clock.advance(days=2)
    r = await app.router.dispatch(mod("report layout", "r1"))
    text = r[0].text
    assert "control:" in text and "big:" in text and "[control]" in text
    assert "z-test" in text and "split as configured" in text
    assert "Verdict: big beats control" in text
    photo = next(x for x in r if isinstance(x, Photo))
    assert photo.data[:8] == b"\x89PNG\r\n\x1a\n"


async def test_skewed_assignment_log_is_flagged_as_srm(db, clock):
    async with db.session() as s, s.begin():
        ms = await make_members(s, clock.now(), 300)
        exp = await service.create(
            s,
            clock,
            name="skew",
            metric="digest_click",
            variants=[Variant("a", 50), Variant("b", 50)],
        )
        for i, m in enumerate(ms):  # a logging bug put 80% in "a"
            s.add(
                ExperimentAssignment(
                    experiment_id=exp.id,
                    member_id=m.id,
                    variant="a" if i % 5 else "b",
                    assigned_at=clock.now(),
                )
            )
    async with db.session() as s:
        rep = await service.report(s, "skew", clock.now())
    assert rep.srm.mismatch and rep.verdict == "experiments.verdict_srm"


async def test_digest_experiment_changes_items_and_logs_exposures(app, db, clock):
    from core.digest.compose import compose_due
    from models.catalog import Course
    from models.digest import Digest

    async with db.session() as s, s.begin():
        for i in range(5):
            s.add(
                Course(
                    slug=f"c{i}", title=f"C{i}", tags=["sql"], plan_codes=[], created_at=clock.now()
                )
            )
        ms = await make_members(s, clock.now(), 40)
        for m in ms:
            m.digest_frequency, m.digest_hour = "daily", 9
    r = await app.router.dispatch(
        mod("create n-items digest_click three:50,one:50:n_courses=1 digest", "d1")
    )
    assert "running" in r[0].text
    await compose_due(app.services)
    async with db.session() as s:
        arms = dict(
            (
                await s.execute(
                    select(ExperimentAssignment.member_id, ExperimentAssignment.variant)
                )
            ).all()
        )
        digests = (await s.execute(select(Digest.member_id, Digest.content))).all()
        exposures = (await s.execute(select(Exposure.member_id, Exposure.policy))).all()
    ids = {m.id for m in ms}  # (the moderator who ran /experiment gets a digest too)
    arms = {m: v for m, v in arms.items() if m in ids}
    digests = [(m, c) for m, c in digests if m in ids]
    exposures = [(m, p) for m, p in exposures if m in ids]
    assert len(arms) == 40 and set(arms.values()) == {"one", "three"} and len(digests) == 40
    for mid, content in digests:
        courses = [i for i in content["items"] if i["kind"] == "course"]
        assert len(courses) == (1 if arms[mid] == "one" else 3)
    assert len(exposures) == sum(1 if v == "one" else 3 for v in arms.values())
    assert all(p.endswith(f"n-items={arms[m]}") for m, p in exposures)


async def test_offline_replay_ips_on_logged_exposures(db, clock):
    from models.catalog import Course

    now = clock.now()
    async with db.session() as s, s.begin():
        a, b = await make_members(s, now, 2)
        a.tags, b.tags = ["sql"], ["ml"]
        cs = [
            Course(slug=f"c{i}", title=f"C{i}", tags=[t], plan_codes=[], created_at=now)
            for i, t in enumerate(["sql", "ml", "ml"])
        ]
        s.add_all(cs)
        await s.flush()
        shown = [(a, cs[0], 1), (a, cs[1], 0), (b, cs[1], 1), (b, cs[2], 1)]
        for m, c, reward in shown:  # a policy that explored: each shown with probability 0.5
            s.add(
                Exposure(
                    member_id=m.id,
                    course_id=c.id,
                    propensity=0.5,
                    policy="explore",
                    source="digest",
                    context={},
                    at=now,
                )
            )
            if reward:
                s.add(
                    Interaction(
                        member_id=m.id,
                        course_id=c.id,
                        kind="digest_click",
                        weight=1.5,
                        at=now + timedelta(days=1),
                        source="digest",
                        meta={},
                    )
                )
    async with db.session() as s:
        res = await service.replay_policy(
            s, "tag_match", now - timedelta(days=1), now + timedelta(days=3), k=1
        )
    # tag_match picks c0 for a and c1 for b: weights 2 on those rows, 0 elsewhere
    assert res.exposures == 4 and res.logged_value == 0.75 and res.coverage == 0.5
    assert res.estimate.ips == 1.0 and res.estimate.snips == 1.0
    assert not res.deterministic_logging


async def test_experiment_verbs_as_moderators_type_them(app, db):
    """`new`, `results`, `end` and a bare report/stop do what they say; a short create is
    told the create syntax with the metrics, not the whole command's help."""
    r = await app.router.dispatch(mod("new digest_time", "v1"))
    assert r[0].text.startswith("To start one: /experiment create NAME METRIC VARIANTS")
    assert "Metrics: digest_click, enroll_7d" in r[0].text and "Targets: digest, recommend" in (
        r[0].text
    )
    r = await app.router.dispatch(mod("report", "v2"))
    assert r[0].text == "No experiments yet."
    r = await app.router.dispatch(mod("new items digest_click a:50,b:50 digest", "v3"))
    assert "Experiment items is running" in r[0].text
    for i, words in enumerate(["results", "results items", "items", "show items"]):
        r = await app.router.dispatch(mod(words, f"r{i}"))
        assert r[0].text.startswith("Experiment items — metric digest_click (running)"), words
    await app.router.dispatch(mod("create other thumbs_up a:50,b:50", "v4"))
    r = await app.router.dispatch(mod("report", "v5"))
    assert r[0].text == "Which experiment? /experiment report NAME, one of: items, other."
    r = await app.router.dispatch(mod("end other", "v6"))
    assert r[0].text.startswith("Experiment other stopped")
    r = await app.router.dispatch(mod("stop", "v7"))  # the one still running
    assert r[0].text.startswith("Experiment items stopped")
    r = await app.router.dispatch(mod("stop", "v8"))
    assert r[0].text == "No experiment is running. /experiment list shows them all."
