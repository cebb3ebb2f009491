"""Admin commands: registered with the router's role check AND written to the audit log.

`admin_command` is `core.router.command` plus one audit row per successful invocation, so a
moderator's reads of personal data (/member) are traceable too. A refusal (DomainError) rolls
the transaction back, audit row included: bad input changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from core.admin.args import clean
from core.audit import audit
from core.context import Context, Role
from core.replies import AnyReply
from core.router import Handler, command
from models.audit import AuditLog

ADMIN_COMMANDS: set[str] = set()


def actor_label(ctx: Context) -> str:
    """Audit actors are member ids, never names: /forget then needs no audit rewrite."""
    return f"member:{ctx.member.id}"


async def record(
    ctx: Context,
    action: str,
    target: str = "",
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    reason: str = "",
) -> AuditLog:
    """One audit row for what the caller did (the row: a button may name it later)."""
    return await audit(
        ctx.session,
        ctx.clock,
        actor=actor_label(ctx),
        actor_member_id=ctx.member.id,
        action=action,
        target=target[:128],
        before=before,
        after=after,
        reason=reason,
    )


def admin_command(
    name: str,
    *,
    role: Role = Role.MODERATOR,
    usage_key: str | None = None,
) -> Callable[[Handler], Handler]:
    """Register a moderator/owner command: router role check + audit row `cmd.<name>`."""
    if role < Role.MODERATOR:
        raise ValueError("admin commands need at least the moderator role")

    def deco(fn: Handler) -> Handler:
        async def wrapped(ctx: Context, args: str) -> list[AnyReply]:
            out = list(await fn(ctx, clean(str(args))) or [])
            # the arguments are not stored: they may name a member, and the log is append-only
            await record(ctx, f"cmd.{name}")
            return out

        wrapped.__name__ = fn.__name__
        wrapped.__doc__ = fn.__doc__
        wrapped.__module__ = fn.__module__
        ADMIN_COMMANDS.add(name)
        command(name, role=role, help_key=f"help.{name}", usage_key=usage_key)(wrapped)
        return fn

    return deco
