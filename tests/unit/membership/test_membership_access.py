"""Access: joins, shared links, staff never removed, trials once, moderator API, plan sync."""

from __future__ import annotations

import pytest
from membership_helpers import demo_settings, member_id, set_targets
from sqlalchemy import select

from core.errors import DomainError
from core.events import Actor, Button, Chat, Command, MemberJoined
from core.jobs import run_all
from core.membership import grants, plans, reconcile, service
from core.replies import ApproveJoin, Invite, Kick, Reply
from models.audit import AuditLog
from models.member import Member
from models.membership import AccessGrant, Plan, Subscription


@pytest.fixture
def settings(db):
    return demo_settings(db.url, demo=False)


def _console_say(app, user: str):
    """A command from `user` in their console chat -> the text of the replies."""
    a, c = Actor("console", user), Chat("console", user)

    async def say(name: str, args: str = "") -> str:
        out = await app.router.dispatch(Command(a, c, name=name, args=args))
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    return say


async def _grant(app, mid: int, code: str = "monthly", days: int = 0) -> list:
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mid)
        return await service.grant(s, app.services, m, code, days, actor="system")


def _join(user: str, target: str = "-1001", **kw) -> MemberJoined:
    return MemberJoined(
        Actor("telegram", user),
        Chat("telegram", target, "group"),
        f"j-{user}-{kw}",
        target=target,
        **kw,
    )


async def test_join_requests_approved_for_members_declined_with_dm_otherwise(app):
    await set_targets(app, "monthly", telegram=["-1001"])
    paying = await member_id(app, "telegram", "11")
    await _grant(app, paying)
    assert await app.router.dispatch(_join("11", join_request=True)) == [
        ApproveJoin("telegram", "-1001", "11", True)
    ]
    out = await app.router.dispatch(_join("12", join_request=True))
    assert out[0] == ApproveJoin("telegram", "-1001", "12", False)
    assert isinstance(out[1], Reply) and "declined" in out[1].text and out[1].member_id is not None
    assert await app.router.dispatch(_join("13", target="-999")) == []  # not a chat we sell


async def test_link_used_by_someone_else_is_replaced_and_the_user_removed(app, db):
    await set_targets(app, "monthly", telegram=["-1001"])
    owner = await member_id(app, "telegram", "21")
    invite = next(r for r in await _grant(app, owner) if isinstance(r, Invite))
    async with app.services.session_factory() as s, s.begin():
        await grants.record_invite_link(s, invite.grant_id, "https://t.me/+abc")
    out = await app.router.dispatch(_join("22", invite_link="https://t.me/+abc"))
    assert [(k.platform_user_id, k.target) for k in out if isinstance(k, Kick)] == [("22", "-1001")]
    fresh = [r for r in out if isinstance(r, Invite)]
    assert [(i.member_id, i.target) for i in fresh] == [(owner, "-1001")] and fresh[
        0
    ].grant_id != invite.grant_id
    async with db.session() as s:
        old = await s.get_one(AccessGrant, invite.grant_id)
        assert old.revoked_at is not None and old.revoke_reason == "link_used_by_other"
    # The owner using their own new link is fine.
    async with app.services.session_factory() as s, s.begin():
        await grants.record_invite_link(s, fresh[0].grant_id, "https://t.me/+new")
    assert await app.router.dispatch(_join("21", invite_link="https://t.me/+new")) == []


async def test_staff_are_never_removed(app, db, clock):
    await set_targets(app, "monthly", telegram=["-1001"])
    mod = await member_id(app, "telegram", "9000")  # a configured moderator
    await _grant(app, mod, days=5)
    assert await app.router.dispatch(_join("9000")) == []  # joins without a plan are fine too
    clock.advance(days=30)
    out = await run_all(app.services)
    assert not [r for r in out if isinstance(r, Kick)]
    assert any("keep access as staff" in r.text for r in out if isinstance(r, Reply))
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "expired"
    assert await run_all(app.services) == []  # and told once


async def test_unpaid_join_is_removed_and_expiry_kicks_once(app, db, clock):
    await set_targets(app, "monthly", telegram=["-1001"])
    out = await app.router.dispatch(_join("31"))
    assert [k.platform_user_id for k in out if isinstance(k, Kick)] == ["31"]
    mid = await member_id(app, "telegram", "32")
    await _grant(app, mid, days=2)
    clock.advance(days=10)
    kicks = [r for r in await run_all(app.services) if isinstance(r, Kick)]
    assert [(k.member_id, k.target, k.platform_user_id) for k in kicks] == [(mid, "-1001", "32")]
    assert [r for r in await run_all(app.services) if isinstance(r, Kick)] == []


