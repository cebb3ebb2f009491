"""`syllabot digest preview MEMBER` and `syllabot digest run-once` (operator tools)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Digests: preview one, or compose and deliver what is due now.", no_args_is_help=True
)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML settings file")]


def _settings(config: Path | None):  # type: ignore[no-untyped-def]
    from bot.cli import settings_or_exit

    return settings_or_exit(config)


@app.command()
def preview(
    member: Annotated[str, typer.Argument(help="#id or @username")], config: ConfigOpt = None
) -> None:
    """Print the digest MEMBER would get now (nothing is stored or sent)."""
    asyncio.run(_preview(_settings(config), member))


async def _preview(settings, ref: str) -> None:  # type: ignore[no-untyped-def]
    from bot.wiring import build_app
    from core.digest.compose import build
    from core.errors import DomainError
    from core.i18n import translate
    from core.members import find_member

    application = build_app(settings)
    try:
        async with application.services.session_factory() as s:
            try:
                m = await find_member(s, ref)
            except DomainError as err:
                typer.echo(f"error: {translate('en', err.key, **err.params)}", err=True)
                raise typer.Exit(2) from None
            rendered = await build(s, application.services, m, application.services.clock.now())
            await s.rollback()
        typer.echo(rendered.text if rendered.items else translate(m.locale, "digest.preview_empty"))
    finally:
        await application.close()


@app.command("run-once")
def run_once(config: ConfigOpt = None, budget: float = 50.0) -> None:
    """Compose every due digest, then drain the outbox once (through this process's deliverers)."""
    asyncio.run(_run_once(_settings(config), budget))


async def _run_once(settings, budget: float) -> None:  # type: ignore[no-untyped-def]
    from bot.wiring import build_app
    from core.digest.compose import compose_due
    from core.digest.delivery import drain

    application = build_app(settings)
    try:
        await application.startup()
        c = await compose_due(application.services)
        d = await drain(application.services, budget_s=budget)
        typer.echo(
            f"composed {c.composed} (queued {c.queued}, empty {c.empty}, already done {c.skipped}); "
            f"sent {d.sent}, retrying {d.retried}, unreachable {d.unreachable}, "
            f"failed {d.failed}, cancelled {d.cancelled}"
        )
    finally:
        await application.close()
