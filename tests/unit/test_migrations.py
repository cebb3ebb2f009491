"""Models and migrations agree, and migrations go up and down cleanly on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import models
from models.db import downgrade, make_sync_engine, upgrade


def _diff(url: str) -> list:
    eng = make_sync_engine(url)
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            return compare_metadata(ctx, models.Base.metadata)
    finally:
        eng.dispose()


def _tables(url: str) -> set[str]:
    eng = make_sync_engine(url)
    try:
        return set(inspect(eng).get_table_names()) - {"alembic_version"}
    finally:
        eng.dispose()


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgres"])
def test_models_match_migrations_and_round_trip(engine_kind, tmp_path, request):
    if engine_kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("pg_database")
        if url is None:
            pytest.skip("PostgreSQL not reachable")
    diff = [d for d in _diff(url) if not (isinstance(d, tuple) and "apscheduler" in str(d))]
    assert diff == [], f"models and migrations differ: {diff}"
    expected = {t.name for t in models.Base.metadata.sorted_tables}
    assert expected <= _tables(url)
    if engine_kind == "sqlite":  # the session's PostgreSQL database is shared: see below
        downgrade(url, "base")
        assert _tables(url) == set()
        upgrade(url)
        assert expected <= _tables(url)


def _throwaway_pg(request):  # -> (url, drop)
    import uuid

    from sqlalchemy import create_engine, text

    from models.db import sync_url

    admin = request.getfixturevalue("pg_database")
    if admin is None:
        pytest.skip("PostgreSQL not reachable")
    name = f"sb_mig_{uuid.uuid4().hex[:8]}"
    eng = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def test_postgres_downgrade_and_upgrade_round_trip(request):
    """On a throwaway PostgreSQL database: heads -> base -> heads."""
    url, drop = _throwaway_pg(request)
    try:
        upgrade(url)
        expected = {t.name for t in models.Base.metadata.sorted_tables}
        assert expected <= _tables(url)
        downgrade(url, "base")
        assert _tables(url) == set()
        upgrade(url)
        assert expected <= _tables(url)
    finally:
        drop()


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgres"])
def test_lesson_passages_indexed_before_get_their_chinese_titled_twins(
    engine_kind, tmp_path, request
):
    """qa_0004: a knowledge base indexed before lessons' Chinese titles were used gets the
    twins the catalogue sync now writes, without waiting for a catalogue change."""
    from sqlalchemy import text

    if engine_kind == "sqlite":
        url, drop = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", lambda: None
    else:
        url, drop = _throwaway_pg(request)
    try:
        upgrade(url, "qa_0003")
        eng = make_sync_engine(url)
        with eng.begin() as c:
            c.execute(
                text(
                    "INSERT INTO course (id, slug, title, title_zh, description, "
                    "description_zh, url, tags, level, author, duration_minutes, plan_codes, "
                    "hidden, created_at) VALUES (3, 'git', 'Git Essentials', 'Git 基础', '', "
                    "'', '', '[]', 'beginner', '', 60, '[]', false, '2026-12-01 00:00:00')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO lesson (id, course_id, slug, module, position, title, "
                    "title_zh, content, url, duration_minutes) VALUES "
                    "(7, 3, 'undo', 'm1', 1, 'Undoing mistakes', '撤销错误', 'git revert', "
                    "'https://x.example/7', 10), "
                    "(8, 3, 'log', 'm1', 2, 'History', '', 'git log', '', 10)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO kb_entry (source, source_ref, title, body, answer, lang, url, "
                    "tags, active, created_at, updated_at) VALUES "
                    "('lesson', 'c3/l7#0', 'Undoing mistakes · Git Essentials', '', "
                    "'git revert COMMIT', 'en', 'https://x.example/7', '[\"git\"]', true, "
                    "'2026-12-01 00:00:00', '2026-12-01 00:00:00'), "
                    "('lesson', 'c3/l8#0', 'History · Git Essentials', '', 'git log', 'en', "
                    "'', '[]', true, '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
                )
            )
        upgrade(url, "qa_0004")
        query = "SELECT source_ref, title, answer, lang, tags FROM kb_entry ORDER BY id"
        with eng.connect() as c:
            rows = [tuple(r) for r in c.execute(text(query))]
        twin = rows[-1]
        assert len(rows) == 3  # the lesson without a Chinese title gets none
        assert twin[:4] == ("c3/l7:zh#0", "撤销错误 · Git 基础", "git revert COMMIT", "zh")
        assert twin[4] in (["git"], '["git"]')
        downgrade(url, "qa_0003")
        with eng.connect() as c:
            assert len(list(c.execute(text(query)))) == 2
        eng.dispose()
    finally:
        drop()