async def test_trial_is_once_per_member_across_plans(app):
    a, c = Actor("console", "tia", username="tia"), Chat("console", "tia")
    out = await app.router.dispatch(Command(a, c, name="plans"))
    labels = [b.label for row in out[0].buttons for b in row]
    assert "Try Monthly membership free for 7 days" in labels  # the plan named: two trials here
    data = next(
        b.data
        for row in out[0].buttons
        for b in row
        if b.label == "Try Monthly membership free for 7 days"
    )
    from core.events import Button

    out = await app.router.dispatch(Button(a, c, "b1", data=data))
    assert "free trial" in out[0].text
    yearly = app.services.signer.encode("mtrial", "yearly")
    out = await app.router.dispatch(Button(a, c, "b2", data=yearly))
    assert out[0].text.startswith(
        "You have already used your free trial (Monthly membership, from 2026-03-"
    )
    out = await app.router.dispatch(Command(a, c, name="plans"))
    assert "free for 7 days" not in " ".join(b.label for row in out[0].buttons for b in row)


async def test_trial_command_starts_the_named_plans_trial_once(app, db):
    say = _console_say(app, "tom")
    bare = await say("trial")  # no plan named: the plans, with their trial buttons
    assert "Yearly membership" in bare and "free trial: 7 days" in bare
    assert await say("trial", "platinum") == "There is no plan called 'platinum'. See /plans."
    assert "free trial of “Yearly membership” has started" in await say("trial", "Yearly")
    again = await say("trial", "monthly")
    assert "already used your free trial (Yearly membership, from 2026-03-" in again
    assert "/subscribe PLAN" in again
    assert "already used your free trial (Yearly membership" in await say("trial")
    # /status of a member with no plan points to a trial only while they have theirs
    assert (await _console_say(app, "una")("status")).endswith("/trial monthly.")
    async with db.session() as s:
        states = (await s.execute(select(Subscription.state))).scalars().all()
    assert states == ["trialing"]  # the refused monthly trial left no subscription behind


async def test_a_misspelt_plan_is_answered_with_a_tap_on_the_plan_it_most_likely_means(app, db):
    """A "/subscribe montly" said only that no such plan exists; the member had to read
    /plans and type it again. The near spelling is named, with its buy or trial button, and
    nothing starts until it is tapped; a word near no plan, or near two, is still unknown."""
    a, c = Actor("console", "tina"), Chat("console", "tina")

    async def send(name: str, args: str) -> Reply:
        out = await app.router.dispatch(Command(a, c, name=name, args=args))
        assert len(out) == 1 and isinstance(out[0], Reply)
        return out[0]

    buy = await send("subscribe", "montly")
    assert buy.text == (
        "There is no plan called 'montly'. Did you mean “Monthly membership”? See /plans."
    )
    assert [[b.label for b in row] for row in buy.buttons] == [["Buy Monthly membership"]]
    assert app.services.signer.decode(buy.buttons[0][0].data) == ("msub", ["monthly"])
    trial = await send("trial", "Yearly membrship")
    assert "Did you mean “Yearly membership”?" in trial.text
    assert [b.label for row in trial.buttons for b in row] == [
        "Try Yearly membership free for 7 days"
    ]
    assert (await send("trial", "lifetme")).buttons == []  # no trial to offer: named only
    assert (
        "Did you mean “Yearly membership”?" in (await send("trial", "anual")).text
    )  # a length, misspelt
    assert "Did you mean “Monthly membership”?" in (await send("subscribe", "月费会员")).text
    await app.router.dispatch(Command(a, c, name="language", args="zh"))
    assert "您要找的是“月度会员”吗" in (await send("subscribe", "月会员")).text  # by its title
    await app.router.dispatch(Command(a, c, name="language", args="en"))
    unknown = await send("subscribe", "platinum")
    assert unknown.text == "There is no plan called 'platinum'. See /plans." and not unknown.buttons
    async with db.session() as s:
        assert (await s.execute(select(Subscription))).first() is None  # nothing started
    out = await app.router.dispatch(Button(a, c, "b1", data=trial.buttons[0][0].data))
    assert "free trial of “Yearly membership” has started" in out[0].text


