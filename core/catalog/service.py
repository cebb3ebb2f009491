"""Catalogue use cases: import/export, moderator edits, enrolment, lessons, progress.

Every member action writes one Interaction (kind and weight from KIND_WEIGHTS) for the
recommender; repeated actions (enrol twice, /done twice) change nothing.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.catalog import hooks
from core.catalog.access import can_access, plan_titles
from core.catalog.importer import (
    COURSE_FIELDS,
    CatalogFile,
    CatalogFileError,
    read_file,
)
from core.catalog.topics import Topics
from core.clock import Clock
from core.common.numbers import ordinal
from core.engagement.rules import Scoring
from core.errors import DomainError, NotFound
from core.ids import parse_id
from core.localtime import local_day
from models.catalog import Course, CourseModule, Enrollment, Lesson, LessonCompletion, Tag
from models.digest import Digest
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Member

log = logging.getLogger("syllabot.catalog")

LEVEL_KEYS = ("beginner", "intermediate", "advanced")
OPEN_DEDUPE = timedelta(minutes=10)  # link previews and double taps count once


# --------------------------------------------------------------------------- interactions


async def record(
    session: AsyncSession,
    clock: Clock,
    member_id: int,
    kind: str,
    *,
    course_id: int | None = None,
    lesson_id: int | None = None,
    source: str = "chat",
    meta: dict[str, Any] | None = None,
) -> Interaction:
    """Append one signal to the interaction log with the kind's default weight."""
    row = Interaction(
        member_id=member_id,
        course_id=course_id,
        lesson_id=lesson_id,
        kind=kind,
        weight=KIND_WEIGHTS[kind],
        at=clock.now(),
        source=source,
        meta=meta or {},
    )
    session.add(row)
    await session.flush()
    return row


# --------------------------------------------------------------------------- lookups


def hours(minutes: int) -> str:
    """A study time in hours as said to members: 90 -> "1.5", 120 -> "2"."""
    return f"{minutes / 60:.1f}".removesuffix(".0")


def course_title(course: Course, locale: str) -> str:
    return course.title_zh if locale == "zh-CN" and course.title_zh else course.title


def lesson_title(lesson: Lesson, locale: str) -> str:
    return lesson.title_zh if locale == "zh-CN" and lesson.title_zh else lesson.title


async def find_course(session: AsyncSession, ref: str, *, include_hidden: bool = False) -> Course:
    """A course by slug, #id or exact title; unknown or hidden ones are refused."""
    ref = ref.strip().replace("\x00", "")  # PostgreSQL text cannot hold NUL
    if not ref:
        raise DomainError("catalog.course_missing")
    q = select(Course)
    if ref.startswith("#") and ref[1:].isdecimal():
        q = q.where(Course.id == (parse_id(ref) or 0))  # 0: no course has it
    else:
        low = ref.lower()[:200]
        bare = "".join(ref.split())[:200]  # "SQL入门" for "SQL 入门": Chinese skips spaces
        q = q.where(
            (Course.slug == low)
            | (func.lower(Course.title) == low)
            | (Course.title_zh == ref)
            | (func.replace(Course.title_zh, " ", "") == bare)
        )
    course = (await session.execute(q.order_by(Course.id).limit(1))).scalar_one_or_none()
    if course is None or (course.hidden and not include_hidden):
        raise NotFound("catalog.unknown_course", ref=ref[:64])
    return course


async def lessons_of(session: AsyncSession, course_id: int) -> list[Lesson]:
    return list(
        (
            await session.execute(
                select(Lesson)
                .where(Lesson.course_id == course_id)
                .order_by(Lesson.position, Lesson.id)
            )
        )
        .scalars()
        .all()
    )


