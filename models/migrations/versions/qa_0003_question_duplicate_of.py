"""qa question duplicate_of: which question a linked duplicate was linked to, so its asker
hears the answer when that thread is solved

Revision ID: qa_0003
Revises: qa_0002
Create Date: 2026-12-05 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qa_0003"
down_revision: str | Sequence[str] | None = "qa_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_question_duplicate_of"), ["duplicate_of"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_question_duplicate_of_question"),
            "question",
            ["duplicate_of"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_question_duplicate_of_question"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_question_duplicate_of"))
        batch_op.drop_column("duplicate_of")
