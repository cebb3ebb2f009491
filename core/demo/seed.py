"""Seed the demo community: courses, lessons, FAQ, 60 members with history. Deterministic."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog import hooks
from core.clock import Clock
from models.catalog import Course, CourseModule, Enrollment, Lesson, LessonCompletion, Tag
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Account, Member
from models.qa import Answer, KBEntry, Question

DATA = Path(__file__).resolve().parents[2] / "config" / "demo" / "community.yaml"
LESSONS = DATA.with_name("lessons.yaml")

STAFF = ("mod", "owner")
"""The console handles the demo names as moderator and owner (see bot.cli.demo)."""
NAMES = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "wendy",
    "xiaoming",
    "lihua",
    "zhangwei",
    "wangfang",
    "liuyang",
    "chenjing",
    "yangli",
    "zhaolei",
    "huangmin",
    "zhoujie",
    "amir",
    "bea",
    "chidi",
    "dara",
    "eli",
    "fatima",
    "gus",
    "hana",
    "ines",
    "jon",
    "kai",
    "lucia",
    "marco",
    "nora",
    "oscar",
    "pia",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "umar",
    "vera",
    "wu",
    "xena",
    "yusuf",
    "zoe",
    "ana",
    "ben",
    "cleo",
    "dmitri",
]


def load_demo_data(path: Path = DATA, lessons: Path = LESSONS) -> dict[str, Any]:
    """The community file, with each course's lesson texts (``lessons.yaml``) where given."""
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    texts: dict[str, list[dict[str, str]]] = {}
    if lessons.exists():
        with lessons.open(encoding="utf-8") as fh:
            texts = yaml.safe_load(fh) or {}
    for course in data["courses"]:
        course.setdefault("lessons", texts.get(course["slug"], []))
    return data


async def is_seeded(session: AsyncSession) -> bool:
    return bool((await session.execute(select(func.count(Course.id)))).scalar_one())


def _console_account(member: Member, handle: str) -> Account:
    """The console account `/as HANDLE` speaks from."""
    return Account(
        member_id=member.id,
        platform="console",
        platform_user_id=handle,
        username=handle,
        chat_id=handle,
        created_at=member.created_at,
    )


