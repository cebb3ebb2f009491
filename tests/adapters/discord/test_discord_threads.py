"""Questions core cannot answer open a forum post or a thread, with experts pinged inside."""

from __future__ import annotations

import dc_payloads as P
import pytest
from sqlalchemy import select

from bot.discord.execute import Origin
from core.events import Actor, Chat
from core.replies import CloseThread, OpenThread
from core.router import COMMANDS, load_features
from models.member import Account

THREADS = "POST /channels/{channel_id}/threads"
MESSAGES = "POST /channels/{channel_id}/messages"


async def _member(bot, db, uid: int, name: str) -> int:
    await bot.interact(P.slash("whoami", uid=uid, username=name))
    async with db.session() as s:
        return (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == str(uid)))
        ).scalar_one()


def _asker(uid: int = 910) -> Actor:
    return Actor("discord", str(uid), "Asker")


async def test_forum_channel_gets_a_tagged_post_and_the_expert_is_pinged(discord_bot, db):
    expert = await _member(discord_bot, db, 901, "erin")
    n = len(discord_bot.wire.calls)
    reply = OpenThread(
        question_id=1,
        title="Why is my JOIN slow?",
        text="Why is my JOIN slow on 10M rows?",
        tags=["SQL", "indexes"],
        mention_member_ids=[expert],
        to=Chat("discord", str(P.FORUM_CHANNEL), "forum"),
    )
    await discord_bot.client.executor.run([reply], Origin(actor=_asker()))
    calls = discord_bot.since(n)
    post = next(c for c in calls if c.route == THREADS)
    assert f"/channels/{P.FORUM_CHANNEL}/threads" in post.url
    assert post.body["name"] == "Why is my JOIN slow?"
    assert post.body["applied_tags"] == [str(P.TAG_SQL)]  # only tags the forum has
    assert "10M rows" in post.body["message"]["content"]
    assert post.body["message"]["allowed_mentions"] == {"parse": []}
    ping = [c for c in calls if c.route == MESSAGES][-1]
    assert "<@901>" in ping.body["content"] and "/profile experts no" in ping.body["content"]
    assert ping.body["allowed_mentions"] == {"parse": ["users"]}
    assert ping.url.split("/channels/")[1].split("/")[0] != str(P.FORUM_CHANNEL)  # inside


async def test_a_solved_forum_post_is_renamed_tagged_solved_and_archived(discord_bot):
    forum = Chat("discord", str(P.FORUM_CHANNEL), "forum")
    opened = OpenThread(3, "Why is my JOIN slow?", "Why is my JOIN slow?", ["sql"], to=forum)
    await discord_bot.client.executor.run([opened], Origin(actor=_asker()))
    thread_id = next(c for c in discord_bot.wire.calls if c.route == THREADS).response["id"]
    n = len(discord_bot.wire.calls)
    where = Chat("discord", str(P.FORUM_CHANNEL), "forum", thread_id=str(thread_id))
    await discord_bot.client.executor.run([CloseThread(where, "✅ Why is my JOIN slow?")])
    (edit,) = [c for c in discord_bot.since(n) if c.method == "PATCH"]
    assert f"/channels/{thread_id}" in edit.url
    assert edit.body["name"] == "✅ Why is my JOIN slow?" and edit.body["archived"] is True
    # The topic tag it had stays; the forum's own "Solved" tag is added.
    assert edit.body["applied_tags"] == [str(P.TAG_SQL), str(P.TAG_SOLVED)]
    discord_bot.wire.assert_spec_clean()


async def test_a_solved_thread_in_a_text_channel_is_renamed_and_archived(discord_bot):
    origin = Origin(chat=Chat("discord", str(P.HELP_CHANNEL), "group"), actor=_asker())
    await discord_bot.client.executor.run([OpenThread(4, "Pivot?", "How to pivot?")], origin)
    made = next(c for c in discord_bot.wire.calls if c.route == THREADS)
    thread_id = made.response["id"]
    n = len(discord_bot.wire.calls)
    where = Chat("discord", str(P.HELP_CHANNEL), "group", thread_id=str(thread_id))
    await discord_bot.client.executor.run([CloseThread(where, "✅ Pivot?")])
    (edit,) = [c for c in discord_bot.since(n) if c.method == "PATCH"]
    assert edit.body == {"name": "✅ Pivot?", "archived": True}
    assert made.url.endswith(f"/channels/{P.HELP_CHANNEL}/threads")


