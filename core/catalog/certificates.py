"""Certificates of completion: one per finished course, with a code anyone can check.

"do i get a certificate when i finish a course?", "is there a verification link employers
can check", "i finished the python basics course like 2 weeks ago and didn't get anything":
a member who finishes every lesson of a course now gets a certificate at once (and for
courses finished before, on asking with /certificate). Its code is random and unguessable
(60 bits), so the public check page shows a name only to whoever holds the code.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit
from core.clock import Clock
from core.localtime import zone
from models.catalog import Certificate, Course, Enrollment, Lesson
from models.member import Member

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
PATH = "/certificates/"
"""Where the check page is served (bot/http/certificates.py)."""


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize(code: str) -> str:
    """ "abcd efgh-jkmn" -> "ABCD-EFGH-JKMN" (any case, spaces or none)."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else ""


async def _held(session: AsyncSession, member_id: int, course_id: int) -> Certificate | None:
    return (
        await session.execute(
            select(Certificate).where(
                Certificate.member_id == member_id, Certificate.course_id == course_id
            )
        )
    ).scalar_one_or_none()


async def issue(
    session: AsyncSession, clock: Clock, member: Member, course: Course, completed_at: datetime
) -> Certificate:
    """The member's certificate for the course, issued now if it has none (idempotent)."""
    if (found := await _held(session, member.id, course.id)) is not None:
        return found
    lessons = list(
        (
            await session.execute(
                select(Lesson.duration_minutes).where(Lesson.course_id == course.id)
            )
        )
        .scalars()
        .all()
    )
    cert = Certificate(
        code=new_code(),
        member_id=member.id,
        course_id=course.id,
        name=member.display_name or "",
        course_title=course.title,
        course_title_zh=course.title_zh or "",
        lessons=len(lessons),
        minutes=course.duration_minutes or sum(lessons),
        completed_at=completed_at,
        issued_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(cert)
            await session.flush()
    except IntegrityError:  # issued by a racing request: that one stands
        if (won := await _held(session, member.id, course.id)) is None:
            raise
        return won
    await audit(
        session,
        clock,
        actor=f"member:{member.id}",
        actor_member_id=member.id,
        action="certificate.issued",
        target=f"certificate:{cert.id}",
        after={"course": course.id},
    )
    return cert


async def of_member(session: AsyncSession, clock: Clock, member: Member) -> list[Certificate]:
    """Every certificate of the member, issuing those for courses finished before there were
    certificates (or before this feature reached their community); newest first."""
    finished = (
        await session.execute(
            select(Enrollment, Course)
            .join(Course, Course.id == Enrollment.course_id)
            .where(Enrollment.member_id == member.id, Enrollment.completed_at.is_not(None))
        )
    ).all()
    for enrollment, course in finished:
        await issue(session, clock, member, course, enrollment.completed_at or clock.now())
    rows = (
        await session.execute(
            select(Certificate)
            .where(Certificate.member_id == member.id)
            .order_by(Certificate.completed_at.desc(), Certificate.id.desc())
        )
    ).scalars()
    return list(rows)


async def by_code(session: AsyncSession, code: str) -> Certificate | None:
    norm = normalize(code)
    if not norm:
        return None
    return (
        await session.execute(select(Certificate).where(Certificate.code == norm))
    ).scalar_one_or_none()


async def revoke(
    session: AsyncSession, clock: Clock, cert: Certificate, actor: Member, reason: str
) -> bool:
    """Revoke once (audited); False when it already was."""
    if cert.revoked_at is not None:
        return False
    cert.revoked_at = clock.now()
    await audit(
        session,
        clock,
        actor=f"member:{actor.id}",
        actor_member_id=actor.id,
        action="certificate.revoked",
        target=f"certificate:{cert.id}",
        before={"revoked": False},
        after={"revoked": True},
        reason=reason[:200],
    )
    return True


def check_url(public_url: str, cert: Certificate) -> str | None:
    """The public page that confirms the certificate; None without a public address."""
    if not public_url.startswith("https://"):
        return None
    return public_url.rstrip("/") + PATH + quote(cert.code)


def linkedin_url(cert: Certificate, community: str, public_url: str) -> str:
    """LinkedIn's "Add to profile" link for a certification, filled in."""
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": cert.course_title,
        "organizationName": community,
        "issueYear": str(cert.completed_at.year),
        "issueMonth": str(cert.completed_at.month),
        "certId": cert.code,
    }
    if url := check_url(public_url, cert):
        params["certUrl"] = url
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def day_of(cert: Certificate, tz: str | None) -> str:
    """The day the course was completed, in the holder's time zone (a member in Shanghai who
    finished at 07:00 there read the day before, the UTC date)."""
    return cert.completed_at.astimezone(zone(tz)).date().isoformat()


async def completed_on(session: AsyncSession, cert: Certificate) -> str:
    holder = await session.get(Member, cert.member_id)
    return day_of(cert, holder.timezone if holder is not None else None)
