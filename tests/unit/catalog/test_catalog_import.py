"""Catalogue import/export: idempotent upsert by slug, dry run, all-or-nothing with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.catalog import hooks
from core.catalog.importer import CatalogFileError, dump, parse_text, read_file
from core.catalog.service import export_catalog, run_import
from models.catalog import Course, CourseModule, Lesson, Tag

DATA = Path(__file__).parents[2] / "data" / "catalog"


async def _counts(db) -> tuple[int, int, int, int]:
    async with db.session() as s:
        return tuple(  # type: ignore[return-value]
            [
                (await s.execute(select(func.count()).select_from(m))).scalar_one()
                for m in (Course, CourseModule, Lesson, Tag)
            ]
        )


async def test_import_twice_changes_nothing_the_second_time(db, clock):
    rep = await run_import(db.session_factory, clock, DATA / "catalog.yaml")
    assert "course intro-sql" in rep.created and "lesson intro-sql/group-by" in rep.created
    assert "tag databases" in rep.created  # used by a course, created without description
    assert await _counts(db) == (2, 2, 4, 3)
    again = await run_import(db.session_factory, clock, DATA / "catalog.yaml")
    assert not again.changed and again.unchanged > 0
    assert await _counts(db) == (2, 2, 4, 3)
    async with db.session() as s:
        lessons = (await s.execute(select(Lesson).order_by(Lesson.position))).scalars().all()
        sql = [x for x in lessons if x.module in ("basics", "practice")]
        assert [x.slug for x in sql] == ["select", "group-by", "exercises"]
        course = (await s.execute(select(Course).where(Course.slug == "deep-python"))).scalar_one()
        assert course.plan_codes == ["yearly"] and course.level == "advanced"


async def test_dry_run_reports_changes_and_writes_nothing(db, clock, tmp_path):
    await run_import(db.session_factory, clock, DATA / "catalog.yaml")
    edited = (DATA / "catalog.yaml").read_text().replace("title: Intro to SQL", "title: SQL 101")
    f = tmp_path / "edited.yaml"
    f.write_text(edited)
    rep = await run_import(db.session_factory, clock, f, dry_run=True)
    assert rep.updated == ["course intro-sql: title"]
    assert "dry run" in rep.render(dry_run=True)
    async with db.session() as s:
        titles = set((await s.execute(select(Course.title))).scalars())
    assert titles == {"Intro to SQL", "Deep Python"}
    rep = await run_import(db.session_factory, clock, f)
    assert rep.updated == ["course intro-sql: title"]


async def test_bad_row_rejects_the_whole_file_with_its_line_number(db, clock):
    with pytest.raises(CatalogFileError) as err:
        await run_import(db.session_factory, clock, DATA / "bad_row.csv")
    assert err.value.problems == [(5, "lesson 'loops': 'duration_minutes' must be a whole number")]
    assert await _counts(db) == (0, 0, 0, 0)


def test_yaml_errors_name_their_lines():
    text = (DATA / "catalog.yaml").read_text().replace("level: advanced", "level: expert")
    with pytest.raises(CatalogFileError) as err:
        parse_text(text, "yaml")
    ((line, msg),) = err.value.problems
    assert "level" in msg and text.splitlines()[line - 1].strip() == "- slug: deep-python"
    with pytest.raises(CatalogFileError) as err:
        parse_text("courses:\n  - slug: a\n    title: [unclosed\n", "yaml")
    assert err.value.problems[0][0] == 4 and "syntax" in err.value.problems[0][1]
    with pytest.raises(CatalogFileError) as err:
        parse_text(
            '{"slug": "a", "title": "A"}\n{"slug": "a", "title": "again"}\nnot json\n', "jsonl"
        )
    assert [ln for ln, _ in err.value.problems] == [2, 3]


async def test_unknown_course_in_lesson_only_csv_rejects_everything(db, clock, tmp_path):
    f = tmp_path / "lessons.csv"
    f.write_text("course,lesson,title\nghost,l1,Haunted lesson\n")
    with pytest.raises(CatalogFileError) as err:
        await run_import(db.session_factory, clock, f)
    assert err.value.problems == [(2, "unknown course 'ghost' (define it first)")]
    assert await _counts(db) == (0, 0, 0, 0)


@pytest.mark.parametrize("fmt", ["yaml", "jsonl", "csv"])
async def test_export_reimports_unchanged(db, clock, tmp_path, fmt):
    await run_import(db.session_factory, clock, DATA / "catalog.yaml")
    async with db.session() as s:
        text = dump(await export_catalog(s), fmt)
    f = tmp_path / f"export.{fmt}"
    f.write_text(text)
    read_file(f)  # valid
    rep = await run_import(db.session_factory, clock, f)
    assert not rep.changed, rep.render()


async def test_new_content_fires_content_hooks_once(db, clock):
    seen: list[hooks.ContentChanged] = []

    async def spy(session, change):
        seen.append(change)

    hooks.on_content_changed(spy)
    try:
        await run_import(db.session_factory, clock, DATA / "good.jsonl")
        await run_import(db.session_factory, clock, DATA / "good.jsonl")
    finally:
        hooks.CONTENT_HOOKS.remove(spy)
    assert len(seen) == 1 and len(seen[0].course_ids) == 2 and len(seen[0].lesson_ids) == 1


def test_cli_import_dry_run_and_bad_file(db, tmp_path, monkeypatch):
    if db.kind != "sqlite":
        pytest.skip("the CLI path is the same on both engines")
    from bot.cli import app

    monkeypatch.setenv("SYLLABOT_DATABASE_URL", db.url)
    runner = CliRunner()
    res = runner.invoke(app, ["catalog", "import", str(DATA / "catalog.yaml"), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "+ course intro-sql" in res.output and "nothing was written" in res.output
    res = runner.invoke(app, ["catalog", "import", str(DATA / "bad_row.csv")])
    assert res.exit_code == 1 and "line 5" in res.output and "nothing changed" in res.output
    res = runner.invoke(app, ["catalog", "import", str(DATA / "catalog.yaml")])
    assert res.exit_code == 0 and "2 created" not in res.output
    res = runner.invoke(app, ["catalog", "export", "--format", "jsonl"])
    assert res.exit_code == 0 and '"slug": "intro-sql"' in res.output
