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


@app.command()
def replay(
    policy: Annotated[str, typer.Option(help="candidate: popularity | tag_match")] = "tag_match",
    days: Annotated[int, typer.Option(min=1, max=365, help="exposures of the last DAYS")] = 30,
    k: Annotated[int, typer.Option(min=1, max=20, help="slots the candidate fills")] = 3,
    config: ConfigOpt = None,
) -> None:
    """Estimate a candidate policy on logged digest exposures (inverse propensity scoring)."""
    asyncio.run(_replay(_settings(config), policy, days, k))


async def _replay(settings, policy: str, days: int, k: int) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from bot.wiring import build_app
    from core.experiments import service

    if policy not in ("popularity", "tag_match"):
        typer.echo("error: --policy must be popularity or tag_match", err=True)
        raise typer.Exit(2)
    application = build_app(settings)
    try:
        now = application.services.clock.now()
        async with application.services.session_factory() as s:
            res = await service.replay_policy(s, policy, now - timedelta(days=days), now, k)
        if not res.exposures:
            typer.echo(f"no logged exposures in the last {days} days")
            return
        e = res.estimate
        typer.echo(
            f"{res.exposures} logged exposures; logging policy: {res.logged_value:.4f} reward/slot\n"
            f"candidate {policy}: IPS {e.ips:.4f} ± {1.96 * e.ips_se:.4f} (95%), SNIPS {e.snips:.4f}, "
            f"effective n {e.effective_n:.0f}, coverage {res.coverage:.1%}"
        )
        if res.deterministic_logging:
            typer.echo(
                "note: exposures were logged with propensity 1 (no exploration), so the estimate "
                "only credits items both policies chose: a lower bound, not unbiased"
            )
    finally:
        await application.close()
