"""identity_hold: a ban and the used free trial kept, under a keyed hash of the platform
account, when a member erases themselves with /forget

Revision ID: accounts_0002
Revises: accounts_0001
Create Date: 2026-12-06 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "accounts_0002"
down_revision: str | Sequence[str] | None = "accounts_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("membership_0001",)  # the plan table


def upgrade() -> None:
    op.create_table(
        "identity_hold",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("banned_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("banned_until", models.base.UTCDateTime(), nullable=True),
        sa.Column("trial_plan_id", sa.Integer(), nullable=True),
        sa.Column("trial_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("kept_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_plan_id"],
            ["plan.id"],
            name=op.f("fk_identity_hold_trial_plan_id_plan"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_identity_hold")),
    )


def downgrade() -> None:
    op.drop_table("identity_hold")
