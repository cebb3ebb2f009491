"""Out-of-band replies (jobs, webhooks) reach the member on the right platform."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.jobs import PeriodicJob, run_and_deliver
from core.replies import Invite, Kick, Reply
from models.member import Account, Member


async def _member(db, clock, *platforms: str) -> int:
    async with db.session() as s, s.begin():
        m = Member(display_name="Dee", created_at=clock.now(), tags=[], prefs={})
        s.add(m)
        await s.flush()
        for i, p in enumerate(platforms):
            s.add(
                Account(
                    member_id=m.id,
                    platform=p,
                    platform_user_id=f"{p}-{m.id}-{i}",
                    chat_id=f"{p}-chat",
                    created_at=clock.now(),
                )
            )
        return m.id


async def test_job_replies_are_routed_to_each_platforms_executor(app, db, clock):
    both = await _member(db, clock, "discord", "telegram")
    discord_only = await _member(db, clock, "discord")
    nowhere = await _member(db, clock)
    got: dict[str, list] = {"telegram": [], "discord": []}

    async def tg(batch):
        got["telegram"].extend(batch)

    async def dc(batch):
        got["discord"].extend(batch)

    app.services.extras["executors"] = {"telegram": tg, "discord": dc}
    replies = [
        Reply("renewal reminder", member_id=both),
        Reply("renewal reminder", member_id=discord_only),
        Reply("lost", member_id=nowhere),
        Invite(member_id=both, platform="discord", target="guild:1", role="42"),
        Kick(member_id=both, platform="telegram", target="-100"),
    ]

    async def job(_services):
        return replies

    n = await run_and_deliver(app.services, PeriodicJob("t", timedelta(hours=1), job))
    assert n == 5
    assert [r.member_id for r in got["telegram"] if isinstance(r, Reply)] == [both]
    assert [type(r).__name__ for r in got["telegram"]] == ["Reply", "Kick"]
    assert [type(r).__name__ for r in got["discord"]] == ["Reply", "Invite"]
    assert got["discord"][0].member_id == discord_only


def test_discord_member_without_dm_channel_still_gets_digests():
    from datetime import UTC, datetime

    from core.digest.outbox import dm_target, pick_account

    now = datetime(2026, 1, 1, tzinfo=UTC)
    m = Member(display_name="D", created_at=now, tags=[], prefs={})
    acc = Account(platform="discord", platform_user_id="123", chat_id=None, created_at=now)
    m.accounts = [acc]
    assert pick_account(m) is acc and dm_target(acc) == "user:123"
    tg = Account(platform="telegram", platform_user_id="9", chat_id=None, created_at=now)
    assert dm_target(tg) is None  # Telegram needs the member to have opened a chat with us


async def test_a_job_dm_in_the_members_quiet_hours_is_sent_silently(app, db, clock):
    """The clock says 09:00 UTC: inside 22-10 for the night owl, outside it for the other."""
    night_owl = await _member(db, clock, "telegram")
    other = await _member(db, clock, "telegram")
    async with db.session() as s, s.begin():
        m = await s.get(Member, night_owl)
        m.quiet_start, m.quiet_end = 22, 10
    got: list = []

    async def tg(batch):
        got.extend(batch)

    app.services.extras["executors"] = {"telegram": tg}

    async def job(_services):
        return [Reply("Thread #3 got no answer yet", member_id=mid) for mid in (night_owl, other)]

    await run_and_deliver(app.services, PeriodicJob("t", timedelta(hours=1), job))
    assert {r.member_id: r.silent for r in got} == {night_owl: True, other: False}


async def test_quiet_hours_are_checked_for_a_job_that_dms_over_a_thousand_members(app, db, clock):
    """More members than one SQL statement may name (SQLite caps its parameters)."""
    from core.quiet_hours import hush

    async with db.session() as s, s.begin():
        members = [
            Member(display_name=f"m{i}", created_at=clock.now(), tags=[], prefs={})
            for i in range(1200)
        ]
        for m in members[::300]:  # 09:00 UTC falls in 22-10
            m.quiet_start, m.quiet_end = 22, 10
        s.add_all(members)
    async with db.session() as s:
        ids = (await s.execute(select(Member.id).order_by(Member.id))).scalars().all()
        out = await hush(s, clock.now(), [Reply("Renewal reminder", member_id=i) for i in ids])
    assert [r.member_id for r in out if r.silent] == ids[::300]
