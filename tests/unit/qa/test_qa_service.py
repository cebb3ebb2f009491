"""Q&A service through the real router, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.events import (
    Actor,
    Button,
    Chat,
    Command,
    Message,
    MessageEdited,
    ThreadFailed,
    ThreadOpened,
    Upload,
)
from core.qa import service
from core.qa.hybrid import Hit
from core.qa.index import KBItem
from core.replies import CloseThread, OpenThread, Reply
from models.audit import AuditLog
from models.interaction import Interaction
from models.member import Account, Member
from models.qa import Answer, KBEntry, Question, Thread
from models.qa_extra import QAFeedback, QAThreadExpert


def _actor(user: str) -> Actor:
    return Actor("console", user, display_name=user.capitalize(), username=user)


async def send(app, user: str, text: str, chat: Chat | None = None):
    chat = chat or Chat("console", user, "private")
    uid = uuid.uuid4().hex
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        ev = Command(_actor(user), chat, uid, name=name, args=args)
    else:
        ev = Message(_actor(user), chat, uid, text=text)
    return await app.router.dispatch(ev)


def _texts(replies) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Reply))


OSCILLOSCOPE = "/ask How do I connect my Raspberry Pi to the lab oscilloscope?"


async def _thread_for(app, user: str, ask: str, topic: str, url: str = "") -> tuple[int, Chat]:
    """``ask`` opens a thread; the platform reports it opened as forum topic ``topic``."""
    out = await send(app, user, ask)
    qid = next(r for r in out if isinstance(r, OpenThread)).question_id
    forum = Chat("console", "forum", "forum", topic)
    await app.router.dispatch(
        ThreadOpened(
            _actor(user), forum, uuid.uuid4().hex, question_id=qid, thread_ref=f"t{topic}", url=url
        )
    )
    return qid, forum


async def _member_id(app, user: str) -> int:
    async with app.services.session_factory() as s:
        return (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == user))
        ).scalar_one()


async def test_confident_answer_has_source_and_feedback_buttons(qa_app):
    out = await send(qa_app, "alice", "/ask I forgot my password, how can I reset it?")
    reply = out[-1]
    assert isinstance(reply, Reply) and "Reset password" in reply.text
    labels = [b.label for row in reply.buttons for b in row]
    assert any("👍" in x for x in labels) and any("👎" in x for x in labels)
    data = reply.buttons[0][0].data
    out = await qa_app.router.dispatch(
        Button(_actor("alice"), Chat("console", "alice"), uuid.uuid4().hex, data=data)
    )
    assert "Thanks" in _texts(out)
    async with qa_app.services.session_factory() as s:
        fb = (await s.execute(select(QAFeedback))).scalar_one()
        assert fb.helpful and 0.5 <= fb.confidence <= 1.0
        q = await s.get(Question, fb.question_id)
        assert q is not None and q.status == "answered"


async def test_chinese_question_answered_and_dm_plain_question(qa_app):
    out = await send(qa_app, "li", "量子比特是什么意思？")
    assert "叠加态" in _texts(out)


async def test_bad_input(qa_app):
    assert "full question" in _texts(await send(qa_app, "bob", "/ask"))
    # The example is a question of this community's own, the closest to the word given.
    assert "e.g. /ask How do I reset my password?" in _texts(
        await send(qa_app, "bob", "/ask password")
    )
    assert "e.g. /ask 如何开具发票？" in _texts(await send(qa_app, "bob", "/ask 发票"))
    # a word that is a topic: where its courses are, too (a member may be looking for them)
    from models.catalog import Course

    async with qa_app.services.session_factory() as s, s.begin():
        s.add(
            Course(
                slug="qc-101",
                title="Qubits for beginners",
                tags=["qubit"],
                created_at=qa_app.services.clock.now(),
            )
        )
    out = _texts(await send(qa_app, "bob", "/ask qubits"))
    assert (
        "full question" in out
        and "Looking for courses on it? /courses qubits lists 1 course." in out
    )
    assert "Looking for courses" not in _texts(await send(qa_app, "bob", "/ask password"))
    long = "How do I reset my password " + "please " * 400
    out = await send(qa_app, "bob", "/ask " + long)
    assert "first 1000 characters" in _texts(out)


async def _solved_install_thread(
    s,
    asked: datetime,
    now: datetime,
    accepted_from: int | None = None,
    *,
    text: str = "How to install qiskit on a laptop",
    answer: str = "pip install qiskit",
    lang: str = "en",
) -> Question:
    """The solved "install qiskit" thread that routing tests invite its answerers from,
    with its knowledge-base entry and, when given, the accepted answer of ``accepted_from``
    an hour after it was asked (other answers are the test's own)."""
    q = Question(
        member_id=None, text=text, lang=lang, tags=["qiskit"], status="solved", created_at=asked
    )
    s.add(q)
    await s.flush()
    s.add(
        KBEntry(
            source="thread",
            source_ref=f"question:{q.id}",
            title=q.text,
            answer=answer,
            lang=lang,
            tags=["qiskit"],
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    if accepted_from is not None:
        await s.flush()
        s.add(
            Answer(
                question_id=q.id,
                member_id=accepted_from,
                text="pip install qiskit",
                accepted=True,
                created_at=asked + timedelta(hours=1),
            )
        )
    return q


async def _carol_and_dave_answered_install(qa_app) -> tuple[int, int]:
    """carol's answer to the "install qiskit" thread was accepted; dave answered it too."""
    for user in ("carol", "dave", "erin"):
        await send(qa_app, user, "/start")
    carol, dave = await _member_id(qa_app, "carol"), await _member_id(qa_app, "dave")
    async with qa_app.services.session_factory() as s, s.begin():
        now = qa_app.services.clock.now()
        q = await _solved_install_thread(s, now - timedelta(days=3), now, accepted_from=carol)
        s.add(
            Answer(
                question_id=q.id,
                member_id=dave,
                text="use conda",
                created_at=now - timedelta(days=3, hours=-2),
            )
        )
    return carol, dave


async def test_unsure_opens_thread_with_routed_experts_respecting_opt_out(qa_app, monkeypatch):
    # carol answered (accepted) a similar question; dave answered too but opted out.
    carol, dave = await _carol_and_dave_answered_install(qa_app)
    async with qa_app.services.session_factory() as s, s.begin():
        (await s.get(Member, dave)).expert_opt_out = True
    out = await send(
        qa_app,
        "erin",
        "/ask Why does my qiskit transpiler job hang after the pulse scheduling pass?",
    )
    threads = [r for r in out if isinstance(r, OpenThread)]
    assert threads, _texts(out)
    assert "not sure" in _texts(out)
    assert threads[0].mention_member_ids == [carol]
    assert "qiskit" in threads[0].tags
    # load cap: carol now has one open invitation; with a cap of 1 she is not invited again.
    monkeypatch.setattr(service, "EXPERT_LOAD_CAP", 1)
    out = await send(
        qa_app, "erin", "/ask Can qiskit simulate noise from a real device backend locally?"
    )
    opened = [r for r in out if isinstance(r, OpenThread)]
    if opened:  # not linked as a duplicate
        assert carol not in opened[0].mention_member_ids


async def test_duplicate_of_open_thread_is_linked(qa_app):
    # An answered question first, so question and thread numbers differ.
    await send(qa_app, "dave", "/ask I forgot my password, how can I reset it?")
    out = await send(
        qa_app, "erin", "/ask How do I connect my Raspberry Pi to the lab oscilloscope?"
    )
    opened = [r for r in out if isinstance(r, OpenThread)]
    assert opened
    qid = opened[0].question_id
    forum = Chat("console", "forum", "forum", "77")
    link = "https://discord.com/channels/1200000000000000001/77"
    await qa_app.router.dispatch(
        ThreadOpened(
            _actor("erin"), forum, uuid.uuid4().hex, question_id=qid, thread_ref="t77", url=link
        )
    )
    out = await send(qa_app, "frank", "/ask how to connect a Raspberry Pi to the lab oscilloscope")
    assert not [r for r in out if isinstance(r, OpenThread)]
    assert "already being discussed" in _texts(out)
    told = next(r for r in out if isinstance(r, Reply) and "already" in r.text)
    assert [b.url for b in told.buttons[0]] == [link]  # one tap to the thread
    assert f"#{qid})" in told.text  # the number /solved and the thread use: the question's
    assert any(isinstance(r, Reply) and r.to == forum for r in out)
    async with qa_app.services.session_factory() as s:
        n = (await s.execute(select(func.count()).select_from(Thread))).scalar_one()
        assert n == 1


async def test_asking_one_s_own_open_question_again_points_to_its_thread(qa_app):
    """The asker is not "another member": no second question, no post in the thread, no
    points for asking twice; just where the first one is being discussed."""
    link = "https://t.me/c/1555000111/79"
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "79", link)
    out = await send(qa_app, "erin", "/ask how to connect a Raspberry Pi to the lab oscilloscope")
    assert not [r for r in out if isinstance(r, OpenThread)]
    assert [r.to for r in out if isinstance(r, Reply)] == [None]  # nothing posted in the thread
    told = _texts(out)
    assert f"You already asked this, and it is still open in thread #{qid}" in told
    assert f"/solved {qid}" in told and "Another member" not in told
    assert [b.url for r in out if isinstance(r, Reply) for row in r.buttons for b in row] == [link]
    erin = await _member_id(qa_app, "erin")
    async with qa_app.services.session_factory() as s:
        asked = (
            await s.execute(select(func.count()).where(Question.member_id == erin))
        ).scalar_one()
        points = (
            await s.execute(
                select(func.count()).where(
                    Interaction.member_id == erin, Interaction.kind == "question_asked"
                )
            )
        ).scalar_one()
    assert (asked, points) == (1, 1)
    # Someone else asking it is still linked, and the thread hears about it.
    out = await send(qa_app, "frank", "/ask how to connect a Raspberry Pi to the lab oscilloscope")
    assert "already being discussed" in _texts(out)
    assert any(isinstance(r, Reply) and r.to == forum for r in out)


async def test_a_question_sharing_a_course_name_with_an_open_one_is_not_the_same(qa_app):
    """Both name the Python basics course, one asks what to know before it, the other
    whether the machine-learning course suits a beginner: the second was answered "You
    already asked this" with the first's thread, and never reached the community."""
    await _thread_for(
        qa_app, "erin", "/ask What should I know before starting the Python basics course?", "95"
    )
    second = "/ask Is the machine learning course suitable for someone who only knows basic Python?"
    out = await send(qa_app, "erin", second)
    assert [r for r in out if isinstance(r, OpenThread)], _texts(out)
    assert "already" not in _texts(out)
    # the same question reworded is still the same one
    out = await send(
        qa_app, "frank", "/ask what should I know before I start the Python basics course?"
    )
    assert "already being discussed" in _texts(out)


async def test_a_member_linked_to_a_thread_that_asks_something_else_gets_their_own(qa_app):
    """The link is a guess: the asker had no way to say "that is not my question" and was
    left waiting in someone else's discussion."""
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "93")
    out = await send(qa_app, "frank", "/ask how to connect a Raspberry Pi to the lab oscilloscope")
    told = next(r for r in out if isinstance(r, Reply) and "already being discussed" in r.text)
    (button,) = [b for row in told.buttons for b in row if b.data]
    assert button.label == "🙅 Not my question: open my own thread"
    frank_q = next(
        q for q in await _questions(qa_app) if q.text.startswith("how to connect a Raspberry")
    )
    other = await qa_app.router.dispatch(
        Button(_actor("erin"), Chat("console", "erin", "private"), "n0", data=button.data)
    )
    assert "expired" in _texts(other)  # only the asker can undo the link
    out = await qa_app.router.dispatch(
        Button(_actor("frank"), Chat("console", "frank", "private"), "n1", data=button.data)
    )
    assert _texts(out).startswith(f"Understood: your question is not the one in thread #{qid}")
    (opened,) = [r for r in out if isinstance(r, OpenThread)]
    assert opened.question_id == frank_q.id
    # erin's thread, told "another member asks the same", hears that was not so
    (note,) = [r for r in out if isinstance(r, Reply) and r.to == forum]
    assert note.text.startswith("Correction: “how to connect a Raspberry Pi")
    again = await qa_app.router.dispatch(
        Button(_actor("frank"), Chat("console", "frank", "private"), "n2", data=button.data)
    )
    assert "no longer linked" in _texts(again) and not [
        r for r in again if isinstance(r, OpenThread)
    ]
    (mine,) = [q for q in await _questions(qa_app) if q.id == frank_q.id]
    assert (mine.status, mine.duplicate_of) == ("open", None)
    # erin's thread solved: frank, no longer linked, is not sent its answer
    await send(qa_app, "gina", "Use pyvisa with the USB-TMC driver.", chat=forum)
    ok = await send(qa_app, "erin", "/solved", chat=forum)
    frank = await _member_id(qa_app, "frank")
    assert not [r for r in ok if isinstance(r, Reply) and r.member_id == frank]


async def _questions(app) -> list[Question]:
    async with app.services.session_factory() as s:
        return list((await s.execute(select(Question).order_by(Question.id))).scalars())


async def test_members_linked_to_a_thread_get_its_answer_when_it_is_solved(qa_app):
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "91")
    out = await send(qa_app, "frank", "/ask how to connect a Raspberry Pi to the lab oscilloscope")
    assert "already being discussed" in _texts(out)
    await send(qa_app, "gina", "Use pyvisa with the USB-TMC driver.", chat=forum)
    ok = await send(qa_app, "erin", "/solved", chat=forum)
    frank = await _member_id(qa_app, "frank")
    (note,) = [r for r in ok if isinstance(r, Reply) and r.member_id == frank]
    assert note.text == (
        "✅ The discussion your question “how to connect a Raspberry Pi to the lab oscilloscope” "
        f"was linked to (thread #{qid}) is solved; Erin closed it with this answer:\n"
        "Use pyvisa with the USB-TMC driver."
    )
    async with qa_app.services.session_factory() as s:
        linked = (await s.execute(select(Question).where(Question.member_id == frank))).scalar_one()
        assert (linked.duplicate_of, linked.status) == (qid, "solved")


