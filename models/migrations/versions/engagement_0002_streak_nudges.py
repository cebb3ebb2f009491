"""streak nudges

Revision ID: engagement_0002
Revises: engagement_0001
Create Date: 2026-11-23 11:56:34.842256
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = "engagement_0002"
down_revision: str | Sequence[str] | None = "engagement_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "streak_nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_streak_nudge_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streak_nudge")),
        sa.UniqueConstraint("member_id", "day", name=op.f("uq_streak_nudge_member_id_day")),
    )


def downgrade() -> None:
    op.drop_table("streak_nudge")