async def test_a_plan_is_named_by_its_length_as_members_say_it(app, db):
    """ "/subscribe 年费" (annual fee) or "/trial annual" named no plan: no code or title
    holds the word. A word for a length names the one plan on sale of that length; with two
    such plans it names neither."""
    say = _console_say(app, "yan")
    a, c = Actor("console", "yan"), Chat("console", "yan")
    offer = await app.router.dispatch(Command(a, c, name="subscribe", args="年费"))
    assert "Yearly membership" in repr(offer) and "no plan called" not in repr(offer)
    offer = await app.router.dispatch(Command(a, c, name="subscribe", args="年付"))  # "pay yearly"
    assert "Yearly membership" in repr(offer) and "no plan called" not in repr(offer)
    assert "free trial of “Yearly membership” has started" in await say("trial", "annual")
    async with db.session() as s, s.begin():
        s.add(Plan(code="monthly-pro", title_en="Monthly pro", period_days=30, active=True))
    assert await say("subscribe", "包月") == "There is no plan called '包月'. See /plans."
    async with db.session() as s:
        plans_bought = (await s.execute(select(Subscription.plan_id))).scalars().all()
    assert len(plans_bought) == 1  # the trial; "年费" only offered a checkout


async def test_no_trial_of_a_plan_the_members_own_plan_already_covers(app):
    """A paying member could start a trial of a plan that opens nothing more than theirs,
    spending their one trial on nothing; a plan that opens more may still be tried."""
    await set_targets(app, "monthly", telegram=["-1001"])
    await set_targets(app, "yearly", telegram=["-1001"])
    mid = await member_id(app, "console", "vic")
    await _grant(app, mid, "monthly", days=30)
    say = _console_say(app, "vic")
    assert await say("trial", "yearly") == (
        "Your “Monthly membership” already opens everything “Yearly membership” does, so a "
        "trial would add nothing; your one free trial stays yours for later."
    )
    assert "free for 7 days" not in await _plan_buttons(app, "vic")
    await set_targets(app, "yearly", telegram=["-1001", "-1002"])  # now it opens more
    assert "free for 7 days" in await _plan_buttons(app, "vic")
    assert "free trial of “Yearly membership” has started" in await say("trial", "yearly")


async def _plan_buttons(app, user: str) -> str:
    a, c = Actor("console", user), Chat("console", user)
    out = await app.router.dispatch(Command(a, c, name="plans"))
    return " ".join(b.label for row in out[0].buttons for b in row)


async def test_a_free_trial_that_runs_out_is_told_as_a_trial(app, clock):
    """The removal after a trial read "Your plan … has ended": members who never paid took
    it for a lost subscription. It now says the free trial is over, and which plan to buy."""
    await set_targets(app, "monthly", telegram=["-1001"])
    say = _console_say(app, "uma")
    assert "has started" in await say("trial", "monthly")
    assert "nothing is charged" in await say("cancel")
    clock.advance(days=8)
    out = await run_all(app.services)
    assert _dms(out) == [
        "Your free trial of “Monthly membership” is over, and with it your access to the "
        "members' chats. To come back, subscribe with /subscribe monthly."
    ]


async def test_moderator_api_grant_extend_revoke_ban_unban(app, db, clock):
    mid = await member_id(app, "console", "max")
    await _grant(app, mid, "monthly", 10)
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mid)
        out = await service.extend(s, app.services, m, 5, actor="system")
        assert "extended until 2026-03-17" in out[0].text
        with pytest.raises(DomainError):
            await service.extend(s, app.services, m, 0, actor="system")
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mid)
        await service.ban(s, app.services, m, actor="system", reason="spam")
    a, c = Actor("console", "max"), Chat("console", "max")
    out = await app.router.dispatch(Command(a, c, name="status"))
    assert "suspended" in out[0].text
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mid)
        told = await service.unban(s, app.services, m, actor="system")
    assert [(r.member_id, r.text) for r in told if isinstance(r, Reply)] == [
        (
            mid,
            "A moderator lifted the suspension of your account: you can use the bot and the "
            "community again. Your membership is back: “Monthly membership” until "
            "2026-03-17 09:00 UTC.",
        )
    ]
    out = await app.router.dispatch(Command(a, c, "st2", name="status"))
    assert "active, ends on 2026-03-17" in out[0].text
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mid)
        out = await service.revoke(s, app.services, m, actor="system", reason="chargeback")
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "removed"
    async with app.services.session_factory() as s, s.begin():  # nothing to give back
        m = await s.get_one(Member, mid)
        await service.ban(s, app.services, m, actor="system")
        told = await service.unban(s, app.services, m, actor="system")
    assert [r.text for r in told if isinstance(r, Reply)] == [
        "A moderator lifted the suspension of your account: you can use the bot and the "
        "community again. See /plans to join."
    ]


