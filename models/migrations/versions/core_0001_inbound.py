"""inbound update dedupe

Revision ID: core_0001
Revises: 0001_base
Create Date: 2026-11-23 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "core_0001"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_update")),
        sa.UniqueConstraint("platform", "update_id", name=op.f("uq_inbound_update_platform_update_id")),
    )
    op.create_index(op.f("ix_inbound_update_received_at"), "inbound_update", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_update_received_at"), table_name="inbound_update")
    op.drop_table("inbound_update")
