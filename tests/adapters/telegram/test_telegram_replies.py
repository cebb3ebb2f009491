"""Each core reply type becomes the right Bot API calls (checked against the spec by the wire)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from telegram import Update
from tg_payloads import FORUM_ID, GROUP_ID, group_chat, message, my_chat_member, user
from tg_wire import BOT_ID, BOT_USER, BOT_USERNAME, NOW

from bot.telegram.outgoing import topic_link
from bot.telegram.updates import to_event
from core.events import Actor, Chat, Command, MessageEdited
from core.replies import (
    AnswerPreCheckout,
    ApproveJoin,
    ButtonSpec,
    CloseThread,
    Document,
    Invite,
    Invoice,
    Kick,
    OpenThread,
    Photo,
    RefundStars,
    Reply,
)
from models.member import Account
from models.qa import Answer, Question, Thread

ALICE = user(4242, "Alice", username="alice")


def origin(chat_id: str = "4242", kind: str = "private", thread: str | None = None) -> Command:
    return Command(
        Actor("telegram", "4242", "Alice", "alice", "en"),
        Chat("telegram", chat_id, kind, thread),
        None,
        name="x",
    )


async def _member_id(app, uid: str = "4242", name: str = "Alice") -> int:
    """The member behind a Telegram user, created the way the router creates it."""
    await app.router.dispatch(
        Command(
            Actor("telegram", uid, name, name.lower()), Chat("telegram", uid), None, name="whoami"
        )
    )
    async with app.services.session_factory() as s:
        acc = (await s.execute(select(Account).where(Account.platform_user_id == uid))).scalar_one()
        return acc.member_id


async def test_long_reply_is_split_and_buttons_go_on_the_last_part(tg, wire):
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(60))  # ~5.8k characters
    buttons = [[ButtonSpec("Next", data="pg:2~abcd")]]
    await tg.executor.run([Reply(text, buttons=buttons)], origin())
    first, second = wire.of("sendMessage")
    assert len(first["text"]) <= 4096 and len(second["text"]) <= 4096
    assert "reply_markup" not in first.params
    assert second["reply_markup"] == {
        "inline_keyboard": [[{"text": "Next", "callback_data": "pg:2~abcd"}]]
    }
    assert first["text"].startswith("line 0") and second["text"].endswith("x" * 90)


async def test_reply_to_a_member_goes_to_their_dm(tg, wire, app):
    mid = await _member_id(app)
    await tg.executor.run(
        [Reply("Your grace period ends tomorrow", member_id=mid)], origin(str(GROUP_ID), "group")
    )
    (call,) = wire.of("sendMessage")
    assert call["chat_id"] == 4242
    assert "disable_notification" not in call.params


async def test_a_dm_in_quiet_hours_arrives_without_a_sound(tg, wire, app):
    mid = await _member_id(app)
    await tg.executor.run([Reply("Bob answered your question", member_id=mid, silent=True)])
    (call,) = wire.of("sendMessage")
    assert call["chat_id"] == 4242 and call["disable_notification"] is True


async def test_invite_creates_a_single_use_expiring_link_and_dms_it(tg, wire, app, clock):
    mid = await _member_id(app)
    expires = clock.now() + timedelta(hours=6)
    await tg.executor.run(
        [
            Invite(
                member_id=mid,
                platform="telegram",
                target=str(GROUP_ID),
                expires_at=expires,
                grant_id=12,
            )
        ],
        origin(),
    )
    link, dm = wire.calls
    assert link.method == "createChatInviteLink"
    assert link["chat_id"] == GROUP_ID and link["member_limit"] == 1
    assert link["expire_date"] == int(expires.timestamp())
    assert dm.method == "sendMessage" and dm["chat_id"] == 4242
    assert "https://t.me/+Inv" in dm["text"] and "2026-03-02 15:00" in dm["text"]


async def test_invite_for_a_discord_only_member_makes_no_telegram_call(tg, wire, app):
    await tg.executor.run(
        [Invite(member_id=1, platform="discord", target="123", role="9")], origin()
    )
    assert wire.calls == []


async def test_kick_is_ban_then_unban_only_if_banned(tg, wire, app):
    mid = await _member_id(app)
    await tg.executor.run(
        [Kick(member_id=mid, platform="telegram", target=str(GROUP_ID))], origin()
    )
    ban, unban = wire.calls
    assert (ban.method, ban["chat_id"], ban["user_id"]) == ("banChatMember", GROUP_ID, 4242)
    assert (unban.method, unban["only_if_banned"]) == ("unbanChatMember", True)


async def test_join_requests_are_approved_or_declined(tg, wire):
    await tg.executor.run(
        [
            ApproveJoin("telegram", str(GROUP_ID), "4242"),
            ApproveJoin("telegram", str(GROUP_ID), "5151", approve=False),
        ],
        origin(),
    )
    assert [(c.method, c["user_id"]) for c in wire.calls] == [
        ("approveChatJoinRequest", 4242),
        ("declineChatJoinRequest", 5151),
    ]


async def test_stars_invoice_is_xtr_with_one_price_and_empty_provider_token(tg, wire):
    inv = Invoice("Monthly membership", "30 days of the community", "pay:monthly:7~sig", "XTR", 250)
    await tg.executor.run([inv], origin())
    (call,) = wire.of("sendInvoice")
    assert call["currency"] == "XTR" and call["provider_token"] == ""
    assert call["prices"] == [{"label": "Monthly membership", "amount": 250}]
    assert call["payload"] == "pay:monthly:7~sig" and call["chat_id"] == 4242


async def test_web_checkout_invoice_becomes_a_pay_button(tg, wire):
    inv = Invoice(
        "Monthly", "Pay by card", "p", "USD", 900, provider="stripe", url="https://pay.example/x"
    )
    await tg.executor.run([inv], origin())
    (call,) = wire.of("sendMessage")
    assert call["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://pay.example/x"
    assert wire.of("sendInvoice") == []


async def test_pre_checkout_answer_and_refund(tg, wire):
    await tg.executor.run(
        [
            AnswerPreCheckout("q1", ok=False, error="That price is out of date."),
            RefundStars("4242", "stxCHARGE1"),
        ],
        origin(),
    )
    answer, refund = wire.calls
    assert (answer["ok"], answer["error_message"]) == (False, "That price is out of date.")
    assert (refund.method, refund["user_id"], refund["telegram_payment_charge_id"]) == (
        "refundStarPayment",
        4242,
        "stxCHARGE1",
    )


async def test_open_thread_creates_a_forum_topic_and_posts_inside_it(tg, wire, app):
    helper = await _member_id(app, "6161", "Hana")
    thread = OpenThread(
        question_id=31,
        title="Why does my LEFT JOIN drop rows?",
        text="I filter in WHERE <and> lose rows",
        tags=["sql", "joins"],
        mention_member_ids=[helper],
        to=Chat("telegram", str(FORUM_ID), "forum"),
    )
    await tg.executor.run([thread], origin())
    topic, post = wire.calls
    assert topic.method == "createForumTopic" and topic["name"] == thread.title
    assert post["chat_id"] == FORUM_ID and post["message_thread_id"] > 1
    assert "&lt;and&gt;" in post["text"] and 'href="tg://user?id=6161"' in post["text"]
    assert (
        "can you help with this question? (Can't with this one: /pass. To stop these invitations: /profile experts no)"
        in (post["text"])
    )
    assert "#sql #joins" in post["text"]


async def test_a_solved_topic_is_renamed(tg, wire):
    topic = Chat("telegram", str(FORUM_ID), "forum", thread_id="57")
    await tg.executor.run([CloseThread(topic, "✅ Why does my LEFT JOIN drop rows?")], origin())
    (edit,) = wire.calls
    assert edit.method == "editForumTopic"
    assert (edit["chat_id"], edit["message_thread_id"]) == (FORUM_ID, 57)
    assert edit["name"] == "✅ Why does my LEFT JOIN drop rows?"
    # No topic (the discussion happened in the group itself): nothing to rename.
    await tg.executor.run([CloseThread(Chat("telegram", str(GROUP_ID), "group"), "✅ x")])
    assert len(wire.calls) == 1


async def _open_question(app, asker: int) -> int:
    """An escalated question whose thread the adapter has yet to open."""
    now = app.services.clock.now()
    async with app.services.session_factory() as s, s.begin():
        q = Question(
            member_id=asker,
            text="Why does my LEFT JOIN drop rows?",
            lang="en",
            status="open",
            tags=[],
            created_at=now,
        )
        s.add(q)
        await s.flush()
        s.add(Thread(question_id=q.id, platform="telegram", status="open", created_at=now))
        return q.id


async def test_topic_link_is_kept_for_the_thread(tg, wire, app):
    qid = await _open_question(app, await _member_id(app))
    forum = Chat("telegram", str(FORUM_ID), "forum")
    title = "Why does my LEFT JOIN drop rows?"
    await tg.executor.run([OpenThread(qid, title, title, to=forum)], origin())
    _, post = wire.calls
    async with app.services.session_factory() as s:
        thread = (await s.execute(select(Thread).where(Thread.question_id == qid))).scalar_one()
    # The forum supergroup -1001555000111 is private: its topics open as t.me/c/1555000111/N.
    assert thread.url == f"https://t.me/c/1555000111/{post['message_thread_id']}"


def test_topic_links_for_public_private_and_basic_groups():
    assert topic_link("@qc_learners", 7) == "https://t.me/qc_learners/7"
    assert topic_link(-1001555000111, "12") == "https://t.me/c/1555000111/12"
    assert topic_link(-4242, 3) == ""  # a basic group has no topics to link to


async def test_open_thread_without_a_forum_answers_in_place_in_a_group(tg, wire):
    await tg.executor.run(
        [OpenThread(question_id=1, title="T", text="Let's discuss")],
        origin(str(GROUP_ID), "group"),
    )
    (post,) = wire.of("sendMessage")
    assert post["chat_id"] == GROUP_ID and "Let's discuss" in post["text"]


async def test_a_question_from_a_private_chat_with_no_forum_goes_to_the_moderators(tg, wire, app):
    """Nowhere to discuss it: not echoed back into the asker's private chat, but handed to
    the moderators (telegram:9000 by the settings), and the asker is told so."""
    asker = await _member_id(app)
    await _member_id(app, "9000", "Mo")
    qid = await _open_question(app, asker)
    await tg.executor.run([OpenThread(qid, "Why does my LEFT JOIN drop rows?", "…")], origin())
    sent = {c["chat_id"]: c["text"] for c in wire.of("sendMessage")}
    assert set(sent) == {4242, 9000}
    assert "passed it to the moderators" in sent[4242]
    assert f"/solved {qid}" in sent[9000] and "telegram_forum_chat_id" in sent[9000]
    assert not wire.of("createForumTopic")


async def test_a_forum_the_bot_may_not_open_topics_in_is_reported_to_the_moderators(tg, wire, app):
    asker = await _member_id(app)
    await _member_id(app, "9000", "Mo")
    qid = await _open_question(app, asker)
    wire.fail("createForumTopic", 400, "Bad Request: not enough rights to create a topic")
    forum = Chat("telegram", str(FORUM_ID), "forum")
    await tg.executor.run(
        [OpenThread(qid, "Why?", "Why does my LEFT JOIN drop rows?", to=forum)], origin()
    )
    sent = {c["chat_id"]: c["text"] for c in wire.of("sendMessage")}
    assert set(sent) == {4242, 9000}  # nothing was posted in the forum
    assert "Manage topics" in sent[9000] and "passed it to the moderators" in sent[4242]
    async with app.services.session_factory() as s:
        thread = (await s.execute(select(Thread).where(Thread.question_id == qid))).scalar_one()
        assert thread.status == "failed"


async def _failed_topic(tg, wire, app) -> tuple[int, str]:
    """Alice's question whose forum topic could not open (no rights), and what the moderator
    (telegram:9000) was told."""
    asker = await _member_id(app)
    await _member_id(app, "9000", "Mo")
    qid = await _open_question(app, asker)
    wire.fail("createForumTopic", 403, "Forbidden: not enough rights to manage topics")
    await tg.executor.run([OpenThread(qid, "Why?", "Why does my LEFT JOIN drop rows?")], origin())
    told = next(c["text"] for c in wire.of("sendMessage") if c["chat_id"] == 9000)
    wire.clear()
    return qid, told


async def test_once_the_forum_rights_are_fixed_kb_retry_opens_the_topic(tg, wire, app, monkeypatch):
    """The moderator fixes the bot's rights and sends /kb retry in their DM: the topic opens
    in the forum, and the asker gets its link."""
    monkeypatch.setattr(app.settings, "telegram_forum_chat_id", FORUM_ID)
    qid, told = await _failed_topic(tg, wire, app)
    assert f"/kb retry {qid}" in told
    await tg.process(message(user(9000, "Mo", username="mo"), "/kb retry"))
    topic, post = wire.of("createForumTopic")[0], wire.of("sendMessage")
    assert topic["chat_id"] == FORUM_ID
    sent = {c["chat_id"]: c for c in post}
    assert f"#{qid}" in sent[9000]["text"]
    assert "now has a discussion thread" in sent[4242]["text"]
    (row,) = sent[4242]["reply_markup"]["inline_keyboard"]
    assert row[0]["url"].startswith("https://t.me/c/1555000111/")


async def test_once_the_start_up_check_passes_moderators_hear_which_questions_wait(
    tg, wire, app, monkeypatch
):
    monkeypatch.setattr(app.settings, "telegram_forum_chat_id", FORUM_ID)
    qid, _ = await _failed_topic(tg, wire, app)
    wire.set_member_status(FORUM_ID, BOT_ID, "administrator", can_manage_topics=True)
    assert await tg.check_forum() == []
    (told,) = wire.of("sendMessage")
    assert told["chat_id"] == 9000
    assert "1 question still waits" in told["text"] and f"#{qid}" in told["text"]
    assert "/kb retry" in told["text"]


async def test_given_manage_topics_in_the_forum_moderators_hear_which_questions_wait(
    tg, wire, app, monkeypatch
):
    monkeypatch.setattr(app.settings, "telegram_forum_chat_id", FORUM_ID)
    qid, _ = await _failed_topic(tg, wire, app)
    promoted = my_chat_member(
        user(9000, "Mo", username="mo"), "member", "administrator", group_chat(FORUM_ID, forum=True)
    )
    promoted["my_chat_member"]["new_chat_member"]["can_manage_topics"] = True
    await tg.process(promoted)
    (told,) = wire.of("sendMessage")
    assert told["chat_id"] == 9000 and f"#{qid}" in told["text"]
    wire.clear()
    await tg.process(
        my_chat_member(
            user(9000, "Mo", username="mo"),
            "member",
            "administrator",
            group_chat(FORUM_ID, forum=True),
        )
    )  # an administrator without Manage topics still cannot open them: nothing said
    assert not wire.of("sendMessage")


async def test_photo_and_document_are_uploaded_in_the_topic(tg, wire):
    await tg.executor.run(
        [Photo(b"\x89PNG", caption="Signups"), Document(b"a,b\n1,2\n", "report.csv", "Report")],
        origin(str(FORUM_ID), "forum", "88"),
    )
    photo, doc = wire.calls
    assert (
        photo.method == "sendPhoto" and "photo" in photo.files and photo["message_thread_id"] == 88
    )
    assert doc.method == "sendDocument" and "document" in doc.files


async def test_one_failed_reply_does_not_stop_the_next(tg, wire):
    wire.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await tg.executor.run([Reply("first"), Reply("second")], origin())
    assert [c["text"] for c in wire.of("sendMessage")] == ["first", "second"]


async def test_replies_for_another_platform_are_handed_to_its_executor(tg, wire, app):
    handed: list[list] = []

    async def discord_run(replies):
        handed.append(list(replies))

    # the adapter made itself reachable for core's outbox and for other adapters
    assert app.services.extras["deliverers"]["telegram"] is tg.deliverer
    assert app.services.extras["executors"]["telegram"] == tg.executor.run
    app.services.extras["executors"]["discord"] = discord_run
    role = Invite(member_id=1, platform="discord", target="111", role="222")
    await tg.executor.run([role, Reply("paid, welcome!")], origin())
    assert handed == [[role]] and wire.methods() == ["sendMessage"]
    # replies that came from elsewhere are never passed back (no ping-pong)
    await tg.executor.run([role], None)
    assert handed == [[role]]


async def test_short_flood_wait_is_waited_out_and_the_reply_still_arrives(tg, wire):
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    tg.executor.sleep = sleep
    wire.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await tg.executor.run([Reply("Your question has an answer")], origin())
    assert waited == [3.0]
    assert [c["text"] for c in wire.of("sendMessage")] == ["Your question has an answer"] * 2
    # a long wait is not held up inline: the reply is dropped (and logged)
    wire.clear()
    wire.fail("sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60)
    await tg.executor.run([Reply("late")], origin())
    assert waited == [3.0] and len(wire.of("sendMessage")) == 1


async def test_a_topic_whose_first_post_fails_is_still_known_to_core(tg, wire, app):
    qid = await _open_question(app, await _member_id(app))
    wire.fail("sendMessage", 400, "Bad Request: not enough rights to send text messages")
    forum = Chat("telegram", str(FORUM_ID), "forum")
    title = "Why does my LEFT JOIN drop rows?"
    await tg.executor.run([OpenThread(qid, title, title, to=forum)], origin())
    (topic,) = wire.of("createForumTopic")
    async with app.services.session_factory() as s:
        thread = (await s.execute(select(Thread).where(Thread.question_id == qid))).scalar_one()
    assert thread.status == "open" and thread.chat_id == str(FORUM_ID) and thread.thread_ref


# --- a group without a forum: the question's post and the replies to it are its thread ----


def _reply(u: dict, text: str, root: int, parent: dict | None = None, *, basic: bool = False):
    """A message replying in the chain under `root`, the way Telegram sends it: supergroups
    mark the chain's root in message_thread_id (no is_topic_message: not a forum); basic
    groups only carry the message replied to."""
    chat = {"id": -4242, "type": "group", "title": "Study"} if basic else group_chat()
    upd = message(u, text, chat)
    parent = parent or {"message_id": root, "from": BOT_USER, "text": "question"}
    upd["message"]["reply_to_message"] = {"chat": chat, "date": NOW - 60, **parent}
    if not basic:
        upd["message"]["message_thread_id"] = root
    return upd


async def _chain_question(tg, wire, app) -> tuple[int, int]:
    """Alice's escalated question posted in the community group (no forum configured)."""
    qid = await _open_question(app, await _member_id(app))
    title = "Why does my LEFT JOIN drop rows?"
    await tg.executor.run([OpenThread(qid, title, title)], origin(str(GROUP_ID), "group"))
    (post,) = wire.of("sendMessage")
    async with app.services.session_factory() as s:
        thread = (await s.execute(select(Thread).where(Thread.question_id == qid))).scalar_one()
    assert thread.chat_id == str(GROUP_ID) and thread.thread_ref.startswith("r")
    wire.clear()
    return qid, int(thread.thread_ref[1:])


