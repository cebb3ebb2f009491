"""recommend: peer_match

Revision ID: recommend_0001
Revises: 0001_base
Create Date: 2026-11-23 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "recommend_0001"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("recommend",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_a_id", sa.Integer(), nullable=False),
        sa.Column("member_b_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("suggested_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_a_id"],
            ["member.id"],
            name=op.f("fk_peer_match_member_a_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_b_id"],
            ["member.id"],
            name=op.f("fk_peer_match_member_b_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_match")),
    )
    op.create_index("ix_peer_match_a_at", "peer_match", ["member_a_id", "suggested_at"])
    op.create_index("ix_peer_match_b_at", "peer_match", ["member_b_id", "suggested_at"])


def downgrade() -> None:
    op.drop_index("ix_peer_match_b_at", table_name="peer_match")
    op.drop_index("ix_peer_match_a_at", table_name="peer_match")
    op.drop_table("peer_match")
