"""`syllabot recommend train|evaluate` (the lead mounts ``app`` as ``syllabot recommend``).

Heavy imports happen inside the commands so ``syllabot --help`` stays fast.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Recommender: train the model, run the benchmark.", no_args_is_help=True)


def _settings(config: Path | None) -> Any:
    from bot.cli import settings_or_exit

    return settings_or_exit(config)


@app.command()
def train(
    config: Annotated[Path | None, typer.Option(help="settings TOML file")] = None,
) -> None:
    """Retrain on the database and publish a new model version (the old one stays on failure)."""
    from core.callbacks import CallbackSigner
    from core.clock import SystemClock
    from core.context import Services
    from core.recommend import service
    from models.db import make_engine, session_factory

    settings = _settings(config)

    async def go() -> None:
        engine = make_engine(settings.database_url)
        try:
            services = Services(
                settings=settings,
                session_factory=session_factory(engine),
                clock=SystemClock(),
                signer=CallbackSigner(settings.secret_key.get_secret_value()),
            )
            svc = service.get_service(services)
            async with services.session_factory() as session:
                art = await svc.train(session, services.clock.now())
            if svc.last_error is not None:
                typer.echo(
                    f"training failed ({svc.last_error}); still serving "
                    f"{art.version if art else 'nothing'}",
                    err=True,
                )
                raise typer.Exit(1)
            typer.echo(f"trained model version {art.version if art else '-'}")
        finally:
            await engine.dispose()

    asyncio.run(go())


@app.command()
def evaluate(
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data", help="dataset folder, or 'demo' for the demo community (repeatable)"
        ),
    ] = None,
    seed: int = 0,
    threads: int = 2,
    max_users: int = 3000,
    out: Annotated[Path | None, typer.Option(help="folder for the JSON results")] = None,
    peers: bool = True,
    period_baselines: Annotated[
        bool, typer.Option(help="also run content kNN and LightFM with item periods as features")
    ] = False,
) -> None:
    """All models on the same splits; prints a table (same as bench/recommend.py)."""
    from core.recommend.bench import DEFAULT_DATASETS, resolve, run
    from core.recommend.datasets import is_demo

    paths = data or resolve(DEFAULT_DATASETS, Path("."))
    missing = [p for p in paths if not p.exists() and not is_demo(p)]
    if missing:
        typer.echo(f"dataset folder not found: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)
    run(
        paths,
        seed=seed,
        threads=threads,
        max_users=max_users,
        out_dir=out,
        peers=peers,
        period_baselines=period_baselines,
    )