async def test_without_a_forum_the_question_post_starts_a_reply_chain_core_knows(tg, wire, app):
    qid = await _open_question(app, await _member_id(app))
    title = "Why does my LEFT JOIN drop rows?"
    # Asked inside another reply chain: the question still starts a chain of its own.
    await tg.executor.run([OpenThread(qid, title, title)], origin(str(GROUP_ID), "group", "r77"))
    (post,) = wire.of("sendMessage")
    assert post["chat_id"] == GROUP_ID
    assert "reply_parameters" not in post.params and "message_thread_id" not in post.params
    async with app.services.session_factory() as s:
        thread = (await s.execute(select(Thread).where(Thread.question_id == qid))).scalar_one()
    root = int(thread.thread_ref[1:])
    assert thread.url == f"https://t.me/c/1987654321/{root}"  # the post's message link


async def test_replies_to_the_question_post_are_answers_and_solved_there_accepts(tg, wire, app):
    qid, root = await _chain_question(tg, wire, app)
    bob = user(5151, "Bob", username="bob")
    answer = _reply(bob, "Move the filter from WHERE into the ON clause.", root)
    await tg.process(answer)
    (dm,) = wire.of("sendMessage")
    assert dm["chat_id"] == 4242 and "Bob answered your question" in dm["text"]
    # Carol replies to Bob, not to the post: the chain's root still files it under the question.
    carol = user(6262, "Carol", username="carol")
    bobs = {"message_id": answer["message"]["message_id"], "from": bob, "text": "Move…"}
    await tg.process(_reply(carol, "Or use COALESCE on the right table's columns.", root, bobs))
    async with app.services.session_factory() as s:
        texts = (await s.execute(select(Answer.text).where(Answer.question_id == qid))).scalars()
        assert sorted(texts) == [
            "Move the filter from WHERE into the ON clause.",
            "Or use COALESCE on the right table's columns.",
        ]
    wire.clear()
    await tg.process(_reply(ALICE, "/solved", root))
    (choice,) = wire.of("sendMessage")
    # The bot answers inside the chain, as a reply to the question's post.
    assert choice["chat_id"] == GROUP_ID
    assert choice["reply_parameters"] == {"message_id": root, "allow_sending_without_reply": True}
    assert "message_thread_id" not in choice.params
    assert "Bob" in str(choice["reply_markup"]) and "Carol" in str(choice["reply_markup"])


