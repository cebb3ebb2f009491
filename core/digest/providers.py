"""Where digest content comes from: the recommender (injected), plus small built-in sections.

The seam: `recommender(services)` returns whatever `services.get("recommender", ...)` holds,
adapted to `RecommenderPort`. When `core/recommend/service.py` exists its service is used;
otherwise a simple popularity-by-shared-tags fallback keeps digests useful (and testable).
Other features add sections with `register_section("events", fn)`.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import peer_declines
from core.catalog import topics
from core.catalog.topics import Topics
from core.context import Services
from core.localtime import zone
from models.catalog import Course, Lesson
from models.interaction import Interaction
from models.member import Member
from models.qa import Answer, Question

log = logging.getLogger("syllabot.digest")


@dataclass(frozen=True)
class Item:
    """One line of a digest. `kind`: course|peer|question|event|nudge; `ref`: its id."""

    kind: str
    ref: int
    title: str
    reason: str = ""  # already in the member's language
    url: str = ""
    propensity: float = 1.0  # probability this item was chosen for its slot (for IPS replay)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "title": self.title,
            "reason": self.reason,
            "url": self.url,
            "propensity": self.propensity,
        }


class RecommenderPort(Protocol):
    async def recommend_for(
        self, session: AsyncSession, member: Member, k: int, locale: str
    ) -> Sequence[Item]: ...

    async def peers_for(
        self, session: AsyncSession, member: Member, k: int, locale: str
    ) -> Sequence[Item]: ...


SectionFn = Callable[[AsyncSession, Member, datetime, str], Awaitable[Sequence[Item]]]
SECTIONS: dict[str, SectionFn] = {}
STAFF_SECTIONS: dict[str, SectionFn] = {}
PEER_WINDOW = 60


def register_section(name: str, fn: SectionFn, *, staff: bool = False) -> SectionFn:
    """Add a digest section (e.g. the learning streak); `staff`: only moderators' and
    owners' digests carry it (their queues: questions waiting, reports)."""
    (STAFF_SECTIONS if staff else SECTIONS)[name] = fn
    return fn


# ---------------------------------------------------------------- the recommender seam


def _build_recommender(services: Services) -> RecommenderPort:
    try:
        mod = importlib.import_module("core.recommend.service")
    except ModuleNotFoundError as exc:
        if exc.name and "core.recommend" in exc.name:
            return FallbackRecommender()
        raise
    return RecommendServiceAdapter(mod, services)


def recommender(services: Services) -> RecommenderPort:
    obj = services.get("digest.recommender", _build_recommender)
    return obj


def _first_attr(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


async def seen_courses(session: AsyncSession, member_ids: list[int]) -> dict[int, set[int]]:
    """Courses each member already touched (any interaction), for many members at once."""
    out: dict[int, set[int]] = defaultdict(set)
    for mid, cid in await session.execute(
        select(Interaction.member_id, Interaction.course_id).where(
            Interaction.member_id.in_(member_ids), Interaction.course_id.is_not(None)
        )
    ):
        if cid is not None:
            out[mid].add(cid)
    return out


def _reason_text(reason: Any, locale: str, names: Topics) -> str:
    """An explanation as text: a string, an i18n (key, params) object, or a list of them;
    the topics it names read as their titles in ``locale``."""
    from core.i18n import has_key, translate

    if reason is None:
        return ""
    if isinstance(reason, (list, tuple)):
        return "; ".join(filter(None, (_reason_text(r, locale, names) for r in reason)))
    key = getattr(reason, "key", None)
    if isinstance(key, str):
        params = names.named(getattr(reason, "params", {}) or {}, locale)
        if has_key(key):
            return translate(locale, key, **params)
        english = getattr(reason, "english", None)
        return str(english()) if callable(english) else key
    return str(reason)


async def _call_service(
    fn: Any, services: Services, session: AsyncSession, member_id: int, k: int
) -> Any:
    """Call the recommender's function with whichever of the agreed signatures it has."""
    import inspect

    sig = inspect.signature(fn)
    for args, kwargs in (
        ((session, member_id, k), {}),
        ((services, session, member_id, k), {}),
        ((session, member_id), {"k": k}),
        ((), {"session": session, "member_id": member_id, "k": k}),
    ):
        try:
            sig.bind(*args, **kwargs)
        except TypeError:
            continue
        got = fn(*args, **kwargs)
        return await got if inspect.isawaitable(got) else got
    raise TypeError(f"cannot call {fn!r} as recommend_for(session, member_id, k)")


async def _courses_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Course]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(Course).where(Course.id.in_(wanted)))
    return {c.id: c for c in rows.scalars()}


