"""`syllabot experiment list|report NAME` (operator tools)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="A/B experiments: list them, report one.", no_args_is_help=True)
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML settings file")]


def _settings(config: Path | None):  # type: ignore[no-untyped-def]
    from bot.cli import settings_or_exit

    return settings_or_exit(config)


@app.command("list")
def list_cmd(config: ConfigOpt = None) -> None:
    """Every experiment with its status, metric and split."""
    asyncio.run(_list(_settings(config)))


async def _list(settings) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.wiring import build_app
    from models.experiments import Experiment

    application = build_app(settings)
    try:
        async with application.services.session_factory() as s:
            rows = (await s.execute(select(Experiment).order_by(Experiment.id))).scalars().all()
        if not rows:
            typer.echo("no experiments")
        for e in rows:
            split = ", ".join(f"{v['name']} {v['weight']:g}" for v in e.variants)
            typer.echo(f"{e.name}\t{e.status}\t{e.metric}\t{split}")
    finally:
        await application.close()


@app.command()
def report(
    name: str,
    chart: Annotated[Path | None, typer.Option(help="write the PNG chart here")] = None,
    config: ConfigOpt = None,
) -> None:
    """Exposure, conversions, rate with 95% CI, lift, z-test, SRM check and a verdict."""
    asyncio.run(_report(_settings(config), name, chart))


async def _report(settings, name: str, chart: Path | None) -> None:  # type: ignore[no-untyped-def]
    from bot.wiring import build_app
    from core.errors import DomainError
    from core.experiments import service
    from core.experiments.commands import render_report
    from core.i18n import translate

    application = build_app(settings)
    try:
        async with application.services.session_factory() as s:
            try:
                rep = await service.report(s, name, application.services.clock.now())
            except DomainError as err:
                typer.echo(f"error: {translate('en', err.key, **err.params)}", err=True)
                raise typer.Exit(2) from None
        typer.echo(render_report(rep, lambda k, **kw: translate("en", k, **kw)))
        if chart is not None and rep.daily:
            chart.write_bytes(service.chart_png(rep))
            typer.echo(f"chart: {chart}")
    finally:
        await application.close()
