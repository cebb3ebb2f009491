"""/link: a member's Telegram and Discord accounts become one member, safely and audited."""

from __future__ import annotations

import re
from datetime import timedelta

import dc_payloads as P
from sqlalchemy import func, select

from core.events import Actor, Chat, Command
from models.audit import AuditLog
from models.member import Account
from models.membership import Plan, Subscription

CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")
EPHEMERAL = 64


async def _telegram(app, text: str, uid: str = "77", n: list[int] = [0]) -> str:  # noqa: B006
    n[0] += 1
    name, _, args = text.lstrip("/").partition(" ")
    ev = Command(
        Actor("telegram", uid, "Tina", username="tina"),
        Chat("telegram", uid, "private"),
        f"tg-{uid}-{n[0]}",
        name=name,
        args=args,
    )
    return "\n".join(getattr(r, "text", "") for r in await app.router.dispatch(ev))


async def _discord(bot, args: str | None, uid: int = 880) -> dict:
    n = len(bot.wire.calls)
    await bot.interact(P.slash("link", args, uid=uid, username="tina_dc"))
    (cb,) = [c for c in bot.since(n) if "callback" in c.route]
    return cb.body["data"]


async def _subscribe(db, member_platform: str, uid: str, now) -> int:
    async with db.session() as s, s.begin():
        mid = (
            await s.execute(
                select(Account.member_id).where(
                    Account.platform == member_platform, Account.platform_user_id == uid
                )
            )
        ).scalar_one()
        plan = (await s.execute(select(Plan).where(Plan.code == "pro"))).scalar_one_or_none()
        if plan is None:  # membership syncs configured plans at start-up once it exists
            plan = Plan(code="pro", title_en="Pro", prices={}, targets={})
            s.add(plan)
            await s.flush()
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
        return mid


async def test_link_merges_into_the_member_holding_the_subscription(discord_bot, app, db):
    await _telegram(app, "/whoami")  # Telegram member first (older)
    await discord_bot.interact(P.slash("whoami", uid=880, username="tina_dc"))
    paying = await _subscribe(db, "discord", "880", app.services.clock.now())

    issued = await _telegram(app, "/link")
    code = CODE.search(issued).group(1)
    data = await _discord(discord_bot, code.lower().replace("-", " "))  # typed sloppily: ok
    assert data["flags"] & EPHEMERAL and "Done!" in data["content"]

    async with db.session() as s:
        accounts = (await s.execute(select(Account))).scalars().all()
        assert {(a.platform, a.member_id) for a in accounts} == {
            ("telegram", paying),
            ("discord", paying),
        }
        subs = (await s.execute(select(Subscription.member_id))).scalars().all()
        assert subs == [paying]
        merge = (
            await s.execute(select(AuditLog).where(AuditLog.action == "accounts.merge"))
        ).scalar_one()
        assert merge.target == f"member:{paying}"
        assert sorted(merge.after["accounts"]) == ["discord:880", "telegram:77"]
    # Both accounts now answer as the same member.
    assert f"#{paying}" in await _telegram(app, "/whoami")
    # The code is spent: a second use changes nothing.
    again = await _discord(discord_bot, code)
    assert "wrong, expired or already used" in again["content"]


async def test_bad_expired_and_same_platform_codes_are_refused_and_change_nothing(
    discord_bot, app, db, clock
):
    out = await _discord(discord_bot, "NQPE-NQPE")
    assert "wrong, expired or already used" in out["content"]
    # no code could look like that (there is no O): how one looks, not "wrong" (and no guess)
    out = await _discord(discord_bot, "help")
    assert "A link code has 8 letters and digits, like ABCD" in out["content"]
    code = CODE.search(await _telegram(app, "/link")).group(1)
    clock.advance(timedelta(minutes=11))
    assert "expired" in (await _discord(discord_bot, code))["content"]
    # Two Telegram accounts cannot be merged by a code.
    code = CODE.search(await _telegram(app, "/link")).group(1)
    assert "Both accounts are on telegram" in await _telegram(app, f"/link {code}", uid="78")
    async with db.session() as s:
        owners = (await s.execute(select(Account.member_id))).scalars().all()
        merges = (
            await s.execute(
                select(func.count(AuditLog.id)).where(AuditLog.action == "accounts.merge")
            )
        ).scalar_one()
    assert len(owners) == len(set(owners)) and merges == 0  # every account still its own


async def test_guessing_codes_is_throttled(discord_bot, app):
    code = CODE.search(await _telegram(app, "/link")).group(1)
    for _ in range(6):  # what no code can be is not a guess: it does not count
        await _discord(discord_bot, "please link me")
    assert "Your link code" not in (await _discord(discord_bot, "AAAA-BBBB"))["content"]
    for _ in range(4):
        await _discord(discord_bot, "AAAA-BBBB")
    out = await _discord(discord_bot, code)  # even the right code: wait an hour
    assert "Too many wrong link codes" in out["content"]


async def test_two_memberships_are_never_merged_automatically(discord_bot, app, db):
    await _telegram(app, "/whoami")
    await discord_bot.interact(P.slash("whoami", uid=880, username="tina_dc"))
    now = app.services.clock.now()
    await _subscribe(db, "discord", "880", now)
    async with db.session() as s, s.begin():
        tg = (
            await s.execute(select(Account.member_id).where(Account.platform == "telegram"))
        ).scalar_one()
        plan_id = (await s.execute(select(Plan.id))).scalar_one()
        s.add(
            Subscription(
                member_id=tg, plan_id=plan_id, state="active", started_at=now, updated_at=now
            )
        )
    code = CODE.search(await _telegram(app, "/link")).group(1)
    out = await _discord(discord_bot, code)
    assert "ask a moderator" in out["content"]
    async with db.session() as s:
        owners = (await s.execute(select(Account.member_id))).scalars().all()
    assert len(set(owners)) == 2


async def test_link_in_chinese_through_the_console(console_bot):
    await console_bot.send("/language zh", as_member="li")
    out = await console_bot.send("/link")
    assert "你的关联码" in out and CODE.search(out)


async def test_linking_discord_to_a_paying_telegram_member_grants_the_discord_role(
    discord_bot, app, db
):
    await _telegram(app, "/whoami")
    paying = await _subscribe(db, "telegram", "77", app.services.clock.now())
    code = CODE.search(await _telegram(app, "/link")).group(1)
    n = len(discord_bot.wire.calls)
    data = await _discord(discord_bot, code, uid=881)
    assert "Done!" in data["content"]
    roles = [c for c in discord_bot.since(n) if c.route.startswith("PUT /guilds/")]
    assert [c.url.rsplit("/guilds/", 1)[1] for c in roles] == [
        f"{P.GUILD_ID}/members/881/roles/{P.PLAN_ROLE}"
    ]
    async with db.session() as s:
        owner = (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == "881"))
        ).scalar_one()
    assert owner == paying


async def test_accounts_lookup_with_control_characters_gets_usage_not_a_crash(app):
    ev = Command(
        Actor("console", "mod"), Chat("console", "mod"), "acc-1", name="accounts", args="a\x00b"
    )
    (reply,) = await app.router.dispatch(ev)
    assert "went wrong" not in reply.text and ("Usage" in reply.text or "ab" in reply.text)