async def test_solved_sent_as_a_reply_to_an_answer_accepts_that_answer(tg, wire, app):
    """Two people answered; Alice replies "/solved" to Carol's message: Carol's answer is
    the accepted one, with no list to pick from."""
    qid, root = await _chain_question(tg, wire, app)
    bob, carol = user(5151, "Bob", username="bob"), user(6262, "Carol", username="carol")
    await tg.process(_reply(bob, "Maybe a CROSS JOIN?", root))
    said = _reply(carol, "Move the filter from WHERE into the ON clause.", root)
    await tg.process(said)
    carols = {"message_id": said["message"]["message_id"], "from": carol, "text": "Move…"}
    wire.clear()
    await tg.process(_reply(ALICE, "/solved", root, carols))
    sent = {c["chat_id"]: c["text"] for c in wire.of("sendMessage")}
    assert f"Question #{qid} is solved" in sent[GROUP_ID] and "Which answer" not in sent[GROUP_ID]
    assert "Alice accepted your answer" in sent[6262]  # Carol hears it; Bob does not
    assert 5151 not in sent
    async with app.services.session_factory() as s:
        accepted = (
            await s.execute(select(Answer.text).where(Answer.accepted.is_(True)))
        ).scalar_one()
    assert accepted == "Move the filter from WHERE into the ON clause."


