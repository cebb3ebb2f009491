"""Commands every community has: /start, /help, /language, /whoami."""

from __future__ import annotations

import core.common.presence  # noqa: F401  (registers the BotStatusChanged handler)
from core.context import Context, Role
from core.errors import BadArguments
from core.i18n import translate
from core.replies import AnyReply, Reply
from core.router import COMMANDS, Router, command, unknown_command


@command("start", help_key="help.start")
async def start(ctx: Context, args: str) -> list[AnyReply]:
    routed = await Router(ctx.services).run_start_hooks(ctx, args)
    if routed is not None:
        return routed
    return [
        Reply(
            ctx.t(
                "common.welcome",
                name=ctx.member.display_name,
                community=ctx.settings.community_name,
            )
        )
    ]


@command("help", help_key="help.help")
async def help_(ctx: Context, args: str) -> list[AnyReply]:
    if args:
        spec = COMMANDS.get(args.strip().lstrip("/").lower())
        if spec is None or spec.role > ctx.role or spec.hidden:
            return [unknown_command(ctx, args.strip().lstrip("/"))]
        usage = ctx.t(spec.usage_key) if spec.usage_key else f"/{spec.name}"
        return [Reply(f"{usage}\n{ctx.t(spec.help_key)}")]
    lines = [ctx.t("common.help_header")]
    current: Role | None = None
    for spec in Router(ctx.services).commands_for(ctx.role):
        if spec.role != current and spec.role >= Role.MODERATOR:
            lines.append("")
            lines.append(ctx.t("common.help_mod_header"))
        current = spec.role
        lines.append(f"/{spec.name} — {ctx.t(spec.help_key)}")
    return [Reply("\n".join(lines))]


@command("language", help_key="help.language", usage_key="usage.language")
async def language(ctx: Context, args: str) -> list[AnyReply]:
    choice = args.strip().lower()
    mapping = {"en": "en", "english": "en", "zh": "zh-CN", "zh-cn": "zh-CN", "中文": "zh-CN"}
    if choice not in mapping:
        raise BadArguments("errors.usage", usage=translate(ctx.locale, "usage.language"))
    ctx.member.locale = mapping[choice]
    return [Reply(ctx.t("common.language_set"))]


@command("whoami", help_key="help.whoami")
async def whoami(ctx: Context, args: str) -> list[AnyReply]:
    return [
        Reply(
            ctx.t(
                "common.whoami",
                id=ctx.member.id,
                name=ctx.member.display_name,
                role=ctx.t(f"roles.{ctx.role.name.lower()}"),
                locale=ctx.locale,
            )
        )
    ]
