"""engagement settings

Revision ID: engagement_0004
Revises: engagement_0003
Create Date: 2026-11-23 11:58:54.097777
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = "engagement_0004"
down_revision: str | Sequence[str] | None = "engagement_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engagement_setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_engagement_setting")),
    )


def downgrade() -> None:
    op.drop_table("engagement_setting")
