"""/recommend and /peers: thin handlers over core.recommend.service."""

from __future__ import annotations

from core.context import Context
from core.errors import BadArguments
from core.recommend import service
from core.recommend.serving import Explanation
from core.replies import AnyReply, Reply
from core.router import command

MAX_K = 10


def _why(ctx: Context, e: Explanation) -> str:
    return ctx.t(e.key, **dict(e.params))


@command("recommend", help_key="help.recommend", usage_key="usage.recommend")
async def recommend(ctx: Context, args: str) -> list[AnyReply]:
    arg = args.strip().lower()
    if arg in ("off", "optout", "opt-out", "stop"):
        ctx.member.recommend_opt_out = True
        return [Reply(ctx.t("recommend.opted_out"))]
    if arg in ("on", "optin", "opt-in"):
        ctx.member.recommend_opt_out = False
        return [Reply(ctx.t("recommend.opted_in"))]
    if arg and not (arg.isdigit() and 1 <= int(arg) <= MAX_K):
        raise BadArguments("errors.usage", usage=ctx.t("usage.recommend"))
    if ctx.member.recommend_opt_out:
        return [Reply(ctx.t("recommend.is_off"))]
    k = int(arg) if arg else 5
    recs = await service.recommend_for(ctx.services, ctx.session, ctx.member.id, k)
    if not recs:
        return [Reply(ctx.t("recommend.empty"))]
    lines = [ctx.t("recommend.header")]
    for n, r in enumerate(recs, 1):
        title = r.title_zh if ctx.locale == "zh-CN" and r.title_zh else r.title
        lines.append(ctx.t("recommend.item", n=n, title=title, why=_why(ctx, r.explanation)))
    return [Reply("\n".join(lines))]


@command("peers", help_key="help.peers", usage_key="usage.peers")
async def peers(ctx: Context, args: str) -> list[AnyReply]:
    arg = args.strip().lower()
    if arg in ("on", "optin", "opt-in", "yes"):
        ctx.member.peer_opt_in = True
        return [Reply(ctx.t("recommend.peers_opted_in"))]
    if arg in ("off", "optout", "opt-out", "no"):
        ctx.member.peer_opt_in = False
        return [Reply(ctx.t("recommend.peers_opted_out"))]
    if arg:
        raise BadArguments("errors.usage", usage=ctx.t("usage.peers"))
    if not ctx.member.peer_opt_in:
        return [Reply(ctx.t("recommend.peers_not_opted_in"))]
    found = await service.peers_for(ctx.services, ctx.session, ctx.member.id, 3)
    if not found:
        return [Reply(ctx.t("recommend.peers_none"))]
    lines = [ctx.t("recommend.peers_header")]
    for p in found:
        lines.append(
            ctx.t(
                "recommend.peers_item",
                name=p.display_name or f"#{p.member_id}",
                why=_why(ctx, p.explanation),
            )
        )
    return [Reply("\n".join(lines))]
