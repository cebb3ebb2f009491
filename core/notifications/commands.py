"""/settings: every kind of message the bot sends on its own, with a switch for each."""

from __future__ import annotations

from core.context import Context
from core.digest import service as digest
from core.notifications import (
    KINDS,
    Kind,
    asked,  # noqa: F401  (registers the lookup for questions)
)
from core.notifications.switches import parse, switch, view
from core.replies import AnyReply, Reply
from core.router import button, command


@command("settings", help_key="help.settings", usage_key="usage.settings", private_only=True)
async def settings_cmd(ctx: Context, args: str) -> list[AnyReply]:
    text = args.strip()
    if not text:
        return [view(ctx)]
    first = text.split()[0].lower()
    if digest.VERB_WORDS.get(first, first) in ("quiet", "tz", "timezone"):
        # quiet hours and the timezone are the digest's settings, read by every message
        key = await digest.change(ctx.session, ctx.clock, ctx.member, text)
        return [view(ctx, ctx.t(key))]
    parsed = parse(text)
    if parsed is None:
        return [Reply(ctx.t("usage.settings"))]
    return [view(ctx, await switch(ctx, *parsed))]


@button("nset")
async def settings_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    what, on = (parts + ["", ""])[:2]
    kinds: tuple[Kind, ...] = KINDS if what == "all" else tuple(k for k in KINDS if k == what)
    if not kinds or on not in ("0", "1"):
        return [Reply(ctx.t("errors.button_expired"))]
    return [view(ctx, await switch(ctx, kinds, on == "1"))]
