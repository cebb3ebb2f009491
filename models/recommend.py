"""Recommender tables: study-partner suggestions (for the no-repeat window and the cap)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PeerMatch(Base):
    """Member ``b`` was suggested to member ``a`` as a study partner."""

    __tablename__ = "peer_match"
    __table_args__ = (
        Index("ix_peer_match_a_at", "member_a_id", "suggested_at"),
        Index("ix_peer_match_b_at", "member_b_id", "suggested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_a_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    member_b_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(
        String(16), default="suggested"
    )  # suggested|accepted|declined
    suggested_at: Mapped[datetime]
