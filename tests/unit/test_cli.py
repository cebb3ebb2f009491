"""The CLI as a newcomer meets it: demo script, --help, clear one-line errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("SYLLABOT_")}
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=e | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


def test_demo_script_help_as_alice_courses(demo_dir):
    script = demo_dir / "s.txt"
    script.write_text(
        "# a comment\n/help\n/as alice\n/courses\n/bogus\n/as brandnew\n/start\n",
        encoding="utf-8",
    )
    r = run("demo", "--script", str(script), "--db", str(demo_dir / "d.db"), cwd=demo_dir)
    assert r.returncode == 0, r.stderr
    # the demo community's own name (config/demo/community.yaml), not the default one
    assert "Welcome to Data Skills Club, Brandnew!" in r.stdout
    assert "/courses" in r.stdout  # /help lists it
    assert "Intro to SQL" in r.stdout and "Building Recommender Systems" in r.stdout
    assert "I don't know the command /bogus" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_non_utf8_script_is_refused_with_line_number(demo_dir):
    script = demo_dir / "bad.txt"
    script.write_bytes(b"/help\n\xff\xfe oops\n")
    r = run("demo", "--script", str(script), "--db", str(demo_dir / "d2.db"), cwd=demo_dir)
    assert r.returncode == 2
    assert "not valid UTF-8 (line 2)" in r.stderr
    assert not (demo_dir / "d2.db").exists()


def test_corrupt_database_left_untouched(demo_dir):
    db = demo_dir / "corrupt.db"
    db.write_bytes(b"this is not a database" * 10)
    before = db.read_bytes()
    r = run(
        "db", "upgrade", cwd=demo_dir, env={"SYLLABOT_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    )
    assert r.returncode == 2
    assert "not a SQLite database" in r.stderr and "Traceback" not in r.stderr
    assert db.read_bytes() == before


def test_bad_config_one_line_exit_2(demo_dir):
    r = run("db", "upgrade", cwd=demo_dir, env={"SYLLABOT_TIMEZONE": "Nowhere/Land"})
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "timezone" in r.stderr


def test_unknown_subcommand_and_help(demo_dir):
    r = run("frobnicate", cwd=demo_dir)
    assert r.returncode == 2
    r = run("--help", cwd=demo_dir)
    assert r.returncode == 0 and "demo" in r.stdout and "run" in r.stdout
