"""Course material in the knowledge base, plan gating, start-up preload and sync, on both engines."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.catalog.importer import parse_text
from core.catalog.service import apply_catalog
from core.events import Actor, Button, Chat, Command
from core.qa import service
from core.qa.catalog_sync import chunk_text
from core.qa.service import QAState
from core.replies import Reply
from models.catalog import Course
from models.member import Member
from models.qa import KBEntry
from models.qa_extra import QAFeedback


def _actor(user: str) -> Actor:
    return Actor("console", user, display_name=user.capitalize(), username=user)


async def send(app, user: str, text: str):
    chat = Chat("console", user, "private")
    name, _, args = text[1:].partition(" ")
    return await app.router.dispatch(
        Command(_actor(user), chat, uuid.uuid4().hex, name=name, args=args)
    )


def _texts(replies) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Reply))


CATALOG = """
courses:
  - slug: quantum-basics
    title: Quantum computing basics
    description: Qubits, gates and measurement for beginners.
    tags: [quantum]
    lessons:
      - slug: decoherence
        title: Why qubits lose their state
        url: https://learn.example.org/quantum/decoherence
        content: |
          Decoherence is what happens when a qubit interacts with its environment:
          stray electromagnetic noise and heat leak phase information out of the qubit,
          so the superposition decays into an ordinary classical mixture. Dilution
          refrigerators keep superconducting qubits near absolute zero to slow it down.
  - slug: error-correction
    title: Quantum error correction
    description: Protecting logical qubits with codes.
    plan_codes: [yearly]
    lessons:
      - slug: surface-code
        title: The surface code
        url: https://learn.example.org/quantum/surface-code
        content: |
          The surface code arranges physical qubits on a two-dimensional lattice and
          measures stabilizers repeatedly; a logical qubit survives as long as the
          physical error rate stays below roughly one percent, the code threshold.
"""


@pytest.fixture
async def qa_course_app(app, qa_encoders):
    """The app with the production encoders and an empty knowledge base."""
    app.services.extras[service.STATE_KEY] = QAState(qa_encoders)
    return app


async def _import(app, text: str = CATALOG) -> None:
    async with app.services.session_factory() as s, s.begin():
        await apply_catalog(s, app.services.clock, parse_text(text, "yaml"))


async def test_imported_lesson_answers_the_next_question_and_hiding_removes_it(qa_course_app):
    app = qa_course_app
    await send(app, "alice", "/ask warm up the member")  # the index has synced (empty) once
    await _import(app)
    out = await send(app, "alice", "/ask Why do qubits lose their superposition over time?")
    text = _texts(out)
    assert "Dilution refrigerators" in text and "Why qubits lose their state" in text
    urls = [b.url for r in out if isinstance(r, Reply) for row in r.buttons for b in row]
    assert "https://learn.example.org/quantum/decoherence" in urls

    hidden = await send(app, "mod", "/course hide quantum-basics")
    assert "quantum-basics" in _texts(hidden)
    out = await send(app, "alice", "/ask Why do qubits lose their superposition over time?")
    assert "Dilution refrigerators" not in _texts(out)
    async with app.services.session_factory() as s:
        cid = (
            await s.execute(select(Course.id).where(Course.slug == "quantum-basics"))
        ).scalar_one()
        rows = (
            await s.execute(select(KBEntry).where(KBEntry.source_ref.like(f"c{cid}%")))
        ).scalars()
        states = [r.active for r in rows]
    assert states and not any(states)

    await send(app, "mod", "/course show quantum-basics")
    out = await send(app, "alice", "/ask Why do qubits lose their superposition over time?")
    assert "Dilution refrigerators" in _texts(out)


async def test_reimport_is_idempotent_and_an_edit_replaces_the_passage(qa_course_app):
    app = qa_course_app
    await _import(app)
    async with app.services.session_factory() as s:
        first = {
            (r.source_ref, r.updated_at)
            for r in (await s.execute(select(KBEntry))).scalars()
            if r.active
        }
    await _import(app)
    async with app.services.session_factory() as s:
        again = {
            (r.source_ref, r.updated_at)
            for r in (await s.execute(select(KBEntry))).scalars()
            if r.active
        }
    assert first == again and any(ref.startswith("c") and ":" in ref for ref, _ in first)

    await send(app, "alice", "/ask Why do qubits lose their superposition over time?")
    edited = CATALOG.replace(
        "Dilution\n          refrigerators keep superconducting qubits near absolute zero",
        "Cryostats\n          keep superconducting qubits near absolute zero",
    )
    assert edited != CATALOG
    await _import(app, edited)
    out = await send(app, "alice", "/ask Why do qubits lose their superposition over time?")
    assert "Cryostats" in _texts(out) and "Dilution" not in _texts(out)


async def test_plan_only_lesson_gives_title_and_link_not_the_text(qa_course_app):
    app = qa_course_app
    await _import(app)
    out = await send(
        app, "bob", "/ask What physical error rate threshold does the surface code need?"
    )
    text = _texts(out)
    assert "The surface code" in text and "Yearly membership" in text
    assert "stabilizers" not in text and "one percent" not in text
    urls = [b.url for r in out if isinstance(r, Reply) for row in r.buttons for b in row]
    assert "https://learn.example.org/quantum/surface-code" in urls


async def test_startup_builds_the_index_before_the_first_question(app, qa_encoders):
    await _import(app)
    async with app.services.session_factory() as s:
        active = len((await s.execute(select(KBEntry.id).where(KBEntry.active.is_(True)))).all())
    assert active >= 4
    state = QAState(qa_encoders)
    app.services.extras[service.STATE_KEY] = state
    assert len(state.index) == 0
    await app.startup()  # what a restarted process runs
    assert len(state.index) == active


async def test_sync_sees_rows_committed_late_with_an_older_stamp(db, clock, qa_encoders):
    """Another process's transaction can commit after a newer one: still picked up."""
    state = QAState(qa_encoders)
    now = clock.now()
    async with db.session() as s, s.begin():
        s.add(
            KBEntry(title="Newer entry about lattices", answer="x", created_at=now, updated_at=now)
        )
    async with db.session() as s:
        await state.sync(s)
    assert len(state.index) == 1
    late = now - timedelta(seconds=30)
    async with db.session() as s, s.begin():
        s.add(
            KBEntry(
                title="Reset password steps", answer="Use /reset.", created_at=late, updated_at=late
            )
        )
        old = (await s.execute(select(KBEntry).where(KBEntry.id == 1))).scalar_one()
        old.active = False
        old.updated_at = now - timedelta(seconds=1)
    async with db.session() as s:
        await state.sync(s)
    assert [it.title for it in state.index.items()] == ["Reset password steps"]


