"""`syllabot catalog import FILE [--dry-run]` and `syllabot catalog export [--format]`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Course catalogue: import and export.", no_args_is_help=True)

FORMATS = ("yaml", "jsonl", "csv")


def _settings(config: Path | None):  # type: ignore[no-untyped-def]
    from bot.cli import settings_or_exit

    return settings_or_exit(config)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .yaml, .csv or .jsonl catalogue file")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing")
    ] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="yaml|csv|jsonl (default: from extension)")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Upsert courses, modules, lessons and tags by slug (all or nothing)."""
    from core.catalog.importer import CatalogFileError
    from core.catalog.service import run_import
    from core.clock import SystemClock
    from models.db import make_engine, session_factory

    if fmt is not None and fmt not in FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    s = _settings(config)

    async def go() -> str:
        engine = make_engine(s.database_url)
        try:
            rep = await run_import(
                session_factory(engine), SystemClock(), file, fmt=fmt, dry_run=dry_run
            )
        finally:
            await engine.dispose()
        return rep.render(dry_run)

    try:
        typer.echo(asyncio.run(go()))
    except CatalogFileError as exc:
        typer.echo(f"error: {file} was not imported (nothing changed):", err=True)
        typer.echo(exc.render(), err=True)
        raise typer.Exit(1) from None


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="yaml|jsonl|csv")] = "yaml",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout)")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Write the whole catalogue in a form `import` reads back unchanged."""
    from core.catalog.importer import dump
    from core.catalog.service import export_catalog
    from models.db import make_engine, session_factory

    if fmt not in FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    s = _settings(config)

    async def go() -> str:
        engine = make_engine(s.database_url)
        try:
            async with session_factory(engine)() as session:
                return dump(await export_catalog(session), fmt)
        finally:
            await engine.dispose()

    text = asyncio.run(go())
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
