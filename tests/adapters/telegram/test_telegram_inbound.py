"""Updates in, replies out: commands, buttons, forum topics and roles through the real PTB stack."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from telegram import Update
from tg_payloads import (
    FORUM_ID,
    GROUP_ID,
    callback,
    chat_member,
    document,
    group_chat,
    join_request,
    message,
    my_chat_member,
    user,
)
from tg_wire import BOT_USERNAME

from bot.telegram.updates import parse_command, to_event
from core.context import Role
from core.events import BotStatusChanged, Command, MemberJoined, MemberLeft, Message
from core.replies import Reply
from core.router import COMMANDS, command
from models.inbound import InboundUpdate

ALICE = user(4242, "Alice", username="alice")


async def test_private_command_gets_escaped_html_reply(tg, wire):
    bob = user(5151, "<Bob & Co>", username="bob")
    await tg.process(message(bob, "/whoami"))
    (call,) = wire.of("sendMessage")
    assert call["chat_id"] == 5151 and call["parse_mode"] == "HTML"
    assert "&lt;Bob &amp; Co&gt;" in call["text"]


async def test_command_addressed_to_us_runs_and_to_another_bot_is_ignored(tg, wire):
    chat = group_chat(-100777)  # a group the community does not own
    await tg.process(message(ALICE, f"/whoami@{BOT_USERNAME}", chat))
    assert [c["chat_id"] for c in wire.of("sendMessage")] == [-100777]
    wire.clear()
    await tg.process(message(ALICE, "/whoami@some_other_bot", chat))
    assert wire.methods() == []


def test_parse_command_forms():
    assert parse_command("/start ref_AB12", "bot") == ("start", "ref_AB12")
    assert parse_command("/Help@Bot  x y", "bot") == ("help", "x y")
    assert parse_command("/help@other", "bot") is None
    assert parse_command("hello", "bot") is None


def test_deep_link_start_arrives_as_start_command_with_argument(bot):
    upd = Update.de_json(message(ALICE, "/start redeem_XYZ789"), bot)
    event = to_event(upd, BOT_USERNAME)
    assert isinstance(event, Command) and (event.name, event.args) == ("start", "redeem_XYZ789")


async def test_forged_button_gets_expired_message_and_the_spinner_stops(tg, wire):
    await tg.process(callback(ALICE, "dg:1:2~AAAAAAAA"))
    (answer,) = wire.of("answerCallbackQuery")
    (msg,) = wire.of("sendMessage")
    assert "expired" in msg["text"]
    assert wire.methods() == ["answerCallbackQuery", "sendMessage"]
    assert answer["callback_query_id"]


async def test_same_update_delivered_twice_is_answered_once(tg, wire, db):
    upd = message(ALICE, "/whoami")
    await tg.process(upd)
    await tg.process(upd)
    assert len(wire.of("sendMessage")) == 1
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(InboundUpdate))).scalar_one() == 1


async def test_replies_stay_in_the_forum_topic_and_general_gets_no_thread(tg, wire):
    forum = group_chat(FORUM_ID, forum=True)
    await tg.process(message(ALICE, "/whoami", forum, thread_id=77))
    await tg.process(message(ALICE, "/whoami", forum))  # the General topic
    topic, general = wire.of("sendMessage")
    assert topic["message_thread_id"] == 77 and topic["chat_id"] == FORUM_ID
    assert "message_thread_id" not in general.params


@pytest.fixture
def mod_command():
    """A moderator-only command while the admin feature's own are still landing."""

    @command("tgmodcheck", role=Role.MODERATOR, hidden=True)
    async def _mod(ctx, args):
        return [Reply("moderator tools ready")]

    yield "tgmodcheck"
    COMMANDS.pop("tgmodcheck", None)


async def test_non_admin_using_a_moderator_command_is_refused(tg, wire, mod_command):
    await tg.process(message(ALICE, f"/{mod_command}"))
    (msg,) = wire.of("sendMessage")
    assert "moderators only" in msg["text"]
    # in the community group, a plain member is asked about and still refused
    wire.clear()
    await tg.process(message(ALICE, f"/{mod_command}", group_chat(GROUP_ID)))
    assert [c.method for c in wire.calls] == ["getChatMember", "sendMessage"]
    assert "moderators only" in wire.of("sendMessage")[0]["text"]