async def test_status_shows_times_in_the_members_timezone_and_cancel(app, db):
    mid = await member_id(app, "console", "yan")
    async with app.services.session_factory() as s, s.begin():
        (await s.get_one(Member, mid)).timezone = "Asia/Shanghai"
    await _grant(app, mid, "monthly", 30)
    a, c = Actor("console", "yan"), Chat("console", "yan")
    out = await app.router.dispatch(Command(a, c, "s1", name="status"))
    assert "ends on 2026-04-01 17:00 CST" in out[0].text
    out = await app.router.dispatch(Command(a, c, "s2", name="cancel"))
    assert "will not renew" in out[0].text and "17:00 CST" in out[0].text
    out = await app.router.dispatch(Command(a, c, "s3", name="cancel"))
    assert "no renewing membership" in out[0].text


async def test_cancel_with_two_plans_asks_which_one_stops(app, db):
    """/cancel with two live plans stopped both at once (and /resume renewed both); now the
    member picks one, or all with one tap, and a second press of a spent choice changes
    nothing."""
    mid = await member_id(app, "console", "zoe")
    await _grant(app, mid, "monthly", 30)
    await _grant(app, mid, "yearly", 365)
    a, c = Actor("console", "zoe"), Chat("console", "zoe")
    (ask,) = await app.router.dispatch(Command(a, c, name="cancel"))
    assert "Which of your 2 plans should stop?" in ask.text and ask.ephemeral
    labels = [b.label for row in ask.buttons for b in row]
    assert labels == ["Stop Monthly membership", "Stop Yearly membership", "Stop all"]

    async def press(i: int) -> str:
        data = [b.data for row in ask.buttons for b in row][i]
        out = await app.router.dispatch(Button(a, c, data=data))
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    async def states() -> dict[str, str]:
        async with db.session() as s:
            q = (
                select(Plan.code, Subscription.state)
                .join(Plan)
                .where(Subscription.member_id == mid)
            )
            return dict((await s.execute(q)).all())

    assert await states() == {"monthly": "active", "yearly": "active"}
    assert "“Yearly membership” will not renew" in await press(1)
    assert await states() == {"monthly": "active", "yearly": "cancelled"}
    assert "no renewing membership" in await press(1)  # already stopped: nothing changes
    # One plan left to stop: /cancel stops it without asking.
    assert "“Monthly membership” will not renew" in await _console_say(app, "zoe")("cancel")
    assert await states() == {"monthly": "cancelled", "yearly": "cancelled"}
    # /resume asks the same way; "Renew all" takes both cancels back.
    (ask,) = await app.router.dispatch(Command(a, c, name="resume"))
    assert "Which of your 2 cancelled plans should renew again?" in ask.text
    labels = [b.label for row in ask.buttons for b in row]
    assert labels == ["Renew Monthly membership", "Renew Yearly membership", "Renew all"]
    said = await press(2)
    assert "“Monthly membership” is active again" in said
    assert "“Yearly membership” is active again" in said
    assert await states() == {"monthly": "active", "yearly": "active"}
    # "all" typed is the "all" button ("/cancel all" was "no plan called 'all'")
    said = await _console_say(app, "zoe")("cancel", "全部")
    assert "“Monthly membership” will not renew" in said and "“Yearly membership”" in said
    assert await states() == {"monthly": "cancelled", "yearly": "cancelled"}
    await _console_say(app, "zoe")("resume", "all")
    assert await states() == {"monthly": "active", "yearly": "active"}


