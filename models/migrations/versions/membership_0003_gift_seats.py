"""Gifts and team seats: an intent for others' seats (with the buyer's message), and the code its payment made

Revision ID: membership_0003
Revises: membership_0002
Create Date: 2026-12-07 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "membership_0003"
down_revision: str | Sequence[str] | None = "membership_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_intent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seats", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("note", sa.String(length=200), nullable=True))
    with op.batch_alter_table("code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_code_payment_id"), ["payment_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_code_payment_id_payment"),
            "payment",
            ["payment_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("code", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_code_payment_id_payment"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_code_payment_id"))
        batch_op.drop_column("payment_id")
    with op.batch_alter_table("payment_intent", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("seats")
