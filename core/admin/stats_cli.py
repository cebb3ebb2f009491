"""`syllabot stats`: the /stats numbers for operators, as text, CSV (`--csv`) or a PNG chart."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Community growth metrics (members, MRR, conversion, cohorts...).")


async def _compute(database_url: str, days: int) -> object:
    from core.admin import analytics
    from core.clock import SystemClock
    from models.db import make_engine, session_factory

    engine = make_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await analytics.compute(session, SystemClock().now(), days)
    finally:
        await engine.dispose()


@app.callback(invoke_without_command=True)
def stats(
    days: Annotated[int, typer.Option(min=1, max=366, help="Window for flows and rates")] = 30,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the CSV export to FILE ('-' = stdout)")
    ] = None,
    chart: Annotated[Path | None, typer.Option(help="Write the PNG dashboard to FILE")] = None,
    locale: Annotated[str, typer.Option(help="Chart labels: en or zh-CN")] = "en",
    config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML config")] = None,
) -> None:
    """Print the metrics; --csv and --chart export them."""
    from config.settings import ConfigError, load_settings
    from core.admin import analytics, charts

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        st = asyncio.run(_compute(settings.database_url, days))
    except Exception as exc:  # noqa: BLE001 - one clear line, not a traceback
        typer.echo(f"error: cannot read the database: {type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    assert isinstance(st, analytics.Stats)
    if csv is not None:
        text = analytics.to_csv(st)
        if str(csv) == "-":
            sys.stdout.write(text)
        else:
            csv.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {csv}")
    if chart is not None:
        png, fell_back = charts.render(st, locale)
        chart.write_bytes(png)
        typer.echo(
            f"wrote {chart}" + (" (English labels: no CJK font installed)" if fell_back else "")
        )
    if csv is None and chart is None:
        for metric, key, value in analytics.to_rows(st):
            typer.echo(f"{metric:<24} {key:<24} {value}")