async def find_lesson(
    session: AsyncSession, course: Course, ref: str, locale: str | None = None
) -> Lesson:
    """A lesson of `course` by slug, by its number in the course (1-based) or by its title
    in either language ("inner joins"); a refusal names the course by its title and says
    how many lessons it has ("/done 9" of five)."""
    ref = " ".join(ref.split())
    typed = ref.casefold()
    lessons = await lessons_of(session, course.id)
    for lesson in lessons:
        titles = {lesson.title.casefold(), (lesson.title_zh or "").casefold()} - {""}
        if typed in (lesson.slug, *titles) or typed.replace("-", " ") in titles:
            return lesson
    if ref.isdecimal() and 1 <= int(ref) <= len(lessons):
        return lessons[int(ref) - 1]
    if (n := ordinal(ref)) is not None and n <= len(lessons):  # "第一课", "lesson 2"
        return lessons[n - 1]
    # words of one title only ("first select" for "Your first SELECT")
    words = set(typed.split()) - LESSON_FILLER
    holding = [
        x
        for x in lessons
        if words
        and any(words <= set(t.casefold().split()) for t in (x.title, x.title_zh or "") if t)
    ]
    if len(holding) == 1:
        return holding[0]
    shown = [f"{i}. {lesson_title(x, locale or 'en')}" for i, x in enumerate(lessons[:12], 1)]
    raise NotFound(
        "catalog.unknown_lesson",
        ref=ref[:64],
        course=course_title(course, locale or "en"),
        n=len(lessons),
        lessons="\n".join(shown + (["…"] if len(lessons) > len(shown) else [])),
    )


async def visible_courses(session: AsyncSession, include_hidden: bool = False) -> list[Course]:
    """The catalogue in its order; moderators (`include_hidden`) see hidden courses too."""
    q = select(Course).order_by(Course.id)
    if not include_hidden:
        q = q.where(Course.hidden.is_(False))
    return list((await session.execute(q)).scalars().all())


