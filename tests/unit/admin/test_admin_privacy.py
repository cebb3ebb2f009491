"""/mydata exports everything; /forget leaves no personal data while the ledger still adds up."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import JSON, String, Text, func, select

import models
from core.admin import analytics
from core.admin.privacy import member_fk_columns
from core.admin.privacy_commands import purge_old_interactions
from core.replies import Document, Kick, Reply
from models.accounts import IdentityHold
from models.admin import CommunityEvent, EventRsvp
from models.audit import AuditLog
from models.digest import Digest, Outbox
from models.interaction import Interaction
from models.member import Account, Member
from models.membership import AccessGrant, Payment, Plan, Subscription
from models.qa import Question

SECRET_IDS = ("alice", "555777111", "wonderland")
# tables that keep (anonymous) rows for the ledger and totals, see core/admin/privacy.py
KEPT = {
    "payment",
    "subscription",
    "access_grant",
    "trial_claim",
    "code_redemption",
    "payment_intent",
    "event_rsvp",
    "outbox",
    "audit_log",
}


async def _seed_alice(db, clock) -> int:
    now = clock.now()
    async with db.session() as s, s.begin():
        alice = (await s.execute(select(Member).where(Member.display_name == "Alice"))).scalar_one()
        alice.bio = "I am Alice Wonderland"
        alice.tags = ["sql", "alice-tag"]
        s.add(
            Account(
                member_id=alice.id,
                platform="telegram",
                platform_user_id="555777111",
                username="alice_tg",
                chat_id="555777111",
                created_at=now,
            )
        )
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        sub = Subscription(
            member_id=alice.id,
            plan_id=plan.id,
            state="active",
            started_at=now,
            updated_at=now,
            current_period_end=now + timedelta(days=30),
        )
        s.add(sub)
        await s.flush()
        s.add(
            AccessGrant(
                subscription_id=sub.id,
                member_id=alice.id,
                platform="telegram",
                target="-1001",
                granted_at=now,
            )
        )
        s.add(
            Payment(
                provider="telegram_stars",
                provider_charge_id="tg-charge-1",
                member_id=alice.id,
                plan_id=plan.id,
                amount=250,
                currency="XTR",
                status="applied",
                created_at=now,
                ext_ref="555777111",
                meta={"telegram_user_id": "555777111"},
                note="Alice paid in Stars",
                subscription_id=sub.id,
            )
        )
        s.add(
            Interaction(
                member_id=alice.id,
                kind="view",
                weight=0.5,
                at=now,
                source="chat",
                meta={"said": "alice"},
            )
        )
        s.add(Question(member_id=alice.id, text="How do I join tables?", tags=[], created_at=now))
        s.add(
            Outbox(
                dedupe_key=f"test:{alice.id}",
                member_id=alice.id,
                platform="telegram",
                target="555777111",
                payload={"text": "Hi Alice"},
                not_before=now,
                created_at=now,
                status="sent",
            )
        )
        s.add(
            Digest(
                member_id=alice.id, period_key="w:1", content={"hello": "Hi Alice"}, created_at=now
            )
        )
        ev = CommunityEvent(title="Office hours", starts_at=now + timedelta(days=2), created_at=now)
        s.add(ev)
        await s.flush()
        s.add(EventRsvp(event_id=ev.id, member_id=alice.id, created_at=now))
        past = CommunityEvent(title="Kick-off", starts_at=now - timedelta(days=5), created_at=now)
        s.add(past)
        await s.flush()
        attended = now - timedelta(days=5)
        s.add(EventRsvp(event_id=past.id, member_id=alice.id, created_at=now, attended_at=attended))
        return alice.id


async def _find_secrets(db) -> list[str]:
    """Every text and JSON value in every table that mentions one of alice's identifiers."""
    hits = []
    async with db.session() as s:
        for table in models.Base.metadata.sorted_tables:
            cols = [
                c
                for c in table.columns
                if isinstance(c.type, String | Text | JSON)
                or "JSON" in type(c.type).__name__
                or "JSON" in str(c.type)
            ]
            if not cols:
                continue
            for row in (await s.execute(select(*cols))).all():
                for col, value in zip(cols, row, strict=True):
                    text = json.dumps(value) if not isinstance(value, str) else value
                    if any(secret in (text or "").lower() for secret in SECRET_IDS):
                        hits.append(f"{table.name}.{col.name}={text[:60]}")
    return hits


async def _totals(db, clock):
    async with db.session() as s:
        st = await analytics.compute(s, clock.now(), 30)
        return (
            (await s.execute(select(func.sum(Payment.amount)))).scalar_one(),
            (await s.execute(select(func.count(Payment.id)))).scalar_one(),
            (await s.execute(select(func.count(Member.id)))).scalar_one(),
            (await s.execute(select(func.count(EventRsvp.id)))).scalar_one(),
            st.members_by_state,
            st.mrr,
        )


