"""level rewards

Revision ID: engagement_0003
Revises: engagement_0002
Create Date: 2026-11-23 11:57:42.445957
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = "engagement_0003"
down_revision: str | Sequence[str] | None = "engagement_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "level_reward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level_reward")),
        sa.UniqueConstraint(
            "level",
            "platform",
            "target",
            "role",
            name=op.f("uq_level_reward_level_platform_target_role"),
        ),
    )
    op.create_table(
        "level_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reward_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_level_grant_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"],
            ["level_reward.id"],
            name=op.f("fk_level_grant_reward_id_level_reward"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level_grant")),
        sa.UniqueConstraint(
            "member_id", "reward_id", name=op.f("uq_level_grant_member_id_reward_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("level_grant")
    op.drop_table("level_reward")
