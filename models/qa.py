"""Questions, answers, discussion threads and the curated knowledge base."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType


class Question(Base):
    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
    )
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(
        String(16), default="open"
    )  # answered|open|solved|stale|linked
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The open question this one was linked to as a duplicate (its asker hears the answer)."""
    created_at: Mapped[datetime]
    message_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """The private message that asked it, so an edit of that message asks again."""


class Answer(Base):
    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
    )
    text: Mapped[str] = mapped_column(Text)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    message_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """The platform message it was written in (its id in that chat), so an edit updates it."""


class Thread(Base):
    __tablename__ = "thread"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64), default="")
    thread_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    """Where members open the thread (Telegram topic link, Discord jump URL); "" unknown."""
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|solved|stale
    accepted_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime]
    bumped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    solve_asked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    """When the asker was asked which answer solved it (answered, never /solved); once."""


class KBEntry(Base):
    __tablename__ = "kb_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="faq")  # faq|lesson|thread|import
    source_ref: Mapped[str] = mapped_column(String(128), default="")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(8), default="en")
    url: Mapped[str] = mapped_column(String(500), default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
