"""Catalogue browsing commands (the catalogue feature extends these)."""

from __future__ import annotations

from sqlalchemy import select

from core.context import Context
from core.replies import AnyReply, Reply
from core.router import command
from models.catalog import Course


@command("courses", help_key="help.courses")
async def courses(ctx: Context, args: str) -> list[AnyReply]:
    rows = (
        (
            await ctx.session.execute(
                select(Course).where(Course.hidden.is_(False)).order_by(Course.id)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return [Reply(ctx.t("catalog.empty"))]
    zh = ctx.locale == "zh-CN"
    lines = [ctx.t("catalog.header", n=len(rows))]
    for c in rows:
        title = c.title_zh if zh and c.title_zh else c.title
        lines.append(
            f"• {title} [{c.slug}] — {ctx.t('catalog.level_' + c.level)}, {', '.join(c.tags)}"
        )
    return [Reply("\n".join(lines))]
