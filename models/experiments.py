"""A/B experiments: definitions, sticky per-member assignments, and logged exposures (for IPS)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType


class Experiment(Base):
    __tablename__ = "experiment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"name": "control", "weight": 50, "params": {...}}, ...]
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    metric: Mapped[str] = mapped_column(String(32))  # digest_click|enroll_7d|lesson_complete|...
    guardrail: Mapped[str] = mapped_column(String(32), default="unsubscribe")
    target: Mapped[str] = mapped_column(String(32), default="")  # what it changes, e.g. "digest"
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|stopped
    salt: Mapped[str] = mapped_column(String(32), default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ExperimentAssignment(Base):
    """Recorded the first time a member meets the experiment; never moved afterwards."""

    __tablename__ = "experiment_assignment"
    __table_args__ = (UniqueConstraint("experiment_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiment.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    variant: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime]


class Exposure(Base):
    """An item shown to a member by a policy, with the probability it had of being shown."""

    __tablename__ = "rec_exposure"
    __table_args__ = (Index("ix_rec_exposure_member_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    policy: Mapped[str] = mapped_column(String(64), default="")
    propensity: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(32), default="")  # digest|recommend
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime]
