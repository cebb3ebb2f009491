"""Analytics numbers a moderator can check by hand, the PNG dashboard and the CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import warnings
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin import analytics, charts
from core.replies import Document, Photo, Reply
from models.digest import Digest
from models.interaction import Interaction
from models.member import Member
from models.membership import Payment, Plan, Subscription, TrialClaim
from models.qa import Answer, Question, Thread
from models.qa_extra import QAFeedback

PNG = b"\x89PNG\r\n\x1a\n"


async def seed(s: AsyncSession, now: Any) -> None:
    """alice pays 9.00 USD monthly, bob 2500 XTR yearly, carol churned, dave is trialing."""
    plans = {p.code: p for p in (await s.execute(select(Plan))).scalars().all()}
    if "monthly" not in plans:  # outside the app fixture, plans come from config at start-up
        for code, days, price in (("monthly", 30, 900), ("yearly", 365, 9000)):
            plans[code] = Plan(
                code=code,
                title_en=code,
                prices={"demo": {"amount": price, "currency": "usd"}},
                period_days=days,
            )
            s.add(plans[code])
        await s.flush()
    members = {}
    for name, joined_days_ago in (("Alice", 40), ("Bob", 35), ("Carol", 20), ("Dave", 3)):
        m = Member(
            display_name=name,
            created_at=now - timedelta(days=joined_days_ago),
            tags=[],
            prefs={},
        )
        s.add(m)
        await s.flush()
        members[name] = m

    def sub(name: str, plan: str, state: str, started: int, updated: int) -> Subscription:
        return Subscription(
            member_id=members[name].id,
            plan_id=plans[plan].id,
            state=state,
            started_at=now - timedelta(days=started),
            updated_at=now - timedelta(days=updated),
            current_period_end=now + timedelta(days=10),
        )

    s.add_all(
        [
            sub("Alice", "monthly", "active", 25, 25),
            sub("Bob", "yearly", "active", 30, 30),
            sub("Carol", "monthly", "expired", 60, 5),
            sub("Dave", "monthly", "trialing", 2, 2),
        ]
    )
    s.add_all(
        [
            Payment(
                provider="demo",
                provider_charge_id="p1",
                member_id=members["Alice"].id,
                plan_id=plans["monthly"].id,
                amount=900,
                currency="USD",
                status="applied",
                created_at=now - timedelta(days=25),
            ),
            Payment(
                provider="telegram_stars",
                provider_charge_id="p2",
                member_id=members["Bob"].id,
                plan_id=plans["yearly"].id,
                amount=2500,
                currency="XTR",
                status="applied",
                created_at=now - timedelta(days=30),
            ),
            TrialClaim(
                member_id=members["Alice"].id,
                plan_id=plans["monthly"].id,
                at=now - timedelta(days=32),
            ),
            TrialClaim(
                member_id=members["Dave"].id,
                plan_id=plans["monthly"].id,
                at=now - timedelta(days=2),
            ),
        ]
    )
    q1 = Question(
        member_id=members["Alice"].id,
        text="How do joins work?",
        tags=[],
        status="solved",
        created_at=now - timedelta(days=3),
    )
    q2 = Question(
        member_id=members["Bob"].id,
        text="What is an index?",
        tags=[],
        status="answered",
        created_at=now - timedelta(days=2),
    )
    s.add_all([q1, q2])
    await s.flush()
    # The bot answered both; Alice's 👎 sent hers to a thread, solved since; Bob's 👍 kept his.
    for q, helpful in ((q1, False), (q2, True)):
        s.add(
            QAFeedback(
                question_id=q.id,
                member_id=q.member_id,
                confidence=0.6,
                helpful=helpful,
                created_at=q.created_at,
            )
        )
    s.add(Thread(question_id=q1.id, platform="console", status="solved", created_at=now))
    # An earlier try at Alice's thread the platform refused: not a thread opened.
    s.add(Thread(question_id=q1.id, platform="telegram", status="failed", created_at=now))
    s.add(
        Answer(
            question_id=q1.id,
            member_id=members["Bob"].id,
            text="Like this",
            created_at=q1.created_at + timedelta(hours=3),
        )
    )
    for i, name in enumerate(("Alice", "Bob", "Carol", "Dave")):
        s.add(
            Digest(
                member_id=members[name].id,
                period_key=f"w:{i}",
                status="sent",
                content={"items": [1, 2]},
                created_at=now - timedelta(days=4),
                sent_at=now - timedelta(days=4),
                opened_at=now - timedelta(days=3) if i < 2 else None,
                clicked_at=now - timedelta(days=3) if i == 0 else None,
            )
        )
    # alice active in weeks 0 and 2 after joining; bob only in week 0
    for name, days_after in (("Alice", 1), ("Alice", 15), ("Bob", 2)):
        m = members[name]
        s.add(
            Interaction(
                member_id=m.id,
                kind="digest_click",
                weight=1.5,
                source="digest",
                at=m.created_at + timedelta(days=days_after),
                meta={},
            )
        )


def rows_of(text: str) -> set[tuple[str, str, str]]:
    return {tuple(r) for r in csv.reader(io.StringIO(text))}  # type: ignore[misc]


async def test_stats_numbers_csv_and_png(db, clock):
    async with db.session() as s, s.begin():
        await seed(s, clock.now())
    async with db.session() as s:
        st = await analytics.compute(s, clock.now(), 30)
    rows = rows_of(analytics.to_csv(st))
    for expected in [
        ("members", "total", "4"),
        ("members_by_state", "active", "2"),
        ("members_by_state", "expired", "1"),
        ("flow", "new", "3"),  # alice, bob, dave started within 30 days; carol 60 days ago
        ("flow", "new_paying", "2"),  # dave is on a trial
        ("flow", "churned", "1"),
        ("flow", "net", "2"),
        ("mrr_minor", "USD", "900"),
        ("mrr_minor", "XTR", "205"),  # 2500 per 365 days, per 30 days
        ("trial", "conversion_pct", "50.0"),
        ("questions", "asked", "2"),
        ("questions", "answered", "1"),
        ("questions", "median_hours_to_answer", "3.0"),
        ("questions", "answered_by_bot", "1"),
        ("questions", "helpful_votes", "1"),
        ("questions", "unhelpful_votes", "1"),
        ("questions", "threads_opened", "1"),
        ("questions", "threads_solved", "1"),
        ("questions", "threads_stale", "0"),
        ("questions", "threads_failed", "1"),
        ("digest", "open_rate_pct", "50.0"),
        ("digest", "click_rate_pct", "25.0"),
        ("recommend", "impressions", "8"),
        ("recommend", "clicks", "1"),  # only alice's second click is inside the window
    ]:
        assert expected in rows, expected
    # access nobody paid for is not revenue: a moderator's grant and a redeemed code (before,
    # each counted at the plan's price, and a code added "0 CODE")
    async with db.session() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        for name, source in (("Gift", "grant"), ("Voucher", "code")):
            m = Member(display_name=name, created_at=clock.now(), tags=[], prefs={})
            s.add(m)
            await s.flush()
            s.add(
                Subscription(
                    member_id=m.id,
                    plan_id=plan.id,
                    state="active",
                    source=source,
                    started_at=clock.now(),
                    updated_at=clock.now(),
                    current_period_end=clock.now() + timedelta(days=30),
                )
            )
            if source == "code":
                s.add(
                    Payment(
                        provider="code",
                        provider_charge_id=f"code:1:member:{m.id}",
                        member_id=m.id,
                        plan_id=plan.id,
                        amount=0,
                        currency="CODE",
                        status="applied",
                        created_at=clock.now(),
                    )
                )
    async with db.session() as s:
        assert (await analytics.compute(s, clock.now(), 30)).mrr == {"USD": 900, "XTR": 205}
    cohort = st.cohorts[0]
    assert cohort[0] == "2026-01" and cohort[1] == 2  # alice and bob joined in January
    assert cohort[2][0] == 1.0 and cohort[2][2] == 0.5
    png, _ = charts.render(st, "en")
    assert png.startswith(PNG) and len(png) > 20_000
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    assert img.shape[:2] == (800, 1100)


async def test_stats_command_sends_chart_and_csv_in_both_languages(bot, db, clock):
    async with db.session() as s, s.begin():
        await seed(s, clock.now())
    out = await bot.say("mod", "/stats 30 csv")
    text = next(r for r in out if isinstance(r, Reply)).text
    assert "MRR: 9.00 USD, 205 XTR" in text
    assert "New members with a plan: 3 (2 paying, the rest on a trial or a code)" in text
    assert "Questions: 2 asked, 1 answered by members, median time to the first answer " in text
    assert re.search(r"first answer \d+(\.\d+)? h\n", text)
    assert (
        "Answers: the bot answered 1 of 2 (50.0%), 👍 1 👎 1; 1 thread opened, 1 solved, "
        "0 stale, 1 could not be opened"
    ) in text
    # membership states in words, the moderator's language (the CSV keeps the codes)
    members = next(line for line in text.splitlines() if line.startswith("Members:"))
    assert "active 2" in members and "expired 1" in members
    photo = next(r for r in out if isinstance(r, Photo))
    doc = next(r for r in out if isinstance(r, Document))
    assert photo.data.startswith(PNG) and len(photo.data) > 20_000
    assert ("mrr_minor", "USD", "900") in rows_of(doc.data.decode())
    await bot.say("mod", "/language zh")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = await bot.say("mod", "/stats")
    missing = [w for w in caught if "missing from" in str(w.message)]  # matplotlib's tofu warning
    assert not missing, missing[0].message
    text = next(r for r in out if isinstance(r, Reply)).text
    assert "月度经常性收入（MRR）" in text and "有效 2" in text and "已过期 1" in text
    assert "9.00 USD，205 XTR" in text and ", " not in text.splitlines()[1]  # Chinese commas
    photo = next(r for r in out if isinstance(r, Photo))
    assert photo.data.startswith(PNG)
    assert charts.cjk_font() == "Noto Sans CJK TC"  # the bundled font: Chinese labels render
    assert "图表标签使用英文" not in photo.caption


def test_stats_cli_prints_and_exports_csv(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app
    from core.clock import SystemClock
    from models.db import make_engine, session_factory, upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)

    async def _seed() -> None:
        engine = make_engine(url)
        async with session_factory(engine)() as s, s.begin():
            await seed(s, SystemClock().now())
        await engine.dispose()

    asyncio.run(_seed())
    monkeypatch.setenv("SYLLABOT_DATABASE_URL", url)
    runner = CliRunner()
    res = runner.invoke(app, ["stats", "--csv", "-"])
    assert res.exit_code == 0, res.output
    assert ("mrr_minor", "USD", "900") in rows_of(res.output)
    chart = tmp_path / "dash.png"
    res = runner.invoke(app, ["stats", "--chart", str(chart)])
    assert res.exit_code == 0, res.output
    assert chart.read_bytes().startswith(PNG)
    res = runner.invoke(app, ["stats", "--days", "0"])
    assert res.exit_code != 0


def test_admin_cli_role_and_audit(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app
    from core.clock import SystemClock
    from models.db import make_engine, session_factory, upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)

    async def _seed() -> None:
        engine = make_engine(url)
        async with session_factory(engine)() as s, s.begin():
            s.add(Member(display_name="Zoe", created_at=SystemClock().now(), tags=[], prefs={}))
        await engine.dispose()

    asyncio.run(_seed())
    monkeypatch.setenv("SYLLABOT_DATABASE_URL", url)
    runner = CliRunner()
    res = runner.invoke(app, ["admin", "role", "1", "expert"])
    assert res.exit_code == 0 and "member -> expert" in res.output, res.output
    assert runner.invoke(app, ["admin", "role", "1", "owner"]).exit_code == 2
    assert runner.invoke(app, ["admin", "role", "99", "expert"]).exit_code == 1
    res = runner.invoke(app, ["admin", "audit"])
    assert "cli member.role member:1" in res.output
    res = runner.invoke(app, ["admin", "purge-interactions"])
    assert "deleted 0" in res.output


async def test_stats_with_no_answer_yet_show_a_dash_without_a_unit(bot):
    """ "median time to the first answer - h" read as a typo; a dash alone says "none yet"."""
    out = await bot.say("mod", "/stats week")
    text = next(r for r in out if isinstance(r, Reply)).text
    assert "Questions: 0 asked, 0 answered by members, median time to the first answer -\n" in text
