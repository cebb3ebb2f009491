"""Digests (one per member and period) and the outbox every outgoing bulk message goes through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType


class Digest(Base):
    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("member_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(32))  # e.g. "d:2026-11-23" / "w:2026-W48"
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(
        String(16), default="composed"
    )  # composed|queued|sent|failed|cancelled|empty|no_route
    created_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # engagement, for /digest stats: first button press, first "open" press
    opened_at: Mapped[datetime | None] = mapped_column(nullable=True)
    clicked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), nullable=True, index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))  # chat/channel/user id on that platform
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|sending|sent|failed|dead|unreachable|cancelled
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # claim lease: a worker that dies mid-batch leaves rows "sending"; after lease_until
    # another worker may take them back (see core/digest/outbox.py for the exact rules)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    message_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