async def test_community_chat_admin_and_configured_moderator_may_use_it(tg, wire, mod_command):
    wire.set_member_status(GROUP_ID, 4242, "administrator")
    await tg.process(message(ALICE, f"/{mod_command}", group_chat(GROUP_ID)))
    assert wire.of("sendMessage")[-1]["text"] == "moderator tools ready"
    # being admin of some other group proves nothing
    wire.set_member_status(-100555, 4242, "administrator")
    await tg.process(message(ALICE, f"/{mod_command}", group_chat(-100555)))
    assert "moderators only" in wire.of("sendMessage")[-1]["text"]
    mod = user(9000, "Maud", username="maud")  # telegram:9000 is in moderator_ids
    await tg.process(message(mod, f"/{mod_command}"))
    assert wire.of("sendMessage")[-1]["text"] == "moderator tools ready"


def _event(bot, payload):
    return to_event(Update.de_json(payload, bot), BOT_USERNAME)


def test_membership_updates_translate_to_join_and_leave(bot):
    joined = _event(bot, chat_member(ALICE, "left", "member", link="https://t.me/+Inv9"))
    assert isinstance(joined, MemberJoined) and not joined.join_request
    assert (joined.actor.user_id, joined.target, joined.invite_link) == (
        "4242",
        str(GROUP_ID),
        "https://t.me/+Inv9",
    )
    left = _event(bot, chat_member(ALICE, "member", "kicked"))
    assert isinstance(left, MemberLeft) and left.target == str(GROUP_ID)
    assert _event(bot, chat_member(ALICE, "member", "administrator")) is None  # a promotion
    req = _event(bot, join_request(ALICE))
    assert isinstance(req, MemberJoined) and req.join_request
    assert req.chat.kind == "private" and req.chat.chat_id == "4242"  # replies DM the asker


def test_bot_blocked_and_promoted_become_bot_status_events(bot):
    blocked = _event(bot, my_chat_member(ALICE, "member", "kicked"))
    assert isinstance(blocked, BotStatusChanged) and blocked.status == "kicked"
    assert blocked.chat.kind == "private"
    promoted = _event(bot, my_chat_member(ALICE, "member", "administrator", group_chat()))
    assert isinstance(promoted, BotStatusChanged)
    assert "can_invite_users" in promoted.rights and "can_restrict_members" in promoted.rights


async def test_bot_status_update_is_dispatched_without_error(tg, wire, db):
    await tg.process(my_chat_member(ALICE, "member", "kicked"))
    assert wire.methods() == []  # nobody to talk to: the bot was blocked
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(InboundUpdate))).scalar_one() == 1


async def test_plain_text_in_private_reaches_the_router(tg, wire):
    upd = Update.de_json(message(ALICE, "how do joins work?"), tg.bot)
    event = to_event(upd, BOT_USERNAME)
    assert isinstance(event, Message) and event.text == "how do joins work?"
    await tg.process(message(ALICE, "how do joins work?"))
    assert wire.of("sendMessage")  # answered (Q&A or "I didn't understand")


