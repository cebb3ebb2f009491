"""One-time codes that link a member's accounts on different platforms into one member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class LinkCode(Base):
    """A short code issued on one platform and redeemed once, before it expires, on another."""

    __tablename__ = "link_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # where it was issued
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    used_by_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )


class IdentityHold(Base):
    """What outlives /forget for one platform account: a ban and the free trial it used.
    Keyed by an HMAC of "platform:user id" under the server's secret, with no name, member
    or message, so that erasing oneself resets neither (a banned member could otherwise come
    back clean, and anyone could start a new free trial after each erasure)."""

    __tablename__ = "identity_hold"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    banned_at: Mapped[datetime | None] = mapped_column(nullable=True)
    banned_until: Mapped[datetime | None] = mapped_column(nullable=True)  # a ban for a time
    trial_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.id", ondelete="SET NULL"), nullable=True
    )
    trial_at: Mapped[datetime | None] = mapped_column(nullable=True)
    kept_at: Mapped[datetime]
