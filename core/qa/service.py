"""Q&A use cases: ask, escalate to a thread, route experts, solve (moderators' KB
commands are in :mod:`core.qa.curation`).

The knowledge index lives in process memory (one :class:`QAState` per process, from
``Services``) and is kept in step with ``kb_entry`` rows: a change made here is applied
to the index at once, and :meth:`QAState.sync` picks up rows changed by other processes
(by ``updated_at``) before each search. Removal is a soft delete (``active = False``), so
every change is seen by the sync.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog.access import can_access, plan_titles
from core.common import smalltalk
from core.context import Context, Services
from core.engagement.rules import Scoring
from core.errors import BadArguments, DomainError, NotAllowed, NotFound
from core.events import THREAD_FAILURES, Chat
from core.i18n import reads_language, translate
from core.ids import parse_id
from core.localtime import quiet_now
from core.members import by_account, moderators
from core.qa import experts as ex
from core.qa import help_answers, help_intents
from core.qa.catalog_sync import course_id_of, lesson_id_of, passage_of
from core.qa.help_intents import BY_WORDS
from core.qa.index import (
    DEFAULT_THRESHOLD,
    KBItem,
    KnowledgeIndex,
    SearchResult,
    can_answer,
    offers_course,
    topic_tags,
)
from core.qa.spelling import Speller
from core.qa.threshold import tune_threshold
from core.qa.tokenize import (
    LANGUAGES,
    Language,
    as_language,
    cjk_ratio,
    detect_language,
    word_count,
)
from core.recommend.encoders import Kind, TextEncoder, pick_encoder, text_key
from core.replies import AnyReply, ButtonSpec, CloseThread, OpenThread, Reply
from core.router import COMMANDS, run_command
from models.catalog import Course
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Member
from models.qa import Answer, KBEntry, Question, Thread
from models.qa_extra import QAFeedback, QAThreadExpert

log = logging.getLogger("syllabot.qa")

MAX_QUESTION_CHARS = 1000
MIN_WORDS = 2
ANSWER_EXCERPT = 1500
EXPERTS_PER_THREAD = 3
EXPERT_LOAD_CAP = 3
STALE_AFTER = timedelta(hours=48)
OPEN_THREADS_SCANNED = 200
SIMILAR_FOR_ROUTING = 50
"""KB hits whose contributors become routing candidates: as many as ``evaluate.routing_cases``
uses, which the routing weights were fitted with (the searcher ranks 50 anyway)."""
STATE_KEY = "qa.state"
SYNC_SLACK = timedelta(minutes=2)
"""How far behind the newest ``updated_at`` seen a sync still looks (late commits)."""


def _setting(services: Services, name: str, default: Any) -> Any:
    return getattr(services.settings, name, default)


# --------------------------------------------------------------------------- index state


class _PassageCache:
    """Caches passage embeddings (KB entries, open-thread questions), not queries."""

    def __init__(self, inner: TextEncoder) -> None:
        self.inner = inner
        self._cache: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        if kind != "passage":
            return self.inner.encode(texts, kind)
        keys = [text_key(self.name, t, kind) for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if todo:
            by_key = dict(zip(keys, texts, strict=True))
            vecs = self.inner.encode([by_key[k] for k in todo], kind)
            for k, v in zip(todo, vecs, strict=True):
                self._cache[k] = v
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])


def default_encoders() -> dict[str, TextEncoder]:
    """What the bot answers with: MiniLM for English, multilingual E5 for Chinese."""
    return {"en": pick_encoder("en"), "zh": pick_encoder("zh")}


def entry_item(row: KBEntry) -> KBItem:
    course = course_id_of(row.source, row.source_ref)
    return KBItem(
        id=str(row.id),
        title=row.title,
        body=row.body or "",
        answer=row.answer or "",
        lang=row.lang or "",
        url=row.url or "",
        source=row.source,
        tags=tuple(row.tags or ()),
        family=f"course:{course}" if course is not None else "",
        passage=passage_of(row.source, row.source_ref),
    )


class QAState:
    """The process's knowledge index plus what it has seen of ``kb_entry``."""

    def __init__(self, encoders: Mapping[str, TextEncoder] | TextEncoder) -> None:
        if isinstance(encoders, Mapping):
            wrapped: dict[str, TextEncoder] = {}
            by_name: dict[str, TextEncoder] = {}
            for lang, enc in encoders.items():
                wrapped[lang] = by_name.setdefault(enc.name, _PassageCache(enc))
        else:
            one = _PassageCache(encoders)
            wrapped = {"en": one, "zh": one}
        self.encoders = wrapped
        self.index = KnowledgeIndex(wrapped)
        self._speller = Speller(())
        self._seen: dict[int, datetime] = {}
        self._watermark: datetime | None = None
        self._max_id = 0
        self.lock = asyncio.Lock()

    def mended(self, text: str) -> str:
        """`text` with its typos mended against the knowledge base's words (`spelling`)."""
        return self._speller.fix(text)

    def _learn(self, items: Sequence[KBItem]) -> None:
        """The words of entries coming into the index (a removed entry's stay: harmless)."""
        self._speller.learn(t for it in items for t in (it.title, it.body, it.answer))

    async def sync(self, session: AsyncSession) -> None:
        """Apply rows changed since the last sync (by anyone, in any process).

        Cheap when nothing changed: only ``(id, updated_at)`` pairs are read, for rows
        newer than the watermark minus :data:`SYNC_SLACK` (a transaction that committed
        late with an older stamp is still seen) or with an id never seen; full rows are
        loaded only for pairs that differ from what the index holds."""
        async with self.lock:
            stmt = select(KBEntry.id, KBEntry.updated_at)
            if self._watermark is not None:
                stmt = stmt.where(
                    or_(
                        KBEntry.updated_at >= self._watermark - SYNC_SLACK,
                        KBEntry.id > self._max_id,
                    )
                )
            pairs = (await session.execute(stmt)).all()
            changed = [i for i, at in pairs if self._seen.get(i) != at]
            if not changed and self._watermark is not None:
                return
            rows: list[KBEntry] = []
            for start in range(0, len(changed), 1000):
                part = changed[start : start + 1000]
                rows.extend(
                    (await session.execute(select(KBEntry).where(KBEntry.id.in_(part))))
                    .scalars()
                    .all()
                )
            add: list[KBItem] = []
            for row in rows:
                self._seen[row.id] = row.updated_at
                self._max_id = max(self._max_id, row.id)
                if row.active:
                    add.append(entry_item(row))
                else:
                    self.index.remove(str(row.id))
                if self._watermark is None or row.updated_at > self._watermark:
                    self._watermark = row.updated_at
            if self._watermark is None:
                self._watermark = datetime.min.replace(tzinfo=UTC) + SYNC_SLACK
            if add:
                await asyncio.to_thread(self.index.add_many, add)
                self._learn(add)

    def apply(self, row: KBEntry) -> None:
        """Make a change visible to the next query at once."""
        self._seen[row.id] = row.updated_at
        self._max_id = max(self._max_id, row.id)
        if row.active:
            item = entry_item(row)
            self.index.add(item)
            self._learn([item])
        else:
            self.index.remove(str(row.id))


def state_for(services: Services) -> QAState:
    return services.get(STATE_KEY, lambda s: QAState(default_encoders()))


async def build_index(
    session: AsyncSession, encoders: Mapping[str, TextEncoder] | TextEncoder
) -> KnowledgeIndex:
    """A fresh index over the active KB (for the CLI)."""
    state = QAState(encoders)
    await state.sync(session)
    return state.index


async def current_threshold(
    session: AsyncSession, lang: Language, default: float = DEFAULT_THRESHOLD
) -> float:
    """The answer threshold for questions in `lang`, tuned from the 👍/👎 on answers to
    questions in that language only: each language's confidence comes from its own encoder
    and calibration (MiniLM for English, E5 for Chinese), so a 👍 on a 40% Chinese match
    says nothing about a 40% English one. Votes on built-in answers recognised from their
    short asks are left out: the search's confidence did not choose those."""
    same_language = Question.lang == "zh" if lang == "zh" else Question.lang != "zh"
    rows = (
        await session.execute(
            select(QAFeedback.confidence, QAFeedback.helpful)
            .join(Question, Question.id == QAFeedback.question_id)
            .where(same_language, QAFeedback.via.is_(None))
            .order_by(QAFeedback.id.desc())
            .limit(1000)
        )
    ).all()
    return tune_threshold([(float(c), bool(h)) for c, h in rows], default)


async def current_thresholds(session: AsyncSession) -> dict[Language, float]:
    return {lang: await current_threshold(session, lang) for lang in LANGUAGES}


# --------------------------------------------------------------------------- helpers