async def test_an_answer_edited_on_telegram_is_updated(tg, wire, app):
    qid, root = await _chain_question(tg, wire, app)
    bob = user(5151, "Bob", username="bob")
    answer = _reply(bob, "Move the filter into the WHERE clause.", root)
    await tg.process(answer)
    fixed = dict(answer["message"], text="Move the filter into the ON clause.", edit_date=NOW + 5)
    await tg.process({"update_id": answer["update_id"] + 1, "edited_message": fixed})
    async with app.services.session_factory() as s:
        texts = (await s.execute(select(Answer.text).where(Answer.question_id == qid))).scalars()
        assert list(texts) == ["Move the filter into the ON clause."]


async def test_a_reply_to_some_other_message_in_the_group_is_not_an_answer(tg, wire, app):
    qid, root = await _chain_question(tg, wire, app)
    bob = user(5151, "Bob", username="bob")
    await tg.process(_reply(bob, "Lunch at noon?", root + 500))
    await tg.process(message(bob, "Anyone up for a study session?", group_chat()))
    assert wire.of("sendMessage") == []
    async with app.services.session_factory() as s:
        assert (await s.execute(select(Answer).where(Answer.question_id == qid))).first() is None


def test_reply_chains_are_threads_only_in_groups_without_topics(bot):
    bob = user(5151, "Bob", username="bob")
    nested = _reply(bob, "x", 900, {"message_id": 950, "from": ALICE, "text": "y"})
    assert to_event(Update.de_json(nested, bot), BOT_USERNAME).chat.thread_id == "r900"
    basic = _reply(bob, "x", 900, basic=True)
    assert to_event(Update.de_json(basic, bot), BOT_USERNAME).chat.thread_id == "r900"
    plain = message(bob, "x", group_chat())
    assert to_event(Update.de_json(plain, bot), BOT_USERNAME).chat.thread_id is None
    topic = message(bob, "x", group_chat(FORUM_ID, forum=True), thread_id=57)
    assert to_event(Update.de_json(topic, bot), BOT_USERNAME).chat.thread_id == "57"


