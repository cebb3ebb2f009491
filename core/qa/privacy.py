"""/mydata and /forget for Q&A tables (``register_privacy``).

Forget: a member's unsolved questions (and their threads) are deleted; solved ones and
their answers stay as community knowledge (they feed the knowledge base) but lose the link
to the member; feedback votes and expert invitations are deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin.privacy import register
from models.qa import Answer, Question
from models.qa_extra import QAFeedback, QAThreadExpert


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


async def export_qa(session: AsyncSession, member_id: int) -> Any:
    questions = (
        (await session.execute(select(Question).where(Question.member_id == member_id)))
        .scalars()
        .all()
    )
    answers = (
        (await session.execute(select(Answer).where(Answer.member_id == member_id))).scalars().all()
    )
    votes = (
        (await session.execute(select(QAFeedback).where(QAFeedback.member_id == member_id)))
        .scalars()
        .all()
    )
    invites = (
        (await session.execute(select(QAThreadExpert).where(QAThreadExpert.member_id == member_id)))
        .scalars()
        .all()
    )
    return {
        "questions": [
            {"id": q.id, "text": q.text, "status": q.status, "asked_at": _iso(q.created_at)}
            for q in questions
        ],
        "answers": [
            {
                "question_id": a.question_id,
                "text": a.text,
                "accepted": a.accepted,
                "at": _iso(a.created_at),
            }
            for a in answers
        ],
        "feedback": [
            {"question_id": v.question_id, "helpful": v.helpful, "at": _iso(v.created_at)}
            for v in votes
        ],
        "expert_invitations": [
            {"thread_id": i.thread_id, "status": i.status, "at": _iso(i.invited_at)}
            for i in invites
        ],
    }


async def forget_qa(session: AsyncSession, member_id: int, now: datetime) -> None:
    await session.execute(delete(QAFeedback).where(QAFeedback.member_id == member_id))
    await session.execute(delete(QAThreadExpert).where(QAThreadExpert.member_id == member_id))
    await session.execute(
        delete(Question).where(Question.member_id == member_id, Question.status != "solved")
    )
    await session.execute(
        update(Question).where(Question.member_id == member_id).values(member_id=None)
    )
    await session.execute(
        update(Answer).where(Answer.member_id == member_id).values(member_id=None)
    )


def register_privacy() -> None:
    """Q&A's part of /mydata and /forget (called when core.qa.commands is imported)."""
    register(
        "qa",
        tables=("question", "answer", "thread", "qa_feedback", "qa_thread_expert"),
        export=export_qa,
        forget=forget_qa,
    )