async def _with_titles(
    session: AsyncSession,
    items: list[Item],
    locale: str,
    found: dict[int, Course] | None = None,
) -> list[Item]:
    """Fill in titles and links the recommender left out (it may return only ids).

    ``found``: courses already loaded for a whole batch (else one query here)."""
    missing = [i.ref for i in items if not i.title or not i.url]
    if not missing:
        return items
    if found is None:
        found = await _courses_by_id(session, missing)
    out = []
    for it in items:
        c = found.get(it.ref)
        if c is None:
            if it.title:
                out.append(it)
            continue
        title = it.title or (c.title_zh if locale == "zh-CN" and c.title_zh else c.title)
        out.append(Item(it.kind, it.ref, title, it.reason, it.url or c.url))
    return out


def _locale(member: Member) -> str:
    from core.i18n import normalize_locale

    return normalize_locale(member.locale)


def _course_items(got: Any, locale: str, names: Topics) -> list[Item]:
    """The recommender's suggestions (objects or dicts) as digest items in ``locale``."""
    out = []
    for r in got or []:
        cid = _first_attr(r, "course_id", "item_id", "id")
        if cid is None:
            continue
        title = _first_attr(r, "title", default="")
        if locale == "zh-CN":
            title = _first_attr(r, "title_zh", default="") or title
        reason = _first_attr(r, "explanation", "explanations", "reason", "why", default="")
        url = _first_attr(r, "url", default="") or ""
        out.append(Item("course", int(cid), str(title), _reason_text(reason, locale, names), url))
    return out


class RecommendServiceAdapter:
    """Adapts core.recommend.service (recommend_for / peers_for) to RecommenderPort."""

    def __init__(self, mod: Any, services: Services) -> None:
        self.mod = mod
        self.services = services
        self.fallback = FallbackRecommender()

    async def recommend_for(
        self, session: AsyncSession, member: Member, k: int, locale: str
    ) -> Sequence[Item]:
        fn = getattr(self.mod, "recommend_for", None)
        if fn is None:
            return await self.fallback.recommend_for(session, member, k, locale)
        got = await _call_service(fn, self.services, session, member.id, k)
        items = _course_items(got, locale, await topics.load(session))
        return await _with_titles(session, items, locale)

    async def recommend_many(
        self, session: AsyncSession, members: Sequence[Member], k: int
    ) -> dict[int, list[Item]] | None:
        """Suggestions for many members in one pass (None: the service has no batch API)."""
        fn = getattr(self.mod, "recommend_many", None)
        if fn is None:
            return None
        got = await fn(self.services, session, [m.id for m in members], k)
        names = await topics.load(session)
        items = {m.id: _course_items(got.get(m.id), _locale(m), names) for m in members}
        missing = {i.ref for its in items.values() for i in its if not i.title or not i.url}
        found = await _courses_by_id(session, missing)
        return {m.id: await _with_titles(session, items[m.id], _locale(m), found) for m in members}

    async def peers_many(
        self, session: AsyncSession, members: Sequence[Member], k: int
    ) -> dict[int, list[Item]] | None:
        """Study partners for many members in one pass (None: the service has no batch API)."""
        fn = getattr(self.mod, "peers_many", None)
        if fn is None:
            return None
        got = await fn(self.services, session, [m.id for m in members], k)
        names = await topics.load(session)
        return {m.id: _peer_items(got.get(m.id), _locale(m), names) for m in members}

    async def peers_for(
        self, session: AsyncSession, member: Member, k: int, locale: str
    ) -> Sequence[Item]:
        fn = getattr(self.mod, "peers_for", None)
        if fn is None:
            return await self.fallback.peers_for(session, member, k, locale)
        got = await _call_service(fn, self.services, session, member.id, k)
        return _peer_items(got, locale, await topics.load(session))


