"""A moderator's command typed without its slash: "ban bob for spam", "extend alice 5".

Sent in a private chat, such a line was taken for a question and offered for the
community's public forum. It is offered as the command instead, to run with one tap (a
command that changes money, access or roles still asks its own confirmation then).
"""

from __future__ import annotations

from typing import Any

from core.admin.confirm import action
from core.admin.confirm import ask as confirm
from core.context import Context, Role
from core.qa import help_answers
from core.replies import AnyReply
from core.router import COMMANDS, parse_command, run_command


def staff_command(text: str, role: Role = Role.MODERATOR) -> tuple[str, str] | None:
    """(command, arguments) for a line that starts with the word of a staff command `role`
    may use and goes on; None for a question ("ban?", "kb add what?") or anything else."""
    line = " ".join(text.split())
    if not line or line.endswith(("?", "？")) or line.startswith("/"):
        return None
    parsed = parse_command("/" + line)
    if parsed is None:
        return None
    name, args = parsed
    spec = COMMANDS.get(name)
    if spec is None or not Role.MODERATOR <= spec.role <= role or not args.strip():
        return None
    return name, args.strip()


@help_answers.lookup
async def typed_without_slash(ctx: Context, question: str) -> list[AnyReply] | None:
    if ctx.role < Role.MODERATOR or ctx.event.chat.kind != "private":
        return None
    found = staff_command(question, ctx.role)
    if found is None:
        return None
    name, args = found
    line = f"/{name} {args}"
    return await confirm(
        ctx, "typed_command", {"name": name, "args": args}, ctx.t("admin.typed_command", line=line)
    )


@action("typed_command")
async def _run(ctx: Context, params: dict[str, Any]) -> list[AnyReply]:
    return await run_command(ctx, str(params.get("name", "")), str(params.get("args", "")))
