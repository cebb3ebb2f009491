"""Onboarding interview state: a row per member, so it resumes later and on the other platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType


class Onboarding(Base):
    __tablename__ = "onboarding"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|done|skipped
    step: Mapped[str] = mapped_column(String(16), default="goals")
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    single: Mapped[bool] = mapped_column(default=False)  # editing one answer from /profile
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
