"""level reward retired_at: a removed reward is kept (retired) so the members who hold it
still lose it when their membership ends; it is no longer given to anyone

Revision ID: engagement_0006
Revises: engagement_0005
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "engagement_0006"
down_revision: str | Sequence[str] | None = "engagement_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("level_reward", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("level_reward", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