async def test_course_material_is_changed_in_the_catalogue_not_with_kb(qa_course_app):
    """/kb edit or remove on a lesson's entry would be undone by the next catalogue change,
    so moderators are sent to /course instead, and the entry stays as it is."""
    await _import(qa_course_app)
    async with qa_course_app.services.session_factory() as s:
        entry = (
            await s.execute(select(KBEntry).where(KBEntry.source == "lesson").limit(1))
        ).scalar_one()
    for cmd in (f"/kb edit {entry.id} Decoherence | Something else.", f"/kb remove {entry.id}"):
        out = _texts(await send(qa_course_app, "mod", cmd))
        assert f"Entry #{entry.id} is course material" in out, out
        assert "/course lesson quantum-basics" in out and "/course hide quantum-basics" in out
    async with qa_course_app.services.session_factory() as s:
        kept = await s.get(KBEntry, entry.id)
        assert kept is not None and kept.active and kept.answer == entry.answer
    answer = _texts(await send(qa_course_app, "bob", "/ask why do qubits lose their state?"))
    assert "Decoherence" in answer


def test_chunks_keep_paragraphs_and_bound_size():
    text = "\n\n".join(["word " * 100, "short para", "x" * 3000])
    chunks = chunk_text(text, size=600)
    assert all(len(c) <= 600 for c in chunks)
    assert "short para" in chunks[1] or "short para" in chunks[0]
    assert sum(c.count("x") for c in chunks) == 3000
    assert chunk_text("") == []


def _hit(id_: str, source: str, cosine: float, family: str = ""):
    from core.qa.hybrid import Hit
    from core.qa.index import KBItem, SearchResult

    item = KBItem(id=id_, title=id_, source=source, family=family)
    return SearchResult(item, 1.0, 0.2, Hit(id_, 1.0, 0.2, cosine=cosine))