async def test_resume_takes_a_cancel_back_but_not_a_trial_or_a_discord_plan(app, db, clock):
    mid = await member_id(app, "console", "yan")
    await _grant(app, mid, "monthly", 30)
    say = _console_say(app, "yan")

    async def state() -> tuple[str, bool]:
        async with db.session() as s:
            q = select(Subscription).where(Subscription.member_id == mid)
            sub = (await s.execute(q)).scalar_one()
            return sub.state, sub.auto_renew

    assert "no cancelled plan to resume" in await say("resume")
    assert "Send /resume" in await say("cancel")
    assert "There is no plan called 'gold'" in await say("resume", "gold")
    assert await state() == ("cancelled", False)
    assert "cancelled, ends on 2026-04-01 09:00 UTC (/resume keeps it going)" in await say("status")
    assert "“Monthly membership” is active again, until 2026-04-01" in await say("resume")
    assert await state() == ("active", False)  # a granted period still does not renew
    assert "no cancelled plan to resume" in await say("resume")
    # A free trial ends on its own date either way: resuming it would make it "paid".
    yan2 = await member_id(app, "console", "yan2")
    a2, c2 = Actor("console", "yan2"), Chat("console", "yan2")
    async with app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, yan2)
        plan = await plans.get_plan(s, "monthly")
        await service.start_trial(s, app.services, m, plan)
    out = await app.router.dispatch(Command(a2, c2, name="cancel"))
    assert out[0].text.startswith("Your free trial of “Monthly membership” is cancelled: it ends")
    assert "/resume" not in out[0].text and "/subscribe monthly" in out[0].text
    out = await app.router.dispatch(Command(a2, c2, name="resume"))
    assert "runs until" in out[0].text and "/subscribe monthly" in out[0].text
    async with db.session() as s:
        q = select(Subscription.state).where(Subscription.member_id == yan2)
        assert (await s.execute(q)).scalar_one() == "cancelled"
        # A Discord subscription bills through Discord: /cancel says where, changes nothing.
        await s.execute(
            Subscription.__table__.update()
            .where(Subscription.member_id == mid)
            .values(source="discord", auto_renew=True, external_ref="ent:77")
        )
        await s.commit()
    assert "User Settings → Subscriptions" in await say("cancel")
    assert await state() == ("active", True)
    # Revoked, it would still renew in Discord: the moderators hear that only yan can stop it.
    await member_id(app, "console", "mod")
    async with app.services.session_factory() as s, s.begin():
        out = await service.revoke(s, app.services, await s.get_one(Member, mid), actor="system")
    told = [r.text for r in out if isinstance(r, Reply) and r.member_id != mid]
    assert any(f"Member #{mid} lost access" in t and "only they can stop it" in t for t in told)


async def test_plans_in_private_offer_only_what_works_and_say_where_the_member_stands(app, db):
    """Before, a paying member was offered the free trial of their own plan (refused when
    tapped) and "Buy" for a plan that renews by itself (refused too), with no word of what
    they already had."""
    await set_targets(app, "yearly", telegram=["-1002"])  # the yearly opens more: triable
    mid = await member_id(app, "telegram", "pia")
    await _grant(app, mid, "monthly", 10)
    a = Actor("telegram", "pia", username="pia")

    async def plans_in(chat: Chat) -> tuple[str, list[str]]:
        (out,) = await app.router.dispatch(Command(a, chat, name="plans"))
        return out.text, [b.label for row in out.buttons for b in row]

    text, labels = await plans_in(Chat("telegram", "pia"))
    assert (
        labels
        == [
            "Buy Monthly membership",
            "Buy Yearly membership",
            "Try Yearly membership free for 7 days",  # the yearly's: the monthly's trial is not for a member of it
        ]
    )
    assert text.endswith(
        "\n\nYour membership:\n• Monthly membership: active, ends on 2026-03-12 09:00 UTC"
    )
    async with db.session() as s, s.begin():  # now a provider renews it
        sub = (await s.execute(select(Subscription))).scalar_one()
        sub.auto_renew, sub.source = True, "stripe"
    _, labels = await plans_in(Chat("telegram", "pia"))
    assert labels == ["Buy Yearly membership", "Try Yearly membership free for 7 days"]
    group_text, group_labels = await plans_in(Chat("telegram", "-100", "group"))
    assert "Your membership" not in group_text  # a group sees the plans, not the member
    assert "Buy Monthly membership" in group_labels