async def test_an_unrelated_question_is_not_swallowed_by_an_open_thread(qa_app):
    """With a few open threads and nothing else to compare with, any of them "leads"; in
    Chinese, where the multilingual encoder scores every pair high, that linked unrelated
    questions to whatever thread was open and never asked the community."""
    out = await send(qa_app, "erin", "/ask 怎么安装 pandas 库？")
    assert [r for r in out if isinstance(r, OpenThread)]
    out = await send(qa_app, "frank", "/ask 我的 PostgreSQL 查询很慢怎么办？")
    assert [r for r in out if isinstance(r, OpenThread)], _texts(out)
    out = await send(qa_app, "gina", "/ask 如何用 Python 读取 CSV 文件并画图？")
    assert [r for r in out if isinstance(r, OpenThread)], _texts(out)
    # The same question again is still linked to its thread.
    out = await send(qa_app, "hank", "/ask pandas 库要怎么安装？")
    assert not [r for r in out if isinstance(r, OpenThread)]
    assert "已经在讨论中" in _texts(out) or "already being discussed" in _texts(out)


async def test_solved_adds_answer_to_kb_for_the_next_query(qa_app):
    link = "https://t.me/c/1555000111/88"
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "88", link)
    await send(
        qa_app, "gina", "Use the USB-TMC driver and pyvisa to talk to the scope.", chat=forum
    )
    refused = await send(qa_app, "mallory", f"/solved {qid}")
    assert "Only the person who asked" in _texts(refused)
    ok = await send(qa_app, "erin", "/solved", chat=forum)
    assert "is solved" in _texts(ok)
    assert not [r for r in ok if isinstance(r, Reply) and r.to == forum]  # said there already
    # The thread itself shows it is solved (Telegram topic / Discord thread renamed).
    title = "✅ How do I connect my Raspberry Pi to the lab oscilloscope?"
    assert [r for r in ok if isinstance(r, CloseThread)] == [CloseThread(forum, title)]
    gina = await _member_id(qa_app, "gina")
    told = [r for r in ok if isinstance(r, Reply) and r.member_id == gina]
    assert [r.text for r in told] == [
        "✅ Erin accepted your answer to “How do I connect my Raspberry Pi to the lab "
        f"oscilloscope?” (question #{qid}). It is now in the knowledge base, so the next "
        "member who asks gets it right away."
    ]
    assert [b.url for row in told[0].buttons for b in row] == [link]
    async with qa_app.services.session_factory() as s:
        ans = (await s.execute(select(Answer).where(Answer.accepted.is_(True)))).scalar_one()
        assert "pyvisa" in ans.text
        assert (await s.get(Question, qid)).status == "solved"
    again = await send(qa_app, "hank", "/ask connect Raspberry Pi to a lab oscilloscope")
    assert "pyvisa" in _texts(again)
    # The answer links to the thread it came from.
    urls = [b.url for r in again if isinstance(r, Reply) for row in r.buttons for b in row]
    assert link in urls


async def test_a_thread_solved_from_elsewhere_is_told_so(qa_app):
    """/solved N from a private chat: the thread says it is solved and whose answer won; a
    member who closes a thread on their own words gets no message about it."""
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "89")
    await send(qa_app, "gina", "Use pyvisa.", chat=forum)
    await send(qa_app, "hank", "Or the vendor's VISA library.", chat=forum)
    picked = await send(qa_app, "erin", f"/solved {qid}")
    assert "Which answer solved" in _texts(picked)
    press = next(
        b.data
        for r in picked
        if isinstance(r, Reply)
        for row in r.buttons
        for b in row
        if b.label.endswith("Hank")
    )
    ok = await qa_app.router.dispatch(
        Button(_actor("erin"), Chat("console", "erin", "private"), uuid.uuid4().hex, data=press)
    )
    in_thread = [r.text for r in ok if isinstance(r, Reply) and r.to == forum]
    assert in_thread == ["✅ Solved: Hank's answer was accepted and is now in the knowledge base."]
    hank, gina = await _member_id(qa_app, "hank"), await _member_id(qa_app, "gina")
    assert [r.member_id for r in ok if isinstance(r, Reply) and r.member_id] == [hank]
    assert gina not in [getattr(r, "member_id", None) for r in ok]
    # Closed on the asker's own words: nobody else's answer was accepted, so no message.
    out = await send(qa_app, "erin", "/ask Why does my qiskit transpiler job hang forever?")
    qid2 = next(r for r in out if isinstance(r, OpenThread)).question_id
    own = await send(qa_app, "erin", f"/solved {qid2} Upgrade qiskit, it was a bug.")
    assert "is solved" in _texts(own)
    assert not [r for r in own if isinstance(r, Reply) and r.member_id]


async def test_the_asker_hears_when_a_moderator_solves_their_question(qa_app):
    link = "https://t.me/c/1555000111/90"
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "90", link)
    await send(qa_app, "mod", "/start")
    ok = await send(qa_app, "mod", f"/solved {qid} Use pyvisa with the USB-TMC driver.")
    assert "is solved" in _texts(ok)
    erin = await _member_id(qa_app, "erin")
    (note,) = [r for r in ok if isinstance(r, Reply) and r.member_id == erin]
    assert note.text == (
        "✅ Mod marked your question “How do I connect my Raspberry Pi to the lab "
        f"oscilloscope?” (#{qid}) solved, and it is now in the knowledge base. The answer:\n"
        "Use pyvisa with the USB-TMC driver."
    )
    assert [b.url for row in note.buttons for b in row] == [link]
    # The moderator wrote the answer: nobody else to credit.
    assert [r.member_id for r in ok if isinstance(r, Reply) and r.member_id] == [erin]


