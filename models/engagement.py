"""Points ledger derived from the interaction log (plus audited moderator adjustments).

Rows with an `interaction_id` are derived and can be rebuilt from scratch at any time;
rows without one are moderator adjustments and survive a rebuild.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PointsEntry(Base):
    __tablename__ = "points_entry"
    __table_args__ = (Index("ix_points_entry_member_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interaction.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # interaction kind, or "adjust"
    points: Mapped[int] = mapped_column(Integer, default=0)  # 0 = over the daily cap
    day: Mapped[str] = mapped_column(String(10))  # member-local date, YYYY-MM-DD
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )


class StreakNudge(Base):
    """One 'your streak is about to break' reminder per member and local day, at most."""

    __tablename__ = "streak_nudge"
    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime]


class LevelTold(Base):
    """The highest level a member was congratulated on: each level is told once, and a
    level lost to a correction and reached again is not told twice."""

    __tablename__ = "level_told"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(Integer)
    told_at: Mapped[datetime]


class LevelReward(Base):
    """What reaching a level unlocks in this community: a Discord role or Telegram title/chat."""

    __tablename__ = "level_reward"
    __table_args__ = (UniqueConstraint("level", "platform", "target", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))  # guild / chat id
    role: Mapped[str] = mapped_column(String(64), default="")  # role id / custom title
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None] = mapped_column(nullable=True)
    """Removed by a moderator: given to nobody new; those who hold it lose it as before
    (when their membership ends), or at once if the moderator asked."""


class LevelGrant(Base):
    """A reward given to a member: granted once, revoked when their membership ends."""

    __tablename__ = "level_grant"
    __table_args__ = (UniqueConstraint("member_id", "reward_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("level_reward.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class EngagementSetting(Base):
    """Small per-community settings moderators set in chat (e.g. the leaderboard channel)."""

    __tablename__ = "engagement_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), default="")
