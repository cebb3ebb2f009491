"""qa answer message_ref: the platform message an answer came from, so an edit of that
message updates the answer

Revision ID: qa_0005
Revises: qa_0004
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qa_0005"
down_revision: str | Sequence[str] | None = "qa_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_ref", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_answer_message_ref"), ["message_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_message_ref"))
        batch_op.drop_column("message_ref")
