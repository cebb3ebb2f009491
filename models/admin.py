"""Moderator tooling tables: community events + RSVPs, broadcasts, pending confirmations, settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType


class CommunityEvent(Base):
    """A live session (workshop, office hours) members RSVP to; capacity 0 means unlimited."""

    __tablename__ = "community_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    link: Mapped[str] = mapped_column(String(500), default="")
    recording_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    """Where the recording of a past event is, once a moderator posts it; "" for none."""
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)


class EventRsvp(Base):
    __tablename__ = "event_rsvp"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("community_event.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    attended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    waitlisted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """On the waiting list of a full event (in `created_at` order), not going yet."""


class Broadcast(Base):
    """One moderator message to a segment; recipients get outbox rows `broadcast:<id>:<member>`."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|queued|cancelled
    send_at: Mapped[datetime]
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PendingAction(Base):
    """A change waiting for its confirmation button: used once, by its author, before expiry."""

    __tablename__ = "pending_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AdminSetting(Base):
    """Community-wide settings moderators change from chat (e.g. interaction log retention)."""

    __tablename__ = "admin_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    updated_at: Mapped[datetime]
