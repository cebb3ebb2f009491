"""Q&A additions: answer feedback (tunes the confidence threshold) and expert invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class QAFeedback(Base):
    """A member's 👍/👎 on an answer the bot gave, with the confidence it had."""

    __tablename__ = "qa_feedback"
    __table_args__ = (UniqueConstraint("question_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    kb_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_entry.id", ondelete="SET NULL"), nullable=True, index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    confidence: Mapped[float] = mapped_column(Float)
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    via: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """None: an answer the search chose by its confidence (these tune the threshold);
    "asks": a built-in answer recognised from its short asks (core.qa.help_intents)."""


class QAThreadExpert(Base):
    """A member invited into a discussion thread as a likely expert."""

    __tablename__ = "qa_thread_expert"
    __table_args__ = (UniqueConstraint("thread_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="invited")  # invited|answered|done
    invited_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
