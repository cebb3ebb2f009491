"""qa question message_ref: the private message that asked a question, so an edit of that
message runs the search again

Revision ID: qa_0006
Revises: qa_0005
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qa_0006"
down_revision: str | Sequence[str] | None = "qa_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_ref", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_question_message_ref"), ["message_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_message_ref"))
        batch_op.drop_column("message_ref")