def test_a_course_overview_gives_way_to_its_closer_lesson():
    from core.qa.index import specific_first

    overview = _hit("1", "course", 0.51, "course:1")
    where = _hit("4", "lesson", 0.54, "course:1")  # "Filtering rows with WHERE"
    other = _hit("9", "lesson", 0.60, "course:2")  # another course's lesson
    thread = _hit("7", "thread", 0.50)
    assert [r.id for r in specific_first([overview, thread, where, other])] == ["4", "1", "7", "9"]
    # Only a lesson of the same course, and only a closer one, takes the overview's place.
    farther = _hit("5", "lesson", 0.40, "course:1")
    assert [r.id for r in specific_first([overview, other, farther])] == ["1", "9", "5"]
    assert [r.id for r in specific_first([thread, where])] == ["7", "4"]


async def test_kb_find_lists_the_lesson_that_says_how_before_its_course(app, qa_encoders):
    from core.demo.seed import seed_demo

    app.services.extras[service.STATE_KEY] = QAState(qa_encoders)
    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    out = _texts(await send(app, "mod", "/kb find how do I filter rows in SQL?"))
    first = out.splitlines()[1]
    assert "[lesson] Filtering rows with WHERE · Intro to SQL" in first, out


def test_a_course_overview_is_never_the_answer_however_close():
    from dataclasses import replace

    from core.qa.index import can_answer

    overview = _hit("1", "course", 0.8, "course:1")
    lesson = _hit("4", "lesson", 0.8, "course:1")
    sure = {r.id: replace(r, confidence=0.9) for r in (overview, lesson)}
    assert not can_answer(sure["1"], 0.5) and can_answer(sure["4"], 0.5)
    assert not can_answer(lesson, 0.5)  # 0.2: not confident either


async def test_a_lesson_answers_though_its_course_overview_comes_as_close(app, qa_encoders):
    """An overview names what each of its lessons teaches, so it comes about as close to a
    question as the lesson that answers it. It is never the answer, and it no longer takes
    the lesson's lead either: these questions got a thread (confidence 11-15%) while the
    demo's lesson said exactly how."""
    from core.demo.seed import seed_demo
    from core.replies import OpenThread

    app.services.extras[service.STATE_KEY] = QAState(qa_encoders)
    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    for question, lesson in {
        "How do I choose the sample size for an A/B test?": "Choosing a sample size",
        "How do I compute a conditional probability?": "Conditional probability",
    }.items():
        out = await send(app, "alice", f"/ask {question}")
        assert not [r for r in out if isinstance(r, OpenThread)], _texts(out)
        assert _texts(out).startswith(lesson), _texts(out)
    # The overview itself is still measured against its lessons: it stays a pointer.
    out = await send(app, "alice", "/ask How do I design an A/B test?")
    assert [r for r in out if isinstance(r, OpenThread)], _texts(out)


async def test_a_question_unlinked_from_a_thread_keeps_that_thread_s_topics(app, qa_encoders):
    """A short paraphrase linked to an open thread, then "not my question": its own search
    found no entry on its topic, so its thread was tagged #question and only a moderator was
    invited. The thread it was taken for is on its topic: it lends its topics and experts."""
    from core.demo.seed import seed_demo
    from core.replies import OpenThread
    from models.qa import Question

    app.services.extras[service.STATE_KEY] = QAState(qa_encoders)
    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    first = await send(
        app,
        "alice",
        "/ask How do I convert a string column to datetime in pandas when the format is "
        "day/month/year?",
    )
    (opened,) = [r for r in first if isinstance(r, OpenThread)]
    assert opened.tags and "question" not in opened.tags
    out = await send(app, "bob", "/ask pandas string to datetime with dd/mm/yyyy format")
    told = next(r for r in out if isinstance(r, Reply) and "already being discussed" in r.text)
    (button,) = [b for row in told.buttons for b in row if b.data]
    out = await app.router.dispatch(
        Button(_actor("bob"), Chat("console", "bob", "private"), uuid.uuid4().hex, data=button.data)
    )
    (own,) = [r for r in out if isinstance(r, OpenThread)]
    assert own.tags == opened.tags
    async with app.services.session_factory() as s:
        staff = {
            m.id for m in (await s.execute(select(Member).where(Member.role != "member"))).scalars()
        }
        mine = await s.get_one(Question, own.question_id)
    assert mine.tags == opened.tags
    assert set(own.mention_member_ids) - staff  # members who know the topic, not only staff