async def test_kb_commands_are_moderator_only_and_visible_at_once(qa_app):
    refused = _texts(await send(qa_app, "bob", "/kb add X | Y"))
    assert "Added" not in refused
    out = await send(
        qa_app, "mod", "/kb add How long is the zorblax course? | Six weeks, two lessons a week."
    )
    assert "Added" in _texts(out)
    assert "Six weeks" in _texts(await send(qa_app, "bob", "/ask how long is the zorblax course"))
    async with qa_app.services.session_factory() as s:
        eid = (
            await s.execute(select(KBEntry.id).where(KBEntry.title.like("%zorblax%")))
        ).scalar_one()
    await send(qa_app, "mod", f"/kb edit {eid} How long is the zorblax course? | Eight weeks now.")
    assert "Eight weeks" in _texts(await send(qa_app, "bob", "/ask how long is the zorblax course"))
    # one part at a time: the answer alone keeps the title, and the other way round (both
    # were answered with /kb add's usage)
    await send(qa_app, "mod", f"/kb edit {eid} | Nine weeks, with a break.")
    await send(qa_app, "mod", f"/kb edit {eid} title How long does the zorblax course take?")
    shown = _texts(await send(qa_app, "mod", f"/kb show {eid}"))
    assert (
        "How long does the zorblax course take?" in shown and "Nine weeks, with a break." in shown
    )
    await send(qa_app, "mod", f"/kb edit {eid} answer Ten weeks.")
    assert "Ten weeks." in _texts(await send(qa_app, "mod", f"/kb show {eid}"))
    assert "keeps the title" in _texts(await send(qa_app, "mod", f"/kb edit {eid} Ten weeks."))
    assert "zorblax" in _texts(await send(qa_app, "mod", "/kb search zorblax"))  # = find
    await send(qa_app, "mod", f"/kb delete {eid}")  # = remove
    again = _texts(await send(qa_app, "mod", f"/kb remove {eid}"))
    assert f"Entry #{eid} was removed from the knowledge base already" in again
    assert "weeks" not in _texts(await send(qa_app, "bob", "/ask how long is the zorblax course"))
    out = await send(
        qa_app,
        "mod",
        '/kb import {"id": "p1", "title": "Where is the parking?", "answer": "Behind building B."}\n{bad',
    )
    assert "1 added" in _texts(out) and "line 2" in _texts(out)
    out = await send(qa_app, "mod", "/kb check 5")
    assert "zorblax" in _texts(out)
    # a missing number is explained with the subcommand the moderator typed
    assert "e.g. /kb show 12" in _texts(await send(qa_app, "mod", "/kb show abc"))
    assert "e.g. /kb edit 12" in _texts(await send(qa_app, "mod", "/kb edit x A | B"))


async def test_stats_count_a_question_answered_this_very_moment(qa_app):
    """The clock does not move between the answer and /stats (the console demo's frozen
    clock, or two messages within one tick): the window ends at now, inclusive."""
    await send(qa_app, "mod", "/kb add How long is the zorblax course? | Six weeks.")
    assert "Six weeks" in _texts(await send(qa_app, "bob", "/ask how long is the zorblax course"))
    stats = _texts(await send(qa_app, "mod", "/stats"))
    assert "Answers: the bot answered 1 of 1 (100.0%)" in stats


@pytest.mark.parametrize("staff_role", [True, False], ids=["role", "settings-only"])
async def test_stale_threads_bumped_once_then_listed(qa_app, staff_role):
    """Moderators get the list whether their role is stored or only named in the settings
    (``moderator_ids``: console:mod here)."""
    await send(qa_app, "mod", "/start")
    mod = await _member_id(qa_app, "mod")
    if staff_role:
        async with qa_app.services.session_factory() as s, s.begin():
            (await s.get(Member, mod)).role = "moderator"
    out = await send(
        qa_app, "erin", "/ask How do I connect my Raspberry Pi to the lab oscilloscope?"
    )
    qid = next(r for r in out if isinstance(r, OpenThread)).question_id
    forum = Chat("console", "forum", "forum", "99")
    await qa_app.router.dispatch(
        ThreadOpened(
            _actor("erin"),
            forum,
            uuid.uuid4().hex,
            question_id=qid,
            thread_ref="t99",
            url="https://t.me/qc_learners/99",
        )
    )
    clock = qa_app.services.clock
    clock.advance(timedelta(hours=49))
    bumped = await service.sweep_stale(qa_app.services)
    assert [r.to for r in bumped] == [forum]
    assert await service.sweep_stale(qa_app.services) == []  # once only
    clock.advance(timedelta(hours=49))
    listed = await service.sweep_stale(qa_app.services)
    erin = await _member_id(qa_app, "erin")
    assert [r.member_id for r in listed] == [mod, erin] and f"#{qid}" in listed[0].text
    assert "https://t.me/qc_learners/99" in listed[0].text  # moderators can go straight there
    # the asker hears it is not forgotten (before: silence after the bump), with the thread
    assert "passed it to the moderators" in listed[1].text
    assert [b.url for row in listed[1].buttons for b in row] == ["https://t.me/qc_learners/99"]
    async with qa_app.services.session_factory() as s:
        assert (await s.get(Question, qid)).status == "stale"


async def test_stale_threads_wait_for_a_moderator_to_tell(qa_app):
    """No moderator has talked to the bot yet: the list would reach nobody, so the threads
    stay open and are listed once one has, instead of being marked stale in silence."""
    qid, _ = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "98")
    clock = qa_app.services.clock
    clock.advance(timedelta(hours=49))
    assert len(await service.sweep_stale(qa_app.services)) == 1  # the bump in the thread
    clock.advance(timedelta(hours=49))
    assert await service.sweep_stale(qa_app.services) == []
    async with qa_app.services.session_factory() as s:
        assert (await s.get(Question, qid)).status == "open"
    await send(qa_app, "mod", "/start")  # console:mod is a moderator by the settings
    listed = await service.sweep_stale(qa_app.services)
    assert [r.member_id for r in listed] == [
        await _member_id(qa_app, "mod"),
        await _member_id(qa_app, "erin"),  # and the asker hears it
    ]
    assert f"#{qid}" in listed[0].text


async def test_kb_list_shows_what_the_knowledge_base_holds(qa_app):
    """ "/kb list" was the usage text: moderators saw entries only through /kb find WORDS."""
    out = _texts(await send(qa_app, "mod", "/kb list"))
    head, *lines = out.splitlines()
    async with qa_app.services.session_factory() as s:
        n = (await s.execute(select(func.count()).where(KBEntry.active.is_(True)))).scalar_one()
    assert head == f"The knowledge base holds {n} entries (import {n}); changed last:"
    assert len(lines) == min(n, 15) and all(line.startswith("#") for line in lines)
    await send(qa_app, "mod", "/kb add Where is the lab? | Room 4.12, second floor.")
    out = _texts(await send(qa_app, "mod", "/kb list faq"))
    assert "[faq] Where is the lab?" in out.splitlines()[1]  # changed last, listed first
    assert "(faq 1, import 8)" in out and "[import]" not in out
    assert "one of: faq, import" in _texts(await send(qa_app, "mod", "/kb list nonsense"))
    assert "moderators only" in _texts(await send(qa_app, "bob", "/kb list"))


async def test_moderators_see_the_questions_still_waiting_for_an_answer(qa_app):
    """The stale list reached moderators once, as a message, and the threads not yet stale
    could not be seen at all: `/kb waiting` lists the questions nobody but their asker has
    answered, oldest first, with how long each has waited and where it stands."""
    clock = qa_app.services.clock
    await send(qa_app, "mod", "/start")
    old, _ = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "98", url="https://t.me/c/1/98")
    clock.advance(timedelta(hours=3))
    answered, forum = await _thread_for(
        qa_app, "frank", "/ask Why does my qiskit transpiler job hang after the pulse pass?", "99"
    )
    await send(qa_app, "frank", "Maybe I should add more detail here", forum)  # the asker
    out = _texts(await send(qa_app, "mod", "/kb waiting"))
    assert out.startswith("2 questions wait for a first answer, oldest first:")
    lines = out.splitlines()
    assert lines[1].startswith(f"#{old} “How do I connect") and "3 hours, " in lines[1]
    assert lines[1].endswith("https://t.me/c/1/98")
    assert lines[2].startswith(f"#{answered} ") and "less than an hour" in lines[2]
    await send(qa_app, "gus", "Use the pulse-free transpile preset and a timeout.", forum)
    out = _texts(await send(qa_app, "mod", "/kb waiting"))
    assert out.startswith("1 question waits") and f"#{answered} " not in out
    clock.advance(timedelta(hours=49))
    await service.sweep_stale(qa_app.services)
    assert "reminded in its thread" in _texts(await send(qa_app, "mod", "/kb waiting"))
    clock.advance(timedelta(hours=49))
    await service.sweep_stale(qa_app.services)
    out = _texts(await send(qa_app, "mod", "/kb waiting"))
    assert f"#{old} “How do I connect" in out and "4 days, stale (handed to moderators)" in out
    assert "moderators only" in _texts(await send(qa_app, "erin", "/kb waiting"))


async def test_a_moderators_digest_carries_the_queue_and_last_weeks_reports(qa_app):
    """Questions nobody answers and reports reached moderators once, as messages, or only
    when they asked (/kb waiting, /audit): a moderator's digest now says how many wait, and
    members' digests say nothing of it."""
    clock = qa_app.services.clock
    await send(qa_app, "mod", "/start")
    await _thread_for(qa_app, "erin", OSCILLOSCOPE, "98")
    clock.advance(timedelta(days=2, hours=1))
    out = _texts(await send(qa_app, "mod", "/digest now"))
    assert "🛡 For moderators" in out
    assert "1 question waits for a first answer, the oldest for 2 days: /kb waiting" in out
    assert "reported" not in out  # no report, no line
    async with qa_app.services.session_factory() as s, s.begin():
        erin = await _member_id(qa_app, "erin")
        for days in (1, 3, 9):  # the one 9 days old is not last week's
            s.add(
                AuditLog(
                    at=clock.now() - timedelta(days=days),
                    actor="console:bob",
                    action="member.report",
                    target=f"message:console:c:0:{days}",
                    after={"author": erin},
                )
            )
    out = _texts(await send(qa_app, "mod", "/digest now"))
    assert "2 messages reported in the last 7 days: /audit member.report" in out
    assert "For moderators" not in _texts(await send(qa_app, "erin", "/digest now"))


HOSTILE = [
    "",
    " ",
    "<b>bold</b> **md** [x](javascript:alert(1)) @everyone",
    "999999999999999999999",
    "#-1 | |",
    "add",
    "add |",
    "edit abc x | y",
    "remove #0",
    "import {oops",
    "import ## \n",
    "check -5",
    "check 100000",
    "\x00\u202e量子?",
]


async def test_hostile_arguments_get_a_reply_not_a_crash(qa_app):
    for cmd in ("ask", "solved", "kb"):
        for args in HOSTILE:
            for who in ("bob", "mod"):
                out = await send(qa_app, who, f"/{cmd} {args}".rstrip())
                text = _texts(out)
                assert out and "went wrong" not in text.lower(), (cmd, args, who, text)


async def test_user_text_is_passed_as_plain_text(qa_app):
    out = await send(
        qa_app, "bob", "/ask <script>alert(1)</script> how do I **reset** my password?"
    )
    for r in out:
        if isinstance(r, Reply):
            assert r.markup == "plain"  # adapters escape plain text for their markup


