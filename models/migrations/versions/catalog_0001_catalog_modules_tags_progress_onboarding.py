"""catalog modules tags progress onboarding

Revision ID: catalog_0001
Revises: 0001_base
Create Date: 2026-11-23 11:09:11.719101
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "catalog_0001"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("catalog",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "catalog_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("title_zh", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_tag")),
        sa.UniqueConstraint("slug", name=op.f("uq_catalog_tag_slug")),
    )
    op.create_table(
        "course_module",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_module_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_module")),
        sa.UniqueConstraint("course_id", "slug", name=op.f("uq_course_module_course_id_slug")),
    )
    with op.batch_alter_table("course_module", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_module_course_id"), ["course_id"], unique=False)

    op.create_table(
        "enrollment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("completed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("last_activity_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_enrollment_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_enrollment_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment")),
        sa.UniqueConstraint(
            "member_id", "course_id", name=op.f("uq_enrollment_member_id_course_id")
        ),
    )
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollment_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrollment_member_id"), ["member_id"], unique=False)

    op.create_table(
        "onboarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("single", sa.Boolean(), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_onboarding_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding")),
        sa.UniqueConstraint("member_id", name=op.f("uq_onboarding_member_id")),
    )
    op.create_table(
        "tag_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["member.id"],
            name=op.f("fk_tag_suggestion_decided_by_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_suggestion")),
    )
    op.create_table(
        "lesson_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_lesson_completion_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lesson.id"],
            name=op.f("fk_lesson_completion_lesson_id_lesson"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_lesson_completion_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_completion")),
        sa.UniqueConstraint(
            "member_id", "lesson_id", name=op.f("uq_lesson_completion_member_id_lesson_id")
        ),
    )
    with op.batch_alter_table("lesson_completion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lesson_completion_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lesson_completion_member_id"), ["member_id"], unique=False
        )

    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "tags",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default=sa.text("'[]'"),
                nullable=False,
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.drop_column("tags")

    with op.batch_alter_table("lesson_completion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_completion_member_id"))
        batch_op.drop_index(batch_op.f("ix_lesson_completion_course_id"))

    op.drop_table("lesson_completion")
    op.drop_table("tag_suggestion")
    op.drop_table("onboarding")
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_member_id"))
        batch_op.drop_index(batch_op.f("ix_enrollment_course_id"))

    op.drop_table("enrollment")
    with op.batch_alter_table("course_module", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_module_course_id"))

    op.drop_table("course_module")
    op.drop_table("catalog_tag")
