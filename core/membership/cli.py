"""`syllabot membership ...`: operator tools for plans, reconcile and stuck payments."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Memberships: plans, access reconcile, stuck payments.", no_args_is_help=True
)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML settings file")]


def _settings(config: Path | None) -> Any:
    from bot.cli import settings_or_exit

    return settings_or_exit(config)


async def _with_app(settings: Any, fn: Any) -> Any:
    from bot.wiring import build_app
    from core.payments.ledger import in_transaction

    application = build_app(settings)
    try:
        return await in_transaction(application.services, lambda s: fn(s, application.services))
    finally:
        await application.close()


@app.command("plans")
def plans_cmd(config: ConfigOpt = None) -> None:
    """Sync plans from config (keeping moderator edits) and list them."""
    from core.membership import plans

    async def run(session: Any, services: Any) -> list[str]:
        changed = await plans.sync_plans(session, services.settings, services.clock)
        lines = [f"synced: {', '.join(changed)}"] if changed else []
        for p in await plans.list_plans(session):
            prices = ", ".join(
                f"{prov} {plans.format_amount(int(v['amount']), str(v['currency']))}"
                for prov, v in (p.prices or {}).items()
            )
            period = "lifetime" if p.period_days == 0 else f"{p.period_days}d"
            edited = " (edited)" if p.edited_at else ""
            lines.append(
                f"{p.code}: {p.title_en} — {period}, trial {p.trial_days}d, "
                f"grace {p.grace_days}d; {prices}{edited}"
            )
        return lines

    for line in asyncio.run(_with_app(_settings(config), run)):
        typer.echo(line)


@app.command("reconcile")
def reconcile_cmd(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report the differences")] = False,
    config: ConfigOpt = None,
) -> None:
    """Compare who should have access with who has it; fix it (or just report with --dry-run).

    Fixes made here are recorded; the platform effects (invites, removals) are sent by the
    running bot's next reconcile job, which finds the same differences already recorded.
    """
    from core.membership.reconcile import reconcile

    async def run(session: Any, services: Any) -> list[str]:
        rep = await reconcile(session, services, dry_run=dry_run)  # dry run writes nothing
        return rep.lines()

    lines = asyncio.run(_with_app(_settings(config), run))
    for line in lines:
        typer.echo(line)
    typer.echo(f"{len(lines)} difference(s){' (dry run: nothing changed)' if dry_run else ''}")


@app.command("complete-payments")
def complete_payments(config: ConfigOpt = None) -> None:
    """Finish payments recorded but not yet granted (after a crash)."""
    from core.payments.ledger import complete_recorded

    async def run(session: Any, services: Any) -> int:
        return len(await complete_recorded(session, services))

    n = asyncio.run(_with_app(_settings(config), run))
    typer.echo(f"completed; {n} message(s) produced")
