"""Slash commands from the router registry; server-side role checks; persistent buttons."""

from __future__ import annotations

import dc_payloads as P

from core.router import COMMANDS

EPHEMERAL = 64


def _synced(bot):
    (put,) = bot.wire.find("PUT /applications/{application_id}/commands")
    return {c["name"]: c for c in put.body}


async def test_every_visible_command_is_synced_with_localized_help(discord_bot):
    synced = _synced(discord_bot)
    visible = {s.name for s in COMMANDS.values() if not s.hidden}
    # /report points at a message: a message menu only, no slash command
    assert set(synced) == visible - {"report"} | {"Accept as answer", "Report to moderators"}
    menu = synced.pop("Accept as answer")  # a message menu (Apps → Accept as answer)
    assert menu["type"] == 3 and menu["name_localizations"]["zh-CN"] == "采纳为答案"
    menu = synced.pop("Report to moderators")
    assert menu["type"] == 3 and menu["name_localizations"]["zh-CN"] == "举报给管理员"
    link = synced["link"]
    assert link["description"].startswith("link your Telegram and Discord")
    assert link["description_localizations"]["zh-CN"].startswith("关联你的")
    (opt,) = link["options"]
    assert (opt["name"], opt["type"], opt["required"]) == ("args", 3, False)
    # moderator commands are hidden from members in the client ...
    assert synced["accounts"]["default_member_permissions"] == P.MANAGE_GUILD
    assert synced["link"].get("default_member_permissions") is None
    # ... except one with a members' version: /refund asks the moderators for a refund
    assert synced["refund"].get("default_member_permissions") is None
    assert synced["refund"]["description"].startswith("ask the moderators for a refund")


async def test_non_moderator_is_refused_server_side_even_if_the_client_shows_the_command(
    discord_bot, texts
):
    # ... but a member who calls it anyway (stale client, raw API) is refused by the router.
    await discord_bot.interact(P.slash("whoami", uid=601, username="alice"))
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.slash("accounts", "@alice", uid=602, username="mallory"))
    out = texts(discord_bot.since(n))
    assert "for moderators only" in out
    assert "Accounts of" not in out
    # A guild manager (Manage Server) is a moderator and gets the answer.
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(
        P.slash("accounts", "@alice", uid=603, username="boss", perms=P.SEND | P.MANAGE_GUILD)
    )
    (cb,) = discord_bot.wire.find("POST /interactions/{id}/{token}/callback")[-1:]
    assert "Accounts of" in cb.body["data"]["content"] and "601" in cb.body["data"]["content"]
    assert cb.body["data"]["flags"] & EPHEMERAL
    assert len(discord_bot.since(n)) == 1


async def test_reply_is_escaped_and_split_at_2000_characters(discord_bot, app):
    from bot.discord.execute import Origin
    from core.replies import Reply

    long = "\n".join(f"line {i} *not bold* @everyone" for i in range(150))
    n = len(discord_bot.wire.calls)
    await discord_bot.client.executor.run([Reply(long)], Origin(chat=P_chat(P.GENERAL_CHANNEL)))
    sent = [c.body["content"] for c in discord_bot.since(n)]
    assert len(sent) >= 3 and all(len(s) <= 2000 for s in sent)
    assert "\\*not bold\\*" in sent[0] and "@everyone" not in "".join(sent)
    assert all(c.body["allowed_mentions"] == {"parse": []} for c in discord_bot.since(n))


def P_chat(channel_id: int):
    from core.events import Chat

    return Chat("discord", str(channel_id), "group")


async def test_buttons_carry_signed_data_and_a_press_reaches_the_router(discord_bot, app, texts):
    from bot.discord.execute import Origin
    from core.replies import ButtonSpec, Reply

    signed = app.services.signer.encode("nosuchprefix", 7)
    n = len(discord_bot.wire.calls)
    await discord_bot.client.executor.run(
        [
            Reply(
                "pick",
                buttons=[[ButtonSpec("Seven", signed), ButtonSpec("Docs", url="https://x.y")]],
            )
        ],
        Origin(chat=P_chat(P.GENERAL_CHANNEL)),
    )
    (msg,) = discord_bot.since(n)
    row = msg.body["components"][0]["components"]
    assert row[0]["custom_id"] == signed and row[0]["label"] == "Seven"
    assert row[1]["url"] == "https://x.y"
    # Pressed after a restart (no view in memory): the DynamicItem rebuilds it from custom_id.
    discord_bot.client._connection._view_store._views.clear()
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.press(signed, uid=701, username="bob"))
    assert "expired" in texts(discord_bot.since(n))  # the router saw it: unknown prefix
    # A forged custom_id never reaches a handler.
    n = len(discord_bot.wire.calls)
    forged = signed.replace("7", "8", 1)
    await discord_bot.interact(P.press(forged, uid=701, username="bob"))
    assert "expired" in texts(discord_bot.since(n))


async def test_a_restart_with_unchanged_commands_does_not_sync_again(discord_bot, app, monkeypatch):
    from bot.discord.client import SyllabotDiscord

    again = SyllabotDiscord(app)
    discord_bot.wire.install(monkeypatch, again)
    n = len(discord_bot.wire.calls)
    await again.login("test-token")
    try:
        routes = [c.route for c in discord_bot.since(n)]
        assert "GET /applications/{application_id}/commands" in routes
        assert not any(r.startswith("PUT /applications") for r in routes)
    finally:
        await again.close()


