"""audit_log is append-only, enforced by the database

The only UPDATE allowed is the foreign key's own ON DELETE SET NULL of `actor_member_id`
(every other column unchanged); DELETE is refused. TRUNCATE and DROP (test resets,
downgrades) are not row operations and still work.

Revision ID: admin_0002
Revises: admin_0001
Create Date: 2026-11-23 11:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "admin_0002"
down_revision: str | Sequence[str] | None = "admin_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SAME = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in ("id", "at", "actor", "action", "target", "before", "after", "reason")
)

SQLITE_UP = [
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    WHEN NOT (NEW.actor_member_id IS NULL AND {_SAME})
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
]

PG_UP = [
    f"""CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.actor_member_id IS NULL
           AND {_SAME.replace(" IS ", " IS NOT DISTINCT FROM ")} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only';
    END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
]


def upgrade() -> None:
    for stmt in PG_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(stmt)


def downgrade() -> None:
    for stmt in PG_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(stmt)
