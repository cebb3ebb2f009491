"""Engines, sessions and migrations. SQLite gets WAL and foreign keys; PostgreSQL is used as is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).with_name("migrations")


def sync_url(url: str) -> str:
    """The same database through a sync driver, for Alembic and CLI tools."""
    return url.replace("sqlite+aiosqlite", "sqlite").replace(
        "postgresql+asyncpg", "postgresql+psycopg2"
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_autocommit_driver(dbapi_conn: Any, record: Any) -> None:
    """Let SQLAlchemy, not the driver, open transactions (the documented pysqlite recipe).

    Otherwise the driver opens no transaction before a SAVEPOINT, so a savepoint that is the
    first write (an update-id or webhook-id record) commits on release even when the
    surrounding transaction later rolls back: a retried update would then be skipped."""
    _sqlite_pragmas(dbapi_conn, record)
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front and waits (busy_timeout) for it; a deferred
    # transaction that read first would fail at once when it later tries to write.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kw: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        kw.setdefault("connect_args", {"timeout": 30})
    else:
        kw.setdefault("pool_size", 10)
        kw.setdefault("max_overflow", 20)
        kw.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kw)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_autocommit_driver)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def make_sync_engine(url: str) -> Engine:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def conflict_insert(dialect: str, target: Any) -> Any:
    """An INSERT that takes `on_conflict_do_nothing` / `on_conflict_do_update` (and
    `excluded`): PostgreSQL's construct, or SQLite's for the other engine we run on."""
    if dialect == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_heads(url: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
