"""Chat commands: /courses, /enroll, /next, /done, /progress, and moderators' /course."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core.audit import audit
from core.catalog import (
    asked,
    certificate_commands,  # noqa: F401  (registers /certificate)
    certificates,
    hooks,
    service,
    topics,
    week_commands,  # noqa: F401  (registers /week)
)
from core.catalog.autotag import propose
from core.catalog.importer import COURSE_FIELDS, _Validator
from core.catalog.links import lesson_link
from core.common.home import home_line
from core.common.suggest import suggestions
from core.context import Context, Role
from core.engagement.rules import Scoring
from core.errors import BadArguments, DomainError, ExpiredButton, NotFound
from core.qa import help_answers
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import BARE_WORDS, STOP_WORDS, bare_word, button, command, message_handler
from models.catalog import Course, Enrollment, Lesson, TagSuggestion
from models.qa import Question

PAGE = 16
GUESSES = 5  # "did you mean" buttons under an /enroll or /next that named no course
QUERY_BYTES = 24


def _scoring(ctx: Context) -> Scoring:
    """The community's points table decides level-gated courses (settings [engagement])."""
    return Scoring.of(ctx.settings)


def _level(ctx: Context, level: str) -> str:
    return ctx.t("catalog.level_" + level) if level in service.LEVEL_KEYS else level


def _page_button(ctx: Context, label: str, page: int, query: str) -> ButtonSpec:
    q = query.replace(":", " ").replace("~", " ")
    while len(q.encode()) > QUERY_BYTES:
        q = q[:-1]
    return ButtonSpec(label, data=ctx.sign("catp", page, q.strip()))


@message_handler(priority=95)
async def topic_word(ctx: Context, text: str) -> list[AnyReply] | None:
    """A topic or a course's word typed alone in a private chat ("sql", "pandas", "数据") is
    a search of the catalogue, with how to ask about it (it was "I didn't understand that")."""
    word = bare_word(text)
    if (
        ctx.event.chat.kind != "private"
        or not word
        or len(word.split()) > 1
        or len(word) > 40
        or word in BARE_WORDS
        or word in STOP_WORDS
    ):
        return None
    listed = await service.visible_courses(ctx.session, include_hidden=ctx.is_mod())
    if not any(_named_by(c, word) for c in listed):
        return None  # "test" is not a search for "A/B Testing"; "no" not for "notebooks"
    return [
        *await _course_list(ctx, word, 0, listed),
        Reply(ctx.t("catalog.word_hint", word=word)),
    ]


def _named_by(course: Course, word: str) -> bool:
    """Whether a course's title, slug or tags hold the word whole (Chinese: in its title)."""
    said = f"{course.title} {course.slug} {' '.join(course.tags or [])}".lower()
    return word in re.findall(r"\w+", said) or (not word.isascii() and word in course.title_zh)


async def _course_list(
    ctx: Context, query: str, page: int, listed: list[Course] | None = None
) -> list[AnyReply]:
    """``listed``: the visible courses when the caller has read them already."""
    query = query.strip()[:100]
    names = await topics.load(ctx.session)
    if listed is None:
        listed = await service.visible_courses(ctx.session, include_hidden=ctx.is_mod())
    found, query = service.search_spelled(listed, query, names, ctx.locale)
    if not found:
        key = "catalog.no_match" if query else "catalog.empty"
        return [Reply(ctx.t(key, query=query))]
    service.remember_listed(ctx.member, [c.id for c in found], ctx.clock.now())
    pages = (len(found) + PAGE - 1) // PAGE
    page = min(max(page, 0), pages - 1)
    chunk = found[page * PAGE : (page + 1) * PAGE]
    head = (
        ctx.t("catalog.search_header", n=len(found), query=query)
        if query
        else ctx.t("catalog.header", n=len(found))
    )
    lines = [head + (" " + ctx.t("catalog.page", page=page + 1, pages=pages) if pages > 1 else "")]
    numbered: list[ButtonSpec] = []
    for i, c in enumerate(chunk, page * PAGE + 1):
        lock = " 🔒" if c.plan_codes else ""
        if c.hidden:  # only moderators are shown these
            lock += " " + ctx.t("catalog.hidden_mark")
        about = " · " + names.names(c.tags, ctx.locale) if c.tags else ""
        lines.append(
            f"{i}. {service.course_title(c, ctx.locale)} [{c.slug}] — {_level(ctx, c.level)}"
            f"{about}{lock}"
        )
        numbered.append(ButtonSpec(str(i), data=ctx.sign("catv", c.id)))
    # numbered buttons, 4 a row: fits Telegram screens and Discord's 5x5 component grid
    rows = [numbered[k : k + 4] for k in range(0, len(numbered), 4)]
    nav = []
    if page > 0:
        nav.append(_page_button(ctx, "◀", page - 1, query))
    if page < pages - 1:
        nav.append(_page_button(ctx, "▶", page + 1, query))
    if nav:
        rows.append(nav)
    lines.append(ctx.t("catalog.list_hint"))
    return [Reply("\n".join(lines), buttons=rows)]


@command("courses", help_key="help.courses", usage_key="usage.courses")
async def courses(ctx: Context, args: str) -> list[AnyReply]:
    return await _course_list(ctx, args, 0)