async def test_text_channel_gets_a_public_thread_with_the_question_inside(discord_bot, texts):
    n = len(discord_bot.wire.calls)
    reply = OpenThread(question_id=2, title="Q", text="How do I *pivot* a table?", tags=["sql"])
    origin = Origin(chat=Chat("discord", str(P.HELP_CHANNEL), "group"), actor=_asker())
    await discord_bot.client.executor.run([reply], origin)
    calls = discord_bot.since(n)
    (made,) = [c for c in calls if c.route == THREADS]
    assert f"/channels/{P.HELP_CHANNEL}/threads" in made.url
    assert made.body["type"] == 11 and made.body["auto_archive_duration"] == 1440
    out = texts([c for c in calls if c.route == MESSAGES])
    assert "\\*pivot\\*" in out and "Tags: sql" in out


async def test_unanswerable_ask_in_the_help_channel_opens_a_thread_core_remembers(
    discord_bot, db, texts
):
    load_features()
    if "ask" not in COMMANDS:
        pytest.skip("core/qa has no /ask yet")
    from models.qa import Thread

    n = len(discord_bot.wire.calls)
    await discord_bot.interact(
        P.slash(
            "ask",
            "how do quaternions relate to zebra migration patterns",
            uid=920,
            username="quinn",
            channel_id=P.HELP_CHANNEL,
        )
    )
    calls = discord_bot.since(n)
    assert any(c.route == THREADS and str(P.HELP_CHANNEL) in c.url for c in calls), [
        c.route for c in calls
    ]
    assert "quaternions" in texts(calls)
    async with db.session() as s:
        thread = (await s.execute(select(Thread))).scalar_one()
    assert thread.platform == "discord" and thread.chat_id == str(P.HELP_CHANNEL)
    assert thread.thread_ref  # the thread id Discord gave us, so replies there count as answers
    # and the link members open it with, for answers later drawn from it
    assert thread.url == f"https://discord.com/channels/{P.GUILD_ID}/{thread.thread_ref}"


async def _quinn_asks_in_the_help_channel(discord_bot) -> int:
    """quinn (930) asks what the KB cannot answer; the id of the thread that opens for it."""
    question = "why does my recursive CTE never terminate on cyclic graphs"
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(
        P.slash("ask", question, uid=930, username="quinn", channel_id=P.HELP_CHANNEL)
    )
    made = next(c for c in discord_bot.since(n) if c.route == THREADS)
    # Discord then announces the thread on the gateway, which puts it in discord.py's cache.
    await discord_bot.feed("thread_create", {**made.response, "newly_created": True})
    return int(made.response["id"])


async def test_accept_as_answer_on_a_message_accepts_its_authors_answer(discord_bot, db, texts):
    """Two members answered; the asker picks Apps → Accept as answer on the second one's
    message: that answer is accepted, with no list to pick from."""
    load_features()
    if "solved" not in COMMANDS:
        pytest.skip("core/qa has no /solved yet")
    from models.qa import Answer, Thread

    for uid, name in ((931, "erin"), (932, "finn")):
        await _member(discord_bot, db, uid, name)
    thread_id = await _quinn_asks_in_the_help_channel(discord_bot)
    await discord_bot.feed("message_create", P.message(thread_id, 931, "erin", "Add a LIMIT?"))
    right = P.message(thread_id, 932, "finn", "Keep a path array and stop on a repeated node.")
    await discord_bot.feed("message_create", right)
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(
        P.message_menu(
            "Accept as answer",
            right,
            uid=930,
            username="quinn",
            channel_id=thread_id,
            thread_parent=P.HELP_CHANNEL,
        )
    )
    out = texts(discord_bot.since(n))
    assert "is solved" in out and "Which answer" not in out
    async with db.session() as s:
        assert (await s.execute(select(Thread.status))).scalar_one() == "solved"
        accepted = (await s.execute(select(Answer).where(Answer.accepted))).scalar_one()
    assert accepted.text == "Keep a path array and stop on a repeated node."