def test_a_command_knows_whose_message_it_replies_to_but_not_a_topics_opening(bot):
    bob = user(5151, "Bob", username="bob")
    to_bob = _reply(ALICE, "/solved", 900, {"message_id": 950, "from": bob, "text": "x"})
    assert to_event(Update.de_json(to_bob, bot), BOT_USERNAME).reply_to_user == "5151"
    # In a forum topic every message "replies" to the topic's opening message: not a reply.
    in_topic = message(ALICE, "/solved", group_chat(FORUM_ID, forum=True), thread_id=57)
    assert to_event(Update.de_json(in_topic, bot), BOT_USERNAME).reply_to_user is None


def test_an_edited_ask_reaches_core_as_the_question_reworded(bot):
    """Telegram lets a member edit a command message: an edited /ask is their question
    reworded (core searches it again), any other edited command is nothing."""
    bob = user(5151, "Bob", username="bob")
    sent = message(bob, f"/ask@{BOT_USERNAME} How long is the course?")
    asked = to_event(Update.de_json(sent, bot), BOT_USERNAME)
    assert asked.name == "ask" and asked.message_ref == str(sent["message"]["message_id"])
    fixed = dict(sent["message"], text=f"/ask@{BOT_USERNAME} Where can I park?", edit_date=NOW)
    edited = to_event(Update.de_json({"update_id": 1, "edited_message": fixed}, bot), BOT_USERNAME)
    assert isinstance(edited, MessageEdited)
    assert (edited.text, edited.message_ref) == ("/ask Where can I park?", asked.message_ref)
    for other in ("/status", "/ask@another_bot Where can I park?"):
        changed = dict(sent["message"], text=other, edit_date=NOW)
        update = Update.de_json({"update_id": 2, "edited_message": changed}, bot)
        assert to_event(update, BOT_USERNAME) is None


