"""member.banned_until: a ban for a time (`/ban @member 7d`) lifts by itself

Revision ID: membership_0002
Revises: membership_0001
Create Date: 2026-12-06 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "membership_0002"
down_revision: str | Sequence[str] | None = "membership_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("banned_until", models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("banned_until")
