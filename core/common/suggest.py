"""The member's first few course suggestions, where a moment calls for them (the end of
the interview, a finished course): /recommend's own reply, reasons and buttons included."""

from __future__ import annotations

from core.context import Context
from core.replies import AnyReply, Reply


async def suggestions(ctx: Context, n: int = 3) -> list[AnyReply]:
    """Nothing when the member turned suggestions off, none exist, or no recommender runs."""
    from core.router import COMMANDS, run_command

    if ctx.member.recommend_opt_out or "recommend" not in COMMANDS:
        return []
    await ctx.session.flush()
    out = await run_command(ctx, "recommend", str(n))
    return [r for r in out if not (isinstance(r, Reply) and r.text == ctx.t("recommend.empty"))]