async def test_a_solved_reply_chain_renames_nothing(tg, wire):
    chain = Chat("telegram", str(GROUP_ID), "group", thread_id="r1234")
    await tg.executor.run([CloseThread(chain, "✅ Why does my LEFT JOIN drop rows?")], origin())
    assert wire.calls == []


async def test_a_group_that_refuses_the_post_hands_the_question_to_the_moderators(tg, wire, app):
    qid = await _open_question(app, await _member_id(app))
    await _member_id(app, "9000", "Mo")
    wire.fail("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat")
    title = "Why does my LEFT JOIN drop rows?"
    await tg.executor.run([OpenThread(qid, title, title)], origin(str(GROUP_ID), "group"))
    sent = {c["chat_id"]: c["text"] for c in wire.of("sendMessage")[1:]}
    assert "passed it to the moderators" in sent[4242] and f"/solved {qid}" in sent[9000]
    async with app.services.session_factory() as s:
        thread = (await s.execute(select(Thread).where(Thread.question_id == qid))).scalar_one()
    assert thread.status == "failed"


async def test_asked_in_a_forum_no_setting_names_the_thread_is_a_topic_there(tg, wire, app):
    qid = await _open_question(app, await _member_id(app))
    title = "Why does my LEFT JOIN drop rows?"
    await tg.executor.run([OpenThread(qid, title, title)], origin(str(FORUM_ID), "forum", "57"))
    topic, post = wire.calls
    assert topic.method == "createForumTopic" and topic["chat_id"] == FORUM_ID
    assert post["message_thread_id"] != 57