async def test_thumbs_down_from_asker_escalates_and_feedback_tunes_threshold(qa_app):
    out = await send(qa_app, "alice", "/ask I forgot my password, how can I reset it?")
    down = out[-1].buttons[0][1].data
    out = await qa_app.router.dispatch(
        Button(_actor("alice"), Chat("console", "alice"), uuid.uuid4().hex, data=down)
    )
    assert any(isinstance(r, OpenThread) for r in out)
    # one message: not "Sorry…" then "I'm not sure I know the answer" (it had answered)
    assert [r.text for r in out if isinstance(r, Reply)] == [
        "Sorry that didn't help. I've asked the community in a discussion thread; "
        "you'll see replies there."
    ]
    async with qa_app.services.session_factory() as s, s.begin():
        assert await service.current_threshold(s, "en") == 0.5  # one vote: default kept
        q = (await s.execute(select(Question).limit(1))).scalar_one()
        await _votes(s, q, 25, confidence=0.7, helpful=False, now=qa_app.services.clock.now())
        assert await service.current_threshold(s, "en") == 0.9  # answers keep failing: answer less


async def _votes(s, question: Question, n: int, *, confidence: float, helpful: bool, now) -> None:
    """`n` members' 👍 or 👎 on the answer `question` got."""
    for _ in range(n):
        m = Member(display_name="voter", created_at=now)
        s.add(m)
        await s.flush()
        s.add(
            QAFeedback(
                question_id=question.id,
                member_id=m.id,
                confidence=confidence,
                helpful=helpful,
                created_at=now,
            )
        )
    await s.flush()


async def test_feedback_tunes_each_language_its_own_threshold(qa_app):
    """Chinese confidence comes from another encoder and calibration than English: 👎 on
    Chinese answers makes the bot answer Chinese questions less, and English ones as before."""
    invoice = "发票怎么开？"
    first = await send(qa_app, "erin", f"/ask {invoice}")
    assert not [r for r in first if isinstance(r, OpenThread)], _texts(first)  # answered
    async with qa_app.services.session_factory() as s, s.begin():
        zh = (await s.execute(select(Question).where(Question.lang == "zh"))).scalar_one()
        await _votes(s, zh, 25, confidence=0.7, helpful=False, now=qa_app.services.clock.now())
    head = _texts(await send(qa_app, "mod", f"/kb find {invoice}")).splitlines()[0]
    assert "answers need 90%" in head, head
    head = _texts(await send(qa_app, "mod", "/kb find how do I reset my password")).splitlines()[0]
    assert "answers need 50%" in head, head
    again = await send(qa_app, "frank", f"/ask {invoice}")
    assert [r for r in again if isinstance(r, OpenThread)], _texts(again)
    english = await send(qa_app, "frank", "/ask How do I reset my password?")
    assert not [r for r in english if isinstance(r, OpenThread)], _texts(english)


async def test_thumbs_down_thread_invites_who_answered_the_shown_entry(qa_app, clock):
    """The knowledge base's answer did not help: the thread the 👎 opens is routed and
    tagged like any thread, so whoever answered the entry it showed is invited."""
    await send(qa_app, "carol", "/start")
    carol = await _member_id(qa_app, "carol")
    async with qa_app.services.session_factory() as s, s.begin():
        now = qa_app.services.clock.now()
        await _solved_install_thread(s, now - timedelta(days=3), now, accepted_from=carol)
    out = await send(qa_app, "erin", "/ask How do I install qiskit on my laptop?")
    answer = out[-1]
    assert isinstance(answer, Reply) and "pip install qiskit" in answer.text
    down = answer.buttons[0][1].data
    out = await qa_app.router.dispatch(
        Button(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, data=down)
    )
    (thread,) = [r for r in out if isinstance(r, OpenThread)]
    assert "Sorry" in _texts(out)
    assert thread.mention_member_ids == [carol]
    assert "qiskit" in thread.tags
    # Pressed again: the thread exists, nothing new opens.
    out = await qa_app.router.dispatch(
        Button(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, data=down)
    )
    assert not [r for r in out if isinstance(r, OpenThread)]
    # Asked again, the answer erin said did not help is not given again: her thread is
    # (before, the same 👎'd answer came back at 90%+); another member still gets it.
    again = _texts(await send(qa_app, "erin", "/ask How do I install qiskit on my laptop?"))
    assert again.startswith("You already asked this") and "pip install qiskit" not in again
    other = _texts(await send(qa_app, "frank", "/ask How do I install qiskit on my laptop?"))
    assert "pip install qiskit" in other
    # once a moderator fixes the entry, erin may be given it again
    async with qa_app.services.session_factory() as s:
        entry = (
            await s.execute(select(KBEntry.id).where(KBEntry.answer.contains("pip install")))
        ).scalar_one()
    clock.advance(timedelta(minutes=5))
    fixed = "How to install qiskit on a laptop | Use a virtualenv, then pip install qiskit[all]."
    await send(qa_app, "mod", f"/kb edit {entry} {fixed}")
    again = _texts(await send(qa_app, "erin", "/ask How do I install qiskit on my laptop?"))
    assert "pip install qiskit[all]" in again


async def test_thumbs_down_on_a_question_already_discussed_links_to_that_thread(
    qa_app, monkeypatch
):
    out = await send(
        qa_app, "erin", "/ask How do I connect my Raspberry Pi to the lab oscilloscope?"
    )
    (opened,) = [r for r in out if isinstance(r, OpenThread)]

    async def always_confident(session, lang):
        return 0.0

    # frank's near-same question gets some knowledge-base entry as an answer ...
    with monkeypatch.context() as m:
        m.setattr(service, "current_threshold", always_confident)
        out = await send(
            qa_app, "frank", "/ask how to connect a Raspberry Pi to the lab oscilloscope"
        )
    down = out[-1].buttons[0][1].data
    # ... which does not help: his question joins erin's thread instead of opening another.
    out = await qa_app.router.dispatch(
        Button(_actor("frank"), Chat("console", "frank"), uuid.uuid4().hex, data=down)
    )
    assert not [r for r in out if isinstance(r, OpenThread)]
    assert "already being discussed" in _texts(out)
    async with qa_app.services.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(Thread))).scalar_one() == 1
        frank_q = (
            await s.execute(select(Question).where(Question.id != opened.question_id))
        ).scalar_one()
        assert frank_q.status == "linked"


async def test_privacy_export_and_forget(qa_app):
    from core.qa.privacy import export_qa, forget_qa

    await send(qa_app, "zoe", "/ask How do I connect my Raspberry Pi to the lab oscilloscope?")
    await send(qa_app, "zoe", "/ask I forgot my password, how can I reset it?")
    zoe = await _member_id(qa_app, "zoe")
    async with qa_app.services.session_factory() as s, s.begin():
        data = await export_qa(s, zoe)
        assert len(data["questions"]) == 2
        await forget_qa(s, zoe, qa_app.services.clock.now())
    async with qa_app.services.session_factory() as s:
        left = (await s.execute(select(Question).where(Question.member_id == zoe))).all()
        assert left == []


async def test_routing_prefers_who_answered_this_asker_before(qa_app):
    """gus and hana answered the same similar thread and one other question each, at the
    same times; gus's other answer was to erin's earlier question, so when erin asks, gus is
    invited first (the benchmark's routing score, built from the answer rows)."""
    for user in ("erin", "hana", "gus", "ivan"):  # hana gets the lower id: ties go to her
        await send(qa_app, user, "/start")
    erin, gus, hana, ivan = [await _member_id(qa_app, u) for u in ("erin", "gus", "hana", "ivan")]
    async with qa_app.services.session_factory() as s, s.begin():
        now = qa_app.services.clock.now()
        asked = now - timedelta(days=2)
        shared = await _solved_install_thread(s, asked, now)
        by_erin = Question(
            member_id=erin, text="erin's old question", tags=["misc"], created_at=asked
        )
        by_ivan = Question(
            member_id=ivan, text="ivan's old question", tags=["misc"], created_at=asked
        )
        s.add_all([by_erin, by_ivan])
        await s.flush()
        at = asked + timedelta(hours=1)
        s.add_all(
            [
                Answer(question_id=shared.id, member_id=gus, text="pip", created_at=at),
                Answer(question_id=shared.id, member_id=hana, text="conda", created_at=at),
                Answer(question_id=by_erin.id, member_id=gus, text="see docs", created_at=at),
                Answer(question_id=by_ivan.id, member_id=hana, text="see docs", created_at=at),
            ]
        )
    out = await send(
        qa_app,
        "erin",
        "/ask Why does my qiskit transpiler job hang after the pulse scheduling pass?",
    )
    threads = [r for r in out if isinstance(r, OpenThread)]
    assert threads, _texts(out)
    assert threads[0].mention_member_ids[:2] == [gus, hana]


def _result(i: int, *tags: str) -> service.SearchResult:
    item = KBItem(id=str(i), title=f"entry {i}", tags=tags)
    return service.SearchResult(item, 1.0 / i, 0.3, Hit(str(i), 1.0 / i, 0.3))


def test_thread_topics_put_what_the_question_names_first():
    # The closest five are untagged FAQ entries; lesson entries further down carry tags.
    results = [*(_result(i) for i in range(1, 6)), _result(6, "sql", "databases")]
    results += [_result(7, "machine-learning"), _result(8, "python")]
    question = "Why is GROUP BY slower than WHERE in my SQL query for machine learning data?"
    assert service.topic_tags(results, question) == ["sql", "machine-learning"]
    # Without naming anything, the closest entries' tags still decide.
    close = [_result(1, "python", "pandas"), _result(2, "python"), _result(3, "git")]
    assert service.topic_tags(close, "how do I merge two data frames") == [
        "python",
        "pandas",
        "git",
    ]
    assert service.topic_tags(close + results, "git rebase or merge in python?")[:2] == [
        "python",
        "git",
    ]


def test_entries_off_the_question_s_topic_lend_it_no_tags():
    far = [
        service.SearchResult(r.item, r.score, r.confidence, replace(r.hit, on_topic=False))
        for r in (_result(1, "sql", "databases"), _result(2, "python"))
    ]
    assert service.topic_tags(far, "what does quantum entanglement mean?") == []
    # A tag the question names still counts, however far its entry is.
    assert service.topic_tags(far, "can SQL model quantum entanglement?") == ["sql"]
    assert service.topic_tags([*far, _result(3, "physics")], "what is entanglement?") == ["physics"]


