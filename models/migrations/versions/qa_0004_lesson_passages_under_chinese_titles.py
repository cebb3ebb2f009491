"""qa lesson passages under Chinese titles: every English lesson passage whose lesson has a
Chinese title gets a Chinese-titled twin (``c{course}/l{lesson}:zh#{i}``), as the catalogue
sync now writes them, so knowledge bases indexed before it need no catalogue change first

Revision ID: qa_0004
Revises: qa_0003
Create Date: 2026-12-06 00:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "qa_0004"
down_revision: str | Sequence[str] | None = "qa_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KB = sa.table(
    "kb_entry",
    sa.column("id", sa.Integer),
    sa.column("source", sa.String),
    sa.column("source_ref", sa.String),
    sa.column("title", sa.String),
    sa.column("body", sa.Text),
    sa.column("answer", sa.Text),
    sa.column("lang", sa.String),
    sa.column("url", sa.String),
    sa.column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)
TITLE_CHARS = 300


def upgrade() -> None:
    bind = op.get_bind()
    titles = {
        lesson_id: (lesson_zh, course_zh or course_en)
        for lesson_id, lesson_zh, course_zh, course_en in bind.execute(
            sa.text(
                "SELECT l.id, l.title_zh, c.title_zh, c.title FROM lesson l "
                "JOIN course c ON c.id = l.course_id WHERE l.title_zh <> ''"
            )
        )
    }
    if not titles:
        return
    rows = bind.execute(
        sa.select(KB.c.source_ref, KB.c.answer, KB.c.url, KB.c.tags).where(
            KB.c.source == "lesson",
            KB.c.active.is_(True),
            KB.c.lang == "en",
            KB.c.source_ref.like("c%/l%#%"),
            KB.c.source_ref.not_like("%:zh#%"),
        )
    ).all()
    now = datetime.now(UTC).replace(tzinfo=None)
    twins = []
    for ref, answer, url, tags in rows:
        head, _, chunk = ref.partition("#")
        lesson = head.rsplit("/l", 1)[-1]
        if not lesson.isdigit() or int(lesson) not in titles:
            continue
        lesson_zh, course_zh = titles[int(lesson)]
        twins.append(
            {
                "source": "lesson",
                "source_ref": f"{head}:zh#{chunk}",
                "title": f"{lesson_zh} · {course_zh}"[:TITLE_CHARS],
                "body": "",
                "answer": answer,
                "lang": "zh",
                "url": url,
                "tags": tags,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    if twins:
        op.bulk_insert(KB, twins)


def downgrade() -> None:
    op.execute(
        KB.delete().where(KB.c.source == "lesson", KB.c.source_ref.like("%:zh#%"))
    )