def _peer_items(got: Any, locale: str, names: Topics) -> list[Item]:
    """The recommender's study partners (objects or dicts) as digest items in ``locale``."""
    out = []
    for p in got or []:
        pid = _first_attr(p, "member_id", "peer_id", "id")
        if pid is None:
            continue
        name = _first_attr(p, "display_name", "name", default="") or f"#{pid}"
        reason = _first_attr(p, "explanation", "reason", default="")
        out.append(Item("peer", int(pid), str(name), _reason_text(reason, locale, names)))
    return out


@dataclass
class FallbackRecommender:
    """Courses popular among members who share the member's tags; peers sharing most tags.

    Caches catalogue-wide counts for a few minutes so composing 10,000 digests reads them once.
    """

    popularity: Counter[int] = field(default_factory=Counter)
    courses: dict[int, Course] = field(default_factory=dict)
    peers_by_tag: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    names: Topics = field(default_factory=Topics)
    loaded_at: float | None = None
    ttl_s: float = 600.0

    async def _load(self, session: AsyncSession) -> None:
        if self.loaded_at is not None and time.monotonic() - self.loaded_at < self.ttl_s:
            return
        self.courses = {
            c.id: c
            for c in (await session.execute(select(Course).where(Course.hidden.is_(False))))
            .scalars()
            .all()
        }
        rows = await session.execute(
            select(Interaction.course_id, func.count())
            .where(Interaction.course_id.is_not(None), Interaction.weight > 0)
            .group_by(Interaction.course_id)
        )
        self.popularity = Counter({int(cid): int(n) for cid, n in rows if cid is not None})
        peers: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for mid, name, tags in await session.execute(
            select(Member.id, Member.display_name, Member.tags).where(
                Member.peer_opt_in.is_(True), Member.forgotten_at.is_(None)
            )
        ):
            for t in tags or []:
                peers[t].append((mid, name))
        self.peers_by_tag = dict(peers)
        self.names = await topics.load(session)
        self.loaded_at = time.monotonic()

    async def recommend_for(
        self,
        session: AsyncSession,
        member: Member,
        k: int,
        locale: str,
        *,
        seen: set[int] | None = None,
    ) -> Sequence[Item]:
        from core.i18n import translate

        await self._load(session)
        if seen is None:
            seen = (await seen_courses(session, [member.id]))[member.id]
        mine = set(member.tags or [])
        scored = []
        for cid, c in self.courses.items():
            if cid in seen:
                continue
            shared = sorted(mine & set(c.tags or []))
            if not shared:
                continue
            scored.append((len(shared), self.popularity[cid], -cid, c, shared[0]))
        scored.sort(reverse=True)
        out = []
        for _, _, _, c, tag in scored[:k]:
            title = c.title_zh if locale == "zh-CN" and c.title_zh else c.title
            why = translate(locale, "digest.why_tag", tag=self.names.in_sentence(tag, locale))
            out.append(Item("course", c.id, title, why, c.url))
        return out

    async def peers_for(
        self, session: AsyncSession, member: Member, k: int, locale: str
    ) -> Sequence[Item]:
        from core.i18n import translate

        await self._load(session)
        score: Counter[int] = Counter()
        names: dict[int, str] = {}
        why: dict[int, str] = {}
        declined = await peer_declines.declined_ids(session, member.id)  # as the recommender
        for t in sorted(member.tags or []):
            # a window of the tag's opted-in members, placed by member id: O(1) per member
            # and different members see different peers (the recommender does this properly)
            pool = self.peers_by_tag.get(t, [])
            start = (member.id * 7919) % len(pool) if pool else 0
            window = (pool[start:] + pool[:start])[:PEER_WINDOW]
            for pid, name in window:
                if pid == member.id or pid in declined:
                    continue
                score[pid] += 1
                names[pid] = name
                why.setdefault(pid, t)
        best = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [
            Item(
                "peer",
                pid,
                names[pid],
                translate(locale, "digest.why_peer", tag=self.names.in_sentence(why[pid], locale)),
            )
            for pid, _ in best
        ]