async def seed_demo(
    session: AsyncSession, clock: Clock, seed: int = 7, *, staff: bool = True
) -> dict[str, int]:
    """Create the demo community once; returns counts. Safe to call on a seeded database.
    `staff`: also the console's moderator and owner (the recommender benchmark leaves them
    out, so its demo data stays the sample it was recorded on)."""
    if await is_seeded(session):
        return {}
    rng = random.Random(seed)
    data = load_demo_data()
    now = clock.now()
    courses: list[Course] = []
    for c in data["courses"]:
        course = Course(
            slug=c["slug"],
            title=c["title"],
            title_zh=c.get("title_zh", ""),
            description=c.get("description", ""),
            description_zh=c.get("description_zh", ""),
            tags=list(c.get("tags", [])),
            level=c.get("level", "beginner"),
            author=c.get("author", ""),
            duration_minutes=int(c.get("duration_minutes", 0)),
            url=f"https://learn.example.org/{c['slug']}",
            plan_codes=list(c.get("plan_codes", [])),
            hidden=False,
            created_at=now - timedelta(days=120),
        )
        session.add(course)
        courses.append(course)
    await session.flush()
    for t in data.get("tags", []):
        session.add(
            Tag(
                slug=t["slug"],
                title=t.get("title", ""),
                title_zh=t.get("title_zh", ""),
                description=t.get("description", ""),
            )
        )
    lessons: dict[int, list[Lesson]] = {}
    for course, spec in zip(courses, data["courses"], strict=True):
        texts = spec["lessons"] or [  # placeholders for a course lessons.yaml leaves out
            {
                "title": f"{course.title} — part {i}",
                "title_zh": f"{course.title_zh} — 第 {i} 课",
                "content": f"Part {i} of {course.title}. {course.description}",
            }
            for i in range(1, 4 + course.id % 3)
        ]
        n = len(texts)
        lessons[course.id] = []
        for k in range(1, (n + 1) // 2 + 1):
            session.add(
                CourseModule(
                    course_id=course.id,
                    slug=f"m{k}",
                    position=k,
                    title=f"Module {k}",
                    title_zh=f"第 {k} 单元",
                )
            )
        for i, text in enumerate(texts, start=1):
            lesson = Lesson(
                course_id=course.id,
                slug=f"l{i}",
                module=f"m{(i + 1) // 2}",
                position=i,
                title=text["title"],
                title_zh=text.get("title_zh", ""),
                content=text["content"],
                url=f"{course.url}/lessons/{i}",
                duration_minutes=course.duration_minutes // n,
            )
            session.add(lesson)
            lessons[course.id].append(lesson)
    await session.flush()
    # As `syllabot catalog import` would: the Q&A knowledge base indexes the course material
    # (and any other subscriber sees the new content), in this same transaction.
    await hooks.fire(
        session,
        hooks.ContentChanged("created", course_ids=tuple(c.id for c in courses), source="import"),
    )

    archetypes = data["archetypes"]
    members: list[Member] = []
    for i, name in enumerate(NAMES):
        arch = archetypes[i % len(archetypes)]
        zh = i in range(20, 30)
        member = Member(
            display_name=name.capitalize(),
            locale="zh-CN" if zh else "en",
            timezone="Asia/Shanghai"
            if zh
            else rng.choice(["UTC", "Europe/Berlin", "America/New_York"]),
            goals=arch["goal_zh"] if zh else arch["goal"],
            tags=list(arch["interest"]),
            level=rng.choice(["beginner", "intermediate", "advanced"]),
            digest_frequency=rng.choice(["daily", "weekly", "weekly", "off"]),
            digest_hour=rng.choice([8, 9, 18, 20]),
            peer_opt_in=rng.random() < 0.6,
            leaderboard_opt_in=rng.random() < 0.5,
            prefs={},
            created_at=now - timedelta(days=rng.randint(10, 100)),
        )
        session.add(member)
        members.append(member)
    await session.flush()
    for member, name in zip(members, NAMES, strict=True):
        session.add(_console_account(member, name))
    n_inter = 0
    for member in members:
        liked = [c for c in courses if set(c.tags) & set(member.tags)]
        others = [c for c in courses if c not in liked]
        picks = rng.sample(liked, k=min(len(liked), rng.randint(1, 4)))
        if others and rng.random() < 0.3:
            picks.append(rng.choice(others))
        for course in picks:
            at = member.created_at + timedelta(days=rng.randint(0, 9))
            session.add(
                Interaction(
                    member_id=member.id,
                    course_id=course.id,
                    kind="enroll",
                    weight=KIND_WEIGHTS["enroll"],
                    at=at,
                    source="import",
                    meta={},
                )
            )
            n_inter += 1
            done = rng.randint(0, len(lessons[course.id]))
            enrollment = Enrollment(
                member_id=member.id,
                course_id=course.id,
                enrolled_at=at,
                last_activity_at=at + timedelta(days=done),
            )
            session.add(enrollment)
            for j, lesson in enumerate(lessons[course.id][:done]):
                session.add(
                    LessonCompletion(
                        member_id=member.id,
                        lesson_id=lesson.id,
                        course_id=course.id,
                        completed_at=at + timedelta(days=j + 1),
                    )
                )
                session.add(
                    Interaction(
                        member_id=member.id,
                        course_id=course.id,
                        lesson_id=lesson.id,
                        kind="lesson_complete",
                        weight=KIND_WEIGHTS["lesson_complete"],
                        at=at + timedelta(days=j + 1),
                        source="import",
                        meta={},
                    )
                )
                n_inter += 1
            if done == len(lessons[course.id]):
                enrollment.completed_at = at + timedelta(days=done + 1)
                session.add(
                    Interaction(
                        member_id=member.id,
                        course_id=course.id,
                        kind="course_complete",
                        weight=KIND_WEIGHTS["course_complete"],
                        at=at + timedelta(days=done + 1),
                        source="import",
                        meta={},
                    )
                )
                n_inter += 1
    n_q = 0
    for k, faq in enumerate(data["faq"]):
        asker = members[(k * 7) % len(members)]
        helper = members[(k * 11 + 3) % len(members)]
        q = Question(
            member_id=asker.id,
            text=faq["title"],
            lang=faq.get("lang", "en"),
            tags=[],
            status="solved",
            created_at=now - timedelta(days=30 - k),
        )
        session.add(q)
        await session.flush()
        a = Answer(
            question_id=q.id,
            member_id=helper.id,
            text=faq["answer"],
            accepted=True,
            created_at=q.created_at + timedelta(hours=3),
        )
        session.add(a)
        session.add(
            KBEntry(
                source="thread",
                source_ref=f"question:{q.id}",
                title=faq["title"],
                body=faq.get("body", ""),
                answer=faq["answer"],
                lang=faq.get("lang", "en"),
                url="",
                tags=[],
                active=True,
                created_at=q.created_at,
                updated_at=q.created_at,
            )
        )
        session.add(
            Interaction(
                member_id=helper.id,
                kind="answer_accepted",
                weight=KIND_WEIGHTS["answer_accepted"],
                at=a.created_at,
                source="import",
                meta={"question_id": q.id},
            )
        )
        n_q += 1
    # The demo's moderator and owner (`/as mod`, `/as owner`) have met the bot before, as
    # staff have in a live community: questions nobody on the topic can take reach them, and
    # their digests carry the moderators' section. They are not members of the sample.
    for handle in STAFF if staff else ():
        person = Member(
            display_name=handle.capitalize(),
            locale="en",
            timezone="UTC",
            tags=[],
            prefs={},
            digest_frequency="daily",
            digest_hour=9,
            created_at=now - timedelta(days=120),
        )
        session.add(person)
        await session.flush()
        session.add(_console_account(person, handle))
    await session.flush()
    # the seeded members' levels are history: only levels reached in the demo are announced
    from core.engagement import service as engagement

    await engagement.sync(session, clock)
    await engagement.level_ups(session, clock)
    return {
        "courses": len(courses),
        "members": len(members),
        "interactions": n_inter,
        "questions": n_q,
    }
