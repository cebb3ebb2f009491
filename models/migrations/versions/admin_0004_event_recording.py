"""community_event recording_url: the recording of a past event, posted by a moderator and
sent to everyone who signed up

Revision ID: admin_0004
Revises: admin_0003
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "admin_0004"
down_revision: str | Sequence[str] | None = "admin_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("community_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recording_url", sa.String(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("community_event", schema=None) as batch_op:
        batch_op.drop_column("recording_url")
