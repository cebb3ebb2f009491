"""/link (issue or redeem a one-time code) and /accounts (moderators: who is linked to whom)."""

from __future__ import annotations

from core.accounts import access, service
from core.context import Context, Role
from core.errors import BadArguments
from core.members import find_member
from core.replies import AnyReply, Reply
from core.router import command

__all__ = ["access"]  # imported for its after_merge registration


@command("link", help_key="help.link", usage_key="usage.link")
async def link(ctx: Context, args: str) -> list[AnyReply]:
    if not args.strip():
        code = await service.issue_code(ctx)
        minutes = int(service.CODE_TTL.total_seconds() // 60)
        return [Reply(ctx.t("accounts.code_issued", code=code, minutes=minutes), ephemeral=True)]
    return await service.redeem_code(ctx, args)


@command("accounts", role=Role.MODERATOR, help_key="help.accounts", usage_key="usage.accounts")
async def accounts(ctx: Context, args: str) -> list[AnyReply]:
    if any(ord(ch) < 32 for ch in args):  # PostgreSQL refuses NUL; no name has controls
        raise BadArguments("errors.usage", usage=ctx.t("usage.accounts"))
    member = await find_member(ctx.session, args)
    rows = await service.accounts_of(ctx.session, member.id)
    lines = [ctx.t("accounts.list_header", id=member.id, name=member.display_name)]
    lines += [
        f"• {a.platform}: {a.platform_user_id}" + (f" (@{a.username})" if a.username else "")
        for a in rows
    ]
    if not rows:
        lines.append(ctx.t("accounts.list_empty"))
    return [Reply("\n".join(lines), ephemeral=True)]