async def test_an_answer_edited_on_discord_is_updated(discord_bot, db):
    """MESSAGE_UPDATE with a new text (edited_timestamp set) corrects the recorded answer; an
    update without one (an embed unfurling) changes nothing."""
    load_features()
    from models.qa import Answer

    await _member(discord_bot, db, 931, "erin")
    thread_id = await _quinn_asks_in_the_help_channel(discord_bot)
    said = P.message(thread_id, 931, "erin", "Track visited nodes in a set.")
    await discord_bot.feed("message_create", said)

    async def answer() -> str:
        async with db.session() as s:
            return (await s.execute(select(Answer.text))).scalar_one()

    unfurled = {**said, "content": "Track visited nodes in a set!!", "embeds": []}
    await discord_bot.feed("message_update", unfurled)
    assert await answer() == "Track visited nodes in a set."
    fixed = {
        **said,
        "content": "Track visited nodes in an array column.",
        "edited_timestamp": P.NOW,
    }
    await discord_bot.feed("message_update", fixed)
    assert await answer() == "Track visited nodes in an array column."


async def test_expert_answer_in_the_thread_is_accepted_with_solved(discord_bot, db, texts):
    load_features()
    if "ask" not in COMMANDS or "solved" not in COMMANDS:
        pytest.skip("core/qa has no /ask and /solved yet")
    from models.qa import Answer, KBEntry, Thread

    await _member(discord_bot, db, 931, "erin")
    thread_id = await _quinn_asks_in_the_help_channel(discord_bot)
    answer = "Track visited nodes in an array column and stop when a node repeats."
    await discord_bot.feed("message_create", P.message(thread_id, 931, "erin", answer))
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(
        P.slash(
            "solved",
            uid=930,
            username="quinn",
            channel_id=thread_id,
            thread_parent=P.HELP_CHANNEL,
        )
    )
    async with db.session() as s:
        thread = (await s.execute(select(Thread))).scalar_one()
        accepted = (await s.execute(select(Answer).where(Answer.accepted))).scalar_one()
        expert = (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == "931"))
        ).scalar_one()
        kb = (await s.execute(select(KBEntry).where(KBEntry.source == "thread"))).scalar_one()
    assert thread.status == "solved" and thread.thread_ref == str(thread_id)
    assert accepted.member_id == expert and accepted.text == answer
    assert kb.answer == answer
    assert kb.url == f"https://discord.com/channels/{P.GUILD_ID}/{thread_id}"  # its source
    assert texts(discord_bot.since(n))  # the asker was told


QUESTION = "how do quaternions relate to zebra migration patterns"


def _dm_texts(calls, texts) -> str:
    """What the messages say, Discord's Markdown escapes taken out."""
    return texts([c for c in calls if c.route == MESSAGES]).replace("\\", "")


async def test_a_question_asked_in_a_dm_opens_its_thread_in_the_help_channel(
    discord_bot, db, monkeypatch
):
    load_features()
    from models.qa import Thread

    monkeypatch.setattr(discord_bot.client.app.settings, "discord_help_channel_id", P.FORUM_CHANNEL)
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.slash("ask", QUESTION, uid=921, username="rita", dm=True))
    (made,) = [c for c in discord_bot.since(n) if c.route == THREADS]
    assert f"/channels/{P.FORUM_CHANNEL}/threads" in made.url
    async with db.session() as s:
        thread = (await s.execute(select(Thread))).scalar_one()
    assert thread.chat_id == str(P.FORUM_CHANNEL) and thread.status == "open"


async def test_a_dm_question_with_no_help_channel_goes_to_the_moderators(discord_bot, db, texts):
    """No thread could open anywhere: the asker, who was told one was opening, hears that
    the moderators have it, and the moderator (discord:9000) gets it with how to answer."""
    load_features()
    await _member(discord_bot, db, 9000, "mo")
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.slash("ask", QUESTION, uid=922, username="sam", dm=True))
    calls = discord_bot.since(n)
    assert not [c for c in calls if c.route == THREADS]
    dms = [c.body["recipient_id"] for c in calls if c.route == "POST /users/@me/channels"]
    assert sorted(dms) == [922, 9000]
    out = _dm_texts(calls, texts)
    assert "passed it to the moderators" in out
    assert "discord_help_channel_id" in out and "/solved" in out and "quaternions" in out


async def _ask_in_help_channel_failing(bot, db, failure: tuple, uid: int, name: str) -> list:
    """With a moderator (discord:9000) known, ``name`` asks in the help channel while the
    next call to ``failure[0]`` fails as given; the calls that made."""
    await _member(bot, db, 9000, "mo")
    bot.wire.fail(*failure)
    n = len(bot.wire.calls)
    await bot.interact(P.slash("ask", QUESTION, uid=uid, username=name, channel_id=P.HELP_CHANNEL))
    return bot.since(n)