async def test_a_private_answer_telegram_refuses_is_explained_in_the_group(tg, wire):
    """Asked in the group, /questions answers privately. Someone who never opened a chat with
    the bot cannot get that message (403), and the group note said it was sent anyway."""
    carl = user(6161, "Carl", username="carl")
    await tg.process(message(carl, "/ask How do I export my notes as a PDF file?"))
    # Delivered privately: the group hears so, and sees none of the list.
    wire.clear()
    await tg.process(message(carl, "/questions", group_chat()))
    dm = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == 6161]
    group = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == GROUP_ID]
    assert len(dm) == 1 and "export my notes" in dm[0]
    assert group == ["I've sent you the list of your questions in a private message."]
    # Telegram refuses the private message (he blocked the bot, or never opened a chat
    # with it): the group gets how to open one, not "sent privately".
    wire.clear()
    wire.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await tg.process(message(carl, "/questions", group_chat()))
    to_group = [c for c in wire.of("sendMessage") if c["chat_id"] == GROUP_ID]
    assert len(to_group) == 1 and "open a chat with me" in to_group[0]["text"]
    assert "export my notes" not in to_group[0]["text"]
    button = to_group[0]["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == f"https://t.me/{BOT_USERNAME}"


async def test_a_link_code_asked_for_in_the_group_is_never_shown_there(tg, wire):
    """Telegram has no "only you can see this" message: the /link code (whoever uses it
    joins your membership) was posted for the whole group to read."""
    dana = user(6262, "Dana", username="dana")
    wire.clear()
    await tg.process(message(dana, "/link", group_chat()))
    dm = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == 6262]
    group = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == GROUP_ID]
    assert len(dm) == 1 and "Your link code" in dm[0]
    code = dm[0].split("Your link code: ")[1].split()[0].strip(".")
    assert group == ["I've answered you in a private message."]
    assert all(code not in t for t in group)


