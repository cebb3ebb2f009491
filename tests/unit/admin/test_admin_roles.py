"""Every admin command is refused to non-moderators, and every change is confirmed and audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.admin.guard import ADMIN_COMMANDS
from core.context import Role
from core.events import Chat, Message
from core.replies import Reply
from core.router import COMMANDS, MEMBER_VERSIONS, load_features
from models.audit import AuditLog
from models.member import Member
from models.membership import Payment, Plan, Subscription

load_features()

# One row per admin command: (owner/mod, arguments, audit action written when it changes
# something, or None for read-only views). A new admin command without a row fails below.
EFFECTS: dict[str, tuple[str, str, str | None]] = {
    "role": ("owner", "@bob expert", "member.role"),
    "member": ("mod", "@alice", None),
    "members": ("mod", "plan=monthly", None),
    "reply": ("mod", "@alice Your access is back.", "support.replied"),
    "grant": ("mod", "@alice monthly", "admin.grant"),
    "extend": ("mod", "@alice 10", "admin.extend"),
    "revoke": ("mod", "@alice", "admin.revoke"),
    "ban": ("mod", "@bob spam", "admin.ban"),
    "unban": ("mod", "@bob", "admin.unban"),
    "refund": ("mod", "@alice", "admin.refund"),
    "planedit": ("mod", "monthly period_days 31", "admin.planedit"),
    "audit": ("mod", "", None),
    "stats": ("mod", "", None),
    "retention": ("mod", "90", "settings.retention"),
    "broadcast": ("mod", "all | Hello everyone", "broadcast.send"),
    "broadcasts": ("mod", "", None),
    "event": (
        "mod",
        "new Office hours | 2026-03-09 18:00 | https://meet.example/x | 5",
        "event.create",
    ),
}

SKIP_COUNTS = ("inbound_update",)


def test_every_admin_command_has_an_effect_row_and_a_moderator_role():
    assert set(EFFECTS) == ADMIN_COMMANDS, "add the new admin command to EFFECTS"
    for name in ADMIN_COMMANDS:
        assert COMMANDS[name].role >= Role.MODERATOR, name


async def test_members_and_experts_cannot_run_any_moderator_command(bot, db):
    """Table-driven over the router: a new moderator command is covered automatically."""
    async with db.session() as s, s.begin():
        bob = (await s.execute(select(Member).where(Member.display_name == "Bob"))).scalar_one()
        bob.role = "expert"
    mod_cmds = sorted(n for n, c in COMMANDS.items() if c.role >= Role.MODERATOR)
    assert {"ban", "extend", "broadcast", "stats", "audit", "role"} <= set(mod_cmds)
    before = await bot.counts(SKIP_COUNTS)
    for who in ("eve", "bob"):
        for name in mod_cmds:
            args = EFFECTS.get(name, ("", "@alice 30", None))[1]
            text = await bot.text(who, f"/{name} {args}")
            if name in MEMBER_VERSIONS:  # /refund: a request (nothing to refund here)
                assert "no payment that could be refunded" in text, (name, text)
                continue
            whose = "owner" if COMMANDS[name].role >= Role.OWNER else "moderators only"
            assert whose in text, f"/{name} was not refused for {who}"
    assert await bot.counts(SKIP_COUNTS) == before


async def test_a_refused_command_points_to_the_members_own_close_one(bot):
    """A member typing /event (the moderators' command) means /events: the refusal says so."""
    out = await bot.text("eve", "/event")
    assert out == "Sorry, that command is for moderators only. Did you mean /events?"
    assert await bot.text("eve", "/ban @alice") == "Sorry, that command is for moderators only."


async def test_a_member_asks_for_a_refund_and_a_moderator_reviews_or_declines_it(bot, db, clock):
    """A member's /refund was "for moderators only": it now asks the moderators, once per
    payment, with the member's reason; a moderator's tap opens their own /refund for it,
    or declines and the member hears so."""
    await _seed_payment(db, clock)
    assert "/refund — ask the moderators for a refund" in await bot.text("alice", "/help")
    assert "/refund [reason]" in await bot.text("alice", "/help refund")
    out = await bot.say("alice", "/refund bought the wrong plan")
    said = "\n".join(r.text for r in out if isinstance(r, Reply) and r.member_id is None)
    assert "I've asked the moderators to refund your payment for “Monthly membership”" in said
    assert "9.00 USD" in said
    to_mods = [r for r in out if isinstance(r, Reply) and r.member_id is not None]
    assert len(to_mods) == 2  # mod and owner
    assert "asks for a refund of “Monthly membership”: 9.00 USD via demo" in to_mods[0].text
    assert "Reason: bought the wrong plan" in to_mods[0].text
    review, decline = (b.data for b in to_mods[0].buttons[0])
    again = await bot.text("alice", "/refund")
    assert "You already asked for a refund of this payment" in again
    async with db.session() as s:
        asked = (
            (await s.execute(select(AuditLog).where(AuditLog.action == "refund.requested")))
            .scalars()
            .all()
        )
    assert len(asked) == 1 and asked[0].reason == ""  # their words: to the moderators only
    # the review is the moderators' own /refund: preview, then confirm
    assert "moderators only" in (await bot.press("eve", review))[0].text
    preview = "\n".join(r.text for r in await bot.press("mod", review) if isinstance(r, Reply))
    assert "Refund payment #" in preview and "Confirm?" in preview
    card = await bot.text("mod", "/member @alice")
    assert "9.00 USD via demo (applied) · refund asked, not answered yet" in card
    # a moderator who missed the message finds it waiting, with the same two buttons
    listed = await bot.text("mod", "/refund requests")
    assert (
        "1 refund request waits for an answer" in listed
        and "“Monthly membership”, 9.00 USD" in listed
    )
    assert [b.label for r in bot.last["mod"] for row in r.buttons for b in row] == [
        "Review the refund",
        "Decline",
    ]
    from core.admin.refund_requests import pending_section

    async with db.session() as s:
        (line,) = await pending_section(s, None, clock.now(), "en")
    assert line.title == "1 refund request waits for an answer: /refund requests"
    out = await bot.press("owner", decline)
    assert "Told #" in out[0].text and "their refund was declined" in out[0].text
    assert "declined it" in out[1].text and out[1].member_id is not None
    assert "already answered" in (await bot.press("mod", decline))[0].text
    assert "The moderators declined a refund of this payment" in await bot.text("alice", "/refund")
    assert "No refund request is waiting" in await bot.text("mod", "/refund requests")
    async with db.session() as s:
        pay = (await s.execute(select(Payment))).scalar_one()
    assert pay.status == "applied"  # declined: nothing changed
    # a stale "Review" tap after the decline: told so, with the command, no Confirm
    # (a moderator refunded a request the owner had declined: "declined", then "refunded")
    out = await bot.press("mod", review)
    assert "already declined on" in out[0].text and "/refund #" in out[0].text
    assert not out[0].buttons
    preview = await bot.text("mod", f"/refund @alice {pay.id}")
    assert "a moderator declined this refund request on" in preview and "Confirm?" in preview


async def test_a_refund_asked_for_in_words_is_offered_as_the_request(bot, app, db, clock):
    """ "I want a refund, the course is nothing like what was advertised" opened a public
    thread (and "…because I bought the wrong plan" went to the moderators as a /support
    message, with no payment named and no Review button): the member is offered /refund
    with their words as the reason."""
    from core.events import Chat, Message

    async def said(text: str) -> str:
        out = await app.router.dispatch(
            Message(bot.actor("alice"), Chat("console", "alice"), text=text)
        )
        bot.last["alice"] = out
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    # no payment yet: the answer on refunds, not an offer that can only fail
    assert "Ask the moderators to refund" not in await said("I want a refund, the course is bad")
    await _seed_payment(db, clock)
    words = "I want a refund, the course is nothing like what was advertised."
    offer = await said(words)
    assert offer.startswith("Ask the moderators to refund your last payment") and words in offer
    out = await bot.press("alice", bot.button("alice", 0))
    to_mods = [r for r in out if isinstance(r, Reply) and r.member_id is not None]
    assert len(to_mods) == 2 and f"Reason: {words}" in to_mods[0].text
    assert [b.label for b in to_mods[0].buttons[0]] == ["Review the refund", "Decline"]
    # asked again in Chinese: told so in Chinese
    assert "申请过这笔付款的退款" in await said("我想退款，买了年费会员但没时间学了")


async def test_role_is_owner_only(bot, db):
    assert "only the community's owner" in await bot.text("mod", "/role @bob moderator")
    await bot.say("owner", "/role @bob moderator")
    out = await bot.press("owner", bot.button("owner", 0))
    async with db.session() as s:
        bob = (await s.execute(select(Member).where(Member.display_name == "Bob"))).scalar_one()
    assert bob.role == "moderator"
    # bob hears it, and where his new commands are (before: not a word)
    assert "Bob is now moderator" in out[0].text
    assert out[1].member_id == bob.id and "You are now a moderator" in out[1].text
    assert "/help" in out[1].text
    assert "moderator" in await bot.text("bob", "/whoami")
    # "mod" is a moderator by the settings (moderator_ids): before, /role said "already has
    # the role member" and would have stored a role that changes nothing
    out = await bot.text("owner", "/role @mod member")
    assert "has the role moderator from the bot's settings" in out and "Confirm?" not in out
    assert "Mod — role moderator," in await bot.text("owner", "/member @mod")


async def _seed_payment(db: Any, clock: Any) -> None:
    async with db.session() as s, s.begin():
        alice = (await s.execute(select(Member).where(Member.display_name == "Alice"))).scalar_one()
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        s.add(
            Payment(
                provider="demo",
                provider_charge_id="demo-1",
                member_id=alice.id,
                plan_id=plan.id,
                amount=900,
                currency="USD",
                status="applied",
                created_at=clock.now(),
            )
        )


async def test_each_admin_command_changes_and_audits_after_confirmation(bot, db, clock):
    await _seed_payment(db, clock)
    order = [
        "member",
        "members",
        "reply",
        "grant",
        "extend",
        "refund",
        "revoke",
        "ban",
        "unban",
        "role",
        "planedit",
        "retention",
        "broadcast",
        "broadcasts",
        "event",
        "stats",
        "audit",
    ]
    assert set(order) == set(EFFECTS)
    for name in order:
        who, args, action = EFFECTS[name]
        async with db.session() as s:
            n_before = len((await s.execute(select(AuditLog))).scalars().all())
        out = await bot.say(who, f"/{name} {args}")
        assert out, name
        if any(getattr(r, "buttons", None) for r in out):
            data = bot.button(who)
            assert (await bot.press(who, data))[0].text
            again = await bot.press(who, data)  # single use: a second press changes nothing
            assert "already confirmed" in again[0].text, (name, again)
        async with db.session() as s:
            rows = (await s.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
        new_actions = [r.action for r in rows[n_before:]]
        assert f"cmd.{name}" in new_actions, (name, new_actions)
        if action:
            assert action in new_actions, (name, new_actions)
            mine = [r for r in rows[n_before:] if r.action == action]
            assert all(r.actor.startswith("member:") or r.actor == "system" for r in mine)
    async with db.session() as s:
        alice = (await s.execute(select(Member).where(Member.display_name == "Alice"))).scalar_one()
        sub = (
            (await s.execute(select(Subscription).where(Subscription.member_id == alice.id)))
            .scalars()
            .all()
        )
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        pay = (await s.execute(select(Payment))).scalar_one()
    assert sub and sub[0].state in {"expired", "removed"}
    assert plan.period_days == 31
    assert pay.status == "refunded"


async def test_member_card_shows_plan_payments_and_activity(bot, db, clock):
    await _seed_payment(db, clock)
    await bot.say("mod", "/grant @alice monthly 30")
    await bot.confirm("mod")
    card = await bot.text("mod", "/member @alice")
    assert card.startswith("#") and "Alice — role member" in card
    assert "plan monthly: active until 2026-04-01" in card
    assert "9.00 USD via demo (applied)" in card  # minor units shown as money
    assert "activity:" in card
    preview = await bot.text("mod", "/refund @alice")
    assert "9.00 USD via demo" in preview and "900" not in preview
    await bot.say("mod", "/language zh")  # a Chinese-speaking moderator reads the role too
    assert "Alice — 角色：成员，语言：English，" in await bot.text("mod", "/member @alice")


async def test_members_lists_who_is_in_the_community_narrowed_as_a_broadcast(bot, db, clock):
    """A moderator could look up one member by name and no more: "who joined this week?",
    "who is on the monthly plan?" or "who is banned?" had no answer."""
    await bot.say("mod", "/grant @alice monthly 30")
    await bot.confirm("mod")
    await bot.say("mod", "/ban @bob spam")
    await bot.confirm("mod")
    everyone = await bot.text("mod", "/members")
    async with db.session() as s:
        total = len((await s.execute(select(Member.id))).scalars().all())
    assert everyone.startswith(f"{total} members, newest first:")
    assert "Alice — monthly active until 2026-04-01 · joined" in everyone
    assert "Bob — no plan, banned · joined" in everyone
    out = await bot.text("mod", "/members plan=monthly")
    assert out.splitlines()[0] == "1 member (plan=monthly), newest first:"
    assert "Alice" in out and "Bob" not in out
    out = await bot.text("mod", "/members state=banned")
    assert "Bob" in out and "Alice" not in out
    clock.advance(timedelta(days=400))
    assert "No member matches (joined=7)." in await bot.text("mod", "/members joined=7")
    await bot.say("newbie", "/start")
    out = await bot.text("mod", "/members joined=7")
    assert out.splitlines()[0] == "1 member (joined=7), newest first:" and "Newbie" in out
    assert "segment part 'vip'" in await bot.text("mod", "/members vip")
    # a broadcast reads the new filter too, and still leaves the banned out
    preview = await bot.text("mod", "/broadcast joined=7 | Welcome aboard!")
    assert "to 1 member" in preview and "joined=7" in preview, preview
    said = await bot.text("mod", "/broadcast state=banned | hi")
    assert said.startswith("No member is in that segment")


async def test_member_card_reads_a_lifetime_code_as_such(bot):
    """A lifetime plan from a code read "active until -" and "0.00 CODE via code"."""
    await bot.say("mod", "/codes new lifetime 1")
    code = (await bot.confirm("mod")).splitlines()[-1].strip()
    assert "Code accepted" in await bot.text("bob", f"/redeem {code}")
    card = await bot.text("mod", "/member @bob")
    assert "• plan lifetime: active, for life" in card
    assert "code #1 redeemed (applied)" in card and "CODE" not in card


async def test_revoke_tells_the_member_and_audit_reads_by_member(bot, db, clock):
    """Before, /revoke took a member's paid access without a word to them, and /audit
    could only filter by action, showing "member:12" where a moderator needed a name."""
    await bot.say("mod", "/grant @alice monthly 30")
    await bot.confirm("mod")
    await bot.say("mod", "/grant @bob monthly 30")
    await bot.confirm("mod")
    preview = await bot.text("mod", "/revoke @alice chargeback opened")
    assert "They will be told" in preview and "\nReason: chargeback opened\n" in preview
    out = await bot.press("mod", bot.button("mod"))
    told = [r for r in out if isinstance(r, Reply) and r.member_id is not None]
    async with db.session() as s:
        alice = (
            await s.execute(select(Member.id).where(Member.display_name == "Alice"))
        ).scalar_one()
    assert [(r.member_id, r.text) for r in told] == [
        (
            alice,
            "A moderator ended your plan “Monthly membership”, and with it your access to the "
            "members' chats. Reason: chargeback opened. If you think this is a mistake, "
            "write to the moderators: /support YOUR MESSAGE.",
        )
    ]
    card = await bot.text("mod", "/member @alice")
    assert "plan monthly: removed on 2026-03-02" in card
    log = await bot.text("mod", "/audit @alice")
    lines = log.splitlines()[1:]
    assert lines and all(f"#{alice} Alice" in line for line in lines)
    assert any(line.endswith(f"admin.revoke #{alice} Alice") for line in lines)
    assert not any("Bob" in line for line in lines)
    only = (await bot.text("mod", "/audit @alice admin.")).splitlines()[1:]
    assert [line.split()[-3] for line in only] == ["admin.revoke", "admin.grant"]
    assert await bot.text("mod", "/audit @alice nothing.") == "No admin actions match that."
    assert "Usage: /audit" in await bot.text("mod", "/audit @alice a b")
    # rows about other things read as the commands name them ("payment:1" before)
    await bot.text("mod", "/event new Office hours | 2026-03-09 12:00")
    events = await bot.text("mod", "/audit event.")
    assert events.splitlines()[1].endswith("event.create event #1"), events
    assert " 2026-03-02 09:00 UTC #" in events  # the moment with its zone (the moderator's)


async def test_plan_edits_in_the_words_moderators_use(bot, db):
    """`/plans edit monthly trial 0` and `price 12 USD` (no provider) were usage errors."""
    preview = await bot.text("mod", "/plans edit monthly price 12 USD")
    assert "to 12 USD (demo, stripe)" in preview  # every provider that sells it in USD
    await bot.confirm("mod")
    await bot.say("mod", "/plans edit monthly trial 0")
    await bot.confirm("mod")
    await bot.say("mod", "/plans edit monthly price 300 XTR")
    await bot.confirm("mod")
    assert "Usage: /plans edit" in await bot.text("mod", "/plans edit monthly price 12 EUR")
    assert "Usage: /plans edit" in await bot.text("mod", "/plans edit monthly colour red")
    await bot.say("mod", "/plans edit monthly 宽限期 5")  # the field's Chinese word
    await bot.confirm("mod")
    async with db.session() as s:
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        await s.refresh(plan)
    assert (plan.trial_days, plan.grace_days) == (0, 5)
    got = {k: (v["amount"], v["currency"].upper()) for k, v in plan.prices.items()}
    assert got == {"demo": (1200, "USD"), "stripe": (1200, "USD"), "telegram_stars": (300, "XTR")}


async def test_platform_admins_are_moderators_and_banned_members_keep_their_role(app, bot):
    from core.events import Actor, Chat, Command

    boss = Actor("telegram", "4242", "Boss", is_platform_admin=True)
    out = await app.router.dispatch(Command(boss, Chat("telegram", "4242"), name="audit"))
    assert "admin actions" in out[0].text
    await bot.say("mod", "/ban @bob")
    await bot.confirm("mod")
    assert "banned" in await bot.text("owner", "/role @bob moderator")


async def test_a_ban_for_a_time_is_told_and_lifts_by_itself(bot, db, app, clock):
    """`/ban @bob 7d spam`: the length was read as part of the reason and the ban lasted
    until someone remembered to /unban. Now the preview, the member, the card and the
    refusal all say until when, and the job lifts it then, plan included."""
    from datetime import timedelta

    from core.jobs import run_all

    await bot.say("mod", "/grant @bob monthly 30")
    await bot.confirm("mod")
    preview = await bot.text("mod", "/ban @bob 7d spamming links")
    end = (clock.now() + timedelta(days=7)).strftime("%Y-%m-%d")
    assert f"Ban #2 Bob until {end}" in preview and "Reason: spamming links" in preview
    done = await bot.press("mod", bot.button("mod", 0))
    told = [r for r in done if isinstance(r, Reply) and r.member_id is not None]
    assert len(told) == 1 and f"suspended your account until {end}" in told[0].text
    assert "Reason: spamming links" in told[0].text
    assert f"suspended until {end}" in await bot.text("bob", "/status")
    preview = await bot.text("mod", "/unban @bob")  # not confirmed: only what it would do
    assert f"Lift the ban on #2 Bob. (It would end by itself on {end} " in preview
    card = await bot.text("mod", "/member @bob")
    assert f"banned since {clock.now():%Y-%m-%d %H:%M} UTC, until {end} " in card
    assert "(lifts by itself). Reason: spamming links" in card
    paid = (clock.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    assert f"plan monthly: held by the ban, paid until {paid}" in card  # not "banned on"
    # a day before the end nothing changes; after it, bob is back with his plan
    clock.advance(timedelta(days=6))
    assert not [r for r in await run_all(app.services) if "suspension" in getattr(r, "text", "")]
    clock.advance(timedelta(days=1, minutes=1))
    back = [r for r in await run_all(app.services) if "suspension" in getattr(r, "text", "")]
    assert len(back) == 1 and "Your suspension has ended" in back[0].text
    assert "Monthly membership" in back[0].text
    assert "active" in await bot.text("bob", "/status")
    async with db.session() as s:
        rows = (
            await s.execute(
                select(AuditLog.action, AuditLog.actor, AuditLog.reason)
                .where(AuditLog.action.in_(("member.ban", "member.unban")))
                .order_by(AuditLog.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("member.ban", f"member:{await _id(db, 'Mod')}", "spamming links"),
        ("member.unban", "system", "ban ended"),
    ]


async def test_a_ban_without_a_length_stays_until_unban(bot, app, clock):
    from datetime import timedelta

    from core.jobs import run_all

    preview = await bot.text("mod", "/ban @bob 3rd warning, spam")
    assert "Ban #2 Bob (access removed" in preview and "Reason: 3rd warning, spam" in preview
    await bot.confirm("mod")
    clock.advance(timedelta(days=400))
    await run_all(app.services)
    assert await bot.text("bob", "/status") == (
        "Your access to this community has been suspended. "
        "If you think this is a mistake, write to the moderators: /support YOUR MESSAGE."
    )
    # the way it names is open to them ("contact a moderator" named none)
    appeal = await bot.say("bob", "/support I was not spamming, that was my brother")
    assert appeal[0].text.startswith("Sent to the moderators")
    assert any("«I was not spamming, that was my brother»" in r.text for r in appeal[1:])
    assert "until /unban. Reason: 3rd warning, spam" in await bot.text("mod", "/member @bob")
    # /help, and "help" typed alone in a private chat, stay open (the commands to get or
    # delete one's data among them); anything else typed is refused.
    for text in ("/help", "help", "帮助"):
        out = await app.router.dispatch(
            Message(bot.actor("bob"), Chat("console", "bob"), text=text)
        )
        said = "\n".join(r.text for r in out if isinstance(r, Reply))
        assert "/mydata" in said and "suspended" not in said, (text, said)
    out = await app.router.dispatch(
        Message(bot.actor("bob"), Chat("console", "bob"), text="status")
    )
    assert "suspended" in out[0].text


async def _id(db: Any, name: str) -> int:
    async with db.session() as s:
        return (await s.execute(select(Member.id).where(Member.display_name == name))).scalar_one()


async def test_a_ban_can_be_lengthened_shortened_or_made_lasting(bot, clock):
    """A moderator who wanted a 7-day ban to last a month had to /unban (the member was
    told their suspension was lifted, and got their access back) and /ban again."""
    from datetime import timedelta

    await bot.say("mod", "/ban @bob 7d spam")
    await bot.confirm("mod")
    week = (clock.now() + timedelta(days=7)).strftime("%Y-%m-%d")
    month = (clock.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    preview = await bot.text("mod", "/ban @bob 30d spam again")
    assert f"Change the ban on #2 Bob: it ends on {month}" in preview
    assert f"(Now: until {week}" in preview
    done = await bot.press("mod", bot.button("mod", 0))
    texts = [r.text for r in done if isinstance(r, Reply)]
    assert texts[0] == "Done: the ban is changed."
    assert f"changed your suspension: it now ends on {month}" in texts[1]
    assert "lifted" not in " ".join(texts)
    card = await bot.text("mod", "/member @bob")
    assert f"until {month}" in card and "Reason: spam again" in card
    preview = await bot.text("mod", "/ban @bob")
    assert "it lasts until /unban" in preview and f"(Now: until {month}" in preview
    await bot.confirm("mod")
    assert await bot.text("mod", "/ban @bob") == "#2 Bob is already banned."
    assert "suspended. If you think" in await bot.text("bob", "/status")


async def test_a_moderator_command_sent_as_a_reply_means_the_replied_member(bot, app):
    """On Telegram a moderator answers spam in the group with `/ban 7d spam` as a reply to
    it; "7d" was read as the member to ban. The reply's author is the target unless a
    reference is written out."""
    from core.events import Chat, Command

    group = Chat("console", "-100", "group")

    async def reply(args: str, name: str = "ban") -> str:
        out = await app.router.dispatch(
            Command(bot.actor("mod"), group, name=name, args=args, reply_to_user="bob")
        )
        bot.last["mod"] = out
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    out = await reply("7d spam")
    assert out.startswith("Ban #2 Bob until ") and "Reason: spam" in out
    assert "banned" in await bot.confirm("mod")
    assert "#2 Bob — role banned" in await reply("", "member")
    out = await reply("@alice", "member")  # written out: alice, not the reply's author
    assert out.startswith("#1 Alice")


async def test_a_plan_taken_off_sale_is_called_so_not_unknown(bot):
    """Buying a plan a moderator took off sale answered "There is no plan called
    'yearly'", which reads as a typo; a code that names nothing still says that."""
    assert "Confirm?" in await bot.text("mod", "/plans edit yearly active no")
    await bot.confirm("mod")
    out = await bot.text("alice", "/subscribe yearly")
    assert (
        out == "The plan “yearly” is no longer offered. See /plans for the plans you can join now."
    )
    assert "no longer offered" in await bot.text("alice", "/trial yearly")
    assert "There is no plan called 'platinum'" in await bot.text("alice", "/subscribe platinum")


async def test_staff_cannot_be_banned_and_are_told_so_before_any_confirm(bot, db):
    """A moderator 'banned' the owner (named in owner_ids): told 'Done', the owner was told
    the bot was closed to them, yet kept every right; a /role moderator was refused only
    after the Confirm tap."""
    await bot.say("owner", "/role @alice moderator")
    await bot.confirm("owner")
    before = await bot.counts(skip=SKIP_COUNTS)
    for target, role in (("@owner", "owner"), ("@alice", "moderator")):
        out = await bot.say("mod", f"/ban {target} spam")
        text = "\n".join(r.text for r in out if isinstance(r, Reply))
        assert f"is a {role}: staff can't be banned" in text and "/role" in text
        assert all(not r.buttons for r in out if isinstance(r, Reply))  # nothing to confirm
    assert await bot.counts(skip=SKIP_COUNTS) == before
    async with db.session() as s:
        roles = dict((await s.execute(select(Member.display_name, Member.role))).all())
    assert roles["Alice"] == "moderator" and roles["Owner"] != "banned"
