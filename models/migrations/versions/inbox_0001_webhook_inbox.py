"""webhook inbox: raw updates held between the 200 answer and their processing

Revision ID: inbox_0001
Revises: 0001_base
Create Date: 2026-12-05 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "inbox_0001"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("inbox",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("order_key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("claimed_until", models.base.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("platform", "update_id", name=op.f("pk_inbox_update")),
    )
    op.create_index(
        "ix_inbox_update_pending",
        "inbox_update",
        ["processed_at", "platform", "update_id"],
        unique=False,
    )
    op.create_index(
        "ix_inbox_update_key",
        "inbox_update",
        ["platform", "order_key", "processed_at", "update_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_update_key", table_name="inbox_update")
    op.drop_index("ix_inbox_update_pending", table_name="inbox_update")
    op.drop_table("inbox_update")
