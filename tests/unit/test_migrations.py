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


def test_postgres_downgrade_and_upgrade_round_trip(request):
    """On a throwaway PostgreSQL database: heads -> base -> heads."""
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
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        expected = {t.name for t in models.Base.metadata.sorted_tables}
        assert expected <= _tables(url)
        downgrade(url, "base")
        assert _tables(url) == set()
        upgrade(url)
        assert expected <= _tables(url)
    finally:
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()
