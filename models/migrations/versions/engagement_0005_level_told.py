"""level told: one congratulation per level reached

Revision ID: engagement_0005
Revises: engagement_0004
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "engagement_0005"
down_revision: str | Sequence[str] | None = "engagement_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "level_told",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("told_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_level_told_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_level_told")),
    )


def downgrade() -> None:
    op.drop_table("level_told")
