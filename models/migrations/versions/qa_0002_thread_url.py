"""qa thread url: where members open a discussion thread (a Telegram topic link, a Discord
jump URL), so answers drawn from it can link back to it

Revision ID: qa_0002
Revises: qa_0001
Create Date: 2026-12-05 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qa_0002"
down_revision: str | Sequence[str] | None = "qa_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("url", sa.String(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_column("url")
