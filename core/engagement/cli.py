"""`syllabot engagement rebuild`: recompute every derived point from the interaction log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Points, levels and streaks.", no_args_is_help=True)


@app.command("rebuild")
def rebuild(config: Annotated[Path | None, typer.Option("--config", "-c")] = None) -> None:
    """Drop derived ledger rows and score the whole log again (adjustments are kept)."""
    from bot.cli import settings_or_exit
    from core.clock import SystemClock
    from core.engagement import service
    from core.engagement.rules import Scoring
    from models.db import make_engine, session_factory

    s = settings_or_exit(config)

    async def go() -> tuple[int, int]:
        engine = make_engine(s.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                n = await service.rebuild(session, SystemClock(), Scoring.of(s))
                tot = await service.totals(session)
            return n, sum(tot.values())
        finally:
            await engine.dispose()

    n, total = asyncio.run(go())
    typer.echo(f"rescored {n} interactions; {total} points in total")