def search(courses: Sequence[Course], query: str, names: Topics | None = None) -> list[Course]:
    """Courses whose slug, titles, topics (by slug or by name in either language, with
    `names`) or description contain every word of the query: those it names in their title
    or slug first, then by their topics, then the rest, each in catalogue order ("数据"
    matched 11 courses, the SQL ones first because "数据库" holds it)."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return list(courses)
    found = [c for c in courses if all(w in _haystack(c, names) for w in words)]
    return sorted(found, key=lambda c: _tier(c, words, names))


def _tier(c: Course, words: list[str], names: Topics | None) -> int:
    """0: the query is in the title or slug, 1: in the topics, 2: only in the description."""
    if all(w in f"{c.slug} {c.title} {c.title_zh}".lower() for w in words):
        return 0
    topics = " ".join(c.tags) + " " + (names.all_names(c.tags) if names is not None else "")
    return 1 if all(w in topics.lower() for w in words) else 2


def about(course: Course, query: str, names: Topics | None) -> bool:
    """Whether the course is on the query by its title, slug or topics, not only by a word
    of its description ("exam" is in Statistics 101's)."""
    return _tier(course, [w for w in query.lower().split() if w], names) < 2


def search_spelled(
    courses: Sequence[Course], query: str, names: Topics, locale: str | None
) -> tuple[list[Course], str]:
    """`search`, and when nothing matches a word that misspells a topic ("statisticks") or
    is its short name ("stats"), the search for that topic by its name; with the query that
    was searched, to show."""
    found = search(courses, query, names)
    if found or len(query.split()) != 1:
        return found, query
    tag = names.slug(query) or names.near(query, names.titles)  # "stats", "statisticks"
    if tag is None and len(heard := names.sounds_in(query, names.titles)) == 1:
        tag = heard[0]  # "统记" typed for 统计
    if tag is None:
        return found, query
    meant = names.name(tag, locale)
    return search(courses, meant, names), meant


LISTED = "listed_courses"
"""Member.prefs key: the courses of the last numbered list the member read (None at a place
that is not a course, as a digest's study partner)."""
LISTED_AT = "listed_at"
"""Member.prefs key: when that list was read, to tell it from a digest sent later."""
LISTED_KINDS = ("course", "nudge")
"""Digest items whose ref is a course (a suggestion, a course under way)."""


def course_places(lines: Iterable[tuple[str, int]]) -> list[int | None]:
    """A digest's (kind, ref) lines as the places of a numbered list: the course a line
    names, None for any other line (a study partner, an event)."""
    return [int(ref) if kind in LISTED_KINDS else None for kind, ref in lines]


def remember_listed(member: Member, course_ids: Sequence[int | None], at: datetime) -> None:
    """The numbers a member just read (/courses, a search, /recommend, /digest now), so that
    "/enroll 3" means the third course of that list and not of the whole catalogue."""
    member.prefs = {
        **(member.prefs or {}),
        LISTED: list(course_ids)[:200],
        LISTED_AT: at.isoformat(),
    }


async def last_list(session: AsyncSession, member: Member) -> list[int | None]:
    """The numbered list the member read last: the one they asked for, or the digest sent to
    them after it (its numbers are the ones they read on their phone)."""
    prefs = member.prefs or {}
    listed: list[int | None] = list(prefs.get(LISTED) or [])
    at = prefs.get(LISTED_AT)
    if listed and not at:
        return listed  # read before lists were dated; a digest cannot be placed after it
    query = select(Digest.content).where(
        Digest.member_id == member.id, Digest.status == "sent", Digest.sent_at.is_not(None)
    )
    if at:
        query = query.where(Digest.sent_at > datetime.fromisoformat(at))
    content = (
        await session.execute(query.order_by(Digest.sent_at.desc()).limit(1))
    ).scalar_one_or_none()
    if content is None:
        return listed
    return course_places((it.get("kind", ""), it["ref"]) for it in content.get("items") or [])


def listed_course_id(listed: Sequence[int | None], ref: str) -> int | None:
    """The course at place ``ref`` of the member's last numbered list, if it had one; a
    place past its end, or one that is not a course, is refused (not read in the whole
    catalogue)."""
    ref = ref.strip()
    if not (listed and ref.isdecimal() and len(ref) < 6):
        return None
    if not 0 < int(ref) <= len(listed):
        raise NotFound("catalog.not_in_list", ref=ref, n=len(listed))
    course_id = listed[int(ref) - 1]
    if course_id is None:
        numbers = ", ".join(str(n) for n, c in enumerate(listed, 1) if c is not None)
        raise NotFound("catalog.not_a_course_in_list", ref=ref, numbers=numbers or "-")
    return int(course_id)


LESSON_FILLER = frozenset(
    {"and", "or", "the", "a", "an", "of", "to", "in", "with", "for", "lesson"}
)
"""Words that alone name no lesson ("/done and" is not "SELECT and WHERE")."""
REF_FILLER = frozenset(
    {"me", "in", "into", "to", "the", "a", "an", "course", "class", "please", "for", "课程"}
)
"""Words around a course's name as members write it ("/enroll me in the git course")."""


def did_you_mean(
    courses: Sequence[Course], ref: str, names: Topics | None = None
) -> tuple[list[Course], str]:
    """Likely targets of a course reference that matched no slug or title, and the /courses
    query that lists them all ("" when none does).

    A bare number is a place in the unfiltered /courses list. Otherwise courses holding
    every word, else those holding the most of its words of three letters or more.
    """
    ref = ref.strip()
    if ref.isdecimal() and len(ref) < 6:
        n = int(ref)
        return ([courses[n - 1]] if 0 < n <= len(courses) else []), ""
    said = ref  # "me in pandas", "the git course": the words that name one
    ref = " ".join(w for w in ref.split() if w.lower() not in REF_FILLER) or ref
    found = search(courses, ref, names)
    if found:
        return found, ref
    words = [w for w in ref.lower().split() if len(w) >= 3]
    hits = [(sum(w in _haystack(c, names) for w in words), c) for c in courses]
    best = max((n for n, _ in hits), default=0)
    if best:
        return [c for n, c in hits if n and n == best], ""
    return _spelled_like(courses, said), ""


def _spelled_like(courses: Sequence[Course], ref: str) -> list[Course]:
    """Courses whose slug or title is a near spelling of the reference ("pandsa-data-analysis",
    "Intro to SLQ"), closest first."""
    typed = " ".join(ref.lower().split())
    if len(typed) < 4:
        return []
    names: dict[str, Course] = {}
    for c in courses:
        for name in (c.slug, c.title, c.title_zh):
            if name:
                names.setdefault(name.lower(), c)
    if " " not in typed:  # one word: also a near spelling of a word of a title ("pandsa")
        for c in courses:
            for word in re.findall(r"\w{4,}", f"{c.slug} {c.title}".lower()):
                names.setdefault(word, c)
    close = difflib.get_close_matches(typed, list(names), n=3, cutoff=0.75)
    return list({names[n].id: names[n] for n in close}.values())


def _haystack(c: Course, names: Topics | None = None) -> str:
    about = names.all_names(c.tags) if names is not None else ""
    return " ".join(
        [c.slug, c.title, c.title_zh, c.description, c.description_zh, " ".join(c.tags), about]
    ).lower()


# --------------------------------------------------------------------------- access + enrolment


async def check_access(
    session: AsyncSession,
    clock: Clock,
    member: Member,
    course: Course,
    locale: str,
    scoring: Scoring | None = None,
) -> None:
    if await can_access(session, member.id, course, clock.now(), scoring):
        return
    names = await plan_titles(session, list(course.plan_codes), locale)
    raise DomainError(
        "catalog.plan_required", course=course_title(course, locale), plans=", ".join(names)
    )


async def enrollment_of(session: AsyncSession, member_id: int, course_id: int) -> Enrollment | None:
    return (
        await session.execute(
            select(Enrollment).where(
                Enrollment.member_id == member_id, Enrollment.course_id == course_id
            )
        )
    ).scalar_one_or_none()


async def enroll(
    session: AsyncSession,
    clock: Clock,
    member: Member,
    course: Course,
    locale: str,
    scoring: Scoring | None = None,
) -> tuple[Enrollment, bool]:
    """(enrolment, created). Enrolling again is a no-op; plan-only courses are checked."""
    existing = await enrollment_of(session, member.id, course.id)
    if existing is not None:
        return existing, False
    await check_access(session, clock, member, course, locale, scoring)
    now = clock.now()
    row = Enrollment(
        member_id=member.id, course_id=course.id, enrolled_at=now, last_activity_at=now
    )
    try:  # a double tap racing this one: the unique row decides, nothing is counted twice
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        again = await enrollment_of(session, member.id, course.id)
        if again is None:
            raise
        return again, False
    await record(session, clock, member.id, "enroll", course_id=course.id)
    return row, True


async def completed_lesson_ids(session: AsyncSession, member_id: int, course_id: int) -> set[int]:
    return set(
        (
            await session.execute(
                select(LessonCompletion.lesson_id).where(
                    LessonCompletion.member_id == member_id,
                    LessonCompletion.course_id == course_id,
                )
            )
        )
        .scalars()
        .all()
    )


async def courses_under_way(session: AsyncSession, member_id: int) -> list[Course]:
    """The courses the member takes and has not finished, most recently studied first."""
    return list(
        (
            await session.execute(
                select(Course)
                .join(Enrollment, Enrollment.course_id == Course.id)
                .where(
                    Enrollment.member_id == member_id,
                    Enrollment.completed_at.is_(None),
                    Course.hidden.is_(False),
                )
                .order_by(Enrollment.last_activity_at.desc(), Enrollment.id.desc())
            )
        )
        .scalars()
        .all()
    )


async def next_lesson(
    session: AsyncSession,
    member_id: int,
    course: Course | None = None,
    now: datetime | None = None,
    scoring: Scoring | None = None,
) -> tuple[Course, Lesson] | None:
    """The first unfinished lesson of the given course, or of the most recently active one.

    Without a course, courses the member's plan no longer includes are passed over (when
    `now` is given), so /next never points at a lesson they cannot open.
    """
    courses = [course] if course is not None else await courses_under_way(session, member_id)
    for c in courses:
        if (
            course is None
            and now is not None
            and not await can_access(session, member_id, c, now, scoring)
        ):
            continue
        done = await completed_lesson_ids(session, member_id, c.id)
        for lesson in await lessons_of(session, c.id):
            if lesson.id not in done:
                return c, lesson
    return None


@dataclass(frozen=True)
class DoneResult:
    already: bool
    course_completed: bool
    done: int
    total: int


async def complete_lesson(
    session: AsyncSession, clock: Clock, member: Member, course: Course, lesson: Lesson
) -> DoneResult:
    """Mark a lesson done once; finishing the last lesson completes the course (once)."""
    enr = await enrollment_of(session, member.id, course.id)
    if enr is None:
        raise DomainError("catalog.not_enrolled", course=course.slug)
    lessons = await lessons_of(session, course.id)
    done = await completed_lesson_ids(session, member.id, course.id)
    if lesson.id in done:
        return DoneResult(True, False, len(done), len(lessons))
    now = clock.now()
    try:  # a concurrent /done for the same lesson: the unique row keeps it to one
        async with session.begin_nested():
            session.add(
                LessonCompletion(
                    member_id=member.id, lesson_id=lesson.id, course_id=course.id, completed_at=now
                )
            )
            await session.flush()
    except IntegrityError:
        return DoneResult(True, False, len(done), len(lessons))
    enr.last_activity_at = now
    await record(
        session, clock, member.id, "lesson_complete", course_id=course.id, lesson_id=lesson.id
    )
    done.add(lesson.id)
    finished = False
    if enr.completed_at is None and {x.id for x in lessons} <= done:
        enr.completed_at = now
        finished = True
        await record(session, clock, member.id, "course_complete", course_id=course.id)
    return DoneResult(False, finished, len(done), len(lessons))


async def open_lesson(
    session: AsyncSession, clock: Clock, member_id: int, lesson: Lesson, source: str
) -> bool:
    """Count a lesson opening (tracked link or in-chat); repeats within minutes count once."""
    since = clock.now() - OPEN_DEDUPE
    recent = (
        await session.execute(
            select(Interaction.id)
            .where(
                Interaction.member_id == member_id,
                Interaction.lesson_id == lesson.id,
                Interaction.kind == "lesson_open",
                Interaction.at >= since,
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    if recent is not None:
        return False
    await record(
        session,
        clock,
        member_id,
        "lesson_open",
        course_id=lesson.course_id,
        lesson_id=lesson.id,
        source=source,
    )
    enr = await enrollment_of(session, member_id, lesson.course_id)
    if enr is not None:
        enr.last_activity_at = clock.now()
    return True


# --------------------------------------------------------------------------- progress


def progress_bar(done: int, total: int, width: int = 10) -> str:
    """'▓▓▓░░░░░░░ 30%' — plain characters that render on every platform."""
    if total <= 0:
        return "░" * width + " 0%"
    filled = round(width * done / total)
    return "▓" * filled + "░" * (width - filled) + f" {round(100 * done / total)}%"


def streak(days: set[date], today: date) -> int:
    """Consecutive days with activity ending today (or yesterday: today is not over yet)."""
    day = today if today in days else today - timedelta(days=1)
    n = 0
    while day in days:
        n += 1
        day -= timedelta(days=1)
    return n


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    done: int
    total: int
    completed: bool
    streak: int


@dataclass
class Progress:
    courses: list[CourseProgress] = field(default_factory=list)
    streak: int = 0


async def progress(session: AsyncSession, clock: Clock, member: Member) -> Progress:
    rows = (
        await session.execute(
            select(Enrollment, Course)
            .join(Course, Course.id == Enrollment.course_id)
            .where(Enrollment.member_id == member.id)
            .order_by(Enrollment.enrolled_at, Enrollment.id)
        )
    ).all()
    comps = (
        await session.execute(
            select(LessonCompletion.course_id, LessonCompletion.completed_at).where(
                LessonCompletion.member_id == member.id
            )
        )
    ).all()
    today = local_day(clock.now(), member.timezone)
    per_course: dict[int, set[date]] = {}
    for course_id, at in comps:
        per_course.setdefault(course_id, set()).add(local_day(at, member.timezone))
    counts: dict[int, int] = {}
    for course_id, _ in comps:
        counts[course_id] = counts.get(course_id, 0) + 1
    out = Progress()
    for enr, course in rows:
        total = len(await lessons_of(session, course.id))
        out.courses.append(
            CourseProgress(
                course,
                counts.get(course.id, 0),
                total,
                enr.completed_at is not None,
                streak(per_course.get(course.id, set()), today),
            )
        )
    out.streak = streak(set().union(*per_course.values()) if per_course else set(), today)
    return out


# --------------------------------------------------------------------------- import / export


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    course_ids: set[int] = field(default_factory=set)
    lesson_ids: set[int] = field(default_factory=set)
    new_course_ids: set[int] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def render(self, dry_run: bool = False) -> str:
        lines = [f"+ {x}" for x in self.created] + [f"~ {x}" for x in self.updated]
        verb = "would be " if dry_run else ""
        lines.append(
            f"{len(self.created)} {verb}created, {len(self.updated)} {verb}updated, "
            f"{self.unchanged} unchanged" + (" (dry run: nothing was written)" if dry_run else "")
        )
        return "\n".join(lines)


def _diff(row: Any, values: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    return changed


async def apply_catalog(
    session: AsyncSession, clock: Clock, cat: CatalogFile, *, source: str = "import"
) -> ImportReport:
    """Upsert tags, courses, modules and lessons by slug; fire content hooks for changes."""
    now = clock.now()
    rep = ImportReport()
    tags = {t.slug: t for t in (await session.execute(select(Tag))).scalars()}
    for t in cat.tags:
        row = tags.get(t.slug)
        if row is None:
            row = Tag(slug=t.slug, title="", title_zh="", description="")
            _diff(row, t.values)
            session.add(row)
            tags[t.slug] = row
            rep.created.append(f"tag {t.slug}")
        elif changed := _diff(row, t.values):
            rep.updated.append(f"tag {t.slug}: {', '.join(changed)}")
        else:
            rep.unchanged += 1
    problems: list[tuple[int, str]] = []
    for c in cat.courses:
        course = (
            await session.execute(select(Course).where(Course.slug == c.slug))
        ).scalar_one_or_none()
        if course is None:
            if not c.defined:
                problems.append((c.line, f"unknown course '{c.slug}' (define it first)"))
                continue
            course = Course(
                slug=c.slug,
                title="",
                title_zh="",
                description="",
                description_zh="",
                tags=[],
                level="beginner",
                author="",
                duration_minutes=0,
                url="",
                plan_codes=[],
                hidden=False,
                created_at=now,
            )
            _diff(course, c.values)
            session.add(course)
            await session.flush()
            rep.created.append(f"course {c.slug}")
            rep.course_ids.add(course.id)
            rep.new_course_ids.add(course.id)
        elif changed := _diff(course, c.values):
            rep.updated.append(f"course {c.slug}: {', '.join(changed)}")
            rep.course_ids.add(course.id)
        else:
            rep.unchanged += 1
        for tag in course.tags:
            if tag not in tags:
                tags[tag] = Tag(slug=tag, title="", title_zh="", description="")
                session.add(tags[tag])
                rep.created.append(f"tag {tag}")
        modules = {
            m.slug: m
            for m in (
                await session.execute(
                    select(CourseModule).where(CourseModule.course_id == course.id)
                )
            ).scalars()
        }
        for pos, m in enumerate(c.modules, 1):
            mvals = {"title": m.title, "title_zh": m.title_zh, "position": pos}
            mrow = modules.get(m.slug)
            if mrow is None:
                session.add(CourseModule(course_id=course.id, slug=m.slug, **mvals))
                rep.created.append(f"module {c.slug}/{m.slug}")
            elif changed := _diff(mrow, mvals):
                rep.updated.append(f"module {c.slug}/{m.slug}: {', '.join(changed)}")
            else:
                rep.unchanged += 1
        lessons = {x.slug: x for x in await lessons_of(session, course.id)}
        base = 0 if c.defined else max((x.position for x in lessons.values()), default=0)
        for pos, lrec in enumerate(c.lessons, 1):
            lvals = dict(lrec.values, module=lrec.module, position=base + pos)
            if not c.defined and lrec.slug in lessons:
                lvals["position"] = lessons[lrec.slug].position
            lrow = lessons.get(lrec.slug)
            if lrow is None:
                lrow = Lesson(
                    course_id=course.id,
                    slug=lrec.slug,
                    title="",
                    title_zh="",
                    content="",
                    url="",
                    duration_minutes=0,
                    tags=[],
                )
                _diff(lrow, lvals)
                session.add(lrow)
                await session.flush()
                rep.created.append(f"lesson {c.slug}/{lrec.slug}")
                rep.lesson_ids.add(lrow.id)
            elif changed := _diff(lrow, lvals):
                rep.updated.append(f"lesson {c.slug}/{lrec.slug}: {', '.join(changed)}")
                rep.lesson_ids.add(lrow.id)
            else:
                rep.unchanged += 1
    if problems:
        raise CatalogFileError(problems)
    await session.flush()
    if rep.changed:
        await hooks.fire(
            session,
            hooks.ContentChanged(
                "imported", tuple(sorted(rep.course_ids)), tuple(sorted(rep.lesson_ids)), source
            ),
        )
    return rep


class _DryRun(Exception):
    pass


async def run_import(
    factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    path: Path,
    *,
    fmt: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Read, validate and apply a file in one transaction (rolled back for a dry run)."""
    cat = read_file(path, fmt)
    report = ImportReport()
    async with factory() as session:
        try:
            async with session.begin():
                report = await apply_catalog(session, clock, cat)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
    return report


async def export_catalog(session: AsyncSession) -> dict[str, Any]:
    """Everything needed to rebuild the catalogue with import (round-trips unchanged)."""
    tags = [
        {"slug": t.slug, "title": t.title, "title_zh": t.title_zh, "description": t.description}
        for t in (await session.execute(select(Tag).order_by(Tag.slug))).scalars()
    ]
    courses = []
    for c in (await session.execute(select(Course).order_by(Course.id))).scalars():
        d: dict[str, Any] = {"slug": c.slug}
        for k in COURSE_FIELDS:
            value = getattr(c, k)
            d[k] = list(value) if isinstance(value, list) else value
        mods = list(
            (
                await session.execute(
                    select(CourseModule)
                    .where(CourseModule.course_id == c.id)
                    .order_by(CourseModule.position, CourseModule.id)
                )
            ).scalars()
        )
        lessons = await lessons_of(session, c.id)

        def ldict(x: Lesson) -> dict[str, Any]:
            return {
                "slug": x.slug,
                "title": x.title,
                "title_zh": x.title_zh,
                "content": x.content,
                "url": x.url,
                "duration_minutes": x.duration_minutes,
                "tags": list(x.tags),
            }

        known = {m.slug for m in mods}
        d["lessons"] = [ldict(x) for x in lessons if x.module not in known]
        d["modules"] = [
            {
                "slug": m.slug,
                "title": m.title,
                "title_zh": m.title_zh,
                "lessons": [ldict(x) for x in lessons if x.module == m.slug],
            }
            for m in mods
        ]
        courses.append(d)
    return {"tags": tags, "courses": courses}


async def nothing_next(session: AsyncSession, member_id: int) -> str:
    """Why there is no next lesson, as an i18n key: no course taken yet, every course taken
    is done, or the ones left are closed to the member now (their plan ran out)."""
    q = select(Enrollment.completed_at).where(Enrollment.member_id == member_id)
    taken = list((await session.execute(q)).scalars())
    if not taken:
        return "catalog.no_progress"
    return "catalog.all_finished" if all(taken) else "catalog.courses_closed"
