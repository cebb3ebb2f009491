"""Course material in the knowledge base: catalogue changes become ``kb_entry`` rows.

Subscribed to :func:`core.catalog.hooks.on_content_changed`, so it runs inside the same
transaction as the catalogue change (``syllabot catalog import``, ``/course add|edit|hide``,
accepted tags). For every course touched (directly or through one of its lessons) the
course's entries are rebuilt from the catalogue as it is now:

- one ``course`` entry per language the course has (title + description);
- one ``lesson`` entry per chunk of a lesson's text (long lessons are cut at paragraph
  boundaries, so a question answered deep inside a lesson still matches its passage);
- a hidden or deleted course, or a deleted lesson, deactivates its entries (soft delete,
  so :meth:`core.qa.service.QAState.sync` sees it).

Rows are written only when their content changed. ``source_ref`` encodes where an entry
comes from: ``c<course_id>:<lang>`` or ``c<course_id>/l<lesson_id>#<chunk>``; the course id
is what the answer step uses for plan gating (:func:`course_id_of`).

The hook receives no clock, so the version stamp written to ``updated_at`` is the wall
clock, pushed past the newest stamp already in ``kb_entry``: the Q&A index watermarks by
``updated_at``, and an edit must never be stamped below what a process has already seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog.hooks import ContentChanged, on_content_changed
from core.clock import SystemClock
from core.qa.tokenize import detect_language
from models.catalog import Course, Lesson
from models.qa import KBEntry

SOURCES = ("course", "lesson")
CHUNK_CHARS = 1200
"""Target size of a lesson passage (the dense encoder reads ~1,000 characters anyway)."""
MAX_CHUNKS = 40
TITLE_CHARS = 300


@dataclass(frozen=True)
class Passage:
    source: str
    source_ref: str
    title: str
    answer: str
    lang: str
    url: str
    tags: tuple[str, ...]


def chunk_text(text: str, size: int = CHUNK_CHARS, limit: int = MAX_CHUNKS) -> list[str]:
    """Paragraph-aligned chunks of at most about ``size`` characters (a longer paragraph is
    cut at a space). Empty text gives no chunks."""
    paras = [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n")]
    chunks: list[str] = []
    cur = ""
    for p in (p for p in paras if p):
        while len(p) > size:
            cut = p.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            head, p = p[:cut].rstrip(), p[cut:].lstrip()
            if cur:
                chunks.append(cur)
                cur = ""
            chunks.append(head)
        if cur and len(cur) + 2 + len(p) > size:
            chunks.append(cur)
            cur = ""
        cur = f"{cur}\n\n{p}" if cur else p
    if cur:
        chunks.append(cur)
    return chunks[:limit]


def _lang(text: str) -> str:
    return detect_language(text)


def course_passages(course: Course, lessons: Iterable[Lesson]) -> list[Passage]:
    """What the knowledge base should hold for a visible course, now."""
    tags = tuple(course.tags or ())
    out: list[Passage] = []
    for lang, title, desc in (
        ("en", course.title, course.description),
        ("zh", course.title_zh, course.description_zh),
    ):
        if not (title or desc):
            continue
        text = f"{title}\n{desc}"
        out.append(
            Passage(
                "course",
                f"c{course.id}:{lang}",
                (title or course.title)[:TITLE_CHARS],
                desc or title,
                _lang(text) if lang == "en" else "zh",
                course.url or "",
                tags,
            )
        )
    for lesson in lessons:
        ltags = tuple(dict.fromkeys([*tags, *(lesson.tags or ())]))
        content = lesson.content or ""
        lang = _lang(f"{lesson.title}\n{content}")
        title = lesson.title_zh if lang == "zh" and lesson.title_zh else lesson.title
        full_title = (
            f"{title} · {course.title_zh if lang == 'zh' and course.title_zh else course.title}"
        )
        chunks = chunk_text(content) or [title]
        for i, chunk in enumerate(chunks):
            out.append(
                Passage(
                    "lesson",
                    f"c{course.id}/l{lesson.id}#{i}",
                    full_title[:TITLE_CHARS],
                    chunk,
                    lang,
                    lesson.url or course.url or "",
                    ltags,
                )
            )
        if lang == "en" and lesson.title_zh:
            # The same passages under the lesson's Chinese title: a Chinese question finds
            # them by its words (jieba) and its meaning, and competes with the course's
            # Chinese overview on equal terms instead of against an English text alone.
            zh_title = f"{lesson.title_zh} · {course.title_zh or course.title}"
            for i, chunk in enumerate(chunks):
                out.append(
                    Passage(
                        "lesson",
                        f"c{course.id}/l{lesson.id}{ZH_TWIN}#{i}",
                        zh_title[:TITLE_CHARS],
                        chunk,
                        "zh",
                        lesson.url or course.url or "",
                        ltags,
                    )
                )
    return out


def course_id_of(source: str, source_ref: str) -> int | None:
    """The catalogue course an entry came from (None for other entries)."""
    if source not in SOURCES or not source_ref.startswith("c"):
        return None
    head = source_ref[1:].split("/", 1)[0].split(":", 1)[0]
    return int(head) if head.isdecimal() else None


ZH_TWIN = ":zh"
"""In a lesson passage's source ref, marks its twin under the lesson's Chinese title."""


def passage_of(source: str, source_ref: str) -> str:
    """The passage a lesson entry words (its twins share it); "" for other entries."""
    return source_ref.replace(f"{ZH_TWIN}#", "#") if source == "lesson" else ""


def lesson_id_of(source: str, source_ref: str) -> int | None:
    """The catalogue lesson a passage came from: ``c{course}/l{lesson}#{i}``, or its
    Chinese-titled twin ``c{course}/l{lesson}:zh#{i}`` (None for other entries)."""
    if source != "lesson" or not source_ref.startswith("c") or "/l" not in source_ref:
        return None
    head = source_ref.split("/l", 1)[1].split("#", 1)[0].split(":", 1)[0]
    return int(head) if head.isdecimal() else None


