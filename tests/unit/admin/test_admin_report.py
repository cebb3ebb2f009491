"""/report: members point moderators to a message; moderators hear it privately."""

from __future__ import annotations

from typing import Any

from core.events import Chat, Command
from core.replies import DeleteMessage, Reply

GROUP = Chat("console", "-100", "group")


async def _report(app: Any, bot: Any, who: str, author: str, ref: str, args: str = "") -> list:
    return await app.router.dispatch(
        Command(
            bot.actor(who),
            GROUP,
            name="report",
            args=args,
            reply_to_user=author,
            reply_to_ref=ref,
            reply_to_text=f"message {ref} from {author}",
        )
    )


def _to(out: list, member_id: int | None = None) -> list[str]:
    return [r.text for r in out if isinstance(r, Reply) and r.member_id == member_id]


async def test_reports_reach_moderators_with_a_count_and_stay_private(bot, app):
    await bot.say("mod", "/whoami")
    for who in ("alice", "carol"):
        await bot.say(who, "/whoami")
    out = await _report(app, bot, "alice", "bob", "1", "scam link")
    assert _to(out) == []  # nothing in the group
    alice, mod = await _id(app, "alice"), await _id(app, "mod")
    assert "moderators have your report" in _to(out, alice)[0]
    (told,) = _to(out, mod)
    assert "#1 Alice reported a message by #2 Bob: “message 1 from bob”" in told
    assert "Reason: scam link" in told and "/ban #2 7d" in told and "reports about" not in told
    out = await _report(app, bot, "carol", "bob", "2")
    assert "2 reports about them in the last 30 days." in _to(out, mod)[0]
    card = await bot.text("mod", "/member @bob")
    assert "• reported by members 2 times in the last 30 days" in card
    listed = await bot.text("mod", "/audit member.report")
    assert "#1 Alice member.report about #2 Bob — scam link" in listed
    assert "reported" not in await bot.text("mod", "/member @carol")
    # the same message twice: once is enough; one's own message: not a report
    assert "already reported" in _to(await _report(app, bot, "alice", "bob", "1"), alice)[0]
    out = await app.router.dispatch(
        Command(bot.actor("alice"), GROUP, name="report", reply_to_user="alice")
    )
    assert "your own message" in out[0].text
    # someone who posted in the group but never wrote to the bot: their account, no commands
    (told,) = _to(await _report(app, bot, "alice", "999999", "3"), mod)
    assert "a message by an account I don't know (console user 999999)" in told
    assert "/ban" not in told
    out = await bot.text("alice", "/report spam")
    assert "send /report as a reply to it in the group" in out


async def test_reports_beyond_ten_a_day_do_not_page_the_moderators(bot, app):
    await bot.say("mod", "/whoami")
    for n in range(10):
        assert _to(await _report(app, bot, "eve", "bob", str(n)), await _id(app, "mod"))
    out = await _report(app, bot, "eve", "bob", "10")
    assert _to(out, await _id(app, "mod")) == []
    assert "many reports today" in _to(out, await _id(app, "eve"))[0]


async def _id(app: Any, who: str) -> int:
    from sqlalchemy import select

    from models.member import Account

    async with app.services.session_factory() as s:
        return (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == who))
        ).scalar_one()


async def test_a_moderator_takes_the_reported_message_down_with_one_tap(bot, app):
    await bot.say("mod", "/whoami")
    out = await _report(app, bot, "alice", "bob", "41", "scam")
    mod = await _id(app, "mod")
    (dm,) = [r for r in out if isinstance(r, Reply) and r.member_id == mod]
    (take_down,) = [b for row in dm.buttons for b in row]
    assert take_down.label == "🗑 Delete the message"
    refused = await bot.press("alice", take_down.data or "")  # a member cannot
    assert not [r for r in refused if isinstance(r, DeleteMessage)]
    done = await bot.press("mod", take_down.data or "")
    assert [r.text for r in done if isinstance(r, Reply)][0].startswith("Deleted")
    (gone,) = [r for r in done if isinstance(r, DeleteMessage)]
    assert (gone.where.chat_id, gone.message_ref) == ("-100", "41")
    again = await bot.press("mod", take_down.data or "")
    assert "already deleted" in again[0].text and len(again) == 1