async def test_plan_sync_is_idempotent_and_keeps_moderator_edits(app, db):
    s_ = app.services
    async with s_.session_factory() as s, s.begin():
        assert await plans.sync_plans(s, s_.settings, s_.clock) == []
        await plans.edit_plan(
            s, s_.clock, "monthly", actor="system", title_en="Monthly pass", grace_days=5
        )
    await app.startup()  # a restart
    async with db.session() as s:
        p = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        assert (p.title_en, p.grace_days) == ("Monthly pass", 5)
        codes = set((await s.execute(select(Plan.code))).scalars())
        assert codes == {"monthly", "yearly", "lifetime"}
    async with s_.session_factory() as s, s.begin():
        with pytest.raises(DomainError):
            await plans.edit_plan(s, s_.clock, "monthly", actor="system", period_days=-3)
    async with s_.session_factory() as s, s.begin():
        with pytest.raises(DomainError):
            await plans.edit_plan(
                s, s_.clock, "monthly", actor="system", targets={"telegram": ["x"]}
            )
    async with s_.session_factory() as s, s.begin():
        p = await plans.edit_plan(
            s,
            s_.clock,
            "monthly",
            actor="system",
            targets={"telegram": [-1001], "kick_on_expiry": True},
        )
        assert grants.targets_for(p) == [("telegram", "-1001", None)]


async def test_reconcile_dry_run_reports_and_the_job_fixes(app, db):
    mid = await member_id(app, "telegram", "41")
    await _grant(app, mid)  # no targets yet: no grant
    await set_targets(app, "monthly", telegram=["-1001"])  # a moderator adds a chat later
    async with app.services.session_factory() as s, s.begin():
        rep = await reconcile.reconcile(s, app.services, dry_run=True)
    assert rep.lines() == [f"grant missing: member #{mid} telegram:-1001"] and rep.replies == []
    async with db.session() as s:
        assert (await s.execute(select(AccessGrant))).scalars().all() == []
    invites = [r for r in await run_all(app.services) if isinstance(r, Invite)]
    assert [(i.member_id, i.target) for i in invites] == [(mid, "-1001")]
    assert [r for r in await run_all(app.services) if isinstance(r, Invite)] == []


def _dms(out: list) -> list[str]:
    return [r.text for r in out if isinstance(r, Reply)]


async def test_a_plan_running_out_never_removes_what_another_plan_opens(app, db, clock):
    """Monthly then yearly, both opening the same chat: when the monthly runs out the member
    stays in (no Kick, no "removed" notice, no renewal nagging) and is told why."""
    await set_targets(app, "monthly", telegram=["-1001"])
    await set_targets(app, "yearly", telegram=["-1001"])
    mid = await member_id(app, "telegram", "41")
    first = await _grant(app, mid, "monthly", days=10)
    assert [i.target for i in first if isinstance(i, Invite)] == ["-1001"]
    a, c = Actor("telegram", "41", username="t41"), Chat("telegram", "41")
    offer = _dms(await app.router.dispatch(Command(a, c, name="subscribe", args="yearly")))
    assert offer[0] == (
        "Note: you already have “Monthly membership” until 2026-03-12 09:00 UTC. “Yearly "
        "membership” starts as soon as you pay and runs alongside it; the days of the two do "
        "not add up. To switch without paying twice for the same days, buy it closer to "
        "2026-03-12 09:00 UTC (I will remind you before then)."
    )
    # the same plan again: one more period, from where theirs ends (was said nowhere)
    again = _dms(await app.router.dispatch(Command(a, c, name="subscribe", args="monthly")))
    assert again[0] == (
        "Note: you already have “Monthly membership” until 2026-03-12 09:00 UTC. Paying now "
        "adds 30 days to it, until 2026-04-11 09:00 UTC."
    )
    second = await _grant(app, mid, "yearly", days=365)
    assert not [r for r in second if isinstance(r, Invite)]  # already in: no second link
    clock.advance(days=8)
    assert not _dms(await run_all(app.services))  # no "monthly ends in 3/1 days" while covered
    clock.advance(days=3)
    out = await run_all(app.services)
    assert _dms(out) == [
        "Your plan “Monthly membership” has ended; “Yearly membership” keeps your access, "
        "so nothing changes for you."
    ]
    clock.advance(days=10)  # past the grace: the monthly ends for good
    out = await run_all(app.services)
    assert not [r for r in out if isinstance(r, Kick)] and not _dms(out)
    async with db.session() as s:
        live = (
            await s.execute(
                select(Subscription.state, AccessGrant.revoked_at)
                .join(AccessGrant, AccessGrant.subscription_id == Subscription.id)
                .order_by(Subscription.id)
            )
        ).all()
    assert [(st, rev is None) for st, rev in live] == [("removed", False), ("active", True)]
    # the last plan that opens the chat ending does remove the member
    clock.advance(days=400)
    kicks = [r for r in await run_all(app.services) if isinstance(r, Kick)]
    assert [(k.member_id, k.target) for k in kicks] == [(mid, "-1001")]