async def test_a_voice_note_or_sticker_in_private_is_told_only_text_is_read(tg, wire):
    """They met silence (a member talking to the bot thinks it is broken); in a group a
    sticker is nobody's business, and a file without a caption stays unread as before."""

    def media(kind: str, body: dict, chat: dict | None = None) -> dict:
        upd = message(ALICE, "", chat)
        del upd["message"]["text"]
        upd["message"][kind] = body
        return upd

    voice = {"file_id": "AwADBAAD", "file_unique_id": "v1", "duration": 4}
    sticker = {
        "file_id": "CAACAgIA",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    for kind, body in (("voice", voice), ("sticker", sticker)):
        await tg.process(media(kind, body))
        (call,) = wire.of("sendMessage")
        assert call["chat_id"] == ALICE["id"] and call["text"].startswith("I can only read text.")
        wire.clear()
    await tg.process(media("sticker", sticker, group_chat()))
    paper = {"file_id": "BQACAgIA", "file_unique_id": "d1", "file_name": "notes.pdf"}
    await tg.process(media("document", paper))
    assert wire.of("sendMessage") == []


@pytest.fixture
def toast_button():
    """A button whose answer is a short ephemeral note (core's admin confirmations do this)."""
    from core.router import BUTTONS, button

    @button("tgtoast")
    async def _toast(ctx, parts):
        return [Reply("Saved.", ephemeral=True)]

    yield "tgtoast"
    BUTTONS.pop("tgtoast", None)


async def test_short_ephemeral_button_answer_is_a_toast_not_a_message(tg, wire, app, toast_button):
    data = app.services.signer.encode(toast_button, "1")
    await tg.process(callback(ALICE, data))
    (answer,) = wire.of("answerCallbackQuery")
    assert answer["text"] == "Saved." and wire.of("sendMessage") == []


async def test_pre_checkout_without_a_verdict_from_core_is_declined(tg, wire, monkeypatch):
    from tg_payloads import pre_checkout

    from core.events import PreCheckout
    from core.router import EVENT_HANDLERS

    monkeypatch.delitem(EVENT_HANDLERS, PreCheckout, raising=False)
    await tg.process(pre_checkout(ALICE, 250, "pay:monthly:1~x"))
    (answer,) = wire.of("answerPreCheckoutQuery")
    assert answer["ok"] is False and "not been charged" in answer["error_message"]


MOD = user(9000, "Mona", username="mona")  # a moderator by the settings


async def test_kb_import_reads_the_document_sent_with_the_command(tg, wire, app):
    from models.qa import KBEntry

    faq = b"title,answer\nWhere is the parking?,Behind building B.\nWho runs the lab?,Dr. Ito.\n"
    wire.put_file("BQACfaq1", faq)
    await tg.process(document(MOD, "/kb import", "BQACfaq1", "faq.csv", len(faq)))
    assert [c["file_id"] for c in wire.of("getFile")] == ["BQACfaq1"]
    assert wire.downloads == ["documents/BQACfaq1"]
    (told,) = wire.of("sendMessage")
    assert told["chat_id"] == 9000 and "2 added" in told["text"]
    async with app.services.session_factory() as s:
        titles = set((await s.execute(select(KBEntry.title))).scalars())
    assert {"Where is the parking?", "Who runs the lab?"} <= titles


async def test_an_oversized_document_is_not_fetched_and_the_moderator_is_told(tg, wire):
    await tg.process(document(MOD, "/kb import", "BQACbig", "huge.csv", 3_000_000))
    assert not wire.of("getFile")
    (told,) = wire.of("sendMessage")
    assert "huge.csv" in told["text"] and "larger than 2 MB" in told["text"]


async def test_a_document_with_a_plain_caption_is_not_a_command(bot):
    upd = Update.de_json(document(ALICE, "my notes", "BQACn", "notes.csv", 10), bot)
    event = to_event(upd, BOT_USERNAME)
    assert isinstance(event, Message) and event.text == "my notes"


async def test_report_as_a_reply_reaches_the_moderators_privately_and_not_the_group(tg, wire):
    """A member replies `/report spam` to a message in the group: each moderator gets the
    message, its author, a link to it and what to do; the reporter is thanked privately;
    the group hears nothing (the author would learn who reported them)."""
    mod, bob = user(9000, "Mo", username="mo"), user(5151, "Bob", username="bob")
    await tg.process(message(mod, "/start"))
    await tg.process(message(ALICE, "/start"))
    await tg.process(message(bob, "BUY CHEAP FOLLOWERS <here>", group_chat()))
    wire.clear()
    upd = message(ALICE, "/report spam", group_chat())
    upd["message"]["reply_to_message"] = {
        "message_id": 777,
        "date": 1,
        "chat": group_chat(),
        "from": bob,
        "text": "BUY CHEAP FOLLOWERS <here>",
    }
    await tg.process(upd)
    sent = {c["chat_id"]: c["text"] for c in wire.of("sendMessage")}
    assert GROUP_ID not in sent
    assert "moderators have your report" in sent[4242]
    told = sent[9000]
    assert "Alice reported a message by" in told and "Bob" in told
    assert "BUY CHEAP FOLLOWERS &lt;here&gt;" in told and "Reason: spam" in told
    assert f"https://t.me/c/{str(GROUP_ID)[4:]}/777" in told and "/ban #" in told
    # the /report itself is taken down: it would tell the group who reported
    (gone,) = wire.of("deleteMessage")
    assert (gone["chat_id"], gone["message_id"]) == (GROUP_ID, upd["message"]["message_id"])
    # the moderator's "Delete the message" takes the spam down
    (dm,) = [c for c in wire.of("sendMessage") if c["chat_id"] == 9000]
    (row,) = dm["reply_markup"]["inline_keyboard"]
    wire.clear()
    await tg.process(callback(mod, row[0]["callback_data"]))
    (spam,) = wire.of("deleteMessage")
    assert (spam["chat_id"], spam["message_id"]) == (GROUP_ID, 777)
    wire.clear()
    await tg.process(dict(upd, update_id=990000))
    assert [c["chat_id"] for c in wire.of("sendMessage")] == [4242]  # "already reported"
    assert "already reported" in wire.of("sendMessage")[0]["text"]
    wire.clear()
    await tg.process(message(ALICE, "/report", group_chat(), update_id=990001))  # not a reply
    (how,) = wire.of("sendMessage")
    assert "as a reply to it" in how["text"]
