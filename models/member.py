"""A member is one person; accounts are their identities on each platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JSONType


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    role: Mapped[str] = mapped_column(String(16), default="member")  # member|expert|moderator|owner
    # with role "banned": when the ban lifts by itself (a moderator's `/ban @x 7d`); None = until /unban
    banned_until: Mapped[datetime | None] = mapped_column(nullable=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(16), default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    weekly_minutes: Mapped[int] = mapped_column(Integer, default=0)
    digest_frequency: Mapped[str] = mapped_column(String(8), default="weekly")  # daily|weekly|off
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday
    digest_hour: Mapped[int] = mapped_column(Integer, default=9)
    quiet_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quiet_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    peer_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    expert_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    recommend_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    prefs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]
    forgotten_at: Mapped[datetime | None] = mapped_column(nullable=True)

    accounts: Mapped[list[Account]] = relationship(back_populates="member", lazy="selectin")


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # telegram|discord|console
    platform_user_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # DM chat to reach them
    created_at: Mapped[datetime]

    member: Mapped[Member] = relationship(back_populates="accounts")
