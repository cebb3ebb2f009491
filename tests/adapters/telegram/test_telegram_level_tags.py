"""Level rewards on Telegram: a member tag set with setChatMemberTag, cleared when access ends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from tg_payloads import GROUP_ID

from core.engagement import rules
from core.engagement.service import sync_level_rewards
from core.events import Actor, Chat, Command
from core.replies import MemberTag
from models.interaction import Interaction
from models.member import Account
from models.membership import Plan, Subscription


async def _member_id(app, uid: str, name: str) -> int:
    await app.router.dispatch(
        Command(
            Actor("telegram", uid, name, name.lower()), Chat("telegram", uid), None, name="whoami"
        )
    )
    async with app.services.session_factory() as s:
        acc = (await s.execute(select(Account).where(Account.platform_user_id == uid))).scalar_one()
        return acc.member_id


async def test_level_reward_tag_is_set_then_cleared_on_the_wire(tg, wire, app, clock):
    out = await app.router.dispatch(
        Command(
            Actor("telegram", "9000", "Mod", "mod"),
            Chat("telegram", str(GROUP_ID), "group"),
            None,
            name="levelreward",
            args=f"add 2 telegram {GROUP_ID} Study Buddy",
        )
    )
    assert "added for level 2" in out[0].text
    mid = await _member_id(app, "4242", "Alice")
    now = clock.now()
    async with app.services.session_factory() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        s.add(
            Subscription(
                member_id=mid,
                plan_id=plan.id,
                state="active",
                started_at=now,
                current_period_end=now + timedelta(days=30),
                updated_at=now,
            )
        )
        s.add(Interaction(member_id=mid, kind="course_complete", weight=5.0, at=now, meta={}))
    scoring = rules.Scoring.of(app.services.settings)
    wire.clear()
    for _ in range(2):  # the periodic job runs again: nothing is sent twice
        async with app.services.session_factory() as s, s.begin():
            replies = await sync_level_rewards(s, clock, scoring)
        await tg.executor.run(replies)
    (call,) = wire.calls
    assert call.method == "setChatMemberTag"
    assert (call["chat_id"], call["user_id"], call["tag"]) == (GROUP_ID, 4242, "Study Buddy")
    wire.clear()
    clock.advance(timedelta(days=40))  # period and grace are over
    async with app.services.session_factory() as s, s.begin():
        replies = await sync_level_rewards(s, clock, scoring)
    assert replies == [MemberTag(mid, "telegram", str(GROUP_ID), "")]
    await tg.executor.run(replies)
    (clear,) = wire.calls
    assert clear.method == "setChatMemberTag" and clear["tag"] == ""
    assert clear["user_id"] == 4242


async def test_a_tag_for_a_discord_only_member_makes_no_call(tg, wire):
    await tg.executor.run([MemberTag(987654, "telegram", str(GROUP_ID), "Mentor")])
    await tg.executor.run([MemberTag(987654, "discord", "1", "Mentor")])
    assert wire.calls == []
