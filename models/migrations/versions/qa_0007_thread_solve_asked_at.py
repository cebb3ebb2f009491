"""qa thread solve_asked_at: when the asker of an answered thread that was never marked
solved was asked which answer solved it (once per thread)

Revision ID: qa_0007
Revises: qa_0006
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "qa_0007"
down_revision: str | Sequence[str] | None = "qa_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(sa.Column("solve_asked_at", models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_column("solve_asked_at")
