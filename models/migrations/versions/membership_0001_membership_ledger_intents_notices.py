"""membership: one subscription per member+plan, intents, webhook ids, notices, trials, codes

Revision ID: membership_0001
Revises: 0001_base
Create Date: 2026-11-23 11:11:55.547696
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "membership_0001"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("membership",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
        sa.UniqueConstraint(
            "provider", "event_id", name=op.f("uq_webhook_event_provider_event_id")
        ),
    )
    op.create_table(
        "code_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_code_attempt_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_attempt")),
    )
    with op.batch_alter_table("code_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_attempt_member_id"), ["member_id"], unique=False)

    op.create_table(
        "payment_intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("ext_ref", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_payment_intent_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_payment_intent_plan_id_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intent")),
        sa.UniqueConstraint("nonce", name=op.f("uq_payment_intent_nonce")),
    )
    with op.batch_alter_table("payment_intent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_intent_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "trial_claim",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_trial_claim_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_trial_claim_plan_id_plan")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_trial_claim")),
    )
    op.create_table(
        "code_redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["code.id"],
            name=op.f("fk_code_redemption_code_id_code"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_code_redemption_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_redemption")),
        sa.UniqueConstraint(
            "code_id", "member_id", name=op.f("uq_code_redemption_code_id_member_id")
        ),
    )
    op.create_table(
        "membership_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_membership_notice_subscription_id_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_notice")),
        sa.UniqueConstraint(
            "subscription_id",
            "kind",
            "period_key",
            name=op.f("uq_membership_notice_subscription_id_kind_period_key"),
        ),
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("revoke_reason", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_access_grant_member_id"), ["member_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_access_grant_member_id_member"),
            "member",
            ["member_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("code", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("uses_total", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("hint", sa.String(length=16), nullable=False, server_default="")
        )

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ext_ref", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("applied_at", models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("refunded_at", models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "meta",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )
        batch_op.create_index(batch_op.f("ix_payment_ext_ref"), ["ext_ref"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_subscription_id_subscription"),
            "subscription",
            ["subscription_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", models.base.UTCDateTime(), nullable=True))

    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_renew", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("cancelled_at", models.base.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_subscription_member_id_plan_id"), ["member_id", "plan_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_subscription_member_id_plan_id"), type_="unique")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("auto_renew")

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("edited_at")

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_payment_subscription_id_subscription"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_payment_ext_ref"))
        batch_op.drop_column("meta")
        batch_op.drop_column("refunded_at")
        batch_op.drop_column("applied_at")
        batch_op.drop_column("subscription_id")
        batch_op.drop_column("ext_ref")

    with op.batch_alter_table("code", schema=None) as batch_op:
        batch_op.drop_column("hint")
        batch_op.drop_column("uses_total")

    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_access_grant_member_id_member"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_access_grant_member_id"))
        batch_op.drop_column("revoke_reason")
        batch_op.drop_column("member_id")

    op.drop_table("membership_notice")
    op.drop_table("code_redemption")
    op.drop_table("trial_claim")
    with op.batch_alter_table("payment_intent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_intent_member_id"))

    op.drop_table("payment_intent")
    with op.batch_alter_table("code_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_attempt_member_id"))

    op.drop_table("code_attempt")
    op.drop_table("webhook_event")