# ---------------------------------------------------------------- built-in sections


async def recent_open_questions(session: AsyncSession) -> list[Any]:
    return list(
        (
            await session.execute(
                select(Question.id, Question.text, Question.tags, Question.member_id, Question.lang)
                .where(Question.status == "open")
                .order_by(Question.created_at.desc(), Question.id.desc())
                .limit(200)
            )
        ).all()
    )


async def open_questions(
    session: AsyncSession,
    member: Member,
    now: datetime,
    locale: str,
    limit: int = 2,
    *,
    rows: list[Any] | None = None,
    names: Topics | None = None,
    answered_in: Collection[str] | None = None,
) -> list[Item]:
    """Open questions in the member's areas that someone else asked, in a language they
    read (theirs, or one they have answered in): they could answer."""
    from core.i18n import reads_language, translate

    mine = set(member.tags or [])
    if not mine:
        return []
    if rows is None:
        rows = await recent_open_questions(session)
    if names is None:
        names = await topics.load(session)
    if answered_in is None:
        answered_in = (await answered_languages(session, [member.id])).get(member.id, set())
    out = []
    for qid, text, tags, asker, lang in rows:
        if asker == member.id or not reads_language(member.locale, lang, answered_in):
            continue
        shared = sorted(mine & set(tags or []))
        if shared:
            title = text if len(text) <= 90 else text[:87] + "…"
            why = translate(locale, "digest.why_question", tag=names.in_sentence(shared[0], locale))
            out.append(Item("question", qid, title, why))
        if len(out) >= limit:
            break
    return out


async def answered_languages(session: AsyncSession, member_ids: list[int]) -> dict[int, set[str]]:
    """The languages of the questions each member has answered."""
    out: dict[int, set[str]] = defaultdict(set)
    for mid, lang in await session.execute(
        select(Answer.member_id, Question.lang)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.member_id.in_(member_ids), Question.lang.is_not(None))
        .distinct()
    ):
        if mid is not None:
            out[mid].add(lang)
    return out


async def progress_rows(session: AsyncSession, member_ids: list[int]) -> dict[int, list[Any]]:
    """(course, lesson, kind) completion rows per member, for many members in one query."""
    out: dict[int, list[Any]] = defaultdict(list)
    for mid, cid, lid, kind in await session.execute(
        select(
            Interaction.member_id, Interaction.course_id, Interaction.lesson_id, Interaction.kind
        ).where(
            Interaction.member_id.in_(member_ids),
            Interaction.kind.in_(("lesson_complete", "course_complete")),
            Interaction.course_id.is_not(None),
        )
    ):
        out[mid].append((cid, lid, kind))
    return out


def _started(done: list[Any]) -> dict[int, set[int]]:
    """Course -> lessons completed, for courses started but not finished."""
    finished = {cid for cid, _, kind in done if kind == "course_complete"}
    lessons: dict[int, set[int]] = defaultdict(set)
    for cid, lid, kind in done:
        if (
            kind == "lesson_complete"
            and lid is not None
            and cid is not None
            and cid not in finished
        ):
            lessons[cid].add(lid)
    return lessons


@dataclass
class CourseFacts:
    """Lesson counts and course rows for the courses some members are part-way through."""

    totals: dict[int, int] = field(default_factory=dict)
    courses: dict[int, Course] = field(default_factory=dict)
    asked: frozenset[int] = frozenset()  # the course ids these facts were read for

    @classmethod
    async def load(cls, session: AsyncSession, course_ids: Iterable[int]) -> CourseFacts:
        ids = sorted(set(course_ids))
        if not ids:
            return cls()
        totals = await session.execute(
            select(Lesson.course_id, func.count())
            .where(Lesson.course_id.in_(ids))
            .group_by(Lesson.course_id)
        )
        return cls(
            {int(c): int(n) for c, n in totals.all()},
            await _courses_by_id(session, ids),
            frozenset(ids),
        )

    @classmethod
    async def for_progress(
        cls, session: AsyncSession, progress: dict[int, list[Any]]
    ) -> CourseFacts:
        """Facts for every course a nudge could name, for many members in two queries."""
        return await cls.load(session, {c for done in progress.values() for c in _started(done)})


