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
    if engine_kind == "sqlite":  # PostgreSQL's test database is shared by the session
        downgrade(url, "base")
        assert _tables(url) == set()
        upgrade(url)
        assert expected <= _tables(url)