def excerpt(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + "…"


def _thread_chat(thread: Thread) -> Chat | None:
    if not thread.chat_id:
        return None
    return Chat(thread.platform, thread.chat_id, "forum", thread.thread_ref)


async def _thread_here(ctx: Context) -> Thread | None:
    chat = ctx.event.chat
    if not chat.thread_id:
        return None
    return (
        await ctx.session.execute(
            select(Thread)
            .where(
                Thread.platform == chat.platform,
                Thread.chat_id == chat.chat_id,
                Thread.thread_ref == chat.thread_id,
            )
            .order_by(Thread.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


# --------------------------------------------------------------------------- ask


@dataclass(frozen=True)
class Prepared:
    text: str
    truncated: bool


def prepare_question(raw: str) -> Prepared | None:
    """None when there is nothing to search for (empty, or a single word)."""
    text = " ".join(raw.split()) if len(raw) < 20_000 else " ".join(raw[:20_000].split())
    if word_count(text) < MIN_WORDS:
        return None
    if len(text) > MAX_QUESTION_CHARS:
        return Prepared(excerpt(text, MAX_QUESTION_CHARS), True)
    return Prepared(text, False)


async def _courses_on(ctx: Context, word: str) -> str | None:
    """For a one-word "question" that names a topic or a course's word: where its courses
    are (a member typing "/ask sql" may well be looking for them)."""
    from core.catalog import service as catalog
    from core.catalog import topics

    word = " ".join(word.split())[:40]
    if word.startswith("/") or (len(word) < 3 and not cjk_ratio(word)):  # "a" is in every title
        return None
    courses = await catalog.visible_courses(ctx.session)
    found = catalog.search(courses, word, await topics.load(ctx.session))
    if not found:
        return None
    return ctx.t("qa.need_detail_courses", n=len(found), query=word)


class ThreadHeld(Exception):
    """A statement, not a question, that would have opened a public thread (see `ask`)."""


async def ask(
    ctx: Context, raw: str, message_ref: str | None = None, *, hold_thread: bool = False
) -> list[AnyReply]:
    """`message_ref`: the message that asked it, when an edit of that message may follow
    (a plain question in a private chat). Small talk ("thanks!", "good morning") gets a
    short reply, not a thread. `hold_thread`: the text does not read as a question, so
    rather than post it in a public thread the member is asked first (an answer from the
    knowledge base, or a link to an open thread on it, still comes at once)."""
    if (chat := smalltalk.kind(raw)) is not None:
        # answered in the language it was written in ("你好" from an English-speaking member)
        said_in = _asked_in(ctx, raw)
        example = ""
        if chat == "greeting":  # with a question from this community's knowledge base
            zh = detect_language(raw) == "zh"
            example = await _example_question(ctx, raw if zh else "")
        text = said_in.t(f"qa.smalltalk_{chat}", name=ctx.member.display_name, example=example)
        return [Reply(text)]
    prepared = prepare_question(raw)
    if prepared is None:
        more = ctx.t("qa.need_detail", example=await _example_question(ctx, raw))
        if (courses := await _courses_on(ctx, raw)) is not None:  # "/ask sql": a topic
            more += "\n" + courses
        return [Reply(more)]
    text = prepared.text
    replies: list[AnyReply] = []
    if prepared.truncated:
        replies.append(Reply(ctx.t("qa.truncated", limit=MAX_QUESTION_CHARS)))
    # a Chinese question is answered in Chinese, whatever the member's language ("Python入门
    # 课都讲些什么" from a member on English got the course's card in English)
    asked_in = _asked_in(ctx, text)
    for look in help_answers.LOOKUPS:  # "when is the next office hours?": the event says
        if (known := await look(asked_in, text)) is not None:
            return replies + known
    lang = detect_language(text)
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    now = ctx.clock.now()
    question = Question(
        member_id=ctx.member.id,
        text=text,
        lang=lang,
        tags=[],
        status="open",
        created_at=now,
        message_ref=message_ref,
    )
    ctx.session.add(question)
    await ctx.session.flush()
    asked = points_action(ctx.member.id, "question_asked", now, question.id)
    ctx.session.add(asked)
    try:
        found, own = await _search_and_reply(ctx, state, question, hold_thread=hold_thread)
    except ThreadHeld:
        found, own = await _confirm_post(ctx, text, message_ref), True
    if own:  # asking one's own open question again is not a new question (nor new points)
        for row in (asked, question):
            if row in ctx.session.new:
                ctx.session.expunge(row)
            else:
                await ctx.session.delete(row)
    return replies + found


async def _confirm_post(ctx: Context, text: str, message_ref: str | None) -> list[AnyReply]:
    from core.admin.confirm import ask as confirm

    preview = ctx.t("qa.post_first", question=excerpt(text, 300))
    return await confirm(ctx, "qa_post", {"text": text, "message_ref": message_ref}, preview)


async def _searched(
    ctx: Context, state: QAState, question: Question
) -> tuple[list[SearchResult], float]:
    """The entries closest to the question (without those the member marked 👎) and the
    confidence an answer needs in its language."""
    lang = as_language(question.lang)
    threshold = await current_threshold(ctx.session, lang)
    return await _not_disliked(ctx, await related(ctx, state, question.text, lang)), threshold


def _asked_in(ctx: Context, text: str) -> Context:
    """`ctx` answering in Chinese when the text is, whatever the member's language."""
    if ctx.locale == "zh-CN" or detect_language(text) != "zh":
        return ctx
    return replace(ctx, reply_locale="zh-CN")


async def _search_and_reply(
    ctx: Context, state: QAState, question: Question, *, hold_thread: bool = False
) -> tuple[list[AnyReply], bool]:
    """Answer `question` from the knowledge base, else link it to an open thread on the same
    question or open one; also says whether that thread is the asker's own."""
    results, threshold = await _searched(ctx, state, question)
    lang = as_language(question.lang)
    if results and can_answer(results[0], threshold):
        named = await _named_instead(ctx, question, results[0])
        if named is not None:
            return await _answer(ctx, question, entry=named, asks_cosine=BY_WORDS), False
        return await _answer(ctx, question, results[0]), False
    if (built_in := await _built_in(ctx, state, question)) is not None:
        return built_in, False
    unanswered, own = await _link_or_escalate(
        ctx, state, question, results, threshold, hold_thread=hold_thread
    )
    if own:
        return unanswered, True

    # Votes on what is offered below the threshold are the only evidence of how good such
    # matches are: they let feedback lower the threshold, not just raise it.
    def vote(r: SearchResult) -> list[ButtonSpec]:
        return _feedback_row(ctx, question.id, int(r.id), r.confidence)

    return unanswered + pointer(ctx.t, results, threshold, lang, vote), False


EDIT_WINDOW = timedelta(hours=1)
"""How long after asking an edit of the question still asks it again."""


async def question_edited(ctx: Context, text: str, message_ref: str) -> list[AnyReply]:
    """The asker edited a question the knowledge base answered (a typo fixed, a detail
    added): the search runs again on the new text. A question already with the community
    keeps its thread; its discussion is about what was asked."""
    if not message_ref:
        return []
    question = (
        await ctx.session.execute(
            select(Question).where(
                Question.member_id == ctx.member.id, Question.message_ref == message_ref
            )
        )
    ).scalar_one_or_none()
    if (
        question is None
        or question.status != "answered"
        or ctx.clock.now() - question.created_at > EDIT_WINDOW
    ):
        return []
    prepared = prepare_question(text)
    if prepared is None or " ".join(prepared.text.split()) == " ".join(question.text.split()):
        return []
    question.text = prepared.text
    question.lang = detect_language(prepared.text)
    question.status = "open"
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    found, own = await _search_and_reply(ctx, state, question)
    if own:  # now the same as another open question of theirs: that thread has it
        question.status = "linked"
    return [Reply(ctx.t("qa.edited_again")), *found]


MAY_HELP: dict[str, float] = {"en": 0.2, "zh": 0.0}
"""Confidence from which the closest on-topic entry is offered as "may help" while the
community answers, per question language. On the course-material check (bench/qa_course.py)
35 of the 37 English lessons and answers offered from 0.2 were the right one (the other 2 near
misses). E5's confidence, fitted on English, stays low for right Chinese matches (0.03-0.45
there), while its topic floor separates: offering every on-topic Chinese match gives 9 right
of 10 (the other a near miss), on only 32 written questions."""
MAY_HELP_EXCERPT = 300


def pointer(
    t: Callable[..., str],
    results: Sequence[SearchResult],
    threshold: float,
    lang: str = "en",
    vote: Callable[[SearchResult], list[ButtonSpec]] | None = None,
) -> list[Reply]:
    """Something to read while the community answers: the course whose overview matched
    with an answer's confidence (it teaches the topic), or the closest lesson or answer when
    it is nearly confident enough to be given, with ``vote``'s buttons when given. Course
    material is pointed to, not quoted: the member's plan may not include it, and its page
    says so."""
    if not results:
        return []
    top = results[0]
    if top.item.source == "course":
        if not offers_course(top, threshold):
            return []
        buttons = [[ButtonSpec(t("qa.btn_course"), url=top.item.url)]] if top.item.url else []
        return [Reply(t("qa.course_pointer", title=top.item.title), buttons)]
    if top.confidence < MAY_HELP.get(lang, MAY_HELP["en"]) or not top.hit.on_topic:
        return []
    buttons = [vote(top)] if vote is not None and top.id.isdecimal() else []
    if top.item.url:
        buttons.append([ButtonSpec(t("qa.btn_source"), url=top.item.url)])
    if top.item.family:
        return [Reply(t("qa.may_help_lesson", title=top.item.title), buttons)]
    answer = excerpt(top.item.answer or top.item.body, MAY_HELP_EXCERPT)
    return [Reply(t("qa.may_help", title=top.item.title, answer=answer), buttons)]


EXAMPLE_MAX_CHARS = 80


async def _example_question(ctx: Context, raw: str) -> str:
    """An example for the "ask a full question" reply from this community's own knowledge
    base, so it fits what members here ask: the closest question to the word given, else
    the shortest one, in the member's language; a generic one when the base holds none."""
    word = " ".join(raw.split())[:200]
    lang: Language = (
        detect_language(word) if word else ("zh" if ctx.locale.startswith("zh") else "en")
    )
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    near = [r.item for r in await related(ctx, state, word, lang)] if word else []
    shortest = sorted(state.index.items(), key=lambda i: (len(i.title), i.id))
    for item in (*near, *shortest):
        title = item.title.strip()
        if (
            title.endswith(("?", "？"))
            and len(title) <= EXAMPLE_MAX_CHARS
            and word_count(title) >= MIN_WORDS
            and item.language() == lang
        ):
            return title
    return ctx.t("qa.example_question")


async def _link_or_escalate(
    ctx: Context,
    state: QAState,
    question: Question,
    results: Sequence[SearchResult],
    threshold: float,
    *,
    hold_thread: bool = False,
) -> tuple[list[AnyReply], bool]:
    """No good answer: link to an open thread on the same question, else open one. Also
    says whether that thread is the asker's own (asked again, not by another member)."""
    dup = await find_open_duplicate(
        ctx, state, question.text, question.lang, threshold, question.id, results
    )
    if dup is None:
        if hold_thread:
            raise ThreadHeld()
        return await escalate(ctx, question, results), False
    question.status = "linked"
    thread, other = dup
    if other.member_id == ctx.member.id:
        return _own_thread(ctx, other, thread), True
    question.duplicate_of = other.id
    return _link(ctx, question, thread, other), False


async def related(ctx: Context, state: QAState, text: str, lang: Language) -> list[SearchResult]:
    """The active entries closest to a question: the answer candidates, and what routing
    and topic tags are drawn from when it goes to the community."""
    results = await asyncio.to_thread(
        state.index.search, state.mended(text), SIMILAR_FOR_ROUTING, lang=lang
    )
    return await _active_only(ctx.session, results)


def _thread_button(locale: str, thread: Thread) -> list[list[ButtonSpec]]:
    """One tap to the thread, when it has a link."""
    return [[ButtonSpec(translate(locale, "qa.btn_thread"), url=thread.url)]] if thread.url else []


def _link(ctx: Context, question: Question, thread: Thread, other: Question) -> list[AnyReply]:
    """Tell the asker which open thread asks the same, and tell the thread. The asker may
    say it is not the same question (`not_same`): the match is a guess."""
    buttons = _thread_button(ctx.locale, thread)
    buttons.append([ButtonSpec(ctx.t("qa.btn_not_same"), data=ctx.sign("qans", question.id))])
    linked: list[AnyReply] = [
        Reply(
            ctx.t("qa.duplicate_thread", question=excerpt(other.text, 200), id=other.id),
            buttons,
        )
    ]
    where = _thread_chat(thread)
    if where is not None:
        linked.append(Reply(ctx.t("qa.duplicate_posted", question=question.text), to=where))
    return linked


async def not_same(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    """The asker says the thread their question was linked to asks something else: the link
    is undone and their question gets its own thread, with experts invited, as if no open
    thread had matched."""
    question_id = parse_id(parts[0]) if parts else None
    question = await ctx.session.get(Question, question_id) if question_id else None
    if question is None or question.member_id != ctx.member.id:
        raise DomainError("errors.button_expired")
    if question.status != "linked" or question.duplicate_of is None:
        return [Reply(ctx.t("qa.not_same_already", id=question.id))]
    other = question.duplicate_of
    question.duplicate_of = None
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    results = await _not_disliked(
        ctx, await related(ctx, state, question.text, as_language(question.lang))
    )
    # Close enough to be taken for the same question, so on the same topic: the thread it
    # was linked to lends its topics (and with them the experts) when no entry does.
    near = await ctx.session.get(Question, other)
    _, opened = await escalate(ctx, question, results, near.tags or () if near else ())
    log.info("question %s unlinked from %s by its asker %s", question.id, other, ctx.member.id)
    out: list[AnyReply] = [Reply(ctx.t("qa.not_same", other=other)), opened]
    # the thread was told "another member asks the same": it hears that was not so
    thread = await latest_thread(ctx.session, other)
    if thread is not None and (where := _thread_chat(thread)) is not None:
        out.append(Reply(ctx.t("qa.duplicate_unlinked", question=question.text), to=where))
    return out


async def _not_disliked(ctx: Context, results: list[SearchResult]) -> list[SearchResult]:
    """Without the entries this member marked 👎 (since the entry's last edit): asking again,
    or rewording, must not bring back the answer they said did not help; their thread, if
    one opened, is linked instead."""
    disliked = await _disliked(ctx, [int(r.id) for r in results if r.id.isdecimal()])
    return [r for r in results if not (r.id.isdecimal() and int(r.id) in disliked)]


async def _disliked(ctx: Context, ids: Sequence[int]) -> set[int]:
    """Which of these entries the member marked 👎 since the entry's last edit."""
    if not ids:
        return set()
    rows = (
        (
            await ctx.session.execute(
                select(QAFeedback.kb_entry_id)
                .join(KBEntry, KBEntry.id == QAFeedback.kb_entry_id)
                .where(
                    QAFeedback.member_id == ctx.member.id,
                    QAFeedback.helpful.is_(False),
                    QAFeedback.kb_entry_id.in_(ids),
                    QAFeedback.created_at >= KBEntry.updated_at,  # not since a moderator's edit
                )
            )
        )
        .scalars()
        .all()
    )
    return {i for i in rows if i is not None}


async def _active_only(session: AsyncSession, results: list[SearchResult]) -> list[SearchResult]:
    """Drop hits whose row was deactivated or deleted in the meantime (other process)."""
    if not results:
        return results
    ids = [int(r.id) for r in results if r.id.isdecimal()]
    active = set(
        (
            await session.execute(
                select(KBEntry.id).where(KBEntry.id.in_(ids), KBEntry.active.is_(True))
            )
        )
        .scalars()
        .all()
    )
    return [r for r in results if r.id.isdecimal() and int(r.id) in active]


async def _built_in(ctx: Context, state: QAState, question: Question) -> list[AnyReply] | None:
    """A short question about using the bot ("how do I pay?", "改昵称") that the search
    matched too loosely to answer, recognised from the built-in answers' short asks: that
    answer, as the community's knowledge base holds it now (a moderator may have edited
    it; one removed, or one this member marked 👎, is not given)."""
    found = await _recognised(ctx, state, question)
    if found is None:
        return None
    intent, entry = found
    if entry.id in await _disliked(ctx, [entry.id]):
        return None
    log.info(
        "qa.built_in_answer",
        extra={"member_id": ctx.member.id, "key": intent.key, "cosine": round(intent.cosine, 3)},
    )
    return await _answer(ctx, question, entry=entry, asks_cosine=intent.cosine)


async def where_it_is_discussed(ctx: Context, question: Question) -> list[AnyReply] | None:
    """The asker's own open question, pointed to: the thread it is discussed in (that of
    the question it was linked to, for a duplicate). None when it has none."""
    thread = await latest_thread(ctx.session, question.duplicate_of or question.id)
    if thread is None or question.status not in ("open", "linked"):
        return None
    return _own_thread(ctx, question, thread)


def _own_thread(ctx: Context, question: Question, thread: Thread) -> list[AnyReply]:
    """ "You already asked this": the asker's own open question, with a tap to its thread."""
    text = ctx.t("qa.own_duplicate", question=excerpt(question.text, 200), id=question.id)
    return [Reply(text, _thread_button(ctx.locale, thread))]


async def answer_given(ctx: Context, question: Question) -> tuple[int, float, str | None] | None:
    """The entry a question was answered with, as the search gives it again now: (its id,
    the confidence, "asks" for a built-in answer recognised from its asks, else None). None
    when the search would not answer it any more (the entry was edited or removed)."""
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    results, threshold = await _searched(ctx, state, question)
    if results and can_answer(results[0], threshold):
        if (named := await _named_instead(ctx, question, results[0])) is not None:
            return named.id, BY_WORDS, "asks"
        return int(results[0].id), results[0].confidence, None
    found = await _recognised(ctx, state, question)
    return (found[1].id, found[0].cosine, "asks") if found is not None else None


async def _recognised(
    ctx: Context, state: QAState, question: Question
) -> tuple[help_intents.Intent, KBEntry] | None:
    """The built-in answer the question's words ask for (by the asks), as the community's
    knowledge base holds it now; None for none, or one a moderator removed."""
    lang = as_language(question.lang)
    intent = await asyncio.to_thread(
        help_intents.match, state.mended(question.text), lang, state.encoders
    )
    if intent is None:
        return None
    entry = await _built_in_entry(ctx, intent.key, lang)
    return (intent, entry) if entry is not None else None


async def _built_in_entry(ctx: Context, key: str, lang: Language) -> KBEntry | None:
    """The community's copy of a built-in answer; None when a moderator removed it."""
    return (
        await ctx.session.execute(
            select(KBEntry)
            .where(
                KBEntry.source_ref == f"{help_answers.PREFIX}{key}:{lang}",
                KBEntry.active.is_(True),
            )
            .order_by(KBEntry.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def _named_instead(ctx: Context, question: Question, top: SearchResult) -> KBEntry | None:
    """The built-in answer a question names in words (`help_words`) when the search was
    confident of another built-in one: "my trial ends on friday, if i don't cancel will it
    charge me automatically?" got the answer on when a membership ends. A community's own
    entry is never overruled."""
    key = help_intents.named_in_words(question.text)
    if key is None:
        return None
    top_entry = await ctx.session.get(KBEntry, int(top.id))
    if top_entry is None or help_answers.live_key(top_entry.source_ref) in (None, key):
        return None
    entry = await _built_in_entry(ctx, key, as_language(question.lang))
    if entry is None or entry.id in await _disliked(ctx, [entry.id]):
        return None
    return entry


async def _answer(
    ctx: Context,
    question: Question,
    hit: SearchResult | None = None,
    *,
    entry: KBEntry | None = None,
    asks_cosine: float = 0.0,
) -> list[AnyReply]:
    """The answer `hit` found, or a built-in `entry` recognised from its asks (no
    confidence to show; its votes keep the asks' cosine and do not tune the threshold)."""
    if entry is None:
        assert hit is not None
        entry = await ctx.session.get(KBEntry, int(hit.id))
    assert entry is not None
    question.status = "answered"
    question.tags = list(entry.tags or [])
    gated = await _plan_gate(ctx, entry)
    if gated is not None:
        return [gated]
    answer = excerpt(entry.answer or entry.body, ANSWER_EXCERPT)
    author_id = await _answer_author(ctx.session, entry.id)
    author = await ctx.session.get(Member, author_id) if author_id is not None else None
    if author is not None and author.forgotten_at is None:  # a member's answer: say whose
        ref = entry.source_ref.removeprefix("question:")
        answer += "\n" + ctx.t("qa.answer_credit", name=author.display_name, id=ref)
    if hit is not None:
        text = ctx.t(
            "qa.answer", title=entry.title, answer=answer, confidence=round(hit.confidence * 100)
        )
        buttons = [_feedback_row(ctx, question.id, entry.id, hit.confidence)]
    else:
        text = ctx.t("qa.answer_built_in", title=entry.title, answer=answer)
        buttons = [_feedback_row(ctx, question.id, entry.id, asks_cosine, prefix="qafa")]
    if entry.url:
        buttons.append([ButtonSpec(ctx.t("qa.btn_source"), url=entry.url)])
    key = help_answers.live_key(entry.source_ref) if entry.source == "faq" else None
    return [Reply(text, buttons), *(await _as_things_stand(ctx, key) if key else [])]


async def _as_things_stand(ctx: Context, key: str) -> list[AnyReply]:
    """Under a bundled answer, what it is about as it is now: the next events, or in a
    private chat what the command it names shows this member."""
    if (view := help_answers.LIVE.get(key)) is not None:
        return await view(ctx)
    command = help_answers.SHOWS.get(key)
    if command is None or command not in COMMANDS or ctx.event.chat.kind != "private":
        return []
    return await run_command(ctx, command, "")


def _feedback_row(
    ctx: Context, question_id: int, entry_id: int, confidence: float, prefix: str = "qafb"
) -> list[ButtonSpec]:
    """👍/👎 on an entry shown for a question; the vote keeps the confidence it was shown
    with, which is what tunes the answer threshold (:func:`current_threshold`). "qafa": a
    built-in answer recognised from its asks, whose votes do not tune it."""
    permille = round(confidence * 1000)
    return [
        ButtonSpec(ctx.t("qa.btn_helpful"), ctx.sign(prefix, question_id, entry_id, 1, permille)),
        ButtonSpec(
            ctx.t("qa.btn_not_helpful"), ctx.sign(prefix, question_id, entry_id, 0, permille)
        ),
    ]


async def _plan_gate(ctx: Context, entry: KBEntry) -> Reply | None:
    """Course material from a plan the member does not hold: title, link and which plans
    include it, never the passage itself. None when the member may read it."""
    course_id = course_id_of(entry.source, entry.source_ref)
    if course_id is None:
        return None
    course = await ctx.session.get(Course, course_id)
    if course is None or not course.plan_codes:
        return None
    scoring = Scoring.of(ctx.settings)
    if await can_access(ctx.session, ctx.member.id, course, ctx.clock.now(), scoring):
        return None
    plans = await plan_titles(ctx.session, list(course.plan_codes), ctx.locale)
    buttons = [[ButtonSpec(ctx.t("qa.btn_source"), url=entry.url)]] if entry.url else []
    return Reply(ctx.t("qa.answer_gated", title=entry.title, plans=", ".join(plans)), buttons)


DUPLICATE_CONTEXT = 10
"""Knowledge-base entries closest to the question that open threads compete with."""


async def find_open_duplicate(
    ctx: Context,
    state: QAState,
    text: str,
    lang: str,
    threshold: float,
    exclude_question: int,
    context: Sequence[SearchResult] = (),
) -> tuple[Thread, Question] | None:
    """The open thread asking the same, if one wins clearly.

    Open questions are searched together with the question's closest knowledge-base entries
    (the answers it was *not* confident about): the confidence model reads a hit's lead over
    its rivals, and among a handful of open questions alone any of them leads, so an
    unrelated thread could swallow the question. A thread counts only when it beats those
    entries with the same confidence an answer needs, and is close enough in meaning to be
    the same question (sharing a course's name is not)."""
    rows = (
        await ctx.session.execute(
            select(Thread, Question)
            .join(Question, Question.id == Thread.question_id)
            .where(Thread.status == "open", Question.id != exclude_question)
            .order_by(Thread.id.desc())
            .limit(OPEN_THREADS_SCANNED)
        )
    ).all()
    if not rows:
        return None
    temp = KnowledgeIndex(state.encoders)
    by_id = {str(t.id): (t, q) for t, q in rows}
    entries = [KBItem(id=str(t.id), title=q.text, lang=q.lang) for t, q in rows]
    entries += [replace(r.item, id=f"kb:{r.id}") for r in context[:DUPLICATE_CONTEXT]]
    await asyncio.to_thread(temp.add_many, entries)
    hits = temp.search(text, 1, lang=lang)  # type: ignore[arg-type]
    if (
        hits
        and hits[0].id in by_id
        and hits[0].confidence >= threshold
        and hits[0].hit.same_question
    ):
        return by_id[hits[0].id]
    return None


async def escalate(
    ctx: Context,
    question: Question,
    results: Sequence[SearchResult],
    near_tags: Sequence[str] = (),
) -> list[AnyReply]:
    """Not confident: say so and open a thread, tagged by topic, with experts invited.
    ``near_tags``: the topics of an open question this one came close to, for when no
    entry of the knowledge base is on its topic."""
    question.status = "open"
    question.tags = topic_tags(results, question.text) or list(near_tags)
    return [Reply(ctx.t("qa.not_sure")), await new_thread(ctx, question, results)]


async def new_thread(
    ctx: Context, question: Question, results: Sequence[SearchResult]
) -> OpenThread:
    """A thread row for the question on this platform, with its experts invited, and the
    request for the adapter to open it (which reports back ThreadOpened or ThreadFailed)."""
    now = ctx.clock.now()
    thread = Thread(
        question_id=question.id,
        platform=ctx.event.chat.platform,
        chat_id="",
        status="open",
        created_at=now,
    )
    ctx.session.add(thread)
    await ctx.session.flush()
    invited = await route_experts(ctx.session, ctx.services, now, question, results)
    for member_id, score in invited:
        ctx.session.add(
            QAThreadExpert(thread_id=thread.id, member_id=member_id, score=score, invited_at=now)
        )
    return OpenThread(
        question_id=question.id,
        title=excerpt(question.text, 90),
        text=question.text,
        tags=list(question.tags) or ["question"],
        mention_member_ids=[m for m, _ in invited],
    )


# --------------------------------------------------------------------------- experts


async def route_experts(
    session: AsyncSession,
    services: Services,
    now: datetime,
    question: Question,
    results: Sequence[SearchResult],
    *,
    n: int | None = None,
    exclude: Sequence[int] = (),
) -> list[tuple[int, float]]:
    """Up to ``n`` (the setting) members to invite, best first, never the asker nor
    ``exclude`` (those already invited). When no member shows a sign of knowing the answer
    (or all who do are away or busy), one moderator is invited instead: such questions are
    often about the community itself (plans, progress, the bot) or off topic, and either way
    someone should see them before the stale sweep does, days later."""
    n = n if n is not None else int(_setting(services, "qa_experts_per_thread", EXPERTS_PER_THREAD))
    cap = int(_setting(services, "qa_expert_load_cap", EXPERT_LOAD_CAP))
    ranked = await _route_members(session, now, question, results, n, cap, exclude)
    if ranked or n <= 0:
        return ranked
    return await _triage_moderator(session, services, now, question, cap, exclude)


async def _route_members(
    session: AsyncSession,
    now: datetime,
    question: Question,
    results: Sequence[SearchResult],
    n: int,
    cap: int,
    exclude: Sequence[int],
) -> list[tuple[int, float]]:
    if not question.tags:
        # Nothing the community holds is on the question's topic (:func:`topic_tags`):
        # whoever answered whatever happened to be nearest (in practice the most active
        # members) has shown no sign of knowing it, so no member is pinged.
        return []
    hits = [(r.id, max(0.0, r.hit.cosine)) for r in results]
    contributions = await _contributions(session, [r for r in results if r.id.isdecimal()])
    rel = ex.relevance_by_member(hits, contributions)
    rel.pop(question.member_id or -1, None)
    if not rel:
        return []
    ids = list(rel)
    members = {
        m.id: m for m in (await session.execute(select(Member).where(Member.id.in_(ids)))).scalars()
    }
    answers = (
        await session.execute(
            select(
                Answer.member_id,
                Answer.accepted,
                Answer.created_at,
                Question.created_at,
                Question.tags,
                Question.member_id,
                Question.lang,
            )
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.member_id.in_(ids))
        )
    ).all()
    history: dict[int, list[ex.PastAnswer]] = defaultdict(list)
    answered_in: dict[int, set[str]] = defaultdict(set)  # the languages they have answered in
    for mid, accepted, at, asked_at, tags, asker, lang in answers:
        if mid is None:
            continue
        answered_in[mid].add(lang or "")
        history[mid].append(
            ex.PastAnswer(
                at=at,
                accepted=bool(accepted),
                delay_hours=(at - asked_at).total_seconds() / 3600.0,
                question_tags=tuple(tags or ()),
                question_asker=asker,
            )
        )
    load = await _open_invitations(session, ids)
    candidates = []
    for mid, relevance in rel.items():
        m = members.get(mid)
        if m is None:
            continue
        candidates.append(
            ex.candidate_from_history(
                mid,
                relevance,
                history[mid],
                now=now,
                question_tags=question.tags or (),
                asker=question.member_id,
                open_threads=int(load.get(mid, 0)),
                opted_out=bool(m.expert_opt_out) or m.role == "banned",
                in_quiet_hours=quiet_now(now, m.timezone, m.quiet_start, m.quiet_end),
                other_language=not reads_language(m.locale, question.lang, answered_in[mid]),
            )
        )
    return ex.rank_experts(
        candidates, n, load_cap=cap, exclude=[question.member_id or -1, *exclude]
    )


def unanswered() -> ColumnElement[bool]:
    """No answer yet on `Question` from anyone but its asker (their own follow-ups are not
    answers): an invitation still waits, a question still sits in the moderators' queue."""
    return ~exists().where(
        Answer.question_id == Question.id,
        Answer.member_id.is_distinct_from(Question.member_id),
    )


async def _open_invitations(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """How many open threads each member is invited to and nobody has answered yet (the
    per-expert load cap counts these)."""
    rows = await session.execute(
        select(QAThreadExpert.member_id, func.count())
        .join(Thread, Thread.id == QAThreadExpert.thread_id)
        .join(Question, Question.id == Thread.question_id)
        .where(
            QAThreadExpert.member_id.in_(ids),
            QAThreadExpert.status == "invited",
            Thread.status == "open",
            unanswered(),  # once someone has answered, the invitation no longer waits on them
        )
        .group_by(QAThreadExpert.member_id)
    )
    return {int(mid): int(n) for mid, n in rows.all()}


async def _triage_moderator(
    session: AsyncSession,
    services: Services,
    now: datetime,
    question: Question,
    cap: int,
    exclude: Sequence[int],
) -> list[tuple[int, float]]:
    """One moderator for a question on no topic of the community: not the asker, not opted
    out of invitations nor in quiet hours, under the load cap; one who reads the question's
    language first, then the least loaded."""
    skip = {question.member_id or -1, *exclude}
    staff = await moderators(session, services)
    load = await _open_invitations(session, [m.id for m in staff])
    ready = [
        m
        for m in staff
        if ex.can_invite(
            m.id,
            opted_out=bool(m.expert_opt_out),
            in_quiet_hours=quiet_now(now, m.timezone, m.quiet_start, m.quiet_end),
            open_threads=load.get(m.id, 0),
            load_cap=cap,
            skip=skip,
        )
    ]
    ready.sort(
        key=lambda m: (
            not reads_language(m.locale, question.lang),
            load.get(m.id, 0),
            m.id,
        )
    )
    return [(m.id, 0.0) for m in ready[:1]]


async def _contributions(
    session: AsyncSession, results: Sequence[SearchResult]
) -> dict[str, list[ex.Contribution]]:
    """Who answered (accepted or not) the threads behind these KB entries, or finished
    the lessons they come from."""
    out: dict[str, list[ex.Contribution]] = defaultdict(list)
    by_question: dict[int, str] = {}
    by_lesson: dict[int, str] = {}
    ids = [int(r.id) for r in results if r.id.isdecimal()]
    entries = {
        e.id: e
        for e in (await session.execute(select(KBEntry).where(KBEntry.id.in_(ids)))).scalars()
    }
    for r in results:
        entry = entries.get(int(r.id)) if r.id.isdecimal() else None
        if entry is None:
            continue
        lesson = lesson_id_of(entry.source, entry.source_ref)
        if lesson is not None:  # a catalogue lesson's passage: who finished the lesson
            by_lesson[lesson] = r.id
            continue
        kind, _, num = entry.source_ref.rpartition(":")
        if not (num.isascii() and num.isdecimal()) or len(num) > 9:
            continue
        if entry.source == "thread" and kind in ("", "question"):
            by_question[int(num)] = r.id
        elif entry.source == "lesson" or kind == "lesson":
            by_lesson[int(num)] = r.id
    if by_question:
        rows = (
            await session.execute(
                select(Answer.question_id, Answer.member_id, Answer.accepted).where(
                    Answer.question_id.in_(list(by_question)), Answer.member_id.is_not(None)
                )
            )
        ).all()
        for qid, mid, accepted in rows:
            if mid is None:
                continue
            out[by_question[qid]].append(
                ex.Contribution(mid, "accepted" if accepted else "answered")
            )
    if by_lesson:
        done = (
            await session.execute(
                select(Interaction.lesson_id, Interaction.member_id).where(
                    Interaction.lesson_id.in_(list(by_lesson)),
                    Interaction.kind == "lesson_complete",
                )
            )
        ).all()
        for lid, member in done:
            if lid is None:
                continue
            out[by_lesson[lid]].append(ex.Contribution(member, "finished"))
    return out


# --------------------------------------------------------------------------- lifecycle


async def latest_thread(session: AsyncSession, question_id: int) -> Thread | None:
    """The question's thread (the newest, should it have had more than one)."""
    return (
        await session.execute(
            select(Thread)
            .where(Thread.question_id == question_id)
            .order_by(Thread.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def _retried(session: AsyncSession, thread: Thread) -> bool:
    """Whether the thread is a moderator's retry (``/kb retry``) of one that failed."""
    earlier = await session.execute(
        select(Thread.id)
        .where(
            Thread.question_id == thread.question_id,
            Thread.id < thread.id,
            Thread.status == "failed",
        )
        .limit(1)
    )
    return earlier.first() is not None


async def thread_opened(
    ctx: Context, question_id: int, chat: Chat, thread_ref: str, url: str = ""
) -> list[AnyReply]:
    thread = await latest_thread(ctx.session, question_id)
    if thread is None:
        return []
    thread.platform = chat.platform
    thread.chat_id = chat.chat_id
    thread.thread_ref = chat.thread_id or thread_ref
    if url.startswith("https://"):
        thread.url = url[:500]
    question = await ctx.session.get(Question, question_id)
    if question is None or question.member_id is None or not await _retried(ctx.session, thread):
        return []  # a first thread: the asker was told when they asked
    asker = await ctx.session.get(Member, question.member_id)
    if asker is None:
        return []
    return [_thread_dm(asker, "qa.retry_opened", "", thread, question)]


async def thread_failed(ctx: Context, question_id: int, reason: str) -> list[AnyReply]:
    """The adapter could not open the thread :func:`escalate` asked for, after the asker was
    told one was opening. They hear what happens instead, and the question goes to the
    moderators at once (they answer with ``/solved ID ANSWER``, which reaches the asker)
    rather than waiting, unseen, for a stale-thread sweep that could only bump nowhere."""
    thread = await latest_thread(ctx.session, question_id)
    question = await ctx.session.get(Question, question_id)
    if thread is None or question is None or thread.status != "open" or thread.chat_id:
        return []  # opened after all, solved meanwhile, or this report came twice
    thread.status = "failed"
    why = reason if reason in THREAD_FAILURES else "error"
    log.warning("question %s: no thread could be opened (%s)", question_id, why)
    if await _retried(ctx.session, thread):  # the moderator who retried hears it; nobody else
        return [
            Reply(ctx.t("qa.retry_failed", id=question.id, why=ctx.t(f"qa.thread_failed_{why}")))
        ]
    asker = await ctx.session.get(Member, question.member_id) if question.member_id else None
    staff = [m for m in await moderators(ctx.session, ctx.services) if m.id != question.member_id]
    name = asker.display_name if asker is not None else "?"
    out: list[AnyReply] = [
        Reply(
            translate(
                m.locale,
                "qa.thread_failed_staff",
                id=question.id,
                name=name,
                question=excerpt(question.text, 200),
                why=translate(m.locale, f"qa.thread_failed_{why}"),
            ),
            member_id=m.id,
        )
        for m in staff
    ]
    if asker is not None:
        key = "qa.thread_failed_asker" if staff else "qa.thread_failed_asker_alone"
        out.append(Reply(translate(asker.locale, key, id=question.id), member_id=asker.id))
    return out


async def record_thread_message(ctx: Context, text: str) -> list[AnyReply] | None:
    """A message inside an open Q&A thread by someone other than the asker is an answer."""
    thread = await _thread_here(ctx)
    if thread is None or thread.status != "open":
        return None
    question = await ctx.session.get(Question, thread.question_id)
    if question is None or question.member_id == ctx.member.id or smalltalk.says_nothing(text):
        return []  # the asker's follow-ups, and "thanks" / "+1" / "same here", are no answers
    now = ctx.clock.now()
    answered = (
        await ctx.session.execute(
            select(Answer.id)
            .where(Answer.question_id == question.id, Answer.member_id == ctx.member.id)
            .limit(1)
        )
    ).first()
    if answered is None:  # points for answering a question, not for each message in it
        ctx.session.add(points_action(ctx.member.id, "answer_given", now, question.id))
    ctx.session.add(
        Answer(
            question_id=question.id,
            member_id=ctx.member.id,
            text=text[:20_000],
            created_at=now,
            message_ref=(getattr(ctx.event, "message_ref", None) or None),
        )
    )
    inv = (
        await ctx.session.execute(
            select(QAThreadExpert).where(
                QAThreadExpert.thread_id == thread.id, QAThreadExpert.member_id == ctx.member.id
            )
        )
    ).scalar_one_or_none()
    if inv is not None and inv.answered_at is None:
        inv.answered_at = now
        inv.status = "answered"
    if answered is not None or question.member_id is None:
        return []
    # Someone new answered: the asker may not be watching the thread, so tell them once per
    # answerer (that answerer's later messages in it stay quiet).
    asker = await ctx.session.get(Member, question.member_id)
    if asker is None:
        return []
    return [_thread_dm(asker, "qa.answered_you", ctx.member.display_name, thread, question)]


async def record_edit(ctx: Context, text: str, message_ref: str) -> list[AnyReply]:
    """An answer edited in an open thread: the answer takes the new text, so the version
    ``/solved`` accepts (and the knowledge base keeps) is the corrected one. Edits after the
    thread is solved change nothing: the accepted answer was what the asker chose."""
    thread = await _thread_here(ctx)
    if thread is None or thread.status != "open" or not message_ref or not text.strip():
        return []
    answer = (
        await ctx.session.execute(
            select(Answer).where(
                Answer.question_id == thread.question_id,
                Answer.member_id == ctx.member.id,
                Answer.message_ref == message_ref,
            )
        )
    ).scalar_one_or_none()
    if answer is not None:
        answer.text = text[:20_000]
    return []


def _thread_dm(
    member: Member, key: str, by: str, thread: Thread, question: Question, **more: Any
) -> Reply:
    """A private message about a question's thread, in the member's language, with a button
    to the thread when it has a link."""
    text = translate(
        member.locale, key, name=by, question=excerpt(question.text, 80), id=question.id, **more
    )
    return Reply(text, _thread_button(member.locale, thread), member_id=member.id)


SOLVED_CHOICES = 5
"""How many answerers ``/solved`` offers to pick from (those who answered last)."""


async def solve(ctx: Context, args: str) -> list[AnyReply]:
    """``/solved [QUESTION_ID] [accepted answer text]`` (the id is optional in the thread).

    Without text, what each member wrote in the thread counts as one answer (people answer
    in several messages). One answerer: theirs is accepted. Several: the asker picks the one
    that worked (buttons), since the latest message is often a footnote to the real answer.
    """
    if not args.strip() and await _thread_here(ctx) is None:
        # sent alone in a private chat: the asker's one open question, when there is one
        mine = (
            select(Thread.question_id)
            .join(Question, Question.id == Thread.question_id)
            .where(Question.member_id == ctx.member.id, Thread.status == "open")
        )
        one = await _the_one(ctx, mine, "qa.solved_nothing", "qa.solved_which")
        if isinstance(one, Reply):
            return [one]
        args = str(one)
    thread, rest = await _named_thread(ctx, args, "qa.solved_usage")
    question = await _may_solve(ctx, thread)
    if rest:
        answer = Answer(
            question_id=question.id,
            member_id=ctx.member.id,
            text=rest[:20_000],
            created_at=ctx.clock.now(),
        )
        ctx.session.add(answer)
        await ctx.session.flush()
        return await _accept(ctx, thread, question, [answer])
    by_member = await _answers_by_member(ctx.session, question)
    if not by_member:
        raise DomainError("qa.solved_need_answer", id=question.id)
    if len(by_member) == 1:
        return await _accept(ctx, thread, question, next(iter(by_member.values())))
    if (replied := await _replied_member(ctx)) in by_member:
        return await _accept(ctx, thread, question, by_member[replied])
    lines, buttons = await _answer_choices(ctx.session, ctx.services, thread, by_member)
    return [Reply("\n".join([ctx.t("qa.solved_pick", id=question.id), *lines]), buttons)]


async def _answer_choices(
    session: AsyncSession, services: Services, thread: Thread, by_member: dict[int, list[Answer]]
) -> tuple[list[str], list[list[ButtonSpec]]]:
    """The latest answerers' answers, one line and one button each, to pick the one that
    solved the question (``solve_pick``)."""
    latest = sorted(by_member.items(), key=lambda kv: kv[1][-1].created_at)[-SOLVED_CHOICES:]
    names = await _names(session, [mid for mid, _ in latest])
    lines: list[str] = []
    buttons: list[list[ButtonSpec]] = []
    for i, (mid, parts) in enumerate(latest, start=1):
        who = names.get(mid, "?")
        lines.append(f"{i}. {who}: {excerpt(' '.join(a.text for a in parts), 120)}")
        buttons.append([ButtonSpec(f"{i}. {who}", services.signer.encode("qasol", thread.id, mid))])
    return lines, buttons


async def _the_one(ctx: Context, ids: Select[Any], nothing: str, which: str) -> int | Reply:
    """The question a bare /solved or /pass means: the only one `ids` (a select of question
    ids) finds; else the reply saying none is open (not how to name one) or asking which."""
    found = list((await ctx.session.execute(ids.order_by(Thread.question_id))).scalars())
    if len(found) == 1:
        return int(found[0])
    if not found:
        return Reply(ctx.t(nothing), ephemeral=True)
    listed = ", ".join(f"#{q}" for q in found[:10])
    return Reply(ctx.t(which, ids=listed, id=found[0]), ephemeral=True)


async def _named_thread(
    ctx: Context, args: str, usage_key: str, *, text_after: bool = True
) -> tuple[Thread, str]:
    """The thread a command is sent in, else the one of the question whose id leads `args`
    (then followed by nothing, unless `text_after`); and the rest of `args`."""
    rest = args.strip()
    thread = await _thread_here(ctx)
    if thread is not None:
        return thread, rest
    head, _, tail = rest.partition(" ")
    qid = parse_id(head)
    if qid is None or (tail.strip() and not text_after):
        raise BadArguments(usage_key)
    thread = await latest_thread(ctx.session, qid)
    if thread is None:
        raise NotFound("qa.thread_not_found", id=qid)
    return thread, tail.strip()


async def _replied_member(ctx: Context) -> int | None:
    """The member whose message ``/solved`` was sent as a reply to (pointing at the answer
    that worked is the natural gesture, and spares the asker the list to pick from)."""
    user_id = getattr(ctx.event, "reply_to_user", None)
    if not user_id:
        return None
    author = await by_account(ctx.session, ctx.event.chat.platform, user_id)
    return author.id if author is not None else None


async def pass_invitation(ctx: Context, args: str) -> list[AnyReply]:
    """``/pass [QUESTION_ID]``: an invited expert cannot help with this one. The invitation
    stops counting against them, and the next member most likely to answer is asked instead,
    by private message (the others were named in the thread when it opened). Sent alone
    outside a thread, it means the one open invitation, when there is one."""
    if not args.strip() and await _thread_here(ctx) is None:
        pending = (
            select(Thread.question_id)
            .join(QAThreadExpert, QAThreadExpert.thread_id == Thread.id)
            .where(
                QAThreadExpert.member_id == ctx.member.id,
                QAThreadExpert.status == "invited",
                Thread.status == "open",
            )
        )
        one = await _the_one(ctx, pending, "qa.pass_nothing", "qa.pass_which")
        if isinstance(one, Reply):
            return [one]
        args = str(one)
    thread, _ = await _named_thread(ctx, args, "qa.pass_usage", text_after=False)
    invitation = (
        await ctx.session.execute(
            select(QAThreadExpert).where(
                QAThreadExpert.thread_id == thread.id, QAThreadExpert.member_id == ctx.member.id
            )
        )
    ).scalar_one_or_none()
    if invitation is None or invitation.status != "invited" or thread.status != "open":
        return [Reply(ctx.t("qa.pass_not_invited", id=thread.question_id), ephemeral=True)]
    invitation.status = "declined"
    question = await ctx.session.get_one(Question, thread.question_id)
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    results = await related(ctx, state, question.text, as_language(question.lang))
    asked = (
        await ctx.session.execute(
            select(QAThreadExpert.member_id).where(QAThreadExpert.thread_id == thread.id)
        )
    ).scalars()
    now = ctx.clock.now()
    nxt = await route_experts(
        ctx.session, ctx.services, now, question, results, n=1, exclude=list(asked)
    )
    out: list[AnyReply] = []
    for member_id, score in nxt:
        ctx.session.add(
            QAThreadExpert(thread_id=thread.id, member_id=member_id, score=score, invited_at=now)
        )
        expert = await ctx.session.get_one(Member, member_id)
        text = translate(
            expert.locale,
            "qa.invited_instead",
            id=question.id,
            question=excerpt(question.text, 200),
        )
        out.append(Reply(text, _thread_button(expert.locale, thread), member_id=member_id))
    key = "qa.passed_replaced" if out else "qa.passed"
    return [Reply(ctx.t(key, id=question.id), ephemeral=True), *out]


async def solve_from_list(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    """``/questions``' "solved" button: what ``/solved ID`` does (the picker, or the one
    answer accepted at once)."""
    qid = parse_id(parts[0]) if parts else None
    if qid is None:
        return [Reply(ctx.t("errors.button_expired"))]
    return await solve(ctx, str(qid))


async def solve_pick(ctx: Context, parts: Sequence[str]) -> list[AnyReply]:
    """The answerer picked from ``/solved``'s list (re-checked: asker or moderator, thread
    still open, and they did answer in it)."""
    try:
        thread_id, member_id = (int(p) for p in parts[:2])
    except ValueError:
        return [Reply(ctx.t("errors.button_expired"))]
    thread = await ctx.session.get(Thread, thread_id)
    if thread is None:
        return [Reply(ctx.t("errors.button_expired"))]
    question = await _may_solve(ctx, thread)
    chosen = (await _answers_by_member(ctx.session, question)).get(member_id)
    if not chosen:
        return [Reply(ctx.t("errors.button_expired"))]
    return await _accept(ctx, thread, question, chosen)


async def _answers_by_member(session: AsyncSession, question: Question) -> dict[int, list[Answer]]:
    """Each member's messages in the thread (not the asker's), oldest first."""
    rows = (
        await session.execute(
            select(Answer)
            .where(
                Answer.question_id == question.id,
                Answer.member_id.is_not(None),
                Answer.member_id != question.member_id,
            )
            .order_by(Answer.created_at, Answer.id)
        )
    ).scalars()
    out: dict[int, list[Answer]] = {}
    for a in rows:
        assert a.member_id is not None
        out.setdefault(a.member_id, []).append(a)
    return out


async def _may_solve(ctx: Context, thread: Thread) -> Question:
    question = await ctx.session.get(Question, thread.question_id)
    assert question is not None
    if question.member_id != ctx.member.id and not ctx.is_mod():
        raise NotAllowed("qa.solved_not_allowed")
    if thread.status == "solved":
        raise DomainError("qa.already_solved")
    return question


async def _names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Member.id, Member.display_name).where(Member.id.in_(wanted))
    )
    return {mid: name for mid, name in rows}


async def _accept(
    ctx: Context, thread: Thread, question: Question, parts: Sequence[Answer]
) -> list[AnyReply]:
    """Close the thread on one member's answer (``parts``: their messages, oldest first):
    the last is marked accepted, its author credited, and the question with the whole
    answer enters the knowledge base at once."""
    now = ctx.clock.now()
    answer = parts[-1]
    answer.accepted = True
    thread.status = "solved"
    thread.accepted_answer_id = answer.id
    question.status = "solved"
    for inv in (
        await ctx.session.execute(
            select(QAThreadExpert).where(QAThreadExpert.thread_id == thread.id)
        )
    ).scalars():
        inv.status = "done"
    if answer.member_id is not None and answer.member_id != question.member_id:
        ctx.session.add(
            Interaction(
                member_id=answer.member_id,
                kind="answer_accepted",
                weight=KIND_WEIGHTS["answer_accepted"],
                at=now,
                source="chat",
                meta={"question_id": question.id},
            )
        )
    entry = KBEntry(
        source="thread",
        source_ref=f"question:{question.id}",
        title=excerpt(question.text, 300),
        body=question.text if len(question.text) > 300 else "",
        answer="\n\n".join(a.text for a in parts)[:20_000],
        lang=question.lang,
        url=thread.url or "",
        tags=list(question.tags or []),
        active=True,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(entry)
    await ctx.session.flush()
    state_for(ctx.services).apply(entry)
    out: list[AnyReply] = [Reply(ctx.t("qa.solved", id=question.id, entry=entry.id))]
    return out + await _tell_solved(ctx, thread, question, answer.member_id, entry.answer)


async def _tell_solved(
    ctx: Context, thread: Thread, question: Question, answerer_id: int | None, answer: str
) -> list[AnyReply]:
    """The thread hears it is solved (when /solved came from elsewhere), the member whose
    answer was accepted is told, and so is the asker when a moderator closed it for them,
    each unless they closed it themselves."""
    out: list[AnyReply] = []
    answerer = await ctx.session.get(Member, answerer_id) if answerer_id is not None else None
    where = _thread_chat(thread)
    if where is not None and await _thread_here(ctx) is None:
        name = answerer.display_name if answerer is not None else "?"
        out.append(Reply(ctx.t("qa.solved_in_thread", name=name), to=where))
    if where is not None:
        out.append(CloseThread(where, f"✅ {excerpt(question.text, 90)}"))
    by = ctx.member.display_name
    if answerer is not None and answerer.id not in (ctx.member.id, question.member_id):
        out.append(_thread_dm(answerer, "qa.your_answer_accepted", by, thread, question))
    asker = await ctx.session.get(Member, question.member_id) if question.member_id else None
    if asker is not None and asker.id != ctx.member.id:
        note = _thread_dm(
            asker, "qa.your_question_solved", by, thread, question, answer=excerpt(answer, 300)
        )
        out.append(note)
    return out + await _tell_linked(ctx, thread, question, answer)


async def _tell_linked(
    ctx: Context, thread: Thread, question: Question, answer: str
) -> list[AnyReply]:
    """Members whose question was linked to this one as a duplicate get the answer too (it
    is theirs as much as the asker's); their questions count as solved."""
    rows = (
        await ctx.session.execute(
            select(Question, Member)
            .join(Member, Member.id == Question.member_id)
            .where(Question.duplicate_of == question.id, Question.status == "linked")
            .order_by(Question.id)
        )
    ).all()
    out: list[AnyReply] = []
    told: set[int] = {ctx.member.id, question.member_id or -1}
    for linked, member in rows:
        linked.status = "solved"
        if member.id in told:
            continue
        told.add(member.id)
        out.append(
            _thread_dm(
                member,
                "qa.linked_solved",
                ctx.member.display_name,
                thread,
                linked,
                answer=excerpt(answer, 300),
                thread_id=question.id,
            )
        )
    return out


def points_action(member_id: int, kind: str, at: datetime, question_id: int) -> Interaction:
    """An interaction engagement scores (points with daily caps, see config [engagement])."""
    return Interaction(
        member_id=member_id,
        kind=kind,
        weight=KIND_WEIGHTS[kind],
        at=at,
        source="chat",
        meta={"question_id": question_id},
    )


async def _answer_author(session: AsyncSession, kb_id: int | None) -> int | None:
    """Who gave the accepted answer a KB entry was made from (None for curated entries)."""
    entry = await session.get(KBEntry, kb_id) if kb_id else None
    ref = entry.source_ref if entry is not None and entry.source == "thread" else ""
    qid = parse_id(ref.removeprefix("question:")) if ref.startswith("question:") else None
    if qid is None:
        return None
    return (
        await session.execute(
            select(Answer.member_id)
            .join(Thread, Thread.accepted_answer_id == Answer.id)
            .where(Thread.question_id == qid)
            .limit(1)
        )
    ).scalar_one_or_none()


async def feedback(ctx: Context, parts: Sequence[str], via: str | None = None) -> list[AnyReply]:
    try:
        qid, kb_id, helpful, permille = (int(p) for p in parts[:4])
    except ValueError:
        return [Reply(ctx.t("errors.button_expired"))]
    if not (0 < qid < 2**31 and 0 < kb_id < 2**31):
        return [Reply(ctx.t("errors.button_expired"))]
    question = await ctx.session.get(Question, qid)
    if question is None:
        return [Reply(ctx.t("errors.button_expired"))]
    existing = (
        await ctx.session.execute(
            select(QAFeedback).where(
                QAFeedback.question_id == qid, QAFeedback.member_id == ctx.member.id
            )
        )
    ).scalar_one_or_none()
    row = existing or QAFeedback(question_id=qid, member_id=ctx.member.id)
    row.kb_entry_id = kb_id if await ctx.session.get(KBEntry, kb_id) else None
    row.confidence = max(0.0, min(1.0, permille / 1000.0))
    row.helpful = bool(helpful)
    row.created_at = ctx.clock.now()
    row.via = via
    if existing is None:
        ctx.session.add(row)
    if helpful:
        if existing is None:  # a 👍 on an answer a member gave earns them points, once a voter
            author = await _answer_author(ctx.session, row.kb_entry_id)
            if author is not None and author != ctx.member.id:
                ctx.session.add(points_action(author, "answer_helpful", row.created_at, qid))
        return [Reply(ctx.t("qa.thanks_feedback"))]
    # 👎 from the asker on a question with no thread yet: ask the community instead.
    has_thread = (
        await ctx.session.execute(select(Thread.id).where(Thread.question_id == qid).limit(1))
    ).scalar_one_or_none()
    if question.member_id == ctx.member.id and has_thread is None and question.status != "linked":
        # The same search the question first got: its neighbours decide who is invited and
        # the thread's topic, as for a question the knowledge base could not answer.
        state = state_for(ctx.services)
        await state.sync(ctx.session)
        lang = detect_language(question.text)
        results = await related(ctx, state, question.text, lang)
        threshold = await current_threshold(ctx.session, lang)
        escalated, _ = await _link_or_escalate(ctx, state, question, results, threshold)
        # one message, not "Sorry…" then "I'm not sure I know the answer": it was answered
        not_sure = ctx.t("qa.not_sure")
        rest = [r for r in escalated if not (isinstance(r, Reply) and r.text == not_sure)]
        key = "qa.sorry_escalated" if len(rest) < len(escalated) else "qa.sorry_escalating"
        return [Reply(ctx.t(key)), *rest]
    return [Reply(ctx.t("qa.thanks_feedback"))]


MY_QUESTIONS = 10
"""How many of their latest questions ``/questions`` shows a member."""


async def my_questions(ctx: Context, args: str) -> list[AnyReply]:
    """``/questions``: the member's latest questions and where each stands, with a tap to
    each thread, so an answer given days later is easy to find again."""
    rows = (
        (
            await ctx.session.execute(
                select(Question)
                .where(Question.member_id == ctx.member.id)
                .order_by(Question.created_at.desc(), Question.id.desc())
                .limit(MY_QUESTIONS)
            )
        )
        .scalars()
        .all()
    )
    invited = await _invited_to(ctx)
    if not rows and not invited:
        return [Reply(ctx.t("qa.mine_none"))]
    lines = [ctx.t("qa.mine_header", n=len(rows))] if rows else [ctx.t("qa.mine_none")]
    buttons: list[list[ButtonSpec]] = []
    for q in rows:
        thread = await latest_thread(ctx.session, q.id)
        state, answered = await _where_it_stands(ctx, q, thread)
        lines.append(ctx.t("qa.mine_line", id=q.id, question=excerpt(q.text, 70), state=state))
        if q.status == "linked" and q.duplicate_of:  # the discussion is in the other's thread
            thread = await latest_thread(ctx.session, q.duplicate_of)
        elif q.status == "answered":
            thread = None
        row: list[ButtonSpec] = []
        if thread is not None and thread.url:
            row.append(ButtonSpec(f"🧵 #{q.id}", url=thread.url))
        if answered:  # one tap to the /solved picker: the answer reaches the knowledge base
            row.append(ButtonSpec(ctx.t("qa.btn_mine_solved", id=q.id), ctx.sign("qasv", q.id)))
        if row:
            buttons.append(row)
    if invited:  # an expert's open invitations: where their answer is awaited
        lines += ["", ctx.t("qa.mine_invited_header", n=len(invited))]
        for q, thread in invited:
            lines.append(ctx.t("qa.mine_invited_line", id=q.id, question=excerpt(q.text, 70)))
            if thread.url:
                buttons.append([ButtonSpec(f"🧵 #{q.id}", url=thread.url)])
        lines.append(ctx.t("qa.mine_invited_foot"))
    listing = "\n".join(lines)
    if ctx.event.chat.kind == "private":
        return [Reply(listing, buttons[:5])]
    # Asked in a group: questions asked privately are nobody else's business.
    return [
        Reply(
            listing,
            buttons[:5],
            member_id=ctx.member.id,
            chat_note=ctx.t("qa.mine_sent_privately"),
        )
    ]


async def questions_at_home(ctx: Context) -> str | None:
    """How many of the member's open questions have answers from others (to read, and to
    mark solved), and how many open questions wait on their answer; None when neither."""
    waiting = (
        await ctx.session.execute(
            select(func.count(func.distinct(Question.id)))
            .join(Answer, Answer.question_id == Question.id)
            .where(
                Question.member_id == ctx.member.id,
                Question.status == "open",
                Answer.member_id != ctx.member.id,
            )
        )
    ).scalar_one()
    invited = len(await _invited_to(ctx))
    if not waiting and not invited:
        return None
    parts = []
    if waiting:
        parts.append(ctx.t("qa.home_answered", n=waiting))
    if invited:
        parts.append(ctx.t("qa.home_invited", n=invited))
    return ctx.t("qa.home_questions", what="; ".join(parts))


async def _invited_to(ctx: Context) -> list[tuple[Question, Thread]]:
    """Open threads this member was invited to answer and has not answered or passed on."""
    rows = await ctx.session.execute(
        select(Question, Thread)
        .join(Thread, Thread.question_id == Question.id)
        .join(QAThreadExpert, QAThreadExpert.thread_id == Thread.id)
        .where(
            QAThreadExpert.member_id == ctx.member.id,
            QAThreadExpert.status == "invited",
            Thread.status == "open",
        )
        .order_by(QAThreadExpert.invited_at.desc(), Thread.id.desc())
        .limit(MY_QUESTIONS)
    )
    return [(q, t) for q, t in rows.all()]


async def _where_it_stands(ctx: Context, q: Question, thread: Thread | None) -> tuple[str, int]:
    """How the question stands, and how many answers from others wait in its open thread."""
    if q.status == "linked":
        return ctx.t("qa.mine_linked", other=q.duplicate_of or "?"), 0
    if q.status in ("answered", "solved"):
        return ctx.t(f"qa.mine_{q.status}"), 0
    if thread is not None and thread.status == "failed":
        return ctx.t("qa.mine_with_moderators"), 0
    if q.status == "stale":
        return ctx.t("qa.mine_stale"), 0
    answers = (
        await ctx.session.execute(
            select(func.count())
            .select_from(Answer)
            .where(Answer.question_id == q.id, Answer.member_id != ctx.member.id)
        )
    ).scalar_one()
    return ctx.t("qa.mine_open" if answers else "qa.mine_waiting", n=answers), answers


# --------------------------------------------------------------------------- stale threads

SOLVE_ASK_AFTER = timedelta(hours=48)


async def _ask_which_solved(
    session: AsyncSession,
    services: Services,
    thread: Thread,
    question: Question,
    answers: dict[int, list[Answer]],
) -> list[AnyReply]:
    asker = await session.get(Member, question.member_id) if question.member_id else None
    if asker is None or asker.forgotten_at is not None or asker.role == "banned":
        return []  # a banned asker's buttons would be refused anyway
    lines, buttons = await _answer_choices(session, services, thread, answers)
    head = translate(
        asker.locale,
        "qa.solve_ask",
        id=question.id,
        question=excerpt(question.text, 80),
        n=len(answers),
    )
    foot = translate(asker.locale, "qa.solve_ask_foot", id=question.id)
    return [Reply("\n".join([head, *lines, foot]), buttons, member_id=asker.id)]


async def sweep_stale(services: Services) -> list[AnyReply]:
    """Bump open threads quiet for STALE_AFTER once; after another STALE_AFTER, mark them
    stale and list them for moderators. While the community has no moderator to tell (none
    has a role or has talked to the bot yet), they stay open, to be listed once one has.

    A thread that got answers but no ``/solved`` within SOLVE_ASK_AFTER of the last one: the
    asker is asked, once, which answer solved it. Many askers never come back to say so,
    and then the answer never reaches the knowledge base."""
    now = services.clock.now()
    after = timedelta(
        hours=float(_setting(services, "qa_stale_hours", STALE_AFTER.total_seconds() / 3600))
    )
    ask_after = timedelta(
        hours=float(
            _setting(services, "qa_solve_ask_hours", SOLVE_ASK_AFTER.total_seconds() / 3600)
        )
    )
    out: list[AnyReply] = []

    async with services.session_factory() as s, s.begin():
        # a thread whose asker was already asked has answers: nothing more to do for it here
        waiting = select(Thread).where(Thread.status == "open", Thread.solve_asked_at.is_(None))
        threads = (await s.execute(waiting)).scalars().all()
        staff = await moderators(s, services) if threads else []
        stale: list[tuple[Thread, Question]] = []
        for t in threads:
            q = await s.get(Question, t.question_id)
            if q is None:
                continue
            answers = await _answers_by_member(s, q)  # the asker's own follow-ups are not
            if answers:
                last = max(parts[-1].created_at for parts in answers.values())
                if t.solve_asked_at is None and last <= now - ask_after:
                    t.solve_asked_at = now
                    out += await _ask_which_solved(s, services, t, q, answers)
                continue
            if t.bumped_at is None and t.created_at <= now - after:
                t.bumped_at = now
                where = _thread_chat(t)
                if where is not None:
                    asker = await s.get(Member, q.member_id) if q.member_id else None
                    locale = asker.locale if asker else services.settings.locale
                    out.append(Reply(translate(locale, "qa.bump"), to=where))
            elif t.bumped_at is not None and t.bumped_at <= now - after and staff:
                t.status = "stale"
                q.status = "stale"
                stale.append((t, q))
        if stale:
            for m in staff:
                lines = [translate(m.locale, "qa.stale_header", n=len(stale))]
                lines += [
                    translate(m.locale, "qa.stale_line", id=q.id, question=excerpt(q.text, 80))
                    + (f" {t.url}" if t.url else "")
                    for t, q in stale
                ]
                out.append(Reply("\n".join(lines), member_id=m.id))
            for t, q in stale:  # the asker knows their question is not forgotten
                asker = await s.get(Member, q.member_id) if q.member_id else None
                if asker is not None and asker.forgotten_at is None:
                    told = translate(asker.locale, "qa.stale_asker", question=excerpt(q.text, 120))
                    buttons = _thread_button(asker.locale, t)
                    out.append(Reply(told, buttons, member_id=asker.id))
    return out