async def test_mydata_exports_every_feature(bot, db, clock):
    alice_id = await _seed_alice(db, clock)
    out = await bot.say("alice", "/mydata")
    doc = next(r for r in out if isinstance(r, Document))
    data = json.loads(doc.data)
    assert data["member_id"] == alice_id
    assert data["member"]["profile"]["bio"] == "I am Alice Wonderland"
    assert {a["platform_user_id"] for a in data["member"]["accounts"]} == {"alice", "555777111"}
    assert data["ledger"]["payments"][0]["amount"] == 250
    assert data["interactions"][0]["kind"] == "view"
    assert data["admin"]["event_rsvps"][0]["event"] == "Office hours"
    assert data["qa"]["questions"][0]["text"] == "How do I join tables?"
    assert data["other_tables"]["digest"][0]["content"] == {"hello": "Hi Alice"}


async def test_forget_leaves_no_personal_data_and_totals_add_up(bot, db, clock):
    alice_id = await _seed_alice(db, clock)
    assert await _find_secrets(db)  # the search does find alice before
    before = await _totals(db, clock)
    out = await bot.say("alice", "/forget")
    assert "deletes your profile" in out[0].text and "lose access" in out[0].text
    done = await bot.press("alice", bot.button("alice", 0))
    assert any(isinstance(r, Reply) and "deleted" in r.text for r in done)
    # As the preview says, access ends: removed from the chat while her account is still
    # known (before, she stayed in it, and her plan counted as active forever after).
    kicks = [(k.platform, k.target, k.platform_user_id) for k in done if isinstance(k, Kick)]
    assert kicks == [("telegram", "-1001", "555777111")]
    assert await _find_secrets(db) == []
    after = await _totals(db, clock)
    assert after[:3] == before[:3]  # money and members still add up
    # attendance stays, on the anonymous row; her place in the coming event is given up
    assert (before[3], after[3]) == (2, 1)
    assert (before[4], after[4]) == ({"active": 1, "none": 4}, {"removed": 1, "none": 4})
    assert (before[5], after[5]) == ({"XTR": 250}, {})  # her plan no longer counts as MRR
    async with db.session() as s:
        m = await s.get_one(Member, alice_id)
        assert m.forgotten_at is not None and m.display_name == ""
        assert (
            await s.execute(select(Account).where(Account.member_id == alice_id))
        ).first() is None
        pay = (await s.execute(select(Payment).where(Payment.member_id == alice_id))).scalar_one()
        assert (pay.amount, pay.currency, pay.provider_charge_id) == (250, "XTR", "tg-charge-1")
        audit = (
            await s.execute(select(AuditLog).where(AuditLog.action == "privacy.forget"))
        ).scalar_one()
        assert audit.target == f"member:{alice_id}"
    assert "don't know a member" in await bot.text("mod", f"/member #{alice_id}")
    # rows still pointing at the anonymous member: only the documented, kept tables
    async with db.session() as s:
        pointing = set()
        for table, col, _ondelete, _nullable in member_fk_columns():
            q = select(func.count()).select_from(table).where(table.c[col] == alice_id)
            if (await s.execute(q)).scalar_one():
                pointing.add(table.name)
    assert pointing <= KEPT, pointing - KEPT
    assert {"payment", "subscription", "event_rsvp"} <= pointing


async def test_moderator_forgets_a_member_on_request_after_confirming(bot, db, clock):
    alice_id = await _seed_alice(db, clock)
    before = await _totals(db, clock)
    # members cannot erase someone else, and nothing happens before the moderator confirms
    assert "moderators only" in await bot.text("bob", "/forget @alice")
    # words after /forget from a member mean themselves: the same confirmation, nothing yet
    for words in ("yes", "me please"):
        out = await bot.text("bob", f"/forget {words}")
        assert "deletes your profile" in out and "Confirm?" in out
    # moderators cannot erase staff; an owner could
    assert "only an owner" in await bot.text("mod", "/forget @owner")
    out = await bot.text("mod", f"/forget #{alice_id}")
    assert f"#{alice_id} Alice" in out and "Confirm?" in out
    assert await _find_secrets(db)
    assert "deleted" in await bot.confirm("mod")
    assert await _find_secrets(db) == []
    after = await _totals(db, clock)
    assert after[:3] == before[:3] and after[4] == {"removed": 1, "none": 4}
    assert (before[3], after[3]) == (2, 1)  # attended stays, the coming place is given up
    async with db.session() as s:
        audit = (
            await s.execute(select(AuditLog).where(AuditLog.action == "privacy.forget"))
        ).scalar_one()
        mod = (await s.execute(select(Member).where(Member.display_name == "Mod"))).scalar_one()
        assert (audit.target, audit.actor_member_id) == (f"member:{alice_id}", mod.id)
    assert "don't know a member" in await bot.text("mod", f"/forget #{alice_id}")