async def test_status_asked_in_the_group_is_answered_privately(tg, wire):
    """A member's plan and dates are theirs: /status in the group used to list them there."""
    erik = user(6363, "Erik", username="erik")
    wire.clear()
    await tg.process(message(erik, "/status", group_chat()))
    dm = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == 6363]
    group = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == GROUP_ID]
    assert dm == ["You have no membership yet. See /plans."]
    assert group == ["I've answered you in a private message."]
    # so is the profile (goals, level, time zone), with its edit buttons
    wire.clear()
    await tg.process(message(erik, "/profile", group_chat()))
    dm_calls = [c for c in wire.of("sendMessage") if c["chat_id"] == 6363]
    group = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == GROUP_ID]
    assert len(dm_calls) == 1 and dm_calls[0]["reply_markup"]["inline_keyboard"]
    assert group == ["I've answered you in a private message."]


async def test_several_private_answers_to_one_group_message_get_one_note(tg, wire):
    from core.events import Actor, Chat, Command
    from core.replies import Reply

    origin = Command(
        Actor("telegram", "6464", "Fay"), Chat("telegram", str(GROUP_ID), "group"), "u-6464"
    )
    wire.clear()
    await tg.executor.run([Reply("one", ephemeral=True), Reply("two", ephemeral=True)], origin)
    assert [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == 6464] == ["one", "two"]
    group = [c["text"] for c in wire.of("sendMessage") if c["chat_id"] == GROUP_ID]
    assert group == ["I've answered you in a private message."]
