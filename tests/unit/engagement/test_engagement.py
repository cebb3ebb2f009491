"""Points with daily caps, streaks across timezones/DST with a weekly freeze, rebuild, leaderboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from config.settings import ConfigError, EngagementConfig, load_settings
from core.engagement import rules, service
from core.events import Actor
from models.audit import AuditLog
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Account, Member


async def _member(s, name: str, tz: str = "UTC", opt_in: bool = False) -> Member:
    m = Member(
        display_name=name,
        timezone=tz,
        leaderboard_opt_in=opt_in,
        tags=[],
        prefs={},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    s.add(m)
    await s.flush()
    s.add(
        Account(
            member_id=m.id,
            platform="console",
            platform_user_id=name.lower(),
            username=name.lower(),
            created_at=m.created_at,
        )
    )
    return m


def _log(s, m: Member, kind: str, at: datetime) -> None:
    s.add(
        Interaction(member_id=m.id, kind=kind, weight=KIND_WEIGHTS.get(kind, 1.0), at=at, meta={})
    )


async def test_points_and_daily_caps_follow_the_members_day(db, clock):
    t0 = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        ann = await _member(s, "Ann", "Asia/Shanghai")  # 20:00 UTC is already 04:00 next day
        for i in range(12):
            _log(s, ann, "lesson_complete", t0 + timedelta(minutes=i))
        _log(s, ann, "lesson_complete", t0 - timedelta(hours=5))  # 23:00 local, the day before
        _log(s, ann, "answer_accepted", t0)
        _log(s, ann, "view", t0)  # browsing earns nothing
        await service.sync(s, clock)
        assert (await service.totals(s))[ann.id] == 10 * 10 + 10 + 25
        assert await service.sync(s, clock) == 0  # nothing left to score


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ({"points": {"chatting": {"points": 1, "daily_cap": 1}}}, "unknown action 'chatting'"),
        ({"points": {"answer_given": {"points": 5, "daily_cap": -1}}}, "daily_cap"),
        ({"levels": [0, 200, 50]}, "strictly increasing"),
        ({"levels": [10, 50]}, "must be 0"),
    ],
)
def test_bad_engagement_settings_fail_at_start_in_one_line(section, says):
    with pytest.raises(ConfigError) as exc:
        load_settings(None, engagement=section)
    msg = str(exc.value)
    assert "engagement" in msg and says in msg and "\n" not in msg


def test_engagement_settings_merge_file_and_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[engagement]\nlevels = [0, 30, 90]\n"
        "[engagement.points]\nanswer_accepted = { points = 40, daily_cap = 1 }\n"
    )
    monkeypatch.setenv("SYLLABOT_ENGAGEMENT__POINTS__ANSWER_GIVEN__DAILY_CAP", "2")
    sc = rules.Scoring.of(load_settings(cfg))
    assert sc.levels == (0, 30, 90)
    assert sc.points["answer_accepted"] == (40, 1)  # the file
    assert sc.points["answer_given"] == (10, 2)  # the default points, the env's cap
    assert sc.points["lesson_complete"] == (10, 10)  # untouched default
    assert rules.level_for(35, sc) == (2, 90) and rules.level_for(35) == (1, 50)


DEFAULT = rules.Scoring.from_config()
CUSTOM = rules.Scoring.from_config(
    EngagementConfig(
        points={
            "answer_accepted": {"points": 40, "daily_cap": 1},
            "question_asked": {"points": 0, "daily_cap": 9},
            "lesson_complete": {"points": 3, "daily_cap": 0},
            "answer_helpful": {"points": 2, "daily_cap": 2},
        },
        levels=[0, 30, 90],
    )
)


async def test_a_custom_table_changes_totals_caps_and_levels(db, clock):
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        ann = await _member(s, "Ann")
        for i in range(3):
            _log(s, ann, "answer_accepted", t0 + timedelta(minutes=i))  # custom: 40, cap 1
            _log(s, ann, "question_asked", t0 + timedelta(minutes=i))  # custom: worth nothing
            _log(s, ann, "answer_helpful", t0 + timedelta(minutes=i))  # custom: 2, cap 2
        _log(s, ann, "answer_accepted", t0 + timedelta(days=1))  # a new day, a new cap
        _log(s, ann, "lesson_complete", t0)  # custom: cap 0
        await service.sync(s, clock, scoring=CUSTOM)
        assert (await service.totals(s))[ann.id] == 40 + 2 * 2 + 40
        assert rules.level_for(84, CUSTOM) == (2, 90)
        await service.rebuild(s, clock)  # the default table scores the same log differently
        assert (await service.totals(s))[ann.id] == 4 * 25 + 3 * 5 + 3 * 5 + 10
        await service.rebuild(s, clock, CUSTOM)
        assert (await service.totals(s))[ann.id] == 84


@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.sampled_from(sorted(DEFAULT.points) + ["view"]),
            st.integers(0, 4),
        ),
        max_size=80,
    ),
    st.integers(1, 20),
    st.sampled_from([DEFAULT, CUSTOM]),
)
@settings(max_examples=60, deadline=None)
def test_incremental_scoring_equals_scoring_from_scratch(items, chunk, scoring):
    actions = [rules.Action(i, m, k, f"2026-03-0{d + 1}") for i, (m, k, d) in enumerate(items)]
    whole = rules.score(actions, scoring=scoring)
    for m, k, d in {(a.member_id, a.kind, a.day) for a in actions}:  # never past the cap
        pts, cap = scoring.points.get(k, (0, 0))
        group = [whole.get(a.id, 0) for a in actions if (a.member_id, a.kind, a.day) == (m, k, d)]
        assert sum(group) == pts * min(cap, len(group))
    awarded: dict = {}
    inc: dict[int, int] = {}
    for start in range(0, len(actions), chunk):
        part = actions[start : start + chunk]
        got = rules.score(part, awarded, scoring)
        for a in part:
            if got.get(a.id):
                key = (a.member_id, a.kind, a.day)
                awarded[key] = awarded.get(key, 0) + 1
        inc.update(got)
    assert sum(inc.values()) == sum(whole.values())
    for m in {a.member_id for a in actions}:
        mine = [a.id for a in actions if a.member_id == m]
        assert sum(inc.get(i, 0) for i in mine) == sum(whole.get(i, 0) for i in mine)


async def test_rebuild_gives_the_incremental_totals_and_keeps_adjustments(db, clock):
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        a = await _member(s, "Ann")
        b = await _member(s, "Bo")
        mod = await _member(s, "Mod")
        for i in range(7):
            _log(s, a, "question_asked", t0 + timedelta(hours=i))
        await service.sync(s, clock)
        for i in range(4):  # late arrivals, some for a day already scored
            _log(s, a, "question_asked", t0 - timedelta(minutes=i))
            _log(s, b, "answer_given", t0 + timedelta(days=i % 2))
        await service.sync(s, clock)
        await service.adjust(s, clock, mod, b, -3, "duplicate answer")
        before = await service.totals(s)
        await service.rebuild(s, clock)
        assert await service.totals(s) == before == {a.id: 3 * 5, b.id: 4 * 10 - 3}


async def test_adjustments_need_a_reason_are_bounded_and_audited(console_bot, db, clock):
    async with db.session() as s, s.begin():
        await _member(s, "Cleo")
    out = await console_bot.send("/award @cleo 10", as_member="mod")  # was the usage line
    assert out.startswith("Say why, too") and "/award @cleo 10 answered three" in out
    assert "Usage: /award" in await console_bot.send("/award @cleo")
    assert "up to 1000" in await console_bot.send("/award @cleo 5000 generous")
    assert "I don't know a member called @nobody" in await console_bot.send("/award @nobody 5 hi")
    out = await console_bot.send("/award 20 @cleo ran the study night")  # the number first
    assert "Gave Cleo 20 points (now 20)" in out
    async with db.session() as s:
        row = (
            await s.execute(select(AuditLog).where(AuditLog.action == "engagement.adjust"))
        ).scalar_one()
        assert (row.before, row.after, row.reason) == (
            {"points": 0},
            {"points": 20},
            "ran the study night",
        )
    assert "moderators only" in await console_bot.send("/award @cleo 20 me", as_member="cleo")
    await console_bot.send("/award @cleo -19 one point left", as_member="mod")
    assert "⭐ 1 point (1 this week)" in await console_bot.send("/points", as_member="cleo")


async def test_the_member_hears_of_points_given_or_taken_with_the_reason(console_bot, db):
    """Before, points changed silently: a member saw a different total on /points with no
    idea why, and a deduction read "Gave Cleo -20 points"."""
    async with db.session() as s, s.begin():
        await _member(s, "Cleo")
    out = await console_bot.send("/award @cleo 20 ran the study night", as_member="mod")
    assert "⭐ Mod gave you 20 points: ran the study night. You now have 20." in out
    out = await console_bot.send("/award @cleo -5 answer copied from elsewhere")
    assert "Took 5 points from Cleo (now 15)." in out
    assert "took 5 points from you: answer copied from elsewhere. You now have 15." in out
    assert "up to 1000" in await console_bot.send("/award @cleo 1000000 far too generous")
    assert "can't do that to yourself" in await console_bot.send("/award @mod 50 me, myself")


async def test_award_reports_the_same_total_as_points(console_bot, db, clock):
    """Points Dan earned but had not looked at yet were left out of "now N" after /award."""
    async with db.session() as s, s.begin():
        dan = await _member(s, "Dan")
        _log(s, dan, "answer_given", clock.now() - timedelta(hours=1))
    out = await console_bot.send("/award @dan 20 ran the study night", as_member="mod")
    total = int(out.split("(now ")[1].split(")")[0])
    assert total > 20
    assert f"⭐ {total} points" in await console_bot.send("/points", as_member="dan")
    # a moderator checks a member's points by name (before, "/points @dan" showed their own)
    out = await console_bot.send("/points @dan", as_member="mod")
    assert out.startswith(f"Dan:\n⭐ {total} points")
    # a member naming someone else is told points are private, and sees their own
    out = await console_bot.send("/points @mod", as_member="dan")
    assert "points are theirs to see" in out and f"⭐ {total} points" in out


def test_streak_freeze_once_per_week():
    fri = date(2026, 3, 13)  # Mon 9 .. Fri 13
    days = {date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 12), fri}
    st_ = rules.streak(days, fri)
    assert st_.days == 4 and st_.frozen == (date(2026, 3, 11),)
    two_gaps = {date(2026, 3, 9), date(2026, 3, 11), fri}  # Tue and Thu missed: one freeze only
    assert rules.streak(two_gaps, fri).days == 2
    assert rules.streak({date(2026, 3, 10)}, fri).days == 0  # two days missed in a row
    # yesterday missed, today not yet: the freeze keeps the streak alive until tonight
    assert rules.streak({date(2026, 3, 11)}, fri) == rules.Streak(1, (date(2026, 3, 12),))
    assert rules.level_for(0) == (1, 50) and rules.level_for(60) == (2, 200)
    assert rules.level_for(10_000) == (6, None)


async def test_streak_counts_local_days_across_dst(db):
    from core.clock import FrozenClock

    # New York springs forward on 2026-03-08
    times = [
        datetime(2026, 3, 7, 4, 30, tzinfo=UTC),  # Mar 6 23:30 EST
        datetime(2026, 3, 7, 23, 0, tzinfo=UTC),  # Mar 7 18:00 EST
        datetime(2026, 3, 9, 3, 30, tzinfo=UTC),  # Mar 8 23:30 EDT
    ]
    async with db.session() as s, s.begin():
        ny = await _member(s, "Nia", "America/New_York")
        utc = await _member(s, "Uli", "UTC")
        for at in times:
            _log(s, ny, "lesson_complete", at)
            _log(s, utc, "lesson_complete", at)
    now = FrozenClock(datetime(2026, 3, 9, 14, 0, tzinfo=UTC))  # Mar 9 morning in New York
    async with db.session() as s:
        assert await service.learning_streak(s, now, ny) == rules.Streak(3, ())
        # the same moments in UTC are Mar 7, 7 and 9: the week's freeze bridges Mar 8
        assert await service.learning_streak(s, now, utc) == rules.Streak(2, (date(2026, 3, 8),))


async def test_leaderboard_names_only_members_who_opt_in(console_bot, db, clock):
    t = clock.now()
    async with db.session() as s, s.begin():
        ann = await _member(s, "Ann", opt_in=True)
        bo = await _member(s, "Bo")
        for _ in range(3):
            _log(s, bo, "answer_accepted", t)
        _log(s, ann, "lesson_complete", t)
        _log(s, ann, "course_complete", t - timedelta(days=30))
    out = await console_bot.send("/leaderboard", as_member="ann")
    assert "1. (a member) — 75\n2. Ann — 10 ← you" in out
    out = await console_bot.send("/leaderboard all")
    assert "1. (a member) — 75\n2. Ann — 60 ← you" in out
    out = await console_bot.send("/leaderboard", as_member="bo")
    assert "1. (a member) — 75 ← you" in out and "/leaderboard optin" in out
    await console_bot.send("/leaderboard optin")
    assert "1. Bo — 75" in await console_bot.send("/leaderboard")
    assert "Usage: /leaderboard" in await console_bot.send("/leaderboard yesterday")
    out = await console_bot.send("/leaderboard", as_member="cy")  # a member with no points
    assert "You have no points this week yet: finish a lesson (/next)" in out
    assert "← you" not in out
    assert "You have no points yet" in await console_bot.send("/leaderboard all")
    out = await console_bot.send("/points", as_member="ann")
    assert "60 points (10 this week) — level 2: Learner" in out and "140 more points" in out
    assert await console_bot.send("/points me") == out == await console_bot.send("/points 我")
    assert "2. Ann — 60 ← you" in await console_bot.send("/leaderboard 总榜")
    # a new week with no points yet: the all-time board, said as such ("No points yet")
    clock.advance(timedelta(days=7))
    out = await console_bot.send("/leaderboard")
    assert out.startswith("🏆 Nobody has points this week yet. Leaderboard — all time:")
    assert "1. Bo — 75\n2. Ann — 60 ← you" in out


def test_cli_rebuild(db, monkeypatch):
    if db.kind != "sqlite":
        pytest.skip("the CLI path is the same on both engines")
    from bot.cli import app

    monkeypatch.setenv("SYLLABOT_DATABASE_URL", db.url)
    res = CliRunner().invoke(app, ["engagement", "rebuild"])
    assert res.exit_code == 0 and "rescored 0 interactions; 0 points" in res.output


async def test_cli_rebuild_scores_with_the_configured_table(db, tmp_path, monkeypatch):
    if db.kind != "sqlite":
        pytest.skip("the CLI path is the same on both engines")
    import asyncio

    from bot.cli import app

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        ann = await _member(s, "Ann")
        for i in range(3):
            _log(s, ann, "answer_accepted", t0 + timedelta(minutes=i))
    cfg = tmp_path / "community.toml"
    cfg.write_text("[engagement.points]\nanswer_accepted = { points = 40, daily_cap = 1 }\n")
    monkeypatch.setenv("SYLLABOT_DATABASE_URL", db.url)
    run = CliRunner().invoke
    res = await asyncio.to_thread(run, app, ["engagement", "rebuild", "--config", str(cfg)])
    assert res.exit_code == 0 and "rescored 3 interactions; 40 points" in res.output
    res = await asyncio.to_thread(run, app, ["engagement", "rebuild"])
    assert res.exit_code == 0 and "rescored 3 interactions; 75 points" in res.output


async def test_streak_nudge_in_the_members_evening_once_and_respecting_opt_outs(app, db):
    from core.clock import FrozenClock
    from core.jobs import JOBS

    evening_shanghai = datetime(2026, 3, 12, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    async with db.session() as s, s.begin():
        people = {
            "keen": await _member(s, "Keen", "Asia/Shanghai"),
            "quiet": await _member(s, "Quiet", "Asia/Shanghai"),
            "nodigest": await _member(s, "NoDigest", "Asia/Shanghai"),
            "today": await _member(s, "Today", "Asia/Shanghai"),
            "london": await _member(s, "London", "Europe/London"),
            "muted": await _member(s, "Muted", "Asia/Shanghai"),
        }
        people["quiet"].quiet_start, people["quiet"].quiet_end = 18, 8
        people["muted"].prefs = {"muted": ["streak"]}  # /settings streak off
        people["nodigest"].digest_frequency = "off"
        for m in people.values():
            for d in (1, 2, 3):
                _log(s, m, "lesson_complete", evening_shanghai - timedelta(days=d))
        _log(s, people["today"], "lesson_open", evening_shanghai - timedelta(hours=2))
        keen_id = people["keen"].id
    app.services.clock = FrozenClock(evening_shanghai)
    job = JOBS["engagement.nudge"].fn
    out = await job(app.services)
    assert [(r.member_id, r.text) for r in out] == [
        (
            keen_id,
            "🔥 You are on a 3-day learning streak. One short lesson today keeps it going: send /next.",
        )
    ]
    assert await job(app.services) == []  # once a day


async def test_a_member_is_congratulated_once_on_each_new_level(app, db):
    """Before, reaching a level went unsaid: the member found out only by sending /points."""
    from core.clock import FrozenClock
    from core.jobs import JOBS

    now = datetime(2026, 3, 12, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    app.services.clock = FrozenClock(now)
    job = JOBS["engagement.sync"].fn
    async with db.session() as s, s.begin():
        old = await _member(s, "Old")
        for i in range(6):  # 60 points before this feature ran: not news
            _log(s, old, "lesson_complete", now - timedelta(days=i + 1))
    assert await job(app.services) == []
    async with db.session() as s, s.begin():
        bob = await _member(s, "Bob")
        cy = await _member(s, "Cy", "Asia/Shanghai")
        cy.quiet_start, cy.quiet_end, cy.locale = 18, 8, "zh-CN"
        dee = await _member(s, "Dee")
        dee.prefs = {"muted": ["levels"]}  # /settings levels off: reaches it, is not told
        for m in (bob, cy, dee):
            for i in range(5):
                _log(s, m, "lesson_complete", now - timedelta(minutes=i))
        ids = {"bob": bob.id, "cy": cy.id}
    assert [(r.member_id, r.text) for r in await job(app.services)] == [
        (
            ids["bob"],
            "🎉 You reached level 2: Learner! You have 50 points. "
            "150 more points to reach level 3.",
        )
    ]
    assert await job(app.services) == []  # once; Cy is in her quiet hours
    app.services.clock = FrozenClock(now + timedelta(hours=14))  # 09:00 in Shanghai
    (told,) = await job(app.services)
    assert told.member_id == ids["cy"] and told.text.startswith("🎉 你升到了 2 级")
    async with db.session() as s, s.begin():  # a correction below level 2 and back
        mod, member = await _member(s, "Mo"), await s.get_one(Member, ids["bob"])
        await service.adjust(s, app.services.clock, mod, member, -20, "double count")
    assert await job(app.services) == []
    async with db.session() as s, s.begin():
        mod, member = await s.get_one(Member, mod.id), await s.get_one(Member, ids["bob"])
        await service.adjust(s, app.services.clock, mod, member, 20, "recount")
    assert await job(app.services) == []  # level 2 again: already told
    async with db.session() as s, s.begin():
        mod, member = await s.get_one(Member, mod.id), await s.get_one(Member, ids["bob"])
        await service.adjust(s, app.services.clock, mod, member, 150, "great answers")
    (up,) = await job(app.services)
    assert up.member_id == ids["bob"] and up.text.startswith("🎉 You reached level 3: Regular!")


async def test_level_reward_granted_once_and_revoked_when_membership_ends(console_bot, app, db):
    from core.clock import FrozenClock
    from core.engagement.service import sync_level_rewards
    from core.replies import Invite, Kick

    out = await console_bot.send("/levelreward add 2 discord 555 777", as_member="mod")
    assert "Reward #1 added for level 2" in out
    assert "already exists" in await console_bot.send("/levelreward add 2 discord 555 777")
    assert "Usage: /levelreward" in await console_bot.send("/levelreward add 99 discord 555")
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = FrozenClock(now)
    async with db.session() as s, s.begin():
        dee = await _member(s, "Dee")
        await _subscribed(s, dee, now)
        _log(s, dee, "course_complete", now)  # 50 points: level 2
    async with db.session() as s, s.begin():
        first = await sync_level_rewards(s, clock)
    async with db.session() as s, s.begin():
        again = await sync_level_rewards(s, clock)
    assert first == [Invite(dee.id, "discord", "555", role="777")] and again == []
    clock.advance(timedelta(days=31))  # the subscription ran out
    async with db.session() as s, s.begin():
        revoked = await sync_level_rewards(s, clock)
    async with db.session() as s, s.begin():
        assert await sync_level_rewards(s, clock) == []
        actions = (
            (
                await s.execute(
                    select(AuditLog.action).where(AuditLog.action.like("engagement.reward_%"))
                )
            )
            .scalars()
            .all()
        )
    assert revoked == [Kick(dee.id, "discord", "555", role="777")]
    assert sorted(actions) == [
        "engagement.reward_add",
        "engagement.reward_grant",
        "engagement.reward_revoke",
    ]


async def test_weekly_leaderboard_posted_once_to_the_chosen_channel(app, db):
    from core.clock import FrozenClock
    from core.events import Chat, Command
    from core.jobs import JOBS

    group = Chat("telegram", "-100200", kind="group")
    out = await app.router.dispatch(
        Command(Actor("telegram", "1"), group, name="leaderboard", args="channel")
    )
    assert "moderators" in out[0].text
    out = await app.router.dispatch(
        Command(Actor("telegram", "9000"), group, name="leaderboard", args="channel")
    )
    assert "every Monday" in out[0].text
    last_week = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        ann = await _member(s, "Ann", opt_in=True)
        bo = await _member(s, "Bo")
        _log(s, ann, "lesson_complete", last_week)
        _log(s, bo, "answer_accepted", last_week)
        _log(s, bo, "answer_accepted", last_week + timedelta(days=7))  # this week: not counted
    job = JOBS["engagement.weekly_post"].fn
    app.services.clock = FrozenClock(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))  # Monday 08:00
    assert await job(app.services) == []
    app.services.clock.advance(timedelta(hours=1, minutes=5))
    posts = await job(app.services)
    assert len(posts) == 1 and posts[0].to == group
    assert posts[0].text.splitlines()[1:] == ["1. (a member) — 25", "2. Ann — 10"]
    app.services.clock.advance(timedelta(hours=1))
    assert await job(app.services) == []


async def _subscribed(s, m: Member, now: datetime, days: int = 30) -> None:
    from models.membership import Plan, Subscription

    plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one_or_none()
    if plan is None:
        plan = Plan(code="monthly", title_en="Monthly", prices={}, targets={})
        s.add(plan)
        await s.flush()
    s.add(
        Subscription(
            member_id=m.id,
            plan_id=plan.id,
            state="active",
            started_at=now,
            current_period_end=now + timedelta(days=days),
            updated_at=now,
        )
    )


async def test_telegram_tag_reward_set_once_and_cleared_when_membership_ends(console_bot, app, db):
    from core.clock import FrozenClock
    from core.engagement.service import sync_level_rewards
    from core.replies import MemberTag

    out = await console_bot.send("/levelreward add 3 telegram -100777 Top Helper", as_member="mod")
    assert "added for level 3" in out
    assert "no emoji" in await console_bot.send("/levelreward add 4 telegram -100777 Star⭐")
    assert "1 to 16 characters" in await console_bot.send(
        "/levelreward add 4 telegram -100777 Extremely Helpful One"
    )
    # a Discord reward is a role id in a guild id: anything else is refused
    assert "Usage: /levelreward" in await console_bot.send("/levelreward add 2 discord 555 mentor")
    assert "-100777 Top Helper" in await console_bot.send("/levelreward list")
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = FrozenClock(now)
    scoring = rules.Scoring.of(app.services.settings)
    async with db.session() as s, s.begin():
        eve = await _member(s, "Eve")
        await _subscribed(s, eve, now)
        for d in range(4):  # 4 x 50 = 200 points: level 3
            _log(s, eve, "course_complete", now - timedelta(days=d))
    async with db.session() as s, s.begin():
        first = await sync_level_rewards(s, clock, scoring)
    async with db.session() as s, s.begin():
        assert await sync_level_rewards(s, clock, scoring) == []
    assert first == [MemberTag(eve.id, "telegram", "-100777", "Top Helper")]
    clock.advance(timedelta(days=31))
    async with db.session() as s, s.begin():
        cleared = await sync_level_rewards(s, clock, scoring)
    async with db.session() as s, s.begin():
        assert await sync_level_rewards(s, clock, scoring) == []
    assert cleared == [MemberTag(eve.id, "telegram", "-100777", "")]


async def test_reward_levels_follow_the_configured_thresholds(db):
    from core.clock import FrozenClock
    from core.engagement.service import sync_level_rewards
    from core.replies import MemberTag
    from models.engagement import LevelReward

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = FrozenClock(now)
    async with db.session() as s, s.begin():
        s.add(
            LevelReward(level=3, platform="telegram", target="-1", role="Regular", created_at=now)
        )
        fay = await _member(s, "Fay")
        await _subscribed(s, fay, now)
        _log(s, fay, "answer_accepted", now)
        _log(s, fay, "answer_accepted", now)
        _log(s, fay, "answer_accepted", now)
    async with db.session() as s, s.begin():
        assert await sync_level_rewards(s, clock) == []  # default: 75 points is level 2
    async with db.session() as s, s.begin():
        await service.rebuild(s, clock, CUSTOM)  # 40 (cap 1 a day): level 2 of [0, 30, 90]
        assert (await service.totals(s))[fay.id] == 40
        assert await sync_level_rewards(s, clock, CUSTOM) == []
        low = rules.Scoring(CUSTOM.points, (0, 10, 40))
        assert await sync_level_rewards(s, clock, low) == [
            MemberTag(fay.id, "telegram", "-1", "Regular")
        ]


async def test_exempt_members_hold_rewards_without_a_subscription(app, db):
    from core.clock import FrozenClock
    from core.engagement.service import sync_level_rewards
    from core.replies import MemberTag
    from models.engagement import LevelReward

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        s.add(LevelReward(level=2, platform="telegram", target="-1", role="Crew", created_at=now))
        gil = await _member(s, "Gil")
        gil.exempt = True
        _log(s, gil, "course_complete", now)
    async with db.session() as s, s.begin():
        assert await sync_level_rewards(s, FrozenClock(now)) == []  # no plan, no settings
        got = await sync_level_rewards(s, FrozenClock(now), None, app.services.settings)
    assert got == [MemberTag(gil.id, "telegram", "-1", "Crew")]


async def test_console_shows_member_tags_and_channel_subscription_effects(console_bot, db):
    """The demo shows what a level reward or a channel plan does on the platform, instead of
    silently dropping those effects."""
    from core.replies import MemberTag, StopStarSubscription, SubscriptionInvite

    async with db.session() as s, s.begin():
        gus = await _member(s, "Gus")
    render = console_bot.adapter.render
    assert await render([MemberTag(gus.id, "telegram", "-100777", "Top Helper")]) == [
        "🏷 tag “Top Helper” for @gus in -100777"
    ]
    assert await render([MemberTag(gus.id, "telegram", "-100777", "")]) == [
        "🏷 tag cleared for @gus in -100777"
    ]
    (line,) = await render([SubscriptionInvite(gus.id, "telegram", "-100555", 300)])
    assert "@gus" in line and "300 XTR every 30 days" in line
    (line,) = await render([StopStarSubscription("42", "ch_1")])
    assert "renewal stopped" in line


async def test_removed_reward_is_kept_until_the_membership_ends_or_taken_back_now(app, db, clock):
    """A new reward reaches the members already at its level at once; a removed one is given
    to nobody new, yet still leaves when a holder's membership ends (the grant used to be
    deleted with the reward, so it was never taken back), or at once with `now`."""
    from core.engagement.service import sync_level_rewards
    from core.events import Chat, Command
    from core.replies import Invite, Kick

    async def mod(args: str) -> list:
        cmd = Command(
            Actor("console", "mod"), Chat("console", "mod"), name="levelreward", args=args
        )
        return await app.router.dispatch(cmd)

    async with db.session() as s, s.begin():
        fay, gus = await _member(s, "Fay"), await _member(s, "Gus")
        for m, days in ((fay, 30), (gus, 60)):
            await _subscribed(s, m, clock.now(), days)
            _log(s, m, "course_complete", clock.now())  # 50 points: level 2
    out = await mod("add 2 discord 555 777")
    assert out[0].text.endswith("2 already there get it now.")
    assert set(out[1:]) == {
        Invite(fay.id, "discord", "555", "777"),
        Invite(gus.id, "discord", "555", "777"),
    }
    out = await mod("remove 1")
    assert "The 2 members who hold it keep it until their membership ends" in out[0].text
    assert out[1:] == []
    assert (await mod("list"))[0].text.startswith("No level rewards yet")
    clock.advance(days=31)  # Fay's month is over: the removed reward still leaves with it
    async with db.session() as s, s.begin():
        assert await sync_level_rewards(s, clock) == [Kick(fay.id, "discord", "555", role="777")]
    assert (await mod("remove 1"))[0].text.startswith("Reward #1 was removed already.")
    assert (await mod("remove 9"))[
        0
    ].text == "There is no level reward #9. /levelreward lists them."
    out = await mod("remove 1 now")
    assert out[0].text == "Reward #1 removed and taken back from the 1 member who held it."
    assert out[1:] == [Kick(gus.id, "discord", "555", role="777")]
    out = await mod("add 2 discord 555 777")  # the same reward again: Gus is still a member
    assert out[0].text.startswith("Reward #1 added") and out[1:] == [
        Invite(gus.id, "discord", "555", "777")
    ]