async def test_retention_purges_only_old_interaction_logs(bot, db, clock, app):
    now = clock.now()
    async with db.session() as s, s.begin():
        alice = (await s.execute(select(Member).where(Member.display_name == "Alice"))).scalar_one()
        for days in (200, 100, 10):
            s.add(
                Interaction(
                    member_id=alice.id,
                    kind="view",
                    weight=0.5,
                    source="chat",
                    at=now - timedelta(days=days),
                    meta={},
                )
            )
    assert await purge_old_interactions(app.services) == 0  # no retention set: keep all
    await bot.say("mod", "/retention 3 months")  # a length as /grant reads it: 90 days
    await bot.confirm("mod")
    assert "90 days" in await bot.text("mod", "/retention")
    assert await purge_old_interactions(app.services) == 2
    assert await purge_old_interactions(app.services) == 0
    async with db.session() as s:
        left = (await s.execute(select(Interaction.at))).scalars().all()
        assert left == [now - timedelta(days=10)]
        purge = (
            await s.execute(select(AuditLog).where(AuditLog.action == "privacy.retention_purge"))
        ).scalar_one()
        assert purge.after == {"deleted": 2, "before": (now - timedelta(days=90)).isoformat()}
    # "off": the preview read "Keep raw activity logs for off days"
    preview = await bot.text("mod", "/retention off")
    assert "without a time limit" in preview and "off days" not in preview
    await bot.confirm("mod")
    assert "without a time limit" in await bot.text("mod", "/retention")


async def test_audit_log_is_append_only_in_the_database(bot, db):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    await bot.say("mod", "/audit")
    async with db.session() as s:
        row = (await s.execute(select(AuditLog))).scalars().first()
        assert row is not None
    for stmt in (
        update(AuditLog).where(AuditLog.id == row.id).values(action="tampered"),
        update(AuditLog).where(AuditLog.id == row.id).values(actor_member_id=None, actor="x"),
        delete(AuditLog).where(AuditLog.id == row.id),
    ):
        async with db.session() as s:
            try:
                async with s.begin():
                    await s.execute(stmt)
            except DBAPIError as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"audit_log accepted {stmt}")
    # deleting a member still works: the foreign key only clears actor_member_id
    async with db.session() as s, s.begin():
        await s.execute(delete(Member).where(Member.id == row.actor_member_id))
    async with db.session() as s:
        kept = await s.get_one(AuditLog, row.id)
        assert kept.actor_member_id is None and kept.action == row.action


async def test_forget_resets_neither_a_ban_nor_a_used_trial(bot, db):
    """Erasing oneself was a way around a ban and to a new free trial each time: the
    account came back as a stranger. Both now stay with the account, under a keyed hash."""
    assert "trial" in await bot.text("bob", "/trial monthly")
    assert "Confirm?" in await bot.text("mod", "/ban @bob spam")
    assert "banned" in await bot.confirm("mod")
    preview = await bot.text("bob", "/forget")
    assert "stay with this account" in preview
    assert "deleted" in await bot.confirm("bob")
    async with db.session() as s:
        keys = (await s.execute(select(IdentityHold.key))).scalars().all()
    assert len(keys) == 1 and all(sid not in keys[0] for sid in ("bob", "console"))
    # back on the same account: still banned, and the moderators can see why
    assert "suspended" in await bot.text("bob", "/start")
    assert "suspended" in await bot.text("bob", "/trial monthly")
    async with db.session() as s:
        row = (
            await s.execute(select(AuditLog).where(AuditLog.reason == "ban kept after /forget"))
        ).scalar_one()
        assert row.action == "member.ban"
    assert "Confirm?" in await bot.text("mod", "/unban @bob")
    assert "lifted" in await bot.confirm("mod")
    # the ban lifted, the trial still spent, however often the account erases itself
    assert "already used your free trial" in await bot.text("bob", "/trial monthly")
    assert "stay with this account" in await bot.text("bob", "/forget")
    await bot.confirm("bob")
    assert "already used your free trial" in await bot.text("bob", "/trial monthly")
    assert "suspended" not in await bot.text("bob", "/status")


async def test_forget_without_ban_or_trial_keeps_nothing(bot, db):
    preview = await bot.text("carol", "/forget")
    assert "deletes your profile" in preview and "stay with this account" not in preview
    assert "deleted" in await bot.confirm("carol")
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(IdentityHold))).scalar_one() == 0
    assert "started" in await bot.text("carol", "/trial monthly")


async def test_a_ban_for_a_time_comes_back_with_its_end_and_not_after_it(bot, clock):
    from datetime import timedelta

    await bot.say("mod", "/ban @bob 7d spam")
    await bot.confirm("mod")
    end = (clock.now() + timedelta(days=7)).strftime("%Y-%m-%d")
    await bot.say("bob", "/forget")
    await bot.confirm("bob")
    assert f"suspended until {end}" in await bot.text("bob", "/status")  # same end, not forever
    await bot.say("bob", "/forget")
    await bot.confirm("bob")
    clock.advance(timedelta(days=8))
    assert "suspended" not in await bot.text("bob", "/status")  # over while he was away