async def progress_nudges(
    session: AsyncSession,
    member: Member,
    now: datetime,
    locale: str,
    limit: int = 2,
    *,
    rows: list[Any] | None = None,
    facts: CourseFacts | None = None,
    plans: set[str] | None = None,
) -> list[Item]:
    """'2 lessons left in X': courses started (lessons completed) but not finished. A course
    the member can no longer open (its plan ended) says so, with where to renew: "keep going"
    alone led to /next saying it is closed.

    ``rows``, ``facts`` and ``plans`` (the member's live plan codes): read once for a whole
    chunk (else queried here)."""
    from core.catalog.access import can_access, member_plan_codes
    from core.i18n import translate

    done = rows if rows is not None else (await progress_rows(session, [member.id]))[member.id]
    if not done:
        return []
    lessons = _started(done)
    if not lessons:
        return []
    if facts is None or not facts.asked.issuperset(lessons):
        facts = await CourseFacts.load(session, lessons)
    totals, courses = facts.totals, facts.courses
    out = []
    for cid in sorted(lessons, key=lambda c: (totals.get(c, 0) - len(lessons[c]), c)):
        left = int(totals.get(cid, 0)) - len(lessons[cid])
        c = courses.get(cid)
        if c is None or left <= 0:
            continue
        title = c.title_zh if locale == "zh-CN" and c.title_zh else c.title
        key = "digest.lessons_left"
        if c.plan_codes:
            if plans is None:  # read once for the member's nudges
                plans = await member_plan_codes(session, member.id, now)
            if not await can_access(session, member.id, c, now, codes=plans):
                key = "digest.lessons_left_closed"
        out.append(Item("nudge", cid, title, translate(locale, key, n=left), c.url))
        if len(out) >= limit:
            break
    return out


EVENTS_AHEAD = timedelta(days=7)


async def upcoming_event_rows(session: AsyncSession, now: datetime, limit: int = 2) -> list[Any]:
    """(id, title, starts_at, link, full, going) of the next events within a week; [] without
    the table. `full`: a capped event whose places are all taken (only its waiting list is
    open); `going`: the ids of the members with a place."""
    try:
        from models.admin import CommunityEvent, EventRsvp
    except ImportError:  # the admin feature is not installed
        return []
    rows = (
        await session.execute(
            select(
                CommunityEvent.id,
                CommunityEvent.title,
                CommunityEvent.starts_at,
                CommunityEvent.link,
                CommunityEvent.capacity,
            )
            .where(
                CommunityEvent.cancelled_at.is_(None),
                CommunityEvent.starts_at > now,
                CommunityEvent.starts_at <= now + EVENTS_AHEAD,
            )
            .order_by(CommunityEvent.starts_at, CommunityEvent.id)
            .limit(limit)
        )
    ).all()
    going_ids: dict[int, set[int]] = {r[0]: set() for r in rows}
    if going_ids:
        q = select(EventRsvp.event_id, EventRsvp.member_id).where(
            EventRsvp.event_id.in_(list(going_ids)), EventRsvp.waitlisted.is_(False)
        )
        for event_id, member_id in (await session.execute(q)).all():
            going_ids[event_id].add(member_id)
    return [
        (i, t, at, link, bool(cap) and len(going_ids[i]) >= cap, going_ids[i])
        for i, t, at, link, cap in rows
    ]


async def upcoming_events(
    session: AsyncSession,
    member: Member,
    now: datetime,
    locale: str,
    *,
    rows: list[Any] | None = None,
) -> list[Item]:
    """Upcoming community events, times in the member's own timezone."""
    from core.i18n import translate

    if rows is None:
        rows = await upcoming_event_rows(session, now)
    tz = zone(member.timezone or "UTC")
    return [
        Item(
            "event",
            eid,
            title,
            translate(
                locale,
                "digest.event_when_going"
                if member.id in going
                else "digest.event_when_full"
                if full
                else "digest.event_when",
                when=starts.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            ),
            link or "",
        )
        for eid, title, starts, link, full, going in rows
    ]
