"""Foundation behaviour a member or operator notices: commands, roles, errors, storage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.callbacks import CallbackSigner
from core.errors import ExpiredButton
from core.events import Actor, Chat, Command
from models.member import Account, Member


async def test_help_lists_commands_and_unknown_command_points_to_help(console_bot):
    out = await console_bot.send("/help", as_member="alice")
    assert "/courses" in out and "/help" in out
    out = await console_bot.send("/frobnicate")
    assert "/frobnicate" in out and "/help" in out
    assert "Moderator commands:" not in await console_bot.send("/help")
    mods = await console_bot.send("/help", as_member="mod")
    assert "Moderator commands:\n" in mods and "Owner commands:" not in mods
    owner = await console_bot.send("/help", as_member="owner")
    # the owner's own section is called so (it was a second "Moderator commands:")
    assert owner.count("Moderator commands:") == 1 and "Owner commands:\n/role" in owner


async def test_start_for_a_returning_member_says_where_they_stand(console_bot, app, db):
    """A returning member's /start said only "Welcome… type /help": now their plan, the
    lesson /next gives, and answers waiting on their questions, one line each."""
    from core.catalog.importer import read_file
    from core.catalog.service import apply_catalog

    data = Path(__file__).parent.parent / "data" / "catalog" / "catalog.yaml"
    async with db.session() as s, s.begin():
        await apply_catalog(s, app.services.clock, read_file(data))
    await console_bot.send("/profile goals Write fast SQL", as_member="ruth")
    await console_bot.send("/enroll intro-sql")
    await console_bot.send("/trial monthly")
    home = await console_bot.send("/start")
    assert home.startswith("Welcome back to ")
    assert "• Monthly membership: free trial, ends on " in home
    assert "• Next lesson: SELECT and WHERE (Intro to SQL), /next" in home
    assert home.endswith("/help lists everything I can do.")


async def test_an_unknown_command_suggests_what_the_member_may_have_meant(console_bot):
    """A misspelling or another word for a command gets the command it means, among those
    this person may use; nothing is run."""
    out = await console_bot.send("/solve", as_member="alice")
    assert "Did you mean /solved?" in out
    assert "Did you mean /subscribe or /plans?" in await console_bot.send("/join")
    assert "Did you mean /courses?" in await console_bot.send("/cources")
    assert "Did you mean" not in await console_bot.send("/kbb")  # a moderator command
    assert "Did you mean /kb?" in await console_bot.send("/kbb", as_member="mod")
    assert "Did you mean /subscribe or /plans?" in await console_bot.send("/help buy")
    # Threads: a member's own questions; a moderator's list of those waiting is /kb.
    assert "Did you mean /questions?" in await console_bot.send("/threads", as_member="alice")
    assert "Did you mean /questions or /kb?" in await console_bot.send("/threads", as_member="mod")
    assert "Did you mean /kb or /questions?" in await console_bot.send("/unanswered")
    assert "Did you mean /courses or /ask?" in await console_bot.send("/search sql")
    await console_bot.send("/language zh", as_member="li")
    assert "你是想用 /courses 吗" in await console_bot.send("/cources")


async def test_member_created_once_per_platform_identity(app, db):
    ev = Command(Actor("telegram", "42", "Alice"), Chat("telegram", "42"), "u1", name="whoami")
    await app.router.dispatch(ev)
    await app.router.dispatch(ev)
    async with db.session() as s:
        assert (await s.execute(select(func.count(Member.id)))).scalar_one() == 1
        acc = (await s.execute(select(Account))).scalar_one()
        assert (acc.platform, acc.platform_user_id, acc.chat_id) == ("telegram", "42", "42")


async def test_text_over_limit_is_refused_and_nothing_stored(app, db):
    ev = Command(
        Actor("console", "bob"),
        Chat("console", "bob"),
        "u2",
        name="language",
        args="zh " + "x" * 5000,
    )
    out = await app.router.dispatch(ev)
    assert "too long" in out[0].text
    async with db.session() as s:
        members = (await s.execute(select(Member))).scalars().all()
        assert [m.locale for m in members] == ["en"]  # the command never ran


async def test_language_switch_changes_replies(console_bot):
    await console_bot.send("/language zh", as_member="li")
    out = await console_bot.send("/help")
    assert "你可以使用以下命令" in out
    out = await console_bot.send("/language klingon")
    assert "我会说英文和中文，不会“klingon”" in out and "[1] English  [2] 中文" in out
    out = await console_bot.send("/press 1")  # a tap, not a word to remember
    assert out.startswith("Language set to English.")
    out = await console_bot.send("/language")
    assert out.startswith("Your language: English.") and "[2] 中文" in out
    await console_bot.send("/language chinese")
    assert "你可以使用以下命令" in await console_bot.send("/help")


async def test_moderator_sees_moderator_role(console_bot):
    assert "moderator" in await console_bot.send("/whoami", as_member="mod")
    assert "member" in await console_bot.send("/whoami", as_member="carol")


async def test_utc_datetimes_round_trip_aware(db):
    async with db.session() as s, s.begin():
        m = Member(
            display_name="T", created_at=datetime(2026, 5, 1, 12, 30, tzinfo=UTC), tags=[], prefs={}
        )
        s.add(m)
    async with db.session() as s:
        got = (await s.execute(select(Member))).scalar_one()
        assert got.created_at == datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
        assert got.created_at.tzinfo is not None


def test_callback_data_is_signed_short_and_forgery_is_refused():
    signer = CallbackSigner("k")
    data = signer.encode("plan", "monthly", 12345)
    assert len(data.encode()) <= 64
    assert signer.decode(data) == ("plan", ["monthly", "12345"])
    with pytest.raises(ExpiredButton):
        signer.decode(data.replace("monthly", "yearly"))
    with pytest.raises(ExpiredButton):
        CallbackSigner("other").decode(data)
    with pytest.raises(ValueError):
        signer.encode("x", "y" * 80)


async def test_redelivered_update_is_applied_once(app, db):
    """Platforms redeliver on timeouts: the same update id changes things once."""
    ev = Command(
        Actor("telegram", "77"), Chat("telegram", "77"), "tg-555", name="language", args="zh"
    )
    first = await app.router.dispatch(ev)
    assert first and "中文" in first[0].text
    assert await app.router.dispatch(ev) == []
    other = Command(
        Actor("telegram", "77"), Chat("telegram", "77"), "tg-556", name="language", args="en"
    )
    assert "English" in (await app.router.dispatch(other))[0].text


async def test_member_who_blocks_the_bot_becomes_unreachable_then_returns(app, db):
    from core.events import BotStatusChanged

    chat = Chat("telegram", "88")
    actor = Actor("telegram", "88", "Blocker")
    await app.router.dispatch(BotStatusChanged(actor, chat, status="kicked", old_status="member"))
    async with db.session() as s:
        assert (await s.execute(select(Member.reachable))).scalar_one() is False
    await app.router.dispatch(BotStatusChanged(actor, chat, status="member", old_status="kicked"))
    async with db.session() as s:
        assert (await s.execute(select(Member.reachable))).scalar_one() is True


async def test_control_characters_are_dropped_before_storage(app, db):
    ev = Command(
        Actor("console", "nul", display_name="A\x00li\x07ce"), Chat("console", "nul"), name="whoami"
    )
    out = await app.router.dispatch(ev)
    assert "Alice" in out[0].text
    async with db.session() as s:
        assert (await s.execute(select(Member.display_name))).scalar_one() == "Alice"


async def test_banned_member_is_refused_but_may_still_export_their_data(app, db):
    await app.router.dispatch(Command(Actor("console", "bad"), Chat("console", "bad"), name="help"))
    async with db.session() as s, s.begin():
        (await s.execute(select(Member))).scalar_one().role = "banned"
    out = await app.router.dispatch(
        Command(Actor("console", "bad"), Chat("console", "bad"), name="courses")
    )
    assert "suspended" in out[0].text
    out = await app.router.dispatch(
        Command(Actor("console", "bad"), Chat("console", "bad"), name="help")
    )
    assert "suspended" not in out[0].text


async def test_failed_update_is_not_remembered_so_a_redelivery_is_applied(app, db, monkeypatch):
    """The update-id record rolls back with a failed handler (a savepoint-first transaction)."""
    from core.common import commands as common

    calls = {"n": 0}
    real = common.whoami

    async def flaky(ctx, args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return await real(ctx, args)

    from core.router import COMMANDS

    spec = COMMANDS["whoami"]
    monkeypatch.setitem(COMMANDS, "whoami", spec.__class__(**{**spec.__dict__, "handler": flaky}))
    ev = Command(Actor("telegram", "5"), Chat("telegram", "5"), "tg-9001", name="whoami")
    assert "went wrong" in (await app.router.dispatch(ev))[0].text
    out = await app.router.dispatch(ev)  # the platform redelivers the same update
    assert out and "You are" in out[0].text


async def test_help_shows_moderators_the_options_only_they_have(console_bot):
    member = await console_bot.send("/help digest", as_member="ana")
    assert "/digest [now" in member and "stats" not in member  # was shown, then refused
    assert "stats [DAYS]" in await console_bot.send("/help digest", as_member="mod")
