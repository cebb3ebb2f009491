"""Outbox delivery to Discord: DM pace, error mapping, closed DMs mark members unreachable."""

from __future__ import annotations

import dc_payloads as P
from sqlalchemy import select

from bot.discord.deliver import DiscordDeliverer
from core.replies import Reply
from models.audit import AuditLog
from models.member import Account, Member

MESSAGES = "POST /channels/{channel_id}/messages"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def _deliverer(bot, t: FakeTime, interval: float = 2.5) -> DiscordDeliverer:
    return DiscordDeliverer(bot.client, dm_interval=interval, monotonic=t.monotonic, sleep=t.sleep)


async def test_dms_leave_one_at_a_time_never_in_a_burst(discord_bot):
    t = FakeTime()
    d = _deliverer(discord_bot, t)
    outcomes = [await d.deliver(f"user:{700 + i}", {"text": f"digest {i}"}) for i in range(4)]
    assert [o.status for o in outcomes] == ["sent"] * 4
    assert t.slept == [2.5, 2.5, 2.5]
    assert len(discord_bot.wire.find(MESSAGES)) == 4
    # A cohort channel is not a DM: no DM pause.
    await d.deliver(f"channel:{P.GENERAL_CHANNEL}", {"text": "weekly cohort digest"})
    assert t.slept == [2.5, 2.5, 2.5]


async def test_payload_text_buttons_and_nonce_reach_the_wire(discord_bot, app):
    d = _deliverer(discord_bot, FakeTime())
    signed = app.services.signer.encode("dg", "click", 3)
    out = await d.deliver(
        f"channel:{P.GENERAL_CHANNEL}",
        {
            "text": "Your digest for *this* week",
            "buttons": [[{"label": "Open", "data": signed}]],
            "nonce": "123456789",
        },
    )
    assert out.status == "sent" and out.message_ref
    (msg,) = discord_bot.wire.find(MESSAGES)
    assert msg.body["content"] == "Your digest for \\*this\\* week"
    assert msg.body["components"][0]["components"][0]["custom_id"] == signed
    assert (msg.body["nonce"], msg.body["enforce_nonce"]) == ("123456789", True)


async def test_platform_errors_map_to_outbox_outcomes(discord_bot):
    d = _deliverer(discord_bot, FakeTime())
    target = f"channel:{P.GENERAL_CHANNEL}"
    discord_bot.wire.fail(MESSAGES, 429, 20028, "rate limited", headers={"Retry-After": "7.5"})
    out = await d.deliver(target, {"text": "x"})
    assert (out.status, out.retry_after) == ("retry", 7.5)
    discord_bot.wire.fail(MESSAGES, 502, 0, "bad gateway")
    assert (await d.deliver(target, {"text": "x"})).status == "retry"
    discord_bot.wire.fail(MESSAGES, 403, 50013, "Missing Permissions")
    assert (await d.deliver(target, {"text": "x"})).status == "failed"
    discord_bot.wire.fail(MESSAGES, 403, 50007, "Cannot send messages to this user")
    assert (await d.deliver("user:555", {"text": "x"})).status == "unreachable"
    assert (await d.deliver("telegram:555", {"text": "x"})).status == "failed"
    assert (await d.deliver(target, {"text": "x"})).status == "sent"


async def _dm_member(bot, db, uid: int) -> tuple[int, str]:
    """A member who used the bot in DMs: their account knows the DM channel."""
    await bot.interact(P.slash("whoami", uid=uid, username="dora", dm=True, channel_id=uid + 7))
    async with db.session() as s:
        acc = (
            await s.execute(select(Account).where(Account.platform_user_id == str(uid)))
        ).scalar_one()
        return acc.member_id, acc.chat_id or ""


async def test_closed_dms_during_a_digest_mark_the_member_unreachable(discord_bot, app, db):
    from core.digest.delivery import drain
    from core.digest.outbox import enqueue
    from core.digest.ratelimit import RateLimiter
    from models.digest import Outbox

    mid, chat_id = await _dm_member(discord_bot, db, 4242)
    assert chat_id == str(4242 + 7)
    async with db.session() as s, s.begin():
        row = await enqueue(
            s,
            member_id=mid,
            payload={"text": "Your weekly digest"},
            dedupe_key=f"digest:w10:{mid}",
            not_before=app.services.clock.now(),
        )
        assert row is not None and row.platform == "discord"
    t = FakeTime()
    discord_bot.wire.fail(MESSAGES, 403, 50007, "Cannot send messages to this user")
    report = await drain(
        app.services,
        senders={"discord": _deliverer(discord_bot, t)},
        rate_limiter=RateLimiter(monotonic=t.monotonic, sleep=t.sleep),
        budget_s=None,
    )
    assert report.unreachable == 1 and report.sent == 0
    async with db.session() as s:
        assert (await s.get_one(Member, mid)).reachable is False
        assert (await s.execute(select(Outbox.status))).scalar_one() == "unreachable"
    (call,) = discord_bot.wire.find(MESSAGES)[-1:]
    assert f"/channels/{chat_id}/messages" in call.url


async def _eve(discord_bot, db) -> int:
    """A member who used a slash command in the guild (her DM channel is not known yet)."""
    await discord_bot.interact(P.slash("whoami", uid=4343, username="eve"))
    async with db.session() as s:
        return (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == "4343"))
        ).scalar_one()


async def test_reply_dm_to_closed_dms_marks_unreachable_and_audits(discord_bot, db):
    mid = await _eve(discord_bot, db)
    discord_bot.wire.fail(MESSAGES, 403, 50007, "Cannot send messages to this user")
    await discord_bot.client.executor.run([Reply("Your trial ends tomorrow", member_id=mid)])
    (dm,) = discord_bot.wire.find("POST /users/@me/channels")
    assert dm.body == {"recipient_id": 4343}
    async with db.session() as s:
        assert (await s.get_one(Member, mid)).reachable is False
        actions = (await s.execute(select(AuditLog.action))).scalars().all()
    assert "member.unreachable" in actions


async def test_a_dm_in_quiet_hours_is_a_silent_message(discord_bot, db):
    """Discord's SUPPRESS_NOTIFICATIONS flag (1 << 12): delivered, no sound."""
    mid = await _eve(discord_bot, db)
    await discord_bot.client.executor.run(
        [
            Reply("Bob answered your question", member_id=mid, silent=True),
            Reply("Your trial ends tomorrow", member_id=mid),
        ]
    )
    quiet, loud = [c.body for c in discord_bot.wire.find(MESSAGES)[-2:]]
    assert quiet["content"] == "Bob answered your question" and quiet["flags"] == 1 << 12
    assert loud["content"] == "Your trial ends tomorrow" and not loud.get("flags")
