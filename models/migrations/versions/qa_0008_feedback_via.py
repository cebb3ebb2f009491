"""qa_feedback via: "asks" for a vote on a built-in answer recognised from its short asks
(core.qa.help_intents), which the search's confidence did not choose, so it does not tune
the answer threshold

Revision ID: qa_0008
Revises: qa_0007
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qa_0008"
down_revision: str | Sequence[str] | None = "qa_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("qa_feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("qa_feedback", schema=None) as batch_op:
        batch_op.drop_column("via")