async def test_a_plan_opening_fewer_chats_does_not_cover_one_that_ends(app, db, clock):
    """Monthly opens two chats, yearly only one of them: the monthly running out is told as
    ending (reminder, grace, removal) and only the chat the yearly lacks is left."""
    await set_targets(app, "monthly", telegram=["-1001", "-1002"])
    await set_targets(app, "yearly", telegram=["-1001"])
    mid = await member_id(app, "telegram", "61")
    await _grant(app, mid, "monthly", days=10)
    await _grant(app, mid, "yearly", days=365)
    clock.advance(days=9, hours=1)
    (reminder,) = _dms(await run_all(app.services))
    assert reminder.startswith("Reminder: your plan “Monthly membership” ends in 1 day")
    clock.advance(days=1)
    (lapsed,) = _dms(await run_all(app.services))
    assert lapsed.startswith("Your plan “Monthly membership” has ended. You keep access until")
    clock.advance(days=10)
    out = await run_all(app.services)
    assert [k.target for k in out if isinstance(k, Kick)] == ["-1002"]
    assert _dms(out) == [
        "Your plan “Monthly membership” has ended and your access to the members' chats was "
        "removed. You can come back any time with /subscribe."
    ]


async def test_a_plan_in_its_grace_days_keeps_the_removal_notice_away(app, db, clock):
    """Two plans lapsing one after the other: while either still opens the chat nobody is
    told their access was removed; the notice comes with the Kick, when the last one ends."""
    await set_targets(app, "monthly", telegram=["-1001"])
    await set_targets(app, "yearly", telegram=["-1001"])
    mid = await member_id(app, "telegram", "62")
    await _grant(app, mid, "yearly", days=5)  # 7 grace days: in until day 12
    await _grant(app, mid, "monthly", days=10)  # 3 grace days: in until day 13
    clock.advance(days=5, hours=1)
    await run_all(app.services)
    clock.advance(days=5)
    (lapsed,) = _dms(await run_all(app.services))  # yearly only in grace: does not cover
    assert lapsed.startswith("Your plan “Monthly membership” has ended. You keep access until")
    clock.advance(days=2)  # the yearly's grace is over, the monthly's is not
    out = await run_all(app.services)
    assert not [r for r in out if isinstance(r, Kick)] and not _dms(out)
    clock.advance(days=1)
    out = await run_all(app.services)
    assert [k.target for k in out if isinstance(k, Kick)] == ["-1001"]
    assert _dms(out) == [
        "Your plan “Monthly membership” has ended and your access to the members' chats was "
        "removed. You can come back any time with /subscribe."
    ]


async def test_a_lapsed_trial_is_replaced_by_the_plan_bought_next(app, db, clock):
    """A trial ends without a card: the member is told it ended (not that a renewal failed),
    and buying another plan replaces it, so /status stops asking to renew it."""
    await set_targets(app, "monthly", telegram=["-1001"])
    await set_targets(app, "yearly", telegram=["-1001"])
    a, c = Actor("telegram", "51", username="t51"), Chat("telegram", "51")
    mid = await member_id(app, "telegram", "51")
    data = app.services.signer.encode("mtrial", "monthly")
    from core.events import Button

    assert "free trial" in (await app.router.dispatch(Button(a, c, "t1", data=data)))[0].text
    clock.advance(days=6, hours=1)
    assert _dms(await run_all(app.services)) == [
        "Reminder: your free trial of “Monthly membership” ends in 1 day, on "
        "2026-03-09 09:00 UTC. To stay, subscribe with /subscribe monthly."
    ]
    clock.advance(days=1)
    (lapsed,) = _dms(await run_all(app.services))
    assert lapsed.startswith("Your free trial of “Monthly membership” has ended. You keep access")
    status = (await app.router.dispatch(Command(a, c, name="status")))[0].text
    assert "Monthly membership: ended, access kept until" in status
    assert "/subscribe monthly to stay" in status
    cancel = (await app.router.dispatch(Command(a, c, name="cancel")))[0].text
    assert "no renewing membership" in cancel  # a lapsed trial has nothing to stop
    out = await _grant(app, mid, "yearly", days=365)
    assert not [r for r in out if isinstance(r, (Invite, Kick))]  # in the chat all along
    status = (await app.router.dispatch(Command(a, c, name="status")))[0].text
    assert "Monthly membership: expired" in status and "renew" not in status
    clock.advance(days=5)
    out = await run_all(app.services)
    assert not [r for r in out if isinstance(r, Kick)] and not _dms(out)
    async with db.session() as s:
        reasons = (
            (
                await s.execute(
                    select(AuditLog.reason).where(AuditLog.action == "subscription.expire")
                )
            )
            .scalars()
            .all()
        )
    assert reasons == ["replaced"]