def test_a_question_naming_a_tool_takes_the_topics_of_the_entry_named_for_it():
    """ "How do I schedule a cron job on Linux?": no entry is near enough to lend its topics,
    so only a moderator was invited; the course named for Linux lends its own. A plain word
    shared with a title ("schedule") lends nothing."""
    linux = KBItem(id="1", title="Linux Command Line", tags=("tools", "devops"))
    plans = KBItem(id="2", title="Schedule your study week", tags=("productivity",))
    far = [
        service.SearchResult(item, 0.3, 0.01, Hit(item.id, 0.3, 0.2, on_topic=False))
        for item in (plans, linux)
    ]
    assert service.topic_tags(far, "How do I schedule a cron job on Linux?") == ["tools", "devops"]
    assert service.topic_tags(far, "How do I schedule a cron job?") == []


async def _kb_upload(app, user: str, name: str, data: bytes, too_large: str = ""):
    event = Command(
        _actor(user),
        Chat("console", user, "private"),
        uuid.uuid4().hex,
        name="kb",
        args="import",
        upload=Upload(name, data) if data else None,
        too_large=too_large,
    )
    return _texts(await app.router.dispatch(event))


async def test_kb_import_takes_an_attached_file(qa_app):
    csv_file = (
        b"title,answer,tags\n"
        b"Where is the parking?,Behind building B.,campus\n"
        b",no title here,\n"
        b"When does the library close?,At 22:00 on weekdays.,campus\n"
    )
    assert "Added" not in await _kb_upload(qa_app, "bob", "faq.csv", csv_file)  # not a mod
    text = await _kb_upload(qa_app, "mod", "faq.csv", csv_file)
    assert "2 added" in text and "line 3" in text
    out = _texts(await send(qa_app, "erin", "/ask when does the library close on weekdays?"))
    assert "22:00" in out  # visible to the next question at once
    md = b"## How do I book a lab slot?\nUse /events and pick a lab session.\n"
    assert "1 added" in await _kb_upload(qa_app, "mod", "labs.md", md)


async def test_kb_import_refuses_binary_and_oversized_files(qa_app):
    xlsx = b"PK\x03\x04" + b"\x00" * 64
    assert "is not a text file" in await _kb_upload(qa_app, "mod", "faq.xlsx", xlsx)
    told = await _kb_upload(qa_app, "mod", "", b"", too_large="huge.csv")
    assert "huge.csv" in told and "larger than 2 MB" in told
    async with qa_app.services.session_factory() as s:
        n = (await s.execute(select(func.count()).select_from(KBEntry))).scalar_one()
    assert n == 8  # the fixture's entries only: nothing half-imported


async def test_kb_find_and_show_give_moderators_the_entry_numbers(qa_app):
    assert "for moderators only" in _texts(await send(qa_app, "bob", "/kb find password"))
    found = _texts(await send(qa_app, "mod", "/kb find forgot password reset")).splitlines()
    assert found[0].startswith("Entries for “forgot password reset”, best first")
    assert "answers need 50%" in found[0]
    number, source, *_ = found[1].split()
    assert source == "[import]" and "How do I reset my password?" in found[1]
    shown = _texts(await send(qa_app, "mod", f"/kb show {number}"))
    assert shown.startswith(f"{number} [import] How do I reset my password?")
    assert "Open Settings" in shown
    # ... which is the number /kb remove takes: the entry stops being found.
    await send(qa_app, "mod", f"/kb remove {number}")
    after = _texts(await send(qa_app, "mod", "/kb find forgot password reset"))
    assert f"{number} " not in after
    assert "Use: /kb find WORDS" in _texts(await send(qa_app, "mod", "/kb find"))
    assert "no active knowledge-base entry 99999" in _texts(
        await send(qa_app, "mod", "/kb show 99999")
    )


async def test_a_question_nothing_in_the_community_is_about_pings_nobody(qa_app):
    """carol answered the "install qiskit on a laptop" thread; a question about installing
    a floor is not about it (or anything else the community holds), though it is nearest
    to it, so the thread opens for all to see but she is not pinged: being nearest to
    nothing in particular is no sign of knowing the answer."""
    for user in ("carol", "erin"):
        await send(qa_app, user, "/start")
    carol = await _member_id(qa_app, "carol")
    async with qa_app.services.session_factory() as s, s.begin():
        now = qa_app.services.clock.now()
        await _solved_install_thread(s, now - timedelta(days=2), now, accepted_from=carol)
    out = await send(qa_app, "erin", "/ask What's the best way to install laminate flooring?")
    opened = [r for r in out if isinstance(r, OpenThread)]
    assert opened and opened[0].mention_member_ids == []
    # The same evidence still invites her to a question on the thread's topic.
    out = await send(
        qa_app,
        "erin",
        "/ask Why does my qiskit transpiler job hang after the pulse scheduling pass?",
    )
    opened = [r for r in out if isinstance(r, OpenThread)]
    assert opened and opened[0].mention_member_ids == [carol]


async def test_a_question_on_no_topic_goes_to_a_moderator(qa_app):
    """A question on no topic the community holds ("can I get an invoice?", off-topic
    ones) pinged nobody: it waited, unseen, for the stale sweep days later. One moderator
    is now invited, unless away (quiet hours), opted out, or already holding the cap;
    members still are not."""
    for user in ("carol", "erin", "mod"):
        await send(qa_app, user, "/start")
    carol, mod = await _member_id(qa_app, "carol"), await _member_id(qa_app, "mod")
    async with qa_app.services.session_factory() as s, s.begin():
        now = qa_app.services.clock.now()
        await _solved_install_thread(s, now - timedelta(days=2), now, accepted_from=carol)

    async def mentioned(question: str) -> list[int]:
        out = await send(qa_app, "erin", f"/ask {question}")
        (opened,) = [r for r in out if isinstance(r, OpenThread)]
        return list(opened.mention_member_ids)

    assert await mentioned("What's the best way to install laminate flooring?") == [mod]
    async with qa_app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mod)
        hour = qa_app.services.clock.now().hour  # the member's zone is UTC
        m.quiet_start, m.quiet_end = hour, (hour + 2) % 24
    assert await mentioned("Can I pay for my membership with a bank transfer instead?") == []
    async with qa_app.services.session_factory() as s, s.begin():
        m = await s.get_one(Member, mod)
        m.quiet_start = m.quiet_end = None
        m.expert_opt_out = True
    assert await mentioned("Is there a student discount on the yearly membership?") == []
    # a moderator asking is not invited to their own question
    async with qa_app.services.session_factory() as s, s.begin():
        (await s.get_one(Member, mod)).expert_opt_out = False
    out = await send(qa_app, "mod", "/ask Where do I find the invoices of my payments?")
    (opened,) = [r for r in out if isinstance(r, OpenThread)]
    assert opened.mention_member_ids == []


async def test_a_chinese_question_invites_members_who_read_chinese_first(qa_app):
    """gus and li answered the same thread; gus (English) has the stronger record, yet a
    Chinese question invites li (Chinese) first, and gus only fills the place left, until
    gus has answered a Chinese question himself: then the record decides."""
    for user in ("gus", "li", "erin"):
        await send(qa_app, user, "/start")
    gus, li = await _member_id(qa_app, "gus"), await _member_id(qa_app, "li")
    async with qa_app.services.session_factory() as s, s.begin():
        now = qa_app.services.clock.now()
        (await s.get(Member, li)).locale = "zh-CN"
        (await s.get(Member, gus)).locale = "en"
        asked = now - timedelta(days=2)
        q = await _solved_install_thread(s, asked, now, gus)
        s.add(
            Answer(
                question_id=q.id, member_id=li, text="conda", created_at=asked + timedelta(hours=1)
            )
        )
    chinese = "/ask 为什么 qiskit 转译器在脉冲调度之后一直卡住不动？"
    out = await send(qa_app, "erin", chinese)
    opened = [r for r in out if isinstance(r, OpenThread)]
    assert opened, _texts(out)
    assert opened[0].mention_member_ids[:2] == [li, gus]
    # An English question on the same material ranks by the record alone.
    english = "/ask Why does my qiskit transpiler job hang after the pulse scheduling pass?"
    out = await send(qa_app, "erin", english)
    opened = [r for r in out if isinstance(r, OpenThread)]
    assert opened and opened[0].mention_member_ids[:2] == [gus, li]
    async with qa_app.services.session_factory() as s, s.begin():
        earlier = Question(
            member_id=None, text="量子门是什么？", lang="zh", tags=[], created_at=asked
        )
        s.add(earlier)
        await s.flush()
        s.add(Answer(question_id=earlier.id, member_id=gus, text="一种幺正变换", created_at=asked))
    out = await send(qa_app, "frank", "/ask 为什么我的 qiskit 电路测量结果总是全零？")
    opened = [r for r in out if isinstance(r, OpenThread)]
    assert opened, _texts(out)
    assert opened[0].mention_member_ids[:2] == [gus, li]


async def test_with_an_empty_knowledge_base_the_example_question_is_a_generic_one(app, qa_encoders):
    app.services.extras[service.STATE_KEY] = service.QAState(qa_encoders)
    out = _texts(await send(app, "bob", "/ask"))
    assert "a full question" in out and "e.g. /ask What should I learn first?" in out


async def _erins_thread_fails(qa_app) -> tuple[int, int, ThreadFailed, list]:
    """erin asks; the platform cannot open the thread (no rights). Her question id, her
    member id, the failure event and what core answered it with."""
    out = await send(qa_app, "erin", OSCILLOSCOPE)
    qid = next(r for r in out if isinstance(r, OpenThread)).question_id
    erin = await _member_id(qa_app, "erin")
    failed = ThreadFailed(
        _actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, qid, "forbidden"
    )
    return qid, erin, failed, await qa_app.router.dispatch(failed)


