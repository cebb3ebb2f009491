"""A paying member can always get a fresh way into the chats their plan opens.

A Telegram invite link works once and for a day: a member who paid and came back later, or
lost the message, had no way in ("where is the group chat?" opened a community thread)."""

from __future__ import annotations

import pytest
from membership_helpers import demo_settings, member_id, set_targets
from sqlalchemy import func, select

from core.events import Actor, Chat, Command
from core.membership import grants, service
from core.membership.invites import PER_DAY, asks_for_a_way_in
from core.replies import Invite, Reply
from models.audit import AuditLog
from models.member import Member
from models.qa import Question


@pytest.fixture
def settings(db):
    return demo_settings(db.url, demo=False)


async def _say(app, user: str, name: str, args: str = "", kind: str = "private") -> list:
    chat = Chat("telegram", user if kind == "private" else "-1001", kind)
    return await app.router.dispatch(Command(Actor("telegram", user), chat, name=name, args=args))


def _text(out: list) -> str:
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def _grant(app, mid: int, code: str = "monthly", days: int = 0) -> list:
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mid)
        return await service.grant(s, app.services, m, code, days, actor="system")


async def test_a_paying_member_gets_a_fresh_invite_a_few_times_a_day(app, db, clock):
    await set_targets(app, "monthly", telegram=["-1001"])
    mid = await member_id(app, "telegram", "41")
    first = next(r for r in await _grant(app, mid) if isinstance(r, Invite))
    assert "/invite sends a fresh one" in _text(await _say(app, "41", "status"))
    clock.advance(days=3)  # the first link expired long ago
    out = await _say(app, "41", "invite")
    again = [r for r in out if isinstance(r, Invite)]
    assert [(i.member_id, i.target, i.grant_id) for i in again] == [(mid, "-1001", first.grant_id)]
    assert again[0].expires_at == clock.now() + grants.INVITE_TTL  # a day from now
    assert "works once, for you, for 24 hours" in _text(out)
    for _ in range(PER_DAY - 1):
        assert any(isinstance(r, Invite) for r in await _say(app, "41", "invite"))
    out = await _say(app, "41", "invite")
    assert not any(isinstance(r, Invite) for r in out) and "/support" in _text(out)
    async with db.session() as s:
        n = (
            await s.execute(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "access.invite_again")
            )
        ).scalar_one()
    assert n == PER_DAY  # each fresh invite audited, the refused one not
    clock.advance(days=2)
    assert any(isinstance(r, Invite) for r in await _say(app, "41", "invite"))


async def test_without_a_plan_or_chats_nothing_is_sent(app, clock):
    mid = await member_id(app, "telegram", "42")
    out = await _say(app, "42", "invite")
    assert not any(isinstance(r, Invite) for r in out) and "/plans" in _text(out)
    await _grant(app, mid)  # a plan that opens no chat
    assert "/invite" not in _text(await _say(app, "42", "status"))
    out = await _say(app, "42", "invite")
    assert not any(isinstance(r, Invite) for r in out) and "does not open" in _text(out)
    await set_targets(app, "monthly", telegram=["-1001"])
    clock.advance(days=40)  # the plan ran out
    from core.jobs import run_all

    await run_all(app.services)
    out = await _say(app, "42", "invite")
    assert not any(isinstance(r, Invite) for r in out) and "/plans" in _text(out)


async def test_asking_for_the_group_in_words_gets_the_invite(app, db, clock):
    await set_targets(app, "monthly", telegram=["-1001"])
    mid = await member_id(app, "telegram", "43")
    await _grant(app, mid)
    for question in (
        "where is the group chat?",
        "my invite link expired",
        "I paid but I can't get into the group",  # was offered to the moderators
        "怎么进群？",
    ):
        clock.advance(days=1)  # under the daily limit
        out = await _say(app, "43", "ask", question)
        assert any(isinstance(r, Invite) for r in out), (question, _text(out))
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Question))).scalar_one() == 0
    # someone without a plan asking the same is not sent one
    await member_id(app, "telegram", "44")
    out = await _say(app, "44", "ask", "where is the group chat?")
    assert not any(isinstance(r, Invite) for r in out)


def test_which_questions_ask_for_a_way_in():
    assert asks_for_a_way_in("Where's the Discord server?")
    assert asks_for_a_way_in("send me a new invite link please")
    assert asks_for_a_way_in("邀请链接过期了")
    assert not asks_for_a_way_in("where is the group by clause used?")
    assert not asks_for_a_way_in("how do I join two tables?")


async def test_chats_on_a_platform_the_member_is_not_on_yet_need_link_first(app):
    await set_targets(app, "monthly", telegram=["-1001"])
    mid = await member_id(app, "console", "c45")
    await _grant(app, mid)
    out = await app.router.dispatch(
        Command(Actor("console", "c45"), Chat("console", "c45", "private"), name="invite")
    )
    assert not any(isinstance(r, Invite) for r in out)
    assert "opens chats on Telegram" in _text(out) and "/link" in _text(out)


async def test_a_discord_role_granted_before_joining_the_server_is_given_on_join(app):
    """Paid first, joined the server later: the role could not be added while they were not
    on it, and joining gave nothing (the adapter's "role follows on join" never happened)."""
    from core.events import MemberJoined

    await set_targets(app, "monthly", discord_guild="777", discord_roles=["55", "56"])
    mid = await member_id(app, "discord", "46")
    first = [r for r in await _grant(app, mid) if isinstance(r, Invite)]
    assert {(i.target, i.role) for i in first} == {("777", "55"), ("777", "56")}
    joined = MemberJoined(
        Actor("discord", "46"), Chat("discord", "777", "guild"), "join-46", target="777"
    )
    out = await app.router.dispatch(joined)
    given = sorted((r.member_id, r.target, r.role) for r in out if isinstance(r, Invite))
    assert given == [(mid, "777", "55"), (mid, "777", "56")]
    other = await member_id(app, "discord", "47")  # no plan: removed, no role
    out = await app.router.dispatch(
        MemberJoined(Actor("discord", "47"), Chat("discord", "777", "guild"), "j47", target="777")
    )
    assert not any(isinstance(r, Invite) for r in out) and other