_ENROLL_SAID = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:(?:can|could|would) you |please )?(?:enrol+|sign) me (?:up )?(?:in(?:to)?|for|on) "
        r"(?P<x>.+?)(?: please)?[?.!]*$",
        r"^(?:i(?:'d| would) like|i want|i wanna|i need) to (?:enrol+|sign up|register) "
        r"(?:in(?:to)?|for|on) (?P<x>.+?)(?: please)?[?.!]*$",
        r"^how (?:do|can) i (?:enrol+|sign up|register) (?:in(?:to)?|for) (?P<x>.+?)[?.!]*$",
        r"^(?:请|麻烦)?(?:你)?(?:帮我|给我)(?:报名|报个名|注册|选)(?:一下)?(?P<x>.+?)[吧呢。！？?!]*$",
        r"^我(?:想|要|打算)(?:报名|报|选|参加)(?:一下)?(?P<x>.+?)[吧呢。！？?!]*$",
    )
]
_NOT_A_COURSE = re.compile(
    r"\b(?:membership|plan|subscription|trial|community|group|event|workshop)\b|会员|套餐|试用|社区|"
    r"群|活动|直播|工作坊|答疑",
    re.IGNORECASE,
)
_COURSE_WORD = re.compile(
    r"(?:这门|这个)?(?:课程|课)$|^(?:the|a|an|your)\s+|\s+(?:course|class)$", re.IGNORECASE
)