async def test_a_thread_that_could_not_open_goes_to_the_moderators_and_their_answer_reaches_the_asker(
    qa_app,
):
    """erin was told a thread was opening; the platform refused it. She hears what happens
    instead, the moderator gets the question with how to answer it and why it failed, a
    second report changes nothing, nobody is linked into a thread that does not exist, and
    the moderator's /solved answer reaches her."""
    await send(qa_app, "mod", "/start")  # console:mod is a moderator by the settings
    mod = await _member_id(qa_app, "mod")
    qid, erin, failed, out = await _erins_thread_fails(qa_app)
    to_mod = [r for r in out if isinstance(r, Reply) and r.member_id == mod]
    to_erin = [r for r in out if isinstance(r, Reply) and r.member_id == erin]
    assert len(to_mod) == 1 and len(to_erin) == 1
    assert f"Question #{qid} from Erin" in to_mod[0].text and "oscilloscope" in to_mod[0].text
    assert "Manage topics" in to_mod[0].text and f"/solved {qid}" in to_mod[0].text
    assert "passed it to the moderators" in to_erin[0].text
    assert await qa_app.router.dispatch(replace(failed, update_id=uuid.uuid4().hex)) == []
    out = await send(qa_app, "frank", "/ask how to connect a Raspberry Pi to the lab oscilloscope")
    assert "already being discussed" not in _texts(out)
    out = await send(
        qa_app, "mod", f"/solved {qid} Use the scope's USB port and the pyvisa library."
    )
    told = [r for r in out if isinstance(r, Reply) and r.member_id == erin]
    assert told and "pyvisa" in told[0].text
    async with qa_app.services.session_factory() as s:
        assert (await s.get(Question, qid)).status == "solved"


async def test_a_moderator_retries_a_failed_thread_once_fixed_and_the_asker_hears_it_opened(
    qa_app,
):
    """The forum lacked rights, so erin's thread failed. After fixing it, the moderator sends
    /kb retry: the thread is asked for again, and when it opens erin is told, with a link.
    A retry that fails again is reported to the moderator alone: erin was told once."""
    await send(qa_app, "mod", "/start")
    qid, erin, failed, out = await _erins_thread_fails(qa_app)
    assert any(f"/kb retry {qid}" in r.text for r in out if isinstance(r, Reply))
    assert "for moderators only" in _texts(await send(qa_app, "erin", f"/kb retry {qid}"))

    # First retry: the platform still refuses. Only the moderator hears it.
    out = await send(qa_app, "mod", "/kb retry")
    (again,) = [r for r in out if isinstance(r, OpenThread)]
    assert again.question_id == qid and f"#{qid}" in _texts(out)
    out = await qa_app.router.dispatch(
        ThreadFailed(_actor("mod"), Chat("console", "mod"), uuid.uuid4().hex, qid, "forbidden")
    )
    assert [r.member_id for r in out] == [None]
    assert f"#{qid} still could not get a thread" in out[0].text and "Manage topics" in out[0].text

    # Second retry, by id: the thread opens, and erin gets the link.
    out = await send(qa_app, "mod", f"/kb retry {qid}")
    assert [r.question_id for r in out if isinstance(r, OpenThread)] == [qid]
    link = "https://t.me/qc_learners/41"
    out = await qa_app.router.dispatch(
        ThreadOpened(
            _actor("mod"),
            Chat("console", "forum", "forum", "41"),
            uuid.uuid4().hex,
            question_id=qid,
            thread_ref="t41",
            url=link,
        )
    )
    (told,) = out
    assert told.member_id == erin and "now has a discussion thread" in told.text
    assert [b.url for row in told.buttons for b in row] == [link]
    # Nothing is waiting any more; the thread is a real one (a reply there is an answer).
    assert "No question is waiting" in _texts(await send(qa_app, "mod", "/kb retry"))
    assert "not waiting for a thread" in _texts(await send(qa_app, "mod", f"/kb retry {qid}"))
    await send(
        qa_app,
        "frank",
        "Plug it in by USB and use pyvisa.",
        Chat("console", "forum", "forum", "41"),
    )
    async with qa_app.services.session_factory() as s:
        said = (await s.execute(select(Answer.text).where(Answer.question_id == qid))).scalars()
        assert list(said) == ["Plug it in by USB and use pyvisa."]


async def test_an_answer_in_the_askers_quiet_hours_reaches_them_without_a_sound(qa_app):
    """erin's quiet hours are 08-12 (it is 09:00 UTC). frank's answer is told to her now, but
    silently; gus's at 13:00 rings as usual. A message caused by her own action rings too:
    she is at her phone."""
    await send(qa_app, "erin", "/digest quiet 8-12")
    erin = await _member_id(qa_app, "erin")
    qid, topic = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "41")
    out = await send(qa_app, "frank", "Use the scope's USB port and pyvisa.", topic)
    (told,) = [r for r in out if isinstance(r, Reply) and r.member_id == erin]
    assert "Frank answered your question" in told.text and told.silent
    qa_app.services.clock.advance(hours=4)
    out = await send(qa_app, "gus", "Or its LAN port, with the vendor's VISA driver.", topic)
    (told,) = [r for r in out if isinstance(r, Reply) and r.member_id == erin]
    assert "Gus answered your question" in told.text and not told.silent

    qa_app.services.clock.advance(hours=20)  # 09:00 again, quiet
    out = await send(qa_app, "erin", "/ask Which textbook explains the surface code for beginners?")
    other = next(r for r in out if isinstance(r, OpenThread)).question_id
    out = await qa_app.router.dispatch(
        ThreadFailed(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, other, "error")
    )
    (told,) = [r for r in out if isinstance(r, Reply) and r.member_id == erin]
    assert not told.silent


async def test_questions_lists_each_of_the_members_questions_with_where_it_stands(qa_app):
    assert "haven't asked anything yet" in _texts(await send(qa_app, "erin", "/questions"))
    await send(qa_app, "erin", "/ask I forgot my password, how can I reset it?")
    qid, topic = await _thread_for(
        qa_app, "erin", OSCILLOSCOPE, "41", url="https://t.me/qc_learners/41"
    )
    (waiting,) = await send(qa_app, "erin", "/questions")
    assert "being discussed, no answer yet" in waiting.text  # was "0 answers so far"
    await send(qa_app, "frank", "Use the scope's USB port and pyvisa.", topic)
    out = await send(qa_app, "gus", "/ask how to connect a Raspberry Pi to the lab oscilloscope")
    assert "already being discussed" in _texts(out)

    (mine,) = await send(qa_app, "erin", "/questions")
    first, second = mine.text.splitlines()[1:]
    assert f"#{qid} “How do I connect my Raspberry Pi" in first
    assert "being discussed, 1 answer so far" in first
    assert "forgot my password" in second and "answered from the knowledge base" in second
    assert [[b.url or b.label for b in row] for row in mine.buttons] == [
        ["https://t.me/qc_learners/41", f"✅ #{qid} solved"]
    ]
    (gus,) = await send(qa_app, "gus", "/questions")
    assert f"asked already in #{qid}" in gus.text
    assert [[b.url for b in row] for row in gus.buttons] == [["https://t.me/qc_learners/41"]]

    await send(qa_app, "erin", "/solved", topic)
    (mine,) = await send(qa_app, "erin", "/questions")
    assert "solved ✅" in mine.text.splitlines()[1]
    # In a group the list goes to her privately: some questions were asked in private.
    (dm,) = await send(qa_app, "erin", "/questions", Chat("console", "group", "group"))
    erin = await _member_id(qa_app, "erin")
    assert dm.member_id == erin and "forgot my password" in dm.text
    # the group hears once the DM is delivered (the adapter knows whether it was)
    assert "private message" in dm.chat_note


async def test_an_answer_edited_in_the_thread_is_accepted_as_corrected(qa_app):
    """frank fixes a mistake in his answer by editing the message: /solved accepts, and the
    knowledge base keeps, the corrected text. Someone else's edit event for his message, or
    an edit after the thread is solved, changes nothing."""
    qid, topic = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "41")

    def said(user: str, text: str, ref: str, edit: bool = False):
        cls = MessageEdited if edit else Message
        return qa_app.router.dispatch(
            cls(_actor(user), topic, uuid.uuid4().hex, text=text, message_ref=ref)
        )

    await said("frank", "Use the scope's serial port and pyvisa.", "m7")
    await said("frank", "Use the scope's USB port and pyvisa.", "m7", edit=True)
    await said("gus", "Use nothing at all.", "m7", edit=True)  # not his message
    await send(qa_app, "erin", "/solved", topic)
    await said("frank", "Changed my mind entirely.", "m7", edit=True)  # after solved
    async with qa_app.services.session_factory() as s:
        (answer,) = (await s.execute(select(Answer).where(Answer.question_id == qid))).scalars()
        kb = (await s.execute(select(KBEntry).where(KBEntry.source == "thread"))).scalar_one()
    assert answer.accepted and answer.text == "Use the scope's USB port and pyvisa."
    assert kb.answer == "Use the scope's USB port and pyvisa."


async def test_kb_retry_leaves_another_platforms_failed_threads_to_it(qa_app):
    await send(qa_app, "mod", "/start")
    out = await send(qa_app, "erin", OSCILLOSCOPE)
    qid = next(r for r in out if isinstance(r, OpenThread)).question_id
    async with qa_app.services.session_factory() as s, s.begin():
        (
            await s.execute(select(Thread).where(Thread.question_id == qid))
        ).scalar_one().platform = "discord"
    await qa_app.router.dispatch(
        ThreadFailed(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, qid, "no_place")
    )
    out = await send(qa_app, "mod", "/kb retry")
    assert not [r for r in out if isinstance(r, OpenThread)]
    assert f"#{qid}: asked on Discord" in _texts(out)


async def test_with_no_moderator_the_asker_is_told_to_ask_in_the_community_chat(qa_app):
    out = await send(qa_app, "erin", OSCILLOSCOPE)
    qid = next(r for r in out if isinstance(r, OpenThread)).question_id
    out = await qa_app.router.dispatch(
        ThreadFailed(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, qid, "no_place")
    )
    assert [r.member_id for r in out] == [await _member_id(qa_app, "erin")]
    assert "no moderator" in out[0].text


