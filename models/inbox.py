"""Webhook inbox: raw platform updates held durably between the 200 answer and their processing.

The webhook answers as soon as the row is committed; consumers apply rows later, oldest first
per `order_key`, and mark them processed. Keyed by (platform, update_id), so a redelivery is a
no-op insert.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class InboxUpdate(Base):
    __tablename__ = "inbox_update"
    __table_args__ = (
        # consumers scan pending rows oldest first, and look up earlier rows of the same key
        Index("ix_inbox_update_pending", "processed_at", "platform", "update_id"),
        Index("ix_inbox_update_key", "platform", "order_key", "processed_at", "update_id"),
    )

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # whose updates must apply in order: the member acting (= the chat in private chats)
    order_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the request body as received
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
