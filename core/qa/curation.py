"""Moderators' knowledge-base commands (/kb add, edit, remove, show, find, import, check,
retry, feedback) and bulk imports: every change reaches the in-process index at once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context, Services
from core.digest.providers import Item, register_section
from core.errors import BadArguments, DomainError, NotFound
from core.events import MAX_UPLOAD_BYTES, Command
from core.i18n import translate
from core.ids import parse_id
from core.members import moderators
from core.qa import entries, help_answers
from core.qa.catalog_sync import course_id_of
from core.qa.check import CheckRow, run_check
from core.qa.index import (
    KBItem,
    offers_course,
)
from core.qa.kbfile import (
    CheckQuery,
    LineError,
    decode_text,
    format_of,
    guess_format,
    looks_binary,
    parse_kb_text,
)
from core.qa.service import (
    ANSWER_EXCERPT,
    MAX_QUESTION_CHARS,
    QAState,
    current_threshold,
    current_thresholds,
    excerpt,
    latest_thread,
    new_thread,
    related,
    state_for,
    unanswered,
)
from core.qa.tokenize import as_language, detect_language
from core.replies import AnyReply, Reply
from models.catalog import Course
from models.member import Member
from models.qa import KBEntry, Question, Thread
from models.qa_extra import QAFeedback, QAThreadExpert

_ARROW = re.compile(r"\s(?:->|=>|→)\s")
"""Moderators also write "/kb add how to change payment card -> go to …"."""


def _split_title(text: str) -> tuple[str, str]:
    if "|" not in text and (arrow := _ARROW.search(text)):
        text = f"{text[: arrow.start()]} | {text[arrow.end() :]}"
    title, sep, answer = text.partition("|")
    if not sep:
        raise BadArguments("qa.kb_add_usage")
    title, answer = title.strip(), answer.strip()
    if not title or not answer:
        raise BadArguments("qa.kb_add_usage")
    return title[:300], answer[:20_000]


def _edited(text: str, title: str, answer: str) -> tuple[str, str]:
    """The entry after ``/kb edit ID …``: ``TITLE | ANSWER`` both, ``| ANSWER`` or ``answer
    TEXT`` the answer only, ``TITLE |`` or ``title TEXT`` the title only."""
    field, _, value = text.strip().partition(" ")
    if "|" not in text and field.lower() in ("title", "answer") and value.strip():
        text = f"{value} |" if field.lower() == "title" else f"| {value}"
    new_title, sep, new_answer = text.partition("|")
    if not sep or not (new_title.strip() or new_answer.strip()):
        raise BadArguments("qa.kb_edit_usage")
    return (new_title.strip() or title)[:300], (new_answer.strip() or answer)[:20_000]


async def kb_add(ctx: Context, args: str) -> list[AnyReply]:
    title, answer = _split_title(args)
    now = ctx.clock.now()
    entry = KBEntry(
        source="faq",
        source_ref="",
        title=title,
        answer=answer,
        lang=detect_language(f"{title} {answer}"),
        tags=[],
        active=True,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(entry)
    await ctx.session.flush()
    state_for(ctx.services).apply(entry)
    return [Reply(ctx.t("qa.kb_added", id=entry.id, title=title))]


async def _entry(ctx: Context, ref: str, sub: str) -> KBEntry:
    entry_id = parse_id(ref)
    if entry_id is None:
        raise BadArguments("qa.kb_id_usage", sub=sub)
    entry = await ctx.session.get(KBEntry, entry_id)
    if entry is None:
        raise NotFound("qa.kb_not_found", id=ref)
    if not entry.active:  # said apart: a second /kb remove, or one from another moderator
        raise NotFound("qa.kb_gone", id=entry.id)
    return entry


async def _editable(ctx: Context, ref: str, sub: str) -> KBEntry:
    """An entry a moderator may change here: course material is rebuilt from the catalogue
    on its next change, so an edit or removal here would quietly come undone."""
    entry = await _entry(ctx, ref, sub)
    course_id = course_id_of(entry.source, entry.source_ref)
    if course_id is not None:
        course = await ctx.session.get(Course, course_id)
        slug = course.slug if course is not None else str(course_id)
        raise DomainError("qa.kb_from_catalog", id=entry.id, slug=slug)
    return entry


async def kb_edit(ctx: Context, args: str) -> list[AnyReply]:
    ref, _, rest = args.strip().partition(" ")
    entry = await _editable(ctx, ref, "edit")
    title, answer = _edited(rest, entry.title, entry.answer)
    entry.title, entry.answer = title, answer
    entry.lang = detect_language(f"{title} {answer}")
    entry.updated_at = ctx.clock.now()
    await ctx.session.flush()
    state_for(ctx.services).apply(entry)
    return [Reply(ctx.t("qa.kb_edited", id=entry.id, title=title))]


KB_FIND_SHOWN = 8


KB_LIST_SHOWN = 15


async def kb_list(ctx: Context, args: str) -> list[AnyReply]:
    """``/kb list [SOURCE]``: what the knowledge base holds, by source, and the entries
    changed last, with their numbers (it was the usage text; /kb find needs words)."""
    source = args.strip().lower()
    counts = dict(
        (
            await ctx.session.execute(
                select(KBEntry.source, func.count())
                .where(KBEntry.active.is_(True))
                .group_by(KBEntry.source)
            )
        ).all()
    )
    if source and source not in counts:
        raise BadArguments("qa.kb_list_usage", sources=", ".join(sorted(counts)) or "-")
    query = select(KBEntry).where(KBEntry.active.is_(True))
    if source:
        query = query.where(KBEntry.source == source)
    rows = (
        (
            await ctx.session.execute(
                query.order_by(KBEntry.updated_at.desc(), KBEntry.id.desc()).limit(KB_LIST_SHOWN)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return [Reply(ctx.t("qa.kb_list_empty"))]
    by_source = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    lines = [ctx.t("qa.kb_list_head", n=sum(counts.values()), sources=by_source)]
    lines += [f"#{e.id} [{e.source}] {excerpt(e.title, 90)}" for e in rows]
    return [Reply("\n".join(lines))]


async def kb_find(ctx: Context, args: str) -> list[AnyReply]:
    """``/kb find WORDS``: the entries a question with these words would reach, with the
    numbers ``/kb edit``, ``show`` and ``remove`` take."""
    text = " ".join(args.split())[:MAX_QUESTION_CHARS]
    if not text:
        raise BadArguments("qa.kb_find_usage")
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    lang = detect_language(text)
    results = (await related(ctx, state, text, lang))[:KB_FIND_SHOWN]
    if not results:
        return [Reply(ctx.t("qa.kb_find_none", query=excerpt(text, 80)))]
    threshold = await current_threshold(ctx.session, lang)
    lines = [
        ctx.t(
            "qa.kb_find_head_course" if offers_course(results[0], threshold) else "qa.kb_find_head",
            query=excerpt(text, 80),
            confidence=round(results[0].confidence * 100),
            threshold=round(threshold * 100),
        )
    ]
    lines += [f"#{r.id} [{r.item.source}] {excerpt(r.item.title, 90)}" for r in results]
    return [Reply("\n".join(lines))]


async def kb_show(ctx: Context, args: str) -> list[AnyReply]:
    """``/kb show ID``: one entry as members get it, with where it came from."""
    entry = await _entry(ctx, args.strip(), "show")
    text = ctx.t(
        "qa.kb_show",
        id=entry.id,
        source=entry.source,
        title=entry.title,
        answer=excerpt(entry.answer or entry.body, ANSWER_EXCERPT),
        tags=", ".join(entry.tags or []) or "-",
        url=entry.url or "-",
    )
    if entry.source_ref.startswith(help_answers.PREFIX):
        text += "\n" + ctx.t("qa.kb_show_builtin", id=entry.id)
    votes = await _tallies(ctx.session, QAFeedback.kb_entry_id == entry.id)
    if entry.id in votes:
        up, down = votes[entry.id]
        text += "\n" + ctx.t("qa.kb_show_feedback", up=up, down=down)
    return [Reply(text)]


async def _tallies(session: AsyncSession, *where: Any) -> dict[int, tuple[int, int]]:
    """👍 and 👎 per active entry, over the votes that match `where`."""
    rows = (
        await session.execute(
            select(QAFeedback.kb_entry_id, QAFeedback.helpful, func.count())
            .join(KBEntry, KBEntry.id == QAFeedback.kb_entry_id)
            .where(KBEntry.active.is_(True), *where)
            .group_by(QAFeedback.kb_entry_id, QAFeedback.helpful)
        )
    ).all()
    tally: dict[int, tuple[int, int]] = {}
    for entry_id, helpful, n in rows:
        if entry_id is not None:  # the join already says so; for the type checker
            up, down = tally.get(entry_id, (0, 0))
            tally[entry_id] = (up + n, down) if helpful else (up, down + n)
    return tally


FEEDBACK_DAYS = 30
FEEDBACK_SHOWN = 10


async def kb_feedback(ctx: Context, args: str) -> list[AnyReply]:
    """``/kb feedback [DAYS]``: the entries members marked 👎 lately, most first, each with
    the last question it failed: the 👎 that tune the threshold also point at answers that
    mislead, and this is where a moderator finds them to edit or remove."""
    arg = args.strip()
    if arg and not (arg.isdecimal() and 1 <= int(arg) <= 365):
        raise BadArguments("qa.kb_feedback_usage")
    days = int(arg) if arg else FEEDBACK_DAYS
    since = ctx.clock.now() - timedelta(days=days)
    tally = await _tallies(ctx.session, QAFeedback.created_at >= since)
    worst = sorted(
        (e for e, (_, down) in tally.items() if down), key=lambda e: (-tally[e][1], tally[e][0], e)
    )[:FEEDBACK_SHOWN]
    if not worst:
        return [Reply(ctx.t("qa.kb_feedback_none", days=days))]
    failed = (
        await ctx.session.execute(
            select(KBEntry, Question)
            .join(QAFeedback, QAFeedback.kb_entry_id == KBEntry.id)
            .join(Question, Question.id == QAFeedback.question_id)
            .where(
                QAFeedback.created_at >= since,
                KBEntry.id.in_(worst),
                QAFeedback.helpful.is_(False),
            )
            .order_by(QAFeedback.created_at, QAFeedback.id)
        )
    ).all()
    last = {entry.id: (entry, question) for entry, question in failed}  # the latest wins
    lines = [ctx.t("qa.kb_feedback_head", days=days)]
    for entry_id in worst:
        entry, question = last[entry_id]
        up, down = tally[entry_id]
        lines.append(
            ctx.t(
                "qa.kb_feedback_line",
                id=entry.id,
                source=entry.source,
                title=excerpt(entry.title, 70),
                down=down,
                up=up,
                question=excerpt(question.text, 80),
                qid=question.id,
            )
        )
    lines.append(ctx.t("qa.kb_feedback_foot"))
    return [Reply("\n".join(lines))]


WAITING_SHOWN = 15


async def kb_waiting(ctx: Context, args: str) -> list[AnyReply]:
    """``/kb waiting``: the moderators' queue, questions whose threads nobody but the asker
    has answered, oldest first, with how long each has waited, where it stands (bumped, or
    handed over as stale) and who was invited. The stale list reaches moderators once, as a
    message; this is where they find it again, and the threads not yet stale."""
    if args.strip():
        raise BadArguments("qa.kb_usage")
    rows = (
        await ctx.session.execute(
            select(Thread, Question)
            .join(Question, Question.id == Thread.question_id)
            .where(Thread.status.in_(("open", "stale")), unanswered())
            .order_by(Question.created_at, Question.id)
        )
    ).all()
    if not rows:
        return [Reply(ctx.t("qa.kb_waiting_none"))]
    invited = dict(
        (
            await ctx.session.execute(
                select(QAThreadExpert.thread_id, func.count())
                .where(QAThreadExpert.thread_id.in_([t.id for t, _ in rows]))
                .group_by(QAThreadExpert.thread_id)
            )
        ).all()
    )
    now = ctx.clock.now()
    lines = [ctx.t("qa.kb_waiting_head", n=len(rows))]
    for thread, question in rows[:WAITING_SHOWN]:
        hours = int((now - question.created_at).total_seconds() // 3600)
        if hours >= 48:
            waited = ctx.t("qa.waited_days", n=hours // 24)
        else:
            waited = ctx.t("qa.waited_hours", n=hours) if hours > 0 else ctx.t("qa.waited_now")
        if thread.status == "stale":
            state = ctx.t("qa.kb_waiting_stale")
        elif thread.bumped_at is not None:
            state = ctx.t("qa.kb_waiting_bumped")
        else:
            state = ctx.t("qa.kb_waiting_invited", n=int(invited.get(thread.id, 0)))
        line = ctx.t(
            "qa.kb_waiting_line",
            id=question.id,
            question=excerpt(question.text, 70),
            waited=waited,
            state=state,
        )
        lines.append(line + (f" {thread.url}" if thread.url else ""))
    if len(rows) > WAITING_SHOWN:
        lines.append(ctx.t("qa.kb_waiting_more", n=len(rows) - WAITING_SHOWN))
    lines.append(ctx.t("qa.kb_waiting_foot"))
    return [Reply("\n".join(lines))]


async def waiting_section(
    session: AsyncSession, member: Member, now: datetime, locale: str
) -> Sequence[Item]:
    """The queue of /kb waiting as one line of a moderator's digest: a question nobody
    answers is seen before the stale sweep hands it over days later."""
    n, oldest = (
        await session.execute(
            select(func.count(), func.min(Question.created_at))
            .select_from(Thread)
            .join(Question, Question.id == Thread.question_id)
            .where(Thread.status.in_(("open", "stale")), unanswered())
        )
    ).one()
    if not n:
        return []
    days = int((now - oldest).total_seconds() // 86400)
    key = "digest.staff_waiting_old" if days >= 1 else "digest.staff_waiting"
    return [Item("staff", 0, translate(locale, key, n=n, days=days))]


register_section("qa_waiting", waiting_section, staff=True)


async def kb_remove(ctx: Context, args: str) -> list[AnyReply]:
    entry = await _editable(ctx, args.strip(), "remove")
    entry.active = False
    entry.updated_at = ctx.clock.now()
    await ctx.session.flush()
    state_for(ctx.services).apply(entry)
    return [Reply(ctx.t("qa.kb_removed", id=entry.id))]


async def import_entries(
    session: AsyncSession, clock: Any, items: Sequence[KBItem], state: QAState | None = None
) -> tuple[int, int]:
    """Upsert items by (source "import", source_ref = item id). Returns (added, updated)."""
    now = clock.now()
    refs = [it.id[:128] for it in items]
    existing = {
        e.source_ref: e
        for e in (
            await session.execute(
                select(KBEntry).where(KBEntry.source == "import", KBEntry.source_ref.in_(refs))
            )
        ).scalars()
    }
    added = updated = 0
    touched: list[KBEntry] = []
    for it in items:
        row = existing.get(it.id[:128])
        if row is None:
            row = KBEntry(source="import", source_ref=it.id[:128], created_at=now)
            session.add(row)
            added += 1
        else:
            updated += 1
        touched.append(entries.fill(row, it, now))
    await session.flush()
    if state is not None:
        for row in touched:
            state.apply(row)
    return added, updated


PASTE_WAIT_MINUTES = 10
_PASTE_KEY = "kb_import_wait"  # Member.prefs: when /kb import was sent alone (ISO)


def await_paste(member: Member, now: datetime) -> None:
    member.prefs = {**(member.prefs or {}), _PASTE_KEY: now.isoformat()}


def take_paste(member: Member, now: datetime) -> bool:
    """Whether this moderator's message is the paste a bare /kb import waits for (once)."""
    at = (member.prefs or {}).get(_PASTE_KEY)
    if not isinstance(at, str):
        return False
    member.prefs = {k: v for k, v in (member.prefs or {}).items() if k != _PASTE_KEY}
    try:
        return now - datetime.fromisoformat(at) <= timedelta(minutes=PASTE_WAIT_MINUTES)
    except ValueError:
        return False