async def test_an_edited_private_question_is_searched_again(qa_app, clock):
    """Before, editing a question sent in a private chat (a typo fixed, the real question
    written out) changed nothing: the answer to the first wording stood."""
    await send(qa_app, "mod", "/kb add How long is the zorblax course? | Six weeks.")
    await send(qa_app, "mod", "/kb add Where can I park my bike? | Behind building B.")
    chat = Chat("console", "bob", "private")

    async def say(text: str, ref: str):
        return await qa_app.router.dispatch(
            Message(_actor("bob"), chat, uuid.uuid4().hex, text=text, message_ref=ref)
        )

    async def edit(text: str, ref: str):
        return await qa_app.router.dispatch(
            MessageEdited(_actor("bob"), chat, uuid.uuid4().hex, text=text, message_ref=ref)
        )

    assert "Six weeks" in _texts(await say("How long is the zorblax course?", "m1"))
    out = _texts(await edit("Where can I park my bike near the lab?", "m1"))
    assert out.startswith("You changed your question") and "Behind building B" in out
    async with qa_app.services.session_factory() as s:
        bob = await _member_id(qa_app, "bob")
        rows = (await s.execute(select(Question).where(Question.member_id == bob))).scalars().all()
        assert [(q.text, q.status) for q in rows] == [
            ("Where can I park my bike near the lab?", "answered")
        ]  # the same question, reworded: no second one, no second points
    # The same words again, or an edit long after asking, ask nothing again.
    assert await edit("Where can I park my bike  near the lab?", "m1") == []
    clock.advance(timedelta(hours=2))
    assert await edit("How long is the zorblax course?", "m1") == []


async def test_an_edited_ask_command_is_searched_again(qa_app):
    """ "/ask" typed in a private chat and then edited is a question reworded, as a plain one
    is; an edit into some other command asks nothing."""
    await send(qa_app, "mod", "/kb add How long is the zorblax course? | Six weeks.")
    await send(qa_app, "mod", "/kb add Where can I park my bike? | Behind building B.")
    chat = Chat("console", "bob", "private")

    async def ask_in(where: Chat):
        return await qa_app.router.dispatch(
            Command(
                _actor("bob"),
                where,
                uuid.uuid4().hex,
                name="ask",
                args="How long is the zorblax course?",
                message_ref="m7",
            )
        )

    assert "Six weeks" in _texts(await ask_in(chat))

    async def edit(text: str):
        return await qa_app.router.dispatch(
            MessageEdited(_actor("bob"), chat, uuid.uuid4().hex, text=text, message_ref="m7")
        )

    out = _texts(await edit("/ask Where can I park my bike near the lab?"))
    assert out.startswith("You changed your question") and "Behind building B" in out
    assert await edit("/status") == []
    async with qa_app.services.session_factory() as s:
        texts = (await s.execute(select(Question.text))).scalars().all()
        assert texts == ["Where can I park my bike near the lab?"]
    # In a group, /ask keeps no message id: ids are per chat, not per member.
    await ask_in(Chat("console", "g1", "group"))
    async with qa_app.services.session_factory() as s:
        refs = (await s.execute(select(Question.message_ref).order_by(Question.id))).scalars()
        assert list(refs) == ["m7", None]


async def test_moderators_see_which_answers_members_marked_unhelpful(qa_app, clock):
    """The 👎 that tune the threshold also point at entries that mislead: /kb feedback lists
    them, most 👎 first, with the last question each failed, and /kb show gives the tally."""

    async def vote(user: str, question: str, helpful: bool) -> None:
        answer = (await send(qa_app, user, f"/ask {question}"))[-1]
        up, down = answer.buttons[0][0].data, answer.buttons[0][1].data
        await qa_app.router.dispatch(
            Button(
                _actor(user), Chat("console", user), uuid.uuid4().hex, data=up if helpful else down
            )
        )

    assert "No 👎" in _texts(await send(qa_app, "mod", "/kb feedback"))
    await vote("erin", "Can I get a refund for my annual plan?", False)  # 30+ days ago
    clock.advance(timedelta(days=40))
    await vote("bob", "How do I reset my password?", True)
    await vote("carol", "How can I reset the password of my account?", False)
    await vote("dave", "I forgot my password, how do I reset it?", False)
    await vote("frank", "What is quantum entanglement?", False)
    out = _texts(await send(qa_app, "mod", "/kb feedback"))
    lines = out.splitlines()
    assert lines[0].startswith("Answers members marked 👎 in the last 30 days")
    assert "How do I reset my password?: 👎 2 · 👍 1" in lines[1]
    assert "last 👎 on “I forgot my password, how do I reset it?”" in lines[2]
    assert "What is quantum entanglement?: 👎 1 · 👍 0" in lines[3]
    assert "refund" not in out  # older than the window
    assert "refund" in _texts(await send(qa_app, "mod", "/kb feedback 60"))
    entry_id = lines[1].split()[0].lstrip("#")
    shown = _texts(await send(qa_app, "mod", f"/kb show {entry_id}"))
    assert "votes on it: 👍 1 · 👎 2" in shown
    assert "Use: /kb feedback [DAYS]" in _texts(await send(qa_app, "mod", "/kb feedback lots"))
    assert "Reset password" not in _texts(await send(qa_app, "bob", "/kb feedback"))
    # An entry taken out is no longer listed.
    await send(qa_app, "mod", f"/kb remove {entry_id}")
    assert "reset" not in _texts(await send(qa_app, "mod", "/kb feedback")).lower()


async def test_an_invitation_stops_counting_once_the_thread_has_an_answer(qa_app, monkeypatch):
    """The per-expert cap counts questions still waiting on them. A thread someone answered
    but the asker never marked solved used to hold the invitation for good, so a helpful
    expert slowly stopped being invited at all."""
    for user in ("carol", "erin", "frank", "gus"):
        await send(qa_app, user, "/start")
    carol = await _member_id(qa_app, "carol")
    async with qa_app.services.session_factory() as s, s.begin():
        now = qa_app.services.clock.now()
        await _solved_install_thread(s, now - timedelta(days=3), now, accepted_from=carol)
    monkeypatch.setattr(service, "EXPERT_LOAD_CAP", 1)

    async def invited(user: str, question: str) -> list[int]:
        out = await send(qa_app, user, f"/ask {question}")
        opened = [r for r in out if isinstance(r, OpenThread)]
        assert opened, _texts(out)
        return opened[0].mention_member_ids

    first, forum = await _thread_for(
        qa_app, "erin", "/ask Why does my qiskit transpiler job hang after pulse scheduling?", "71"
    )
    async with qa_app.services.session_factory() as s:
        waiting = (await s.execute(select(QAThreadExpert.member_id))).scalars().all()
        assert carol in waiting
    assert carol not in await invited(
        "frank", "My qiskit job on the IBM queue has been pending for two days, is that normal?"
    )
    await send(qa_app, "gus", "Try transpiling with optimization_level=1 first.", chat=forum)
    assert carol in await invited(
        "gus", "Which qiskit release first shipped dynamic circuits with mid-circuit measurement?"
    )


async def test_an_answered_thread_never_marked_solved_asks_the_asker_once(qa_app):
    """Many askers read the answer and never send /solved, so it never reached the knowledge
    base. Two days after the last answer the asker is asked, once, which one worked; a tap
    closes the thread as /solved would. The asker's own follow-up is not an answer."""
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "72")
    await send(qa_app, "erin", "Any ideas? It is a Rigol DS1054Z.", chat=forum)
    clock = qa_app.services.clock
    clock.advance(timedelta(hours=49))
    (bump,) = await service.sweep_stale(qa_app.services)  # still unanswered: bumped
    assert bump.to == forum
    await send(qa_app, "bob", "Use the USB port and pyvisa.", chat=forum)
    clock.advance(timedelta(hours=24))
    await send(qa_app, "carol", "Its LAN port speaks SCPI over raw sockets too.", chat=forum)
    clock.advance(timedelta(hours=47))
    assert await service.sweep_stale(qa_app.services) == []  # not two days since the last
    clock.advance(timedelta(hours=2))
    (ask,) = await service.sweep_stale(qa_app.services)
    erin = await _member_id(qa_app, "erin")
    assert ask.member_id == erin
    assert f"(#{qid}) has answers from 2 members. Did one of them solve it?" in ask.text
    assert "Bob: Use the USB port" in ask.text and "Carol: Its LAN port" in ask.text
    assert [[b.label for b in row] for row in ask.buttons] == [["1. Bob"], ["2. Carol"]]
    assert await service.sweep_stale(qa_app.services) == []  # once only; never listed stale
    clock.advance(timedelta(days=5))
    assert await service.sweep_stale(qa_app.services) == []
    out = await qa_app.router.dispatch(
        Button(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, ask.buttons[1][0].data)
    )
    assert f"Question #{qid} is solved" in _texts(out)
    assert any(
        r.to == forum and "Carol's answer was accepted" in r.text
        for r in out
        if isinstance(r, Reply)
    )
    found = _texts(await send(qa_app, "frank", "/ask " + OSCILLOSCOPE.removeprefix("/ask ")))
    assert "SCPI over raw sockets" in found and f"— Carol's answer to question #{qid}" in found


async def test_a_banned_asker_is_not_asked_which_answer_solved_it(qa_app):
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "73")
    await send(qa_app, "bob", "Use the USB port and pyvisa.", chat=forum)
    async with qa_app.services.session_factory() as s, s.begin():
        (await s.get(Member, await _member_id(qa_app, "erin"))).role = "banned"
    qa_app.services.clock.advance(timedelta(hours=49))
    assert await service.sweep_stale(qa_app.services) == []


async def test_questions_lists_a_solved_button_for_a_thread_with_answers(qa_app):
    """/questions showed "2 answers so far" with no way to close the question from there:
    now a tap opens /solved's choice, or accepts the only answer at once."""
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "74")
    listing = (await send(qa_app, "erin", "/questions"))[-1]
    assert not [b for row in listing.buttons for b in row if "solved" in b.label]  # no answer yet
    await send(qa_app, "bob", "Use the USB port and pyvisa.", chat=forum)
    await send(qa_app, "carol", "Its LAN port speaks SCPI too.", chat=forum)
    listing = (await send(qa_app, "erin", "/questions"))[-1]
    assert "2 answers so far" in listing.text
    # /start says so too (once past the interview), and so for an invited expert
    await send(qa_app, "erin", "/profile goals Build my own lab tools")
    assert "• 1 of your questions has answers to read: /questions" in _texts(
        await send(qa_app, "erin", "/start")
    )
    (solved,) = [b for row in listing.buttons for b in row if b.label == f"✅ #{qid} solved"]
    out = await qa_app.router.dispatch(
        Button(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, data=solved.data)
    )
    assert f"Which answer solved question #{qid}?" in _texts(out)
    out = await qa_app.router.dispatch(
        Button(
            _actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, out[-1].buttons[0][0].data
        )
    )
    assert f"Question #{qid} is solved" in _texts(out)
    # a second tap finds it solved
    again = await qa_app.router.dispatch(
        Button(_actor("erin"), Chat("console", "erin"), uuid.uuid4().hex, data=solved.data)
    )
    assert "already marked solved" in _texts(again)


