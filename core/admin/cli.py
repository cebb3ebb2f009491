"""`syllabot admin`: operator commands for when chat is not an option (audit log, roles, purge)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

app = typer.Typer(help="Moderator tools from the shell: audit log, roles, data retention.")
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config")]
T = TypeVar("T")


def _run(config: Path | None, fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run `fn(services)` against the configured database with the system clock."""
    from config.settings import ConfigError, load_settings
    from core.callbacks import CallbackSigner
    from core.clock import SystemClock
    from core.context import Services
    from models.db import make_engine, session_factory

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def go() -> T:
        engine = make_engine(settings.database_url)
        services = Services(
            settings=settings,
            session_factory=session_factory(engine),
            clock=SystemClock(),
            signer=CallbackSigner(settings.secret_key.get_secret_value()),
        )
        try:
            return await fn(services)
        finally:
            await engine.dispose()

    return asyncio.run(go())


@app.command("audit")
def audit_cmd(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    action: Annotated[str, typer.Option(help="Only actions starting with this")] = "",
    config: ConfigOpt = None,
) -> None:
    """Print recent audit log rows, newest first."""
    from sqlalchemy import select

    from models.audit import AuditLog

    async def go(services: Any) -> list[AuditLog]:
        async with services.session_factory() as s:
            q = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
            if action:
                q = q.where(AuditLog.action.startswith(action, autoescape=True))
            return list((await s.execute(q)).scalars().all())

    for r in _run(config, go):
        typer.echo(f"#{r.id} {r.at:%Y-%m-%d %H:%M} {r.actor} {r.action} {r.target}".rstrip())


@app.command("role")
def role_cmd(
    member_id: Annotated[int, typer.Argument(help="Member number (as in /member, #12)")],
    role: Annotated[str, typer.Argument(help="member | expert | moderator")],
    config: ConfigOpt = None,
) -> None:
    """Set a member's role (audited with actor 'cli')."""
    from core.admin.members import ASSIGNABLE_ROLES
    from core.audit import audit
    from models.member import Member

    if role not in ASSIGNABLE_ROLES:
        typer.echo(f"error: role must be one of {', '.join(ASSIGNABLE_ROLES)}", err=True)
        raise typer.Exit(2)

    async def go(services: Any) -> str | None:
        async with services.session_factory() as s, s.begin():
            m = await s.get(Member, member_id)
            if m is None or m.forgotten_at is not None:
                return None
            before = m.role
            if before != role:
                m.role = role
                await audit(
                    s,
                    services.clock,
                    actor="cli",
                    action="member.role",
                    target=f"member:{m.id}",
                    before={"role": before},
                    after={"role": role},
                )
            return before

    before = _run(config, go)
    if before is None:
        typer.echo(f"error: no member #{member_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"member #{member_id}: {before} -> {role}")


@app.command("purge-interactions")
def purge_cmd(config: ConfigOpt = None) -> None:
    """Apply the retention setting now (the scheduler also does this daily)."""
    from core.admin.privacy_commands import purge_old_interactions

    n = _run(config, purge_old_interactions)
    typer.echo(f"deleted {n} interaction rows")