async def kb_import(ctx: Context, args: str) -> list[AnyReply]:
    """``/kb import`` followed by pasted JSONL, CSV (with header) or Markdown, or sent with
    such a file attached (the file wins over any text after the command)."""
    event = ctx.event
    upload = event.upload if isinstance(event, Command) else None
    too_large = event.too_large if isinstance(event, Command) else ""
    if upload is not None and len(upload.data) > MAX_UPLOAD_BYTES:
        too_large = upload.name
    if too_large:
        raise DomainError(
            "qa.kb_file_too_large", name=too_large, limit=MAX_UPLOAD_BYTES // 1_000_000
        )
    if upload is not None:
        if looks_binary(upload.data):
            raise DomainError("qa.kb_file_not_text", name=upload.name)
        text = decode_text(upload.data)
        kind = format_of(upload.name, text)
    else:
        text = args.strip()
        kind = guess_format(text)
    if not text.strip():
        if upload is None and ctx.event.chat.kind == "private":
            # "/kb import", then the paste as the next message: that message is the import,
            # not a question for the community (it opened a thread with the pasted JSON)
            await_paste(ctx.member, ctx.clock.now())
            return [Reply(ctx.t("qa.kb_import_waiting", minutes=PASTE_WAIT_MINUTES))]
        raise BadArguments("qa.kb_import_usage")
    items, errors = parse_kb_text(text, kind)
    replies: list[AnyReply] = []
    if items:
        added, updated = await import_entries(
            ctx.session, ctx.clock, items, state_for(ctx.services)
        )
        replies.append(
            Reply(ctx.t("qa.kb_imported", added=added, updated=updated, skipped=len(errors)))
        )
    else:
        replies.append(Reply(ctx.t("qa.kb_import_nothing")))
    if errors:
        replies.append(Reply("\n".join(_error_line(ctx, e) for e in errors[:20])))
    return replies


