"""event_rsvp waitlisted: a full event keeps a waiting list, and a place that frees up goes
to the first on it

Revision ID: admin_0003
Revises: admin_0002
Create Date: 2026-12-06 06:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "admin_0003"
down_revision: str | Sequence[str] | None = "admin_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event_rsvp", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waitlisted", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("event_rsvp", schema=None) as batch_op:
        batch_op.drop_column("waitlisted")