async def test_charts_and_documents_are_sent_as_attachments(discord_bot):
    from bot.discord.execute import Origin
    from core.replies import Document, Photo

    n = len(discord_bot.wire.calls)
    await discord_bot.client.executor.run(
        [
            Photo(b"\x89PNG fake", caption="Weekly active members"),
            Document(b"id,name\n1,a\n", filename="members.csv"),
        ],
        Origin(chat=P_chat(P.GENERAL_CHANNEL)),
    )
    photo, doc = discord_bot.since(n)
    assert photo.files == ["chart.png"] and photo.body["content"] == "Weekly active members"
    assert doc.files == ["members.csv"]
    assert photo.body["attachments"][0]["filename"] == "chart.png"


async def test_kb_offers_a_file_option_and_imports_the_attached_file(discord_bot, db, texts):
    from sqlalchemy import select

    from models.qa import KBEntry

    (args, file) = _synced(discord_bot)["kb"]["options"]
    assert (file["name"], file["type"], file["required"]) == ("file", 11, False)  # ATTACHMENT
    assert all(o["name"] == "args" for o in _synced(discord_bot)["link"]["options"])
    faq = b'{"title": "Where is the parking?", "answer": "Behind building B."}\n'
    att = P.attachment("faq.jsonl", len(faq))
    discord_bot.wire.cdn[att["url"]] = faq
    n = len(discord_bot.wire.calls)
    mod = P.SEND | P.MANAGE_GUILD
    await discord_bot.interact(
        P.slash("kb", "import", uid=9000, username="mona", perms=mod, attachment=att)
    )
    assert discord_bot.wire.fetched == [att["url"]]
    assert "1 added" in texts(discord_bot.since(n))
    async with db.session() as s:
        assert "Where is the parking?" in set((await s.execute(select(KBEntry.title))).scalars())
    # Over the limit: not downloaded, and the moderator is told why.
    big = P.attachment("huge.csv", 3_000_000)
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(
        P.slash("kb", "import", uid=9000, username="mona", perms=mod, attachment=big)
    )
    assert discord_bot.wire.fetched == [att["url"]]
    assert "larger than 2 MB" in texts(discord_bot.since(n))


async def test_questions_in_a_channel_answer_privately_or_say_why_they_cannot(
    discord_bot, app, texts
):
    """/questions in a server channel goes by DM with a word in the channel; when the
    member's privacy settings refuse DMs from the server, the channel hears how to allow
    them instead of "sent privately"."""
    await discord_bot.interact(
        P.slash("ask", "How do I export my notes as a PDF file?", uid=611, username="nia", dm=True)
    )
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.slash("questions", uid=611, username="nia"))
    out = texts(discord_bot.since(n))
    assert "export my notes" in out and "sent you the list" in out
    (cb,) = discord_bot.wire.find("POST /interactions/{id}/{token}/callback")[-1:]
    assert "export my notes" not in cb.body["data"]["content"]  # the channel sees no list
    discord_bot.wire.fail(
        "POST /channels/{channel_id}/messages", 403, 50007, "Cannot send messages to this user"
    )
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.slash("questions", uid=611, username="nia"))
    out = texts(discord_bot.since(n))
    assert "refuse direct messages from this server" in out and "sent you the list" not in out


async def test_a_question_edited_in_a_dm_is_searched_again(discord_bot, texts):
    """A member who fixes the question they wrote to the bot in a DM gets the answer to the
    new wording in that DM; an edit that only unfurls a link (no edited_timestamp) asks
    nothing again."""
    mod = P.SEND | P.MANAGE_GUILD
    for line in ("How long is the zorblax course? | Six weeks.", "Where can I park? | Lot B."):
        await discord_bot.interact(
            P.slash("kb", f"add {line}", uid=9000, username="mona", perms=mod)
        )
    dm_channel = 7700
    asked = P.dm_message(dm_channel, 612, "omar", "How long is the zorblax course?")
    n = len(discord_bot.wire.calls)
    await discord_bot.feed("message_create", asked)
    first = discord_bot.since(n)
    assert "Six weeks" in texts(first)
    assert all(f"/channels/{dm_channel}/messages" in c.url for c in first if c.method == "POST")
    n = len(discord_bot.wire.calls)
    await discord_bot.feed("message_update", {**asked, "content": "Where can I park my car?"})
    assert texts(discord_bot.since(n)) == ""
    fixed = {**asked, "content": "Where can I park my car?", "edited_timestamp": P.NOW}
    await discord_bot.feed("message_update", fixed)
    out = texts(discord_bot.since(n))
    assert out.startswith("You changed your question") and "Lot B" in out


async def test_a_voice_message_or_picture_alone_in_a_dm_is_told_only_text_is_read(
    discord_bot, texts
):
    """An attachment or a sticker without words met silence; a file (not a picture, sound or
    clip) stays unread, as on Telegram."""
    dm_channel = 7701

    def dm(**extra):
        return {**P.dm_message(dm_channel, 613, "pia", ""), **extra}

    voice = {
        "id": "1",
        "filename": "voice-message.ogg",
        "size": 9000,
        "url": "https://cdn.discordapp.com/a/voice-message.ogg",
        "proxy_url": "https://media.discordapp.net/a/voice-message.ogg",
        "content_type": "audio/ogg",
    }
    n = len(discord_bot.wire.calls)
    await discord_bot.feed("message_create", dm(attachments=[voice]))
    assert texts(discord_bot.since(n)).startswith("I can only read text.")
    n = len(discord_bot.wire.calls)
    paper = {**voice, "id": "2", "filename": "notes.pdf", "content_type": "application/pdf"}
    await discord_bot.feed("message_create", dm(attachments=[paper]))
    assert texts(discord_bot.since(n)) == ""
