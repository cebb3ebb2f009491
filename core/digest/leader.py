"""Exactly one scheduler leads: a PostgreSQL advisory lock, or a file lock next to SQLite.

PostgreSQL: `pg_try_advisory_lock` on a dedicated connection held for as long as we lead. If
the leader process dies its connection closes and the server drops the lock; a standby that
retries every `RETRY` seconds takes over well within a minute. Nothing is double-sent during a
hand-over because sending goes through outbox claims, not through leadership.
SQLite: one process per database file by design; an exclusive `flock` on `<db>.leader` makes a
second process on the same machine a standby instead of a second sender.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("syllabot.digest.leader")

LOCK_KEY = 0x5359_4C4C_4142  # "SYLLAB": one key per deployment database
RETRY = 15.0  # seconds between a standby's attempts; take-over < RETRY + TCP close


class Leadership:
    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: AsyncConnection | None = None
        self._fd: int | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    async def try_acquire(self) -> bool:
        """True if we lead now (idempotent while held)."""
        if self.held:
            return await self.still_held()
        if self.is_sqlite:
            return self._flock()
        conn = await self.engine.connect()
        try:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            ).scalar_one()
            await conn.commit()
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log.info("this process is the scheduler leader")
        return True

    async def still_held(self) -> bool:
        """Leaders check this before each round; a dropped connection means we lost the lock."""
        if self._fd is not None:
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:  # noqa: BLE001 - any failure: assume the server dropped our lock
            log.warning("lost the leader connection; stepping down")
            await self._drop()
            return False

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                await self._conn.commit()
            except Exception:  # noqa: BLE001
                pass
        await self._drop()

    async def _drop(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            # invalidate, not just close: a pooled connection would keep the session (and the
            # lock) alive; invalidating really disconnects, so the server drops the lock
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _flock(self) -> bool:
        path = _sqlite_path(self.engine)
        if path is None:  # in-memory database: one process by definition
            self._fd = os.open(os.devnull, os.O_RDONLY)
            return True
        fd = os.open(f"{path}.leader", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True


def _sqlite_path(engine: AsyncEngine) -> Path | None:
    db: Any = engine.url.database
    if not db or db == ":memory:":
        return None
    return Path(db).resolve()