async def test_missing_thread_permissions_are_reported_with_the_question(discord_bot, db, texts):
    load_features()
    from models.qa import Thread

    calls = await _ask_in_help_channel_failing(
        discord_bot, db, (THREADS, 403, 50013, "Missing Permissions"), 923, "tia"
    )
    out = _dm_texts(calls, texts)
    assert "Manage Threads" in out and "passed it to the moderators" in out
    async with db.session() as s:
        assert (await s.execute(select(Thread.status))).scalar_one() == "failed"


async def test_once_the_help_channel_check_passes_moderators_hear_which_questions_wait(
    discord_bot, db, texts, monkeypatch
):
    """A question's thread failed for lack of permissions; after the fix and a restart, the
    start-up check passes and the moderator is told to /kb retry it."""
    load_features()
    from models.qa import Question

    await _ask_in_help_channel_failing(
        discord_bot, db, (THREADS, 403, 50013, "Missing Permissions"), 923, "tia"
    )
    async with db.session() as s:
        qid = (await s.execute(select(Question.id))).scalar_one()
    manage = (1 << 34) | (1 << 35) | (1 << 38)  # manage, create public, send in threads
    await discord_bot.feed("guild_create", P.guild(bot_perms=P.MANAGE_ROLES | manage))
    monkeypatch.setattr(discord_bot.client.app.settings, "discord_help_channel_id", P.HELP_CHANNEL)
    n = len(discord_bot.wire.calls)
    assert await discord_bot.client.check_help_channel() == []
    (told,) = [c for c in discord_bot.since(n) if c.route == MESSAGES]
    out = _dm_texts([told], texts)
    assert f"1 question still waits for one (#{qid})" in out and "/kb retry" in out


async def test_a_thread_whose_first_post_fails_is_still_known_to_core(discord_bot, db):
    """The thread opened, then posting in it failed: core still links the question to the
    thread (so answers there count) and tells nobody it could not open."""
    load_features()
    from models.qa import Thread

    calls = await _ask_in_help_channel_failing(
        discord_bot, db, (MESSAGES, 500, 0, "Internal Server Error"), 924, "uma"
    )
    assert [c for c in calls if c.route == THREADS]
    async with db.session() as s:
        thread = (await s.execute(select(Thread))).scalar_one()
    assert thread.status == "open" and thread.thread_ref
    assert not [c for c in calls if c.route == "POST /users/@me/channels"]


async def test_report_to_moderators_on_a_message_tells_them_privately(discord_bot, db, texts):
    """Apps → Report to moderators on a message in a channel: the moderator gets the
    message, its author and a jump link in a DM; the reporter is thanked privately; the
    channel hears nothing."""
    load_features()
    await _member(discord_bot, db, 9000, "mo")  # discord:9000 is a moderator by the settings
    await _member(discord_bot, db, 941, "gil")
    spam = P.message(P.GENERAL_CHANNEL, 942, "spammer", "Free crypto at example.bad")
    await discord_bot.feed("message_create", spam)
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(
        P.message_menu(
            "Report to moderators", spam, uid=941, username="gil", channel_id=P.GENERAL_CHANNEL
        )
    )
    calls = discord_bot.since(n)
    out = texts(calls)
    assert "moderators have your report" in out
    # (Discord markdown escapes the parentheses)
    assert "reported a message by an account I don't know \\(discord user 942\\)" in out
    assert "Free crypto at example.bad" in out
    assert f"/channels/{P.GUILD_ID}/{P.GENERAL_CHANNEL}/{spam['id']}" in out
    posted = [c for c in calls if c.route == "POST /channels/{channel_id}/messages"]
    assert posted and all(f"/channels/{P.GENERAL_CHANNEL}/" not in c.url for c in posted)
    # the moderator's "Delete the message" takes it down
    (custom_id,) = [
        b["custom_id"]
        for c in posted
        for row in (c.body or {}).get("components", [])
        for b in row["components"]
        if b.get("label") == "🗑 Delete the message"
    ]
    n = len(discord_bot.wire.calls)
    await discord_bot.interact(P.press(custom_id, uid=9000, username="mo"))
    (gone,) = discord_bot.wire.find("DELETE /channels/{channel_id}/messages/{message_id}")
    assert gone.url.endswith(f"/channels/{P.GENERAL_CHANNEL}/messages/{spam['id']}")
    assert "Deleted" in texts(discord_bot.since(n))