def _error_line(ctx: Context, e: LineError) -> str:
    return ctx.t("qa.kb_line_error", line=e.line, message=e.message)


async def kb_check(ctx: Context, args: str) -> list[AnyReply]:
    """Re-run the last N escalated questions through today's KB."""
    n = parse_id(args) or 10
    n = max(1, min(n, 50))
    rows = (
        (
            await ctx.session.execute(
                select(Question)
                .where(Question.status.in_(("open", "stale")))
                .order_by(Question.created_at.desc(), Question.id.desc())
                .limit(n)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return [Reply(ctx.t("qa.kb_check_empty"))]
    state = state_for(ctx.services)
    await state.sync(ctx.session)
    thresholds = await current_thresholds(ctx.session)
    queries = [CheckQuery(q.id, q.text) for q in rows]
    results: list[CheckRow] = await asyncio.to_thread(
        run_check, state.index, queries, top=5, thresholds=thresholds
    )
    lines = [ctx.t("qa.kb_check_header", n=len(results))]
    for r in results:
        key = "qa.kb_check_answered" if r.answered else "qa.kb_check_escalated"
        if r.course_offered:
            key = "qa.kb_check_course"
        lines.append(
            ctx.t(
                key,
                id=r.line,
                question=excerpt(r.query, 80),
                top=excerpt(r.top_title, 60) or "—",
                confidence=round(r.confidence * 100),
            )
        )
    return [Reply("\n".join(lines))]


RETRY_AT_ONCE = 20
"""How many failed threads one ``/kb retry`` opens again (the newest first)."""


async def _failed_questions(session: AsyncSession) -> list[tuple[Thread, Question]]:
    """Unsolved questions whose newest thread could not open, newest first."""
    newest = (
        select(func.max(Thread.id))
        .where(Thread.question_id == Question.id)
        .correlate(Question)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Thread, Question)
        .join(Question, Question.id == Thread.question_id)
        .where(Thread.status == "failed", Question.status == "open", Thread.id == newest)
        .order_by(Thread.id.desc())
    )
    return [(thread, question) for thread, question in rows.all()]


async def threads_waiting(services: Services, platform: str) -> list[AnyReply]:
    """Called by an adapter that has just found it can open threads (its start-up check
    passed, or it was given the rights): the moderators hear which questions still wait
    for a thread on that platform, and that ``/kb retry`` opens them. Nothing when none do."""
    async with services.session_factory() as s:
        waiting = [q.id for t, q in await _failed_questions(s) if t.platform == platform]
        if not waiting:
            return []
        staff = await moderators(s, services)
    ids = ", ".join(f"#{qid}" for qid in waiting[:RETRY_AT_ONCE])
    return [
        Reply(
            translate(
                m.locale,
                "qa.retry_waiting",
                n=len(waiting),
                ids=ids,
                platform=platform.capitalize(),
            ),
            member_id=m.id,
        )
        for m in staff
    ]


async def kb_retry(ctx: Context, args: str) -> list[AnyReply]:
    """``/kb retry [QUESTION_ID]``: open the threads that could not open
    (:func:`thread_failed`), once what stopped them is fixed. Experts are chosen afresh: the
    ones invited into the thread that never opened never saw the question, and who may be
    pinged now has changed. Each asker hears when their thread opens."""
    platform = ctx.event.chat.platform
    rest = args.strip()
    if rest:
        qid = parse_id(rest)
        if qid is None:
            raise BadArguments("qa.kb_usage")
        thread = await latest_thread(ctx.session, qid)
        question = await ctx.session.get(Question, qid)
        if thread is None or question is None:
            raise NotFound("qa.thread_not_found", id=qid)
        if thread.status != "failed" or question.status != "open":
            return [Reply(ctx.t("qa.retry_not_failed", id=qid))]
        pairs = [(thread, question)]
    else:
        pairs = await _failed_questions(ctx.session)
        if not pairs:
            return [Reply(ctx.t("qa.retry_none"))]
    here = [q for t, q in pairs if t.platform == platform][:RETRY_AT_ONCE]
    elsewhere = [(t.platform, q.id) for t, q in pairs if t.platform != platform]
    out: list[AnyReply] = []
    if here:
        state = state_for(ctx.services)
        await state.sync(ctx.session)
        ids = ", ".join(f"#{q.id}" for q in here)
        out.append(Reply(ctx.t("qa.retry_opening", n=len(here), ids=ids)))
        for question in here:
            lang = as_language(question.lang)
            results = await related(ctx, state, question.text, lang)
            out.append(await new_thread(ctx, question, results))
    for other in sorted({p for p, _ in elsewhere}):
        ids = ", ".join(f"#{qid}" for p, qid in elsewhere if p == other)
        out.append(Reply(ctx.t("qa.retry_elsewhere", ids=ids, platform=other.capitalize())))
    return out