async def next_stamp(session: AsyncSession) -> datetime:
    """A version stamp newer than every ``kb_entry.updated_at`` (see module docstring)."""
    now = SystemClock().now()
    newest = (await session.execute(select(func.max(KBEntry.updated_at)))).scalar_one_or_none()
    if newest is not None and newest >= now:
        return newest + timedelta(microseconds=1)
    return now


async def sync_courses(session: AsyncSession, course_ids: Iterable[int]) -> int:
    """Bring the entries of these courses in line with the catalogue; returns rows written."""
    ids = sorted(set(course_ids))
    if not ids:
        return 0
    courses = {
        c.id: c for c in (await session.execute(select(Course).where(Course.id.in_(ids)))).scalars()
    }
    lessons: dict[int, list[Lesson]] = {cid: [] for cid in ids}
    for lesson in (
        await session.execute(
            select(Lesson).where(Lesson.course_id.in_(ids)).order_by(Lesson.position, Lesson.id)
        )
    ).scalars():
        lessons[lesson.course_id].append(lesson)
    prefixes = [f"c{cid}{sep}" for cid in ids for sep in (":", "/")]
    existing = {
        e.source_ref: e
        for e in (
            await session.execute(
                select(KBEntry).where(
                    KBEntry.source.in_(SOURCES),
                    or_(*(KBEntry.source_ref.startswith(p, autoescape=True) for p in prefixes)),
                )
            )
        ).scalars()
    }
    wanted: dict[str, Passage] = {}
    for cid in ids:
        course = courses.get(cid)
        if course is None or course.hidden:
            continue
        for p in course_passages(course, lessons[cid]):
            wanted[p.source_ref] = p
    stamp: datetime | None = None
    written = 0
    for ref, old in existing.items():
        if ref not in wanted and old.active:
            stamp = stamp or await next_stamp(session)
            old.active = False
            old.updated_at = stamp
            written += 1
    for ref, p in wanted.items():
        row = existing.get(ref)
        values = {
            "source": p.source,
            "title": p.title,
            "body": "",
            "answer": p.answer,
            "lang": p.lang,
            "url": p.url[:500],
            "tags": list(p.tags),
            "active": True,
        }
        if row is not None and all(getattr(row, k) == v for k, v in values.items()):
            continue
        stamp = stamp or await next_stamp(session)
        if row is None:
            row = KBEntry(source_ref=ref, created_at=stamp)
            session.add(row)
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_at = stamp
        written += 1
    if written:
        await session.flush()
    return written


async def courses_touched(session: AsyncSession, change: ContentChanged) -> set[int]:
    ids = set(change.course_ids)
    if change.lesson_ids:
        ids.update(
            (
                await session.execute(
                    select(Lesson.course_id).where(Lesson.id.in_(change.lesson_ids))
                )
            ).scalars()
        )
    return ids


@on_content_changed
async def content_changed(session: AsyncSession, change: ContentChanged) -> None:
    """Index what the catalogue just changed (same transaction: nothing half-indexed)."""
    await sync_courses(session, await courses_touched(session, change))
