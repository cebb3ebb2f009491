"""The implicit-feedback log: every signal the recommender and engagement learn from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType

# kind -> default weight (negative = dislike). Services may pass their own weight.
KIND_WEIGHTS: dict[str, float] = {
    "view": 0.5,
    "enroll": 2.0,
    "lesson_open": 1.0,
    "lesson_complete": 3.0,
    "course_complete": 5.0,
    "digest_click": 1.5,
    "thumbs_up": 2.0,
    "thumbs_down": -2.0,
    "not_interested": -3.0,
    "question_asked": 1.0,
    "answer_given": 2.0,
    "answer_accepted": 4.0,
    "answer_helpful": 1.5,
    "thread_reply": 1.0,
    "event_attended": 2.0,
    "peer_session": 2.0,
    "recommend_shown": 0.0,  # an impression, not a signal: recorded without a course
}


class Interaction(Base):
    __tablename__ = "interaction"
    __table_args__ = (Index("ix_interaction_member_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL"), nullable=True, index=True
    )
    lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32), index=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32), default="")  # digest|recommend|chat|import
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