@pytest.mark.parametrize(
    ("question", "course"),
    [
        ("How do I design an A/B test?", "A/B Testing in Practice"),
        ("怎么学习时间序列预测？", "时间序列预测"),  # how to learn it: the course is the answer
    ],
)
async def test_a_question_closest_to_a_course_overview_gets_a_thread_and_the_course(
    app, qa_encoders, question, course
):
    """The overview only says the course teaches the topic (in the demo it tops these with
    64-66% confidence): the community is asked, and the course is pointed to meanwhile,
    with a button to open it."""
    from core.demo.seed import seed_demo
    from core.replies import OpenThread

    app.services.extras[service.STATE_KEY] = QAState(qa_encoders)
    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    out = await send(app, "mod", f"/ask {question}")
    assert [r for r in out if isinstance(r, OpenThread)], _texts(out)
    pointer = out[-1]
    assert isinstance(pointer, Reply) and f"“{course}”" in pointer.text
    (button,) = [b for row in pointer.buttons for b in row]
    assert button.url and button.url.startswith("https://")
    # A moderator checking the knowledge base is told the overview is not an answer.
    found = _texts(await send(app, "mod", f"/kb find {question}"))
    assert "the first is a course overview" in found and "never the overview" in found
    checked = _texts(await send(app, "mod", "/kb check"))
    assert f"with the course “{course}” offered" in checked
    if question.isascii():  # one question so far: said in the singular
        assert checked.startswith("The last escalated question against")


async def test_who_finished_the_lesson_a_question_is_about_is_invited_to_its_thread(
    qa_course_app,
):
    """Routing counts members who finished related material, the lesson passages the
    catalogue put in the knowledge base included."""
    from core.recommend.service import KIND_WEIGHTS
    from core.replies import OpenThread
    from models.catalog import Lesson
    from models.interaction import Interaction
    from models.member import Account

    app = qa_course_app
    await _import(app)
    await send(app, "finn", "/start")
    async with app.services.session_factory() as s, s.begin():
        finn = (
            await s.execute(select(Account.member_id).where(Account.platform_user_id == "finn"))
        ).scalar_one()
        lesson = (await s.execute(select(Lesson).where(Lesson.slug == "decoherence"))).scalar_one()
        s.add(
            Interaction(
                member_id=finn,
                course_id=lesson.course_id,
                lesson_id=lesson.id,
                kind="lesson_complete",
                weight=KIND_WEIGHTS["lesson_complete"],
                at=app.services.clock.now(),
                source="chat",
                meta={},
            )
        )
    out = await send(
        app, "erin", "/ask Do trapped-ion qubits suffer from decoherence faster in a warm lab?"
    )
    opened = [r for r in out if isinstance(r, OpenThread)]
    assert opened, _texts(out)
    assert opened[0].mention_member_ids == [finn]


def test_one_result_per_passage_in_the_question_s_language_at_the_better_rank():
    from dataclasses import replace

    from core.qa.index import KBItem, one_per_passage

    def hit(id_: str, lang: str, passage: str = ""):
        r = _hit(id_, "lesson", 0.5)
        return replace(r, item=KBItem(id=id_, title=id_, lang=lang, passage=passage))

    en, zh, other = hit("1", "en", "c1/l1#0"), hit("2", "zh", "c1/l1#0"), hit("3", "en")
    assert [r.id for r in one_per_passage([zh, other, en], "en")] == ["1", "3"]
    assert [r.id for r in one_per_passage([zh, other, en], "zh")] == ["2", "3"]
    assert [r.id for r in one_per_passage([other, en, zh], "zh")] == ["3", "2"]


ZH_TITLES = CATALOG.replace(
    "    title: Quantum computing basics\n",
    "    title: Quantum computing basics\n    title_zh: 量子计算基础\n",
).replace(
    "        title: Why qubits lose their state\n",
    "        title: Why qubits lose their state\n        title_zh: 量子比特为什么会失去状态\n",
)


async def test_a_lesson_with_a_chinese_title_answers_chinese_questions_under_it(qa_course_app):
    """The lesson's English text is indexed under its Chinese title too: a Chinese question
    finds it and sees that title; an English question still sees the English one."""
    app = qa_course_app
    assert ZH_TITLES != CATALOG
    await _import(app, ZH_TITLES)
    out = _texts(await send(app, "alice", "/ask Why do qubits lose their superposition over time?"))
    assert "Why qubits lose their state · Quantum computing basics" in out
    assert "量子" not in out
    out = _texts(await send(app, "li", "/ask 量子比特为什么会失去叠加态？"))
    assert "量子比特为什么会失去状态 · 量子计算基础" in out and "Dilution refrigerators" in out
    async with app.services.session_factory() as s:
        refs = {r.source_ref for r in (await s.execute(select(KBEntry))).scalars() if r.active}
    assert any(ref.endswith(":zh#0") and "/l" in ref for ref in refs)