@help_answers.lookup
async def enroll_asked(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "enroll me in the git course", "帮我报名SQL入门", "我想报名Python基础": /enroll for the
    course named, or the likely ones to tap (each was posted for the community's forum)."""
    if ctx.event.chat.kind != "private":
        return None
    said = question.strip()
    m = next((m for p in _ENROLL_SAID if (m := p.match(said)) is not None), None)
    if m is None or _NOT_A_COURSE.search(m["x"]):
        return None
    ref = _COURSE_WORD.sub("", m["x"].strip()).strip() or m["x"]
    try:
        course = await service.find_course(ctx.session, ref)
    except NotFound:
        return await _did_you_mean(ctx, ref, "cate")
    return await _enroll(ctx, course)


@help_answers.lookup
async def courses_wanted(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "I want to learn machine learning", "我想学机器学习": the courses on it, to enroll in
    at once; None when the message says no such thing or no course is on it."""
    subject = asked.topic_wanted(question)
    if subject is None:
        return None
    listed = await service.visible_courses(ctx.session, include_hidden=ctx.is_mod())
    names = await topics.load(ctx.session)
    found, searched = service.search_spelled(listed, subject, names, ctx.locale)
    if not any(service.about(c, searched, names) for c in found):
        return None
    return await _course_list(ctx, subject, 0, listed)


NEW_DAYS = 60
"""How recent a course is "new" when a member asks what is."""


@help_answers.lookup
async def courses_for_the_question(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "how do i check which courses i've completed" (their /progress), "这段时间有新出什么课程吗"
    (the newest courses), "do you have anything for total beginners?" (the beginner ones):
    each opened a thread. None for any other question, and where the catalogue has none."""
    if asked.asks_for_progress(question):
        if ctx.event.chat.kind != "private":
            return None
        from core.router import run_command

        return await run_command(ctx, "progress", "")
    new, first = asked.asks_whats_new(question), asked.asks_for_beginners(question)
    if not (new or first):
        return None
    listed = await service.visible_courses(ctx.session, include_hidden=ctx.is_mod())
    if new:
        since = ctx.clock.now() - timedelta(days=NEW_DAYS)
        picked = sorted(
            (c for c in listed if c.created_at >= since),
            key=lambda c: c.created_at,
            reverse=True,
        )
        lead = ctx.t("catalog.asked_new", days=NEW_DAYS) if picked else ""
        if not picked:  # nothing that recent: the catalogue's latest, said so
            picked = sorted(listed, key=lambda c: c.created_at, reverse=True)[:3]
            lead = ctx.t("catalog.asked_new_none", days=NEW_DAYS)
    else:
        picked = [c for c in listed if c.level == "beginner"]
        lead = ctx.t("catalog.asked_beginners")
    if not picked:
        return None
    return [Reply(lead), *await _course_list(ctx, "", 0, picked)]


@button("catp")
async def courses_page(ctx: Context, parts: list[str]) -> list[AnyReply]:
    if not parts or not parts[0].isdecimal():
        raise DomainError("errors.button_expired")
    return await _course_list(ctx, parts[1] if len(parts) > 1 else "", int(parts[0]))


async def _course_by_id(ctx: Context, raw: str) -> Course:
    course = await ctx.session.get(Course, int(raw)) if raw.isdecimal() and len(raw) < 12 else None
    if course is None or (course.hidden and not ctx.is_mod()):
        raise NotFound("catalog.unknown_course", ref=raw[:20])
    return course


async def _lesson_by_id(ctx: Context, raw: str) -> tuple[Course, Lesson]:
    lesson = await ctx.session.get(Lesson, int(raw)) if raw.isdecimal() and len(raw) < 12 else None
    if lesson is None:
        raise ExpiredButton()  # the lesson left the catalogue
    return await _course_by_id(ctx, str(lesson.course_id)), lesson


@button("catv")
async def course_view(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """A course's card; `catv ID rec` is a tap on a /recommend suggestion (a click there)."""
    course = await _course_by_id(ctx, parts[0] if parts else "")
    source = "recommend" if parts[1:2] == ["rec"] else "chat"
    await service.record(
        ctx.session, ctx.clock, ctx.member.id, "view", course_id=course.id, source=source
    )
    lessons = await service.lessons_of(ctx.session, course.id)
    return [await _card(ctx, course, lessons)]


@help_answers.lookup
async def about_a_course(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "how long does the machine learning course take if i do like 3 hours a week", "is the
    statistics course too hard for me", "数据可视化这门课适合我吗", "Python入门课都讲些什么":
    the course's card, with what was asked of it answered from the catalogue (each opened
    a thread, or was offered for the forum). None when no one course is named."""
    kind = asked.aspect(question)
    if kind is None:
        return None
    listed = await service.visible_courses(ctx.session, include_hidden=ctx.is_mod())
    named = asked.named_course(question, [(c.id, c.title, c.title_zh) for c in listed])
    course = next((c for c in listed if c.id == named), None)
    if course is None:
        return None
    lessons = await service.lessons_of(ctx.session, course.id)
    title = service.course_title(course, ctx.locale)
    if kind == "duration":
        minutes = course.duration_minutes or sum(ls.duration_minutes for ls in lessons)
        said = ctx.t(
            "catalog.asked_duration",
            course=title,
            lessons=len(lessons),
            hours=service.hours(minutes),
        )
        pace = asked.weekly_minutes(question) or ctx.member.weekly_minutes
        if minutes and pace:
            weeks = max(1, -(-minutes // pace))
            said += " " + ctx.t("catalog.asked_pace", pace=service.hours(pace), weeks=weeks)
    elif kind == "content":
        said = ctx.t("catalog.asked_content", course=title) + "".join(
            f"\n{i}. {service.lesson_title(ls, ctx.locale)}"
            for i, ls in enumerate(lessons[:CONTENT_LESSONS], 1)
        )
        if len(lessons) > CONTENT_LESSONS:
            said += "\n…"
    else:  # level, or what it needs first: its level says which
        said = ctx.t(f"catalog.asked_level_{_LEVEL_SAID.get(course.level, 'later')}", course=title)
        if course.level != "beginner":
            easier = _easier(listed, course)
            if easier is not None:
                said += " " + ctx.t(
                    "catalog.asked_easier", course=service.course_title(easier, ctx.locale)
                )
    return [Reply(said), await _card(ctx, course, lessons)]


CONTENT_LESSONS = 12
_LEVEL_SAID = {"beginner": "beginner", "intermediate": "later", "advanced": "later"}


def _easier(listed: list[Course], course: Course) -> Course | None:
    """A beginner course sharing a topic with `course`, to take first."""
    tags = set(course.tags or [])
    return next(
        (
            c
            for c in listed
            if c.level == "beginner" and c.id != course.id and tags & set(c.tags or [])
        ),
        None,
    )


async def _card(ctx: Context, course: Course, lessons: list[Lesson]) -> Reply:
    """A course as its card shows it: level, author, length, topics, description, the plans
    that include it, and the button to enroll (or go on)."""
    desc = (
        course.description_zh
        if ctx.locale == "zh-CN" and course.description_zh
        else course.description
    )
    lines = [
        f"📘 {service.course_title(course, ctx.locale)} [{course.slug}]",
        ctx.t(
            "catalog.details",
            level=_level(ctx, course.level),
            author=course.author or "—",
            minutes=course.duration_minutes,
            lessons=len(lessons),
        ),
    ]
    if course.tags:
        about = (await topics.load(ctx.session)).names(course.tags, ctx.locale)
        lines.append(ctx.t("catalog.topics", topics=about))
    if desc:
        lines.append(desc)
    if course.plan_codes:
        names = await service.plan_titles(ctx.session, list(course.plan_codes), ctx.locale)
        lines.append(ctx.t("catalog.plans_note", plans=", ".join(names)))
    enrolled = await service.enrollment_of(ctx.session, ctx.member.id, course.id)
    btn = (
        ButtonSpec(ctx.t("catalog.btn_next"), data=ctx.sign("catn", course.id))
        if enrolled
        else ButtonSpec(ctx.t("catalog.btn_enroll"), data=ctx.sign("cate", course.id))
    )
    return Reply("\n".join(lines), buttons=[[btn]])


async def _enroll(ctx: Context, course: Course) -> list[AnyReply]:
    _, created = await service.enroll(
        ctx.session, ctx.clock, ctx.member, course, ctx.locale, _scoring(ctx)
    )
    title = service.course_title(course, ctx.locale)
    if not created:
        return [
            Reply(
                ctx.t("catalog.already_enrolled", course=title, slug=course.slug),
                buttons=[[ButtonSpec(ctx.t("catalog.btn_next"), data=ctx.sign("catn", course.id))]],
            )
        ]
    out: list[AnyReply] = [Reply(ctx.t("catalog.enrolled", course=title, slug=course.slug))]
    out += await _next(ctx, course)
    return out


async def _did_you_mean(ctx: Context, ref: str, action: str) -> list[AnyReply] | None:
    """Courses a member probably meant by a reference that names none (None: no guess).

    A bare number with no list behind it (`_listed`) is read as the place in the whole
    /courses list; words go through the same search as /courses. Each guess is a button,
    so nothing happens until the member picks one.
    """
    courses = await service.visible_courses(ctx.session, include_hidden=ctx.is_mod())
    guesses, query = service.did_you_mean(courses, ref, await topics.load(ctx.session))
    if not guesses:
        return None
    place = ref.strip().isdecimal()  # "/next 3" with no list read: the third in /courses
    key = "catalog.did_you_mean_place" if place else "catalog.did_you_mean"
    lines = [ctx.t(key, ref=ref.strip()[:64])]
    buttons = []
    for c in guesses[:GUESSES]:
        title = service.course_title(c, ctx.locale)
        lines.append(f"• {title} [{c.slug}]")
        buttons.append([ButtonSpec(title, data=ctx.sign(action, c.id))])
    if len(guesses) > GUESSES:
        more = " ".join(query.split())[:64]
        lines.append(ctx.t("catalog.more_guesses", n=len(guesses) - GUESSES, query=more).rstrip())
    return [Reply("\n".join(lines), buttons=buttons)]


@command("enroll", help_key="help.enroll", usage_key="usage.enroll")
async def enroll(ctx: Context, args: str) -> list[AnyReply]:
    if not args.strip():
        return await _which_course(ctx)
    if (listed := await _listed(ctx, args)) is not None:
        return await _enroll(ctx, listed)
    try:
        course = await service.find_course(ctx.session, args)
    except NotFound:
        if (guess := await _did_you_mean(ctx, args, "cate")) is not None:
            return guess
        await _no_such_number(ctx, args)
        raise
    return await _enroll(ctx, course)


async def _no_such_number(ctx: Context, ref: str) -> None:
    """ "/enroll 99" with no list read: "I don't know a course called “99”" read oddly."""
    if ref.strip().isdecimal():
        n = len(await service.visible_courses(ctx.session, include_hidden=ctx.is_mod()))
        raise DomainError("catalog.no_course_number", n=ref.strip()[:6], total=n)


async def _which_course(ctx: Context) -> list[AnyReply]:
    """A bare /enroll: the courses of the list the member last read that they are not
    taking yet, one tap each; with no such list, where to find one."""
    taken = set(
        (
            await ctx.session.execute(
                select(Enrollment.course_id).where(Enrollment.member_id == ctx.member.id)
            )
        ).scalars()
    )
    offered: list[Course] = []
    for course_id in await service.last_list(ctx.session, ctx.member):
        if course_id is None:
            continue
        course = await ctx.session.get(Course, course_id)
        if course is not None and not course.hidden and course.id not in taken:
            offered.append(course)
        if len(offered) == GUESSES:
            break
    if not offered:
        return [Reply(ctx.t("catalog.enroll_which_none"))]
    buttons = [
        [ButtonSpec(service.course_title(c, ctx.locale), data=ctx.sign("cate", c.id))]
        for c in offered
    ]
    return [Reply(ctx.t("catalog.enroll_which"), buttons=buttons)]


async def _listed(ctx: Context, ref: str) -> Course | None:
    """ "/enroll 3" right after a list: the third course the member just read."""
    course_id = service.listed_course_id(await service.last_list(ctx.session, ctx.member), ref)
    if course_id is None:
        return None
    course = await ctx.session.get(Course, course_id)
    return None if course is None or (course.hidden and not ctx.is_mod()) else course


@button("cate")
async def enroll_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    return await _enroll(ctx, await _course_by_id(ctx, parts[0] if parts else ""))


async def _next_lesson(ctx: Context, course: Course | None = None) -> tuple[Course, Lesson] | None:
    """The lesson /next gives: of `course`, or of the course the member is on (passing over
    courses their plan no longer includes)."""
    return await service.next_lesson(
        ctx.session, ctx.member.id, course, ctx.clock.now(), _scoring(ctx)
    )


async def _next(ctx: Context, course: Course | None) -> list[AnyReply]:
    if (
        course is not None
        and await service.enrollment_of(ctx.session, ctx.member.id, course.id) is None
    ):
        raise DomainError("catalog.not_enrolled", course=course.slug)
    found = await _next_lesson(ctx, course)
    if found is None:
        if course is None:
            return [Reply(ctx.t(await service.nothing_next(ctx.session, ctx.member.id)))]
        return [
            Reply(ctx.t("catalog.course_finished", course=service.course_title(course, ctx.locale)))
        ]
    c, lesson = found
    await service.check_access(ctx.session, ctx.clock, ctx.member, c, ctx.locale, _scoring(ctx))
    lessons = await service.lessons_of(ctx.session, c.id)
    n = next(i for i, x in enumerate(lessons, 1) if x.id == lesson.id)
    text = ctx.t(
        "catalog.next",
        course=service.course_title(c, ctx.locale),
        n=n,
        total=len(lessons),
        lesson=service.lesson_title(lesson, ctx.locale),
        minutes=lesson.duration_minutes,
    )
    row: list[ButtonSpec] = []
    if lesson.url:
        link = lesson_link(ctx.settings, ctx.member.id, lesson.id)
        row.append(
            ButtonSpec(ctx.t("catalog.btn_open"), url=link)
            if link
            else ButtonSpec(ctx.t("catalog.btn_open"), data=ctx.sign("cato", lesson.id))
        )
    elif lesson.content:
        text += "\n\n" + lesson.content
        await service.open_lesson(ctx.session, ctx.clock, ctx.member.id, lesson, "chat")
    row.append(ButtonSpec(ctx.t("catalog.btn_done"), data=ctx.sign("catd", lesson.id)))
    return [Reply(text, buttons=[row])]


@command("leave", help_key="help.leave", usage_key="usage.leave")
async def leave(ctx: Context, args: str) -> list[AnyReply]:
    """Stop taking a course: it leaves /next, /progress and the digests' "keep going"; the
    lessons done stay, for a return. There was no way out of a course once enrolled."""
    taking = await _taking(ctx)
    if not args.strip():
        if not taking:
            return [Reply(ctx.t("catalog.no_progress"))]
        return _which_to_leave(ctx, taking)
    if (listed := await _listed(ctx, args)) is not None:
        return await _leave(ctx, listed)
    try:
        course = await service.find_course(ctx.session, args)
    except NotFound:
        guesses, _ = service.did_you_mean(taking, args, await topics.load(ctx.session))
        if not guesses:
            return [Reply(ctx.t("catalog.leave_not_taking", course=" ".join(args.split())[:64]))]
        if len(guesses) == 1:  # "/leave git": the one course under way it names
            return await _leave(ctx, guesses[0])
        return _which_to_leave(ctx, guesses)
    return await _leave(ctx, course)


def _which_to_leave(ctx: Context, courses: list[Course]) -> list[AnyReply]:
    buttons = [
        [ButtonSpec(service.course_title(c, ctx.locale), data=ctx.sign("catl", c.id))]
        for c in courses[:GUESSES]
    ]
    return [Reply(ctx.t("catalog.leave_which"), buttons=buttons)]


@button("catl")
async def leave_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    return await _leave(ctx, await _course_by_id(ctx, parts[0] if parts else ""))


async def _taking(ctx: Context) -> list[Course]:
    """The courses the member is taking and has not finished, oldest enrollment first."""
    rows = await ctx.session.execute(
        select(Course)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.member_id == ctx.member.id, Enrollment.completed_at.is_(None))
        .order_by(Enrollment.enrolled_at, Enrollment.id)
    )
    return list(rows.scalars())


async def _leave(ctx: Context, course: Course) -> list[AnyReply]:
    title = service.course_title(course, ctx.locale)
    row = await service.enrollment_of(ctx.session, ctx.member.id, course.id)
    if row is None:
        return [Reply(ctx.t("catalog.leave_not_taking", course=title))]
    if row.completed_at is not None:  # a finished course stays among their achievements
        return [Reply(ctx.t("catalog.leave_finished", course=title))]
    done = len(await service.completed_lesson_ids(ctx.session, ctx.member.id, course.id))
    await ctx.session.delete(row)
    again = ButtonSpec(ctx.t("catalog.btn_enroll_again"), data=ctx.sign("cate", course.id))
    key = "catalog.left" if done else "catalog.left_fresh"
    return [Reply(ctx.t(key, course=title, n=done, slug=course.slug), [[again]])]


@command("next", help_key="help.next", usage_key="usage.next")
async def next_(ctx: Context, args: str) -> list[AnyReply]:
    if args.strip() and (listed := await _listed(ctx, args)) is not None:
        return await _next(ctx, listed)
    try:
        course = await service.find_course(ctx.session, args) if args.strip() else None
    except NotFound:
        if (guess := await _did_you_mean(ctx, args, "catv")) is not None:
            return guess
        await _no_such_number(ctx, args)
        raise
    return await _next(ctx, course)


@button("catn")
async def next_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    return await _next(ctx, await _course_by_id(ctx, parts[0] if parts else ""))


@button("cato")
async def open_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    course, lesson = await _lesson_by_id(ctx, parts[0] if parts else "")
    await service.check_access(
        ctx.session, ctx.clock, ctx.member, course, ctx.locale, _scoring(ctx)
    )
    await service.open_lesson(ctx.session, ctx.clock, ctx.member.id, lesson, "chat")
    body = lesson.url or lesson.content
    return [Reply(f"{service.lesson_title(lesson, ctx.locale)}\n{body}")]


async def _done(ctx: Context, course: Course, lesson: Lesson) -> list[AnyReply]:
    # as /next: a lesson of a course the member cannot open is not marked done (it was,
    # with points and a streak day, while /next refused the course)
    await service.check_access(
        ctx.session, ctx.clock, ctx.member, course, ctx.locale, _scoring(ctx)
    )
    res = await service.complete_lesson(ctx.session, ctx.clock, ctx.member, course, lesson)
    title = service.lesson_title(lesson, ctx.locale)
    if res.already:
        return [Reply(ctx.t("catalog.already_done", lesson=title))]
    text = ctx.t(
        "catalog.done",
        lesson=title,
        bar=service.progress_bar(res.done, res.total),
        done=res.done,
        total=res.total,
    )
    if res.course_completed:
        text += "\n" + ctx.t("catalog.course_done", course=service.course_title(course, ctx.locale))
        cert = await certificates.issue(ctx.session, ctx.clock, ctx.member, course, ctx.clock.now())
        # the check link is there only with a public_url (it promised one regardless)
        key = "catalog.cert_issued" if ctx.settings.public_url else "catalog.cert_issued_bot"
        text += "\n" + ctx.t(key, code=cert.code)
        return await _after_course(ctx, text)
    return [
        Reply(
            text,
            buttons=[[ButtonSpec(ctx.t("catalog.btn_next"), data=ctx.sign("catn", course.id))]],
        )
    ]


async def _after_course(ctx: Context, text: str) -> list[AnyReply]:
    """A finished course points somewhere: the next lesson of another course under way, or,
    with none, what to take next (it said only "Congratulations!")."""
    found = await _next_lesson(ctx)
    if found is not None:
        other = service.course_title(found[0], ctx.locale)
        label = ctx.t("catalog.btn_next_in", course=other)
        return [Reply(text, buttons=[[ButtonSpec(label, data=ctx.sign("catn", found[0].id))]])]
    return [Reply(text), *await suggestions(ctx)]


async def _of_current(ctx: Context, ref: str) -> tuple[Course, Lesson] | None:
    """Lesson ``ref`` (its number or title) of the course /next is on; None when no course
    is under way. A lesson the course lacks is refused with the course's lessons."""
    found = await _next_lesson(ctx)
    if found is None:
        return None
    return found[0], await service.find_lesson(ctx.session, found[0], ref, ctx.locale)


ALL_LESSONS = {"all", "everything", "全部", "所有", "都"}
"""Typed after /done: a lesson counts when it is studied, so none is marked in bulk."""


@command("done", help_key="help.done", usage_key="usage.done")
async def done(ctx: Context, args: str) -> list[AnyReply]:
    words = args.replace("/", " ").split()
    if words and words[0].lower() in ALL_LESSONS:  # "/done all": no course is called "all"
        raise DomainError("catalog.done_one_at_a_time")
    if not words:
        found = await _next_lesson(ctx)
        if found is None:
            raise DomainError(await service.nothing_next(ctx.session, ctx.member.id))
        course, lesson = found
    elif len(words) == 1 and words[0].isdecimal() and len(words[0]) < 4:
        # "/done 3": lesson 3 of the course /next is on (a number is no course's name)
        if (picked := await _of_current(ctx, words[0])) is None:
            raise DomainError("catalog.done_which_course", n=words[0])
        course, lesson = picked
    else:
        try:
            course = await service.find_course(ctx.session, words[0])
        except NotFound as unknown:
            # "/done inner joins", "/done exercises": a lesson's title, of the course /next
            # is on; a single word that names no lesson either is an unknown course
            try:
                picked = await _of_current(ctx, " ".join(words))
            except NotFound:
                if len(words) == 1:
                    raise unknown from None
                raise
            if picked is None:
                raise unknown from None
            course, lesson = picked
        else:
            if len(words) > 1:  # "/done sql-joins 3", "/done sql-joins inner joins"
                ref = " ".join(words[1:])
                lesson = await service.find_lesson(ctx.session, course, ref, ctx.locale)
            elif (found := await _next_lesson(ctx, course)) is not None:
                lesson = found[1]
            elif await service.enrollment_of(ctx.session, ctx.member.id, course.id) is None:
                raise DomainError("catalog.not_enrolled", course=course.slug)
            else:
                raise DomainError(
                    "catalog.course_finished", course=service.course_title(course, ctx.locale)
                )
    return await _done(ctx, course, lesson)


@button("catd")
async def done_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    course, lesson = await _lesson_by_id(ctx, parts[0] if parts else "")
    return await _done(ctx, course, lesson)


@command("progress", help_key="help.progress")
async def progress(ctx: Context, args: str) -> list[AnyReply]:
    prog = await service.progress(ctx.session, ctx.clock, ctx.member)
    if not prog.courses:
        return [Reply(ctx.t("catalog.no_progress"))]
    lines = [ctx.t("catalog.progress_header")]
    for cp in prog.courses:
        mark = " ✅" if cp.completed else ""
        fire = f" 🔥{cp.streak}" if cp.streak else ""
        lines.append(
            f"{service.course_title(cp.course, ctx.locale)}{mark}\n"
            f"  {service.progress_bar(cp.done, cp.total)} ({cp.done}/{cp.total}){fire}"
        )
    # the overall streak is engagement's: any learning day counts, with one freeze a week
    from core.engagement.service import learning_streak

    st = await learning_streak(ctx.session, ctx.clock, ctx.member)
    lines.append(ctx.t("catalog.streak", days=st.days))
    return [Reply("\n".join(lines))]


# --------------------------------------------------------------------------- moderators

EDITABLE = {
    "title": "title",
    "title_zh": "title_zh",
    "description": "description",
    "description_zh": "description_zh",
    "tags": "tags",
    "level": "level",
    "author": "author",
    "duration": "duration_minutes",
    "url": "url",
    "plans": "plan_codes",
}


def _validate(ctx: Context, field: str, value: object) -> object:
    v = _Validator()
    vals = v._values({field: value}, 0, "course", COURSE_FIELDS)
    if vals is None:
        raise DomainError("catalog.bad_value", field=field, hint=ctx.t(f"catalog.hint_{field}"))
    return vals[field]


def _snapshot(c: Course) -> dict[str, object]:
    return {
        k: (list(v) if isinstance(v, list) else v) for k in COURSE_FIELDS for v in [getattr(c, k)]
    }


async def _suggest_reply(ctx: Context, kind: str, target_id: int, text: str, slug: str) -> Reply:
    row = await propose(ctx.session, ctx.services, kind, target_id, text, ctx.clock.now())
    if row is None:
        return Reply(ctx.t("catalog.no_suggestions", slug=slug))
    return Reply(
        ctx.t("catalog.suggested", tags=", ".join(row.tags), slug=slug),
        buttons=[[ButtonSpec(ctx.t("catalog.btn_accept_tags"), data=ctx.sign("catt", row.id))]],
    )


async def _changed(
    ctx: Context, action: str, course: Course, lessons: tuple[int, ...] = ()
) -> None:
    await hooks.fire(ctx.session, hooks.ContentChanged(action, (course.id,), lessons, "chat"))


async def _audit(
    ctx: Context, action: str, target: str, before: dict | None, after: dict | None
) -> None:  # type: ignore[type-arg]
    await audit(
        ctx.session,
        ctx.clock,
        actor=f"member:{ctx.member.id}",
        actor_member_id=ctx.member.id,
        action=action,
        target=target,
        before=before,
        after=after,
    )


COURSE_WORDS = {"new": "add", "create": "add", "update": "edit", "unhide": "show", "ls": "list"}
COURSE_WORDS |= {
    **dict.fromkeys(("添加", "新建", "新增"), "add"),
    **dict.fromkeys(("编辑", "修改"), "edit"),
    **dict.fromkeys(("隐藏", "下架"), "hide"),
    **dict.fromkeys(("显示", "上架", "恢复"), "show"),
    **dict.fromkeys(("列表", "查找", "搜索"), "list"),
    "课时": "lesson",
    "建议": "suggest",
}
"""Other words moderators type for /course's actions, in English and Chinese."""


@command("course", role=Role.MODERATOR, help_key="help.course", usage_key="usage.course")
async def course_admin(ctx: Context, args: str) -> list[AnyReply]:
    sub, _, rest = args.strip().partition(" ")
    sub = COURSE_WORDS.get(sub.lower(), sub.lower())
    rest = rest.strip()
    usage = ctx.t("usage.course")
    if sub in ("list", "find", "search"):
        return await _course_list(ctx, rest, 0)  # /courses, hidden ones included
    if sub == "add":
        head, _, more = rest.partition("|")
        slug = head.strip().lower()
        title, _, tail = more.partition("|")
        title = title.strip()
        if not slug or not title:
            raise BadArguments("errors.usage", usage=usage)
        # after the title, in any order: a level word, a link, the description
        level, url, said = "beginner", "", []
        for part in (p.strip() for p in tail.split("|")):
            if part.lower() in service.LEVEL_KEYS:
                level = part.lower()
            elif part.lower().startswith(("http://", "https://")):
                url = str(_validate(ctx, "url", part))
            elif part:
                said.append(part)
        slug = str(_validate_slug(ctx, slug))
        title = str(_validate(ctx, "title", title))
        desc = str(_validate(ctx, "description", " | ".join(said)))
        if (await ctx.session.execute(select(Course.id).where(Course.slug == slug))).first():
            raise DomainError("catalog.slug_taken", slug=slug)
        course = Course(
            slug=slug,
            title=title,
            title_zh="",
            description=desc,
            description_zh="",
            tags=[],
            level=level,
            author="",
            duration_minutes=0,
            url=url,
            plan_codes=[],
            hidden=False,
            created_at=ctx.clock.now(),
        )
        ctx.session.add(course)
        await ctx.session.flush()
        await _audit(ctx, "catalog.course_add", f"course:{slug}", None, _snapshot(course))
        await _changed(ctx, "created", course)
        out: list[AnyReply] = [Reply(ctx.t("catalog.added", slug=slug, title=title))]
        out.append(await _suggest_reply(ctx, "course", course.id, f"{title}. {desc}", slug))
        return out
    if sub == "edit":
        parts = rest.split(None, 2)
        if len(parts) < 3 or parts[1].lower() not in EDITABLE:
            raise BadArguments("errors.usage", usage=usage)
        course = await service.find_course(ctx.session, parts[0], include_hidden=True)
        field = EDITABLE[parts[1].lower()]
        value = _validate(ctx, field, parts[2])
        before = _snapshot(course)
        if getattr(course, field) == value:
            return [Reply(ctx.t("catalog.unchanged", slug=course.slug))]
        setattr(course, field, value)
        if field == "tags":
            await _close_suggestions(ctx, "course", course.id, "edited")
        await _audit(ctx, "catalog.course_edit", f"course:{course.slug}", before, _snapshot(course))
        await _changed(ctx, "updated", course)
        return [Reply(ctx.t("catalog.edited", slug=course.slug, field=parts[1].lower()))]
    if sub in ("hide", "show"):
        course = await service.find_course(ctx.session, rest, include_hidden=True)
        hidden = sub == "hide"
        if course.hidden == hidden:
            return [Reply(ctx.t("catalog.unchanged", slug=course.slug))]
        course.hidden = hidden
        await _audit(
            ctx,
            f"catalog.course_{sub}",
            f"course:{course.slug}",
            {"hidden": not hidden},
            {"hidden": hidden},
        )
        await _changed(ctx, "hidden" if hidden else "shown", course)
        return [Reply(ctx.t(f"catalog.{'hidden' if hidden else 'shown'}", slug=course.slug))]
    if sub == "suggest":
        course = await service.find_course(ctx.session, rest, include_hidden=True)
        return [
            await _suggest_reply(
                ctx, "course", course.id, f"{course.title}. {course.description}", course.slug
            )
        ]
    if sub == "lesson":
        head, _, more = rest.partition("|")
        words = head.split()
        title, _, body = more.partition("|")
        title, body = title.strip(), body.strip()
        if len(words) != 2 or not title:
            raise BadArguments("errors.usage", usage=usage)
        course = await service.find_course(ctx.session, words[0], include_hidden=True)
        lslug = str(_validate_slug(ctx, words[1].lower()))
        title = str(_validate(ctx, "title", title))
        is_url = body.startswith(("http://", "https://"))
        if is_url:
            body = str(_validate(ctx, "url", body))
        elif len(body) > 4000 or "\x00" in body:
            raise DomainError(
                "catalog.bad_value", field="content", hint=ctx.t("catalog.hint_content")
            )
        lessons = await service.lessons_of(ctx.session, course.id)
        if any(x.slug == lslug for x in lessons):
            raise DomainError("catalog.slug_taken", slug=f"{course.slug}/{lslug}")
        lesson = Lesson(
            course_id=course.id,
            slug=lslug,
            module=lessons[-1].module if lessons else "",
            position=(max(x.position for x in lessons) + 1) if lessons else 1,
            title=title,
            title_zh="",
            content="" if is_url else body,
            url=body if is_url else "",
            duration_minutes=0,
            tags=[],
        )
        ctx.session.add(lesson)
        await ctx.session.flush()
        await _audit(
            ctx, "catalog.lesson_add", f"lesson:{course.slug}/{lslug}", None, {"title": title}
        )
        await _changed(ctx, "created", course, (lesson.id,))
        return [
            Reply(ctx.t("catalog.lesson_added", slug=f"{course.slug}/{lslug}")),
            await _suggest_reply(
                ctx, "lesson", lesson.id, f"{title}. {lesson.content}", f"{course.slug}/{lslug}"
            ),
        ]
    raise BadArguments("errors.usage", usage=usage)


def _validate_slug(ctx: Context, slug: str) -> str:
    from core.catalog.importer import SLUG_RE

    if not SLUG_RE.match(slug):
        raise DomainError("catalog.bad_value", field="slug", hint=ctx.t("catalog.hint_slug"))
    return slug


async def _close_suggestions(ctx: Context, kind: str, target_id: int, status: str) -> None:
    rows = (
        await ctx.session.execute(
            select(TagSuggestion).where(
                TagSuggestion.target_kind == kind,
                TagSuggestion.target_id == target_id,
                TagSuggestion.status == "pending",
            )
        )
    ).scalars()
    for row in rows:
        row.status = status
        row.decided_at = ctx.clock.now()
        row.decided_by = ctx.member.id


@button("catt", role=Role.MODERATOR)
async def accept_tags(ctx: Context, parts: list[str]) -> list[AnyReply]:
    raw = parts[0] if parts else ""
    sug = (
        await ctx.session.get(TagSuggestion, int(raw))
        if raw.isdecimal() and len(raw) < 12
        else None
    )
    if sug is None:
        raise DomainError("errors.button_expired")
    if sug.status != "pending":
        return [Reply(ctx.t("catalog.suggestion_closed"))]
    target: Course | Lesson | Question | None = None
    if sug.target_kind == "course":
        target = await ctx.session.get(Course, sug.target_id)
    elif sug.target_kind == "lesson":
        target = await ctx.session.get(Lesson, sug.target_id)
    elif sug.target_kind == "question":
        target = await ctx.session.get(Question, sug.target_id)
    if target is None:
        raise DomainError("errors.button_expired")
    before = list(target.tags)
    target.tags = list(dict.fromkeys([*before, *sug.tags]))
    await _close_suggestions(ctx, sug.target_kind, sug.target_id, "accepted")
    sug.status = "accepted"
    await _audit(
        ctx,
        "catalog.tags_accept",
        f"{sug.target_kind}:{sug.target_id}",
        {"tags": before},
        {"tags": target.tags},
    )
    if isinstance(target, Course):
        await _changed(ctx, "updated", target)
    elif isinstance(target, Lesson):
        await hooks.fire(
            ctx.session, hooks.ContentChanged("updated", (target.course_id,), (target.id,), "chat")
        )
    return [Reply(ctx.t("catalog.tags_accepted", tags=", ".join(target.tags)))]


@home_line(20)
async def lesson_at_home(ctx: Context) -> str | None:
    """/start for a returning member: the lesson /next would give."""
    found = await _next_lesson(ctx)
    if found is None:
        return None
    course, lesson = found
    return ctx.t(
        "catalog.home_next",
        course=service.course_title(course, ctx.locale),
        lesson=service.lesson_title(lesson, ctx.locale),
    )