async def test_an_expert_who_cannot_help_passes_and_the_next_is_asked(qa_app, monkeypatch):
    """Before, an invited member who could not help had no way to say so: the question
    waited on them, and the invitation counted against their limit until it went stale."""
    carol, dave = await _carol_and_dave_answered_install(qa_app)
    monkeypatch.setattr(service, "EXPERTS_PER_THREAD", 1)
    qid, forum = await _thread_for(
        qa_app, "erin", "/ask Why does my qiskit transpiler job hang after pulse scheduling?", "75"
    )
    # /questions shows an expert the questions waiting on them (it listed only their own)
    listing = (await send(qa_app, "carol", "/questions"))[-1]
    assert "Invited to answer (1):" in listing.text and f"#{qid} “Why does my qiskit" in (
        listing.text
    )
    assert "/pass ID" in listing.text
    out = await send(qa_app, "carol", "/pass", chat=forum)
    assert out[0].text.startswith(f"OK, you're off question #{qid}; I've asked someone else")
    assert "Invited to answer" not in _texts(await send(qa_app, "carol", "/questions"))
    assert out[0].ephemeral
    (asked,) = [r for r in out if r.member_id is not None]
    assert asked.member_id == dave and f"/pass {qid}" in asked.text
    assert "there is nothing to pass" in _texts(await send(qa_app, "carol", f"/pass {qid}"))
    # dave passes too, with a bare /pass in his private chat: his one open invitation
    # (before, it asked which question); nobody else is left to ask
    out = await send(qa_app, "dave", "/pass")
    assert _texts(out).startswith(f"OK, you're off question #{qid}. To stop")
    assert [r for r in out if r.member_id is not None] == []
    async with qa_app.services.session_factory() as s:
        states = dict(
            (await s.execute(select(QAThreadExpert.member_id, QAThreadExpert.status))).all()
        )
        assert states == {carol: "declined", dave: "declined"}
    # with no invitation, a bare /pass says there is nothing to pass (was "Send /pass in the
    # question's thread, or /pass QUESTION_ID", as if one were waiting)
    assert "no open invitation" in _texts(await send(qa_app, "erin", "/pass"))
    assert "no open invitation" in _texts(await send(qa_app, "carol", "/pass"))  # passed it


async def test_a_bare_pass_with_two_invitations_asks_which(qa_app, monkeypatch):
    await _carol_and_dave_answered_install(qa_app)
    monkeypatch.setattr(service, "EXPERTS_PER_THREAD", 1)
    first, _ = await _thread_for(
        qa_app, "erin", "/ask Why does my qiskit transpiler job hang after pulse scheduling?", "75"
    )
    second, _ = await _thread_for(
        qa_app,
        "erin",
        "/ask Why does my qiskit simulator crash with a memory error on 30 qubits?",
        "76",
    )
    out = _texts(await send(qa_app, "carol", "/pass"))
    assert (
        out == f"You are invited to answer #{first}, #{second}: say which one, e.g. /pass {first}."
    )


async def test_small_talk_in_a_private_chat_is_answered_not_escalated(qa_app):
    """Before, "thank you so much!" or "good morning everyone" sent in a private chat opened
    a discussion thread in the community's forum, and "hi" was "I didn't understand that"."""
    out = await send(qa_app, "gina", "thank you so much!")
    assert _texts(out) == "You're welcome! Ask again any time."
    out = await send(qa_app, "gina", "hi")
    assert _texts(out).startswith("Hi Gina! 👋 Ask me anything") and "/help" in _texts(out)
    assert _texts(await send(qa_app, "gina", "ok cool")).startswith("👍 When you have a question")
    assert _texts(await send(qa_app, "gina", "/ask 大家好呀")).startswith("你好，Gina！")
    assert not any(isinstance(r, OpenThread) for r in await send(qa_app, "gina", "good morning"))
    # a goodbye was offered for the forum ("ok bye, see you next week", "好的，拜拜")
    out = await send(qa_app, "gina", "ok bye, see you next week")
    assert _texts(out) == "Bye, Gina! I'm here whenever you need me."
    assert _texts(await send(qa_app, "gina", "好的，拜拜")) == "再见，Gina！有需要随时找我。"
    thanked = await send(qa_app, "gina", "thanks, that helped a lot!")
    assert _texts(thanked) == "You're welcome! Ask again any time."
    async with qa_app.services.session_factory() as s:
        assert (await s.execute(select(Question))).scalars().all() == []  # nothing was asked
    # a greeting in front of a question does not hide it
    out = await send(qa_app, "gina", "hi, I forgot my password, how can I reset it?")
    assert "Reset password" in _texts(out)


async def test_plus_ones_and_thanks_in_a_thread_are_not_answers(qa_app):
    """Before, "+1" or "same here" from another member was recorded as an answer: points for
    answering, "Bob answered your question" sent to the asker, and a "+1" in /solved's list."""
    qid, forum = await _thread_for(
        qa_app, "erin", "/ask Why does my qiskit transpiler job hang after pulse scheduling?", "81"
    )
    for said in ("+1", "same here!", "👍", "同问"):
        assert await send(qa_app, "bob", said, chat=forum) == []
    out = await send(
        qa_app, "bob", "Pin qiskit-terra to 0.24; pulse scheduling hangs in 0.25.", chat=forum
    )
    assert [r.member_id for r in out] == [await _member_id(qa_app, "erin")]  # told once, now
    async with qa_app.services.session_factory() as s:
        texts = (await s.execute(select(Answer.text).where(Answer.question_id == qid))).scalars()
        assert list(texts) == ["Pin qiskit-terra to 0.24; pulse scheduling hangs in 0.25."]


async def test_a_statement_in_a_private_chat_is_posted_for_the_community_only_if_asked(qa_app):
    """Before, anything written to the bot in private went to the public forum: "I want to
    become a data analyst one day" (or an answer meant for the profile interview) opened a
    discussion thread for everyone to read. A message that does not read as a question now
    asks first; a question, /ask, and an answer from the knowledge base are unchanged."""
    said = "I want to become a data analyst one day"
    out = await send(qa_app, "hana", said)
    assert not any(isinstance(r, OpenThread) for r in out)
    assert _texts(out) == (
        "I have no answer to this in the knowledge base yet. Shall I post it in the "
        f"community's discussion forum, where members can answer?\n“{said}”\nConfirm?"
    )
    async with qa_app.services.session_factory() as s:
        assert (await s.execute(select(Question))).scalars().all() == []  # nothing asked yet
    confirm = out[0].buttons[0][0]
    posted = await qa_app.router.dispatch(
        Button(_actor("hana"), Chat("console", "hana", "private"), uuid.uuid4().hex, confirm.data)
    )
    (thread,) = [r for r in posted if isinstance(r, OpenThread)]
    async with qa_app.services.session_factory() as s:
        (q,) = (await s.execute(select(Question))).scalars().all()
        assert (q.id, q.text) == (thread.question_id, said)
    # cancelled, nothing is posted
    out = await send(qa_app, "hana", "Planning my week around the SQL course")
    cancel = out[0].buttons[0][1]
    no = await qa_app.router.dispatch(
        Button(_actor("hana"), Chat("console", "hana", "private"), uuid.uuid4().hex, cancel.data)
    )
    assert "Nothing was changed" in _texts(no)
    # a problem described without a question mark still goes straight to the community
    out = await send(qa_app, "hana", "My qiskit transpiler job hangs after pulse scheduling")
    assert any(isinstance(r, OpenThread) for r in out)
    # /ask says it is a question; the knowledge base answers a statement it knows
    plain = "/ask Booking a room for the quantum reading group next term"
    got = await send(qa_app, "ivy", plain)
    assert any(isinstance(r, OpenThread) for r in got), _texts(got)
    assert "Reset password" in _texts(await send(qa_app, "hana", "reset my password"))


async def test_entries_pasted_right_after_a_bare_kb_import_are_imported(qa_app):
    """The usage said "paste the entries", so moderators sent /kb import and then the
    entries as their next message: that message was taken for a question and the pasted
    CSV was posted in a public discussion thread. It is now the import."""
    await send(qa_app, "mod", "/start")
    out = await send(qa_app, "mod", "/kb import")
    assert "Send the entries as your next message" in _texts(out)
    pasted = "title,answer\nWhere is the parking?,Behind building B.\nIs there wifi?,Yes: syllabot-guest."
    out = await send(qa_app, "mod", pasted)
    assert not any(isinstance(r, OpenThread) for r in out)
    assert "2 added" in _texts(out)
    assert "Behind building B" in _texts(await send(qa_app, "bob", "/ask where can I park my car?"))
    # once: the moderator's next message is theirs again (a question here)
    out = await send(qa_app, "mod", "How do I connect my Raspberry Pi to the lab oscilloscope?")
    assert "imported" not in _texts(out).lower()
    # a member cannot arm it, and it lapses after ten minutes
    assert "moderators only" in _texts(await send(qa_app, "bob", "/kb import"))
    await send(qa_app, "mod", "/kb import")
    qa_app.services.clock.advance(timedelta(minutes=11))
    out = await send(qa_app, "mod", "title,answer\nLate entry?,Too late.")
    assert "imported" not in _texts(out).lower()


async def test_a_bare_solved_in_private_means_the_askers_one_open_question(qa_app):
    """Before, /solved alone in a private chat always answered with how to name a question,
    even when the asker had exactly one open question with an answer waiting."""
    assert "no open question to mark solved" in _texts(await send(qa_app, "erin", "/solved"))
    qid, forum = await _thread_for(qa_app, "erin", OSCILLOSCOPE, "61")
    # no answer yet: the reply names the question, with the command to close it by hand
    told = _texts(await send(qa_app, "erin", "/solved"))
    assert f"thread of question #{qid} yet" in told and f"/solved {qid} the answer" in told
    await send(qa_app, "frank", "Use the scope's USB port and pyvisa.", forum)
    out = await send(qa_app, "erin", "/solved")
    assert f"Question #{qid} is solved" in _texts(out)
    # two open questions: which one
    await _thread_for(
        qa_app, "gina", "/ask Why does my qiskit transpiler job hang after pulse scheduling?", "62"
    )
    await _thread_for(
        qa_app, "gina", "/ask How do I book the lab cryostat for a weekend run?", "63"
    )
    assert "several open questions" in _texts(await send(qa_app, "gina", "/solved"))