async def test_a_lesson_nearly_confident_enough_is_offered_while_the_community_answers(
    app, qa_encoders
):
    """ "How do I join two tables?" matches the Inner joins lesson, but not with an answer's
    confidence: the thread opens, and the lesson is offered meanwhile (by title and link:
    the member's plan may not include it). A question on nothing the community teaches gets
    a thread and nothing else."""
    from core.demo.seed import seed_demo
    from core.replies import OpenThread

    app.services.extras[service.STATE_KEY] = QAState(qa_encoders)
    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    out = await send(app, "mod", "/ask How do I join two tables in SQL?")
    assert [r for r in out if isinstance(r, OpenThread)], _texts(out)
    pointer = out[-1]
    assert isinstance(pointer, Reply)
    assert "“Inner joins · SQL Joins and Subqueries” may help" in pointer.text
    assert "customer_id" not in pointer.text  # pointed to, not quoted
    (vote, (link,)) = pointer.buttons
    assert link.url and "/lessons/" in link.url
    # A vote on it keeps the confidence it was offered with, below the answer threshold:
    # the evidence that lets feedback lower the threshold. A 👎 opens no second thread.
    for button in vote:
        press = Button(_actor("mod"), Chat("console", "mod"), uuid.uuid4().hex, data=button.data)
        out = await app.router.dispatch(press)
        assert not [r for r in out if isinstance(r, OpenThread)]
    async with app.services.session_factory() as s:
        (fb,) = (await s.execute(select(QAFeedback))).scalars()
    assert fb.helpful is False and 0.2 <= fb.confidence < 0.5 and fb.kb_entry_id
    out = await send(app, "mod", "/ask What's the best way to install laminate flooring?")
    assert isinstance(out[-1], OpenThread)
    # An overview too far to be offered gets no "pointed to the course" note in /kb find.
    found = _texts(await send(app, "mod", "/kb find 我想学习 Git"))
    assert "[course] Git 基础" in found.splitlines()[1]
    assert "course overview" not in found and "answers need" in found
    # In Chinese, under the lesson's Chinese title.
    out = await send(app, "mod", "/ask 怎么撤销上一次 git 提交？")
    assert [r for r in out if isinstance(r, OpenThread)], _texts(out)
    assert "“撤销错误 · Git 基础”" in out[-1].text


def test_what_is_offered_while_the_community_answers():
    from dataclasses import replace

    from core.i18n import translate
    from core.qa.index import KBItem

    def t(key, **kw):
        return translate("en", key, **kw)

    def hit(source: str, confidence: float, family: str = "", on_topic: bool = True):
        r = _hit("1", source, 0.5, family)
        item = KBItem(
            id="1", title="Reset password", answer="Send /reset.", source=source, family=family
        )
        return replace(
            r,
            item=replace(item, url="https://x.example/1"),
            confidence=confidence,
            hit=replace(r.hit, on_topic=on_topic),
        )

    (faq,) = service.pointer(t, [hit("faq", 0.3)], 0.5)
    assert "may help" in faq.text and "Send /reset." in faq.text  # an answer: quoted
    (lesson,) = service.pointer(t, [hit("lesson", 0.3, "course:1")], 0.5)
    assert "Reset password" in lesson.text and "Send /reset." not in lesson.text
    assert service.pointer(t, [hit("faq", 0.1)], 0.5) == []  # too far to help
    assert service.pointer(t, [hit("faq", 0.3, on_topic=False)], 0.5) == []
    assert service.pointer(t, [hit("course", 0.4, "course:1")], 0.5) == []
    (course,) = service.pointer(t, [hit("course", 0.6, "course:1")], 0.5)
    assert "teaches this topic" in course.text
    assert service.pointer(t, [], 0.5) == []
    # Chinese questions go through E5, whose confidence stays low even when right: any
    # on-topic match is offered.
    assert service.pointer(t, [hit("lesson", 0.05, "course:1")], 0.5, "zh")
    assert service.pointer(t, [hit("lesson", 0.05, "course:1")], 0.5, "en") == []
    assert service.pointer(t, [hit("lesson", 0.05, "course:1", False)], 0.5, "zh") == []