async def test_cancelling_an_overdue_renewal_says_access_ends_now(app, db, clock):
    """A renewal the provider could not collect, then /cancel: before, the reply promised
    access "until" a date already past, and the chats were left a minute later."""
    await set_targets(app, "monthly", telegram=["-1001"])
    a, c = Actor("telegram", "61", username="t61"), Chat("telegram", "61")
    mid = await member_id(app, "telegram", "61")
    await _grant(app, mid, "monthly", days=3)
    async with db.session() as s, s.begin():
        sub = (await s.execute(select(Subscription))).scalar_one()
        sub.auto_renew = True  # as a provider's subscription renews
    clock.advance(days=4)
    (notice,) = _dms(await run_all(app.services))
    assert "could not renew" in notice
    out = _dms(await app.router.dispatch(Command(a, c, name="cancel")))
    assert out == [
        "Your plan “Monthly membership” will not renew. Its last period ended on "
        "2026-03-05 09:00 UTC unpaid, so your access ends now. You can come back any time "
        "with /subscribe."
    ]
    kicks = [r for r in await run_all(app.services) if isinstance(r, Kick)]
    assert [(k.member_id, k.target) for k in kicks] == [(mid, "-1001")]


async def test_a_plan_is_found_by_its_title_in_either_language(app):
    """A Chinese member typed the plan as /plans shows it to them ("月度会员") and was told
    there is no such plan: only the code ("monthly") worked."""
    mid = await member_id(app, "console", "lin")
    await _grant(app, mid, "monthly", 30)
    say = _console_say(app, "lin")

    assert "“Monthly membership” will not renew" in await say("cancel", "月度会员")
    assert "“Monthly membership” is active again" in await say("resume", "Monthly")
    async with app.services.session_factory() as s:
        found = {
            t: (await plans.get_plan(s, t)).code for t in ("年度", "year", "终身会员", "MONTHLY")
        }
        assert found == {
            "年度": "yearly",
            "year": "yearly",
            "终身会员": "lifetime",
            "MONTHLY": "monthly",
        }
        for unclear in ("会员", "m", "membership plan"):  # no title, or not one title only
            with pytest.raises(DomainError):
                await plans.get_plan(s, unclear)
    assert "There is no plan called '白金'" in await say("cancel", "白金")


async def test_a_renewal_on_its_way_is_not_called_failed(app, db, clock):
    """Stripe charges a renewal about an hour after the period ends. Before, the job that
    ran in that hour told every renewing member "We could not renew your plan", and the
    "Payment received" came an hour later."""
    a, c = Actor("telegram", "62", username="t62"), Chat("telegram", "62")
    mid = await member_id(app, "telegram", "62")
    await _grant(app, mid, "monthly", days=3)
    async with db.session() as s, s.begin():
        sub = (await s.execute(select(Subscription))).scalar_one()
        sub.auto_renew = True  # as a provider's subscription renews
    clock.advance(days=3, hours=1)
    assert _dms(await run_all(app.services)) == []
    async with db.session() as s:
        assert (await s.execute(select(Subscription.state))).scalar_one() == "active"
    status = _dms(await app.router.dispatch(Command(a, c, name="status")))
    assert "renewing now (due 2026-03-05 09:00 UTC)" in status[0]
    async with app.services.session_factory() as s, s.begin():  # the charge arrives
        await service.activate_paid(
            s,
            app.services,
            mid,
            await plans.get_plan(s, "monthly"),
            source="stripe",
            actor="stripe",
            auto_renew=True,
        )
    clock.advance(hours=8)
    assert _dms(await run_all(app.services)) == []
    # a renewal that never comes is still told, once the provider has had its hours
    clock.advance(days=30)
    (notice,) = _dms(await run_all(app.services))
    assert "could not renew" in notice
