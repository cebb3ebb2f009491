"""`syllabot membership plans|reconcile` against a real SQLite file."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app
from models.db import upgrade


def test_plans_and_reconcile_dry_run(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("SYLLABOT_DATABASE_URL", url)
    runner = CliRunner()
    res = runner.invoke(app, ["membership", "plans"])
    assert res.exit_code == 0, res.output
    assert "synced: monthly, yearly, lifetime" in res.output
    assert "monthly: Monthly membership — 30d, trial 7d, grace 3d" in res.output
    res = runner.invoke(app, ["membership", "plans"])
    assert "synced" not in res.output  # idempotent
    res = runner.invoke(app, ["membership", "reconcile", "--dry-run"])
    assert res.exit_code == 0 and "0 difference(s) (dry run: nothing changed)" in res.output
