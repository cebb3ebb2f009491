"""Plans, subscriptions, the payment ledger, access grants and redeemable codes.

The first-cut tables come from 0001_base; the membership branch (membership_0001) adds the
columns and tables that make money and access idempotent: one subscription row per member and
plan, issued payment intents (what we asked to be paid), webhook event ids, notices already
sent, trial claims and code attempts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType


class Plan(Base):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title_en: Mapped[str] = mapped_column(String(128))
    title_zh: Mapped[str] = mapped_column(String(128), default="")
    prices: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict
    )  # provider -> {amount, currency}
    period_days: Mapped[int] = mapped_column(Integer, default=30)  # 0 = lifetime
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    targets: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict
    )  # telegram/discord targets
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when a moderator edits the plan: start-up sync then leaves it alone.
    edited_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Subscription(Base):
    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("member_id", "plan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime]
    current_period_end: Mapped[datetime | None] = mapped_column(nullable=True)
    grace_until: Mapped[datetime | None] = mapped_column(nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="")
    external_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime]
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("provider", "provider_charge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_charge_id: Mapped[str] = mapped_column(String(255))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), nullable=True)
    amount: Mapped[int] = mapped_column(Integer)  # minor units
    currency: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))  # recorded|applied|rejected|refunded
    raw_hash: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    # A second provider id (Stripe payment_intent / subscription, Telegram user) for refunds.
    ext_ref: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscription.id", ondelete="SET NULL"), nullable=True
    )
    applied_at: Mapped[datetime | None] = mapped_column(nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class AccessGrant(Base):
    __tablename__ = "access_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))  # chat id or guild id
    role: Mapped[str | None] = mapped_column(String(64), nullable=True)
    invite_link: Mapped[str | None] = mapped_column(String(255), nullable=True)
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), nullable=True, index=True
    )
    revoke_reason: Mapped[str] = mapped_column(String(64), default="")


class Code(Base):
    __tablename__ = "code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    uses_left: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime]
    uses_total: Mapped[int] = mapped_column(Integer, default=1)
    hint: Mapped[str] = mapped_column(String(16), default="")  # last 4 chars, for moderators
    # A gift: the payment that bought its seats (created_by is the buyer); None: a moderator's.
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment.id", ondelete="SET NULL"), nullable=True, index=True
    )


class CodeRedemption(Base):
    """One row per member and code: a multi-use code still gives each member one use."""

    __tablename__ = "code_redemption"
    __table_args__ = (UniqueConstraint("code_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    at: Mapped[datetime]


class CodeAttempt(Base):
    """Wrong code guesses, counted per member in a sliding window (rate limit)."""

    __tablename__ = "code_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]


class TrialClaim(Base):
    """A member's one trial, across plans and platforms (the primary key enforces 'once')."""

    __tablename__ = "trial_claim"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    at: Mapped[datetime]


class PaymentIntent(Base):
    """What we asked a member to pay: the payload nonce binds member, plan, amount, currency."""

    __tablename__ = "payment_intent"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    provider: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    ext_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)  # Stripe session id
    # 0: the member pays for themselves; N: N seats for others, paid as a gift code with N uses.
    seats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the gift's message


class WebhookEvent(Base):
    """Provider event ids already processed: a replayed webhook changes nothing."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime]


class MembershipNotice(Base):
    """Reminders and state notices already sent, keyed by the period they are about."""

    __tablename__ = "membership_notice"
    __table_args__ = (UniqueConstraint("subscription_id", "kind", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    period_key: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime]
