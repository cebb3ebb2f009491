"""Commands every community has: /start, /help, /language, /whoami."""

from __future__ import annotations

import core.common.community  # noqa: F401  (registers the lookup on what the community is)
import core.common.presence  # noqa: F401  (registers the BotStatusChanged handler)
import core.common.typed_command  # noqa: F401  (registers the lookup on a command tried)
from core.common.home import home
from core.context import Context, Role
from core.i18n import LANGUAGE_NAMES, LANGUAGE_WORDS, has_key
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import Router, button, command, spec_for, unknown_command


@command("start", help_key="help.start")
async def start(ctx: Context, args: str) -> list[AnyReply]:
    routed = await Router(ctx.services).run_start_hooks(ctx, args)
    if routed is not None:
        return routed
    name, community = ctx.member.display_name, ctx.settings.community_name
    lines = await home(ctx) if ctx.event.chat.kind == "private" else []
    if not lines:
        return [Reply(ctx.t("common.welcome", name=name, community=community))]
    # a returning member: where they stand, one line per feature with something to say
    back = ctx.t("common.welcome_back", name=name, community=community)
    return [Reply("\n".join([back, *(f"• {x}" for x in lines), ctx.t("common.home_help")]))]


@command("help", help_key="help.help")
async def help_(ctx: Context, args: str) -> list[AnyReply]:
    if args:
        spec = spec_for(args.strip().lstrip("/").lower(), ctx.role)
        if spec is None or spec.hidden:
            return [unknown_command(ctx, args.strip().lstrip("/"))]
        key = spec.usage_key
        if key and ctx.role >= Role.MODERATOR and has_key(f"{key}_mod"):
            key = f"{key}_mod"  # the moderators' options of a members' command
        usage = ctx.t(key) if key else f"/{spec.name}"
        return [Reply(f"{usage}\n{ctx.t(spec.help_key)}")]
    lines = [ctx.t("common.help_header")]
    current: Role | None = None
    for spec in Router(ctx.services).commands_for(ctx.role):
        if spec.role != current and spec.role >= Role.MODERATOR:
            lines.append("")
            owner = spec.role >= Role.OWNER
            lines.append(ctx.t("common.help_owner_header" if owner else "common.help_mod_header"))
        current = spec.role
        lines.append(f"/{spec.name} — {ctx.t(spec.help_key)}")
    return [Reply("\n".join(lines))]


def _language_buttons(ctx: Context) -> list[list[ButtonSpec]]:
    return [[ButtonSpec(label, ctx.sign("lang", code)) for code, label in LANGUAGE_NAMES.items()]]


@command("language", help_key="help.language", usage_key="usage.language")
async def language(ctx: Context, args: str) -> list[AnyReply]:
    """Without a word (or with one it does not know) the member taps a language instead."""
    choice = args.strip().lower()
    if not choice:
        current = LANGUAGE_NAMES.get(ctx.locale, ctx.locale)
        return [Reply(ctx.t("common.language_current", language=current), _language_buttons(ctx))]
    if choice not in LANGUAGE_WORDS:
        text = ctx.t("common.language_unknown", word=args.strip()[:30])
        return [Reply(text, _language_buttons(ctx))]
    ctx.member.locale = LANGUAGE_WORDS[choice]
    return [Reply(ctx.t("common.language_set"))]


@button("lang")
async def language_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    code = parts[0] if parts else ""
    if code not in LANGUAGE_NAMES:
        return [Reply(ctx.t("errors.button_expired"))]
    ctx.member.locale = code
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
                locale=LANGUAGE_NAMES.get(ctx.locale, ctx.locale),
            )
        )
    ]
