"""/report: a member points moderators to a message in a group, by replying to it.

Moderators cannot read every message; members see the spam, the scam link or the insult
first. The report reaches each moderator privately with the message, its author and a
link, and what they can do about it; the reporter is thanked privately, and nothing is
said in the group (the author would learn who reported them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin.guard import record
from core.audit import count_since
from core.context import Context, Role
from core.digest.providers import Item, register_section
from core.errors import DomainError
from core.events import Chat
from core.i18n import translate
from core.members import by_account, moderators
from core.replies import AnyReply, ButtonSpec, DeleteMessage, Reply
from core.router import button, command
from models.audit import AuditLog
from models.member import Member

REPORTS_PER_DAY = 10  # a member's reports in 24 hours: beyond, moderators are not paged
EXCERPT = 300


@command("report", help_key="help.report", usage_key="usage.report")
async def report(ctx: Context, args: str) -> list[AnyReply]:
    ev = ctx.event
    author_ref = getattr(ev, "reply_to_user", None)
    if ev.chat.kind == "private" or not author_ref:
        raise DomainError("admin.report_how")
    author = await by_account(ctx.session, ev.chat.platform, author_ref)
    if author is not None and author.id == ctx.member.id:
        raise DomainError("admin.report_self")
    where = f"{ev.chat.platform}:{ev.chat.chat_id}:{ev.chat.thread_id or ''}"
    message = f"message:{where}:{getattr(ev, 'reply_to_ref', '') or ''}"
    now = ctx.clock.now()
    mine = select(func.count()).where(
        AuditLog.action == "member.report", AuditLog.actor_member_id == ctx.member.id
    )
    if (await ctx.session.execute(mine.where(AuditLog.target == message))).scalar_one():
        return [_private(ctx, "admin.report_again")]
    since = now - timedelta(days=1)
    if (
        await count_since(ctx.session, "member.report", since, actor_member_id=ctx.member.id)
        >= REPORTS_PER_DAY
    ):
        return [_private(ctx, "admin.report_limit")]
    reason = " ".join(args.split())[:200]
    # a member by id; someone the bot never met (posted in the group, never wrote to it)
    # by their account, so their reports still add up
    key = author.id if author is not None else f"{ev.chat.platform}:{author_ref}"
    row = await record(ctx, "member.report", message, after={"author": key}, reason=reason)
    earlier = await reports_about(ctx.session, key, now - timedelta(days=30))
    text = " ".join(str(getattr(ev, "reply_to_text", "") or "").split())
    url = str(getattr(ev, "reply_to_url", "") or "")
    out: list[AnyReply] = []
    for mod in await moderators(ctx.session, ctx.services):
        if author is not None and mod.id == author.id:
            continue
        who = (
            f"#{author.id} {author.display_name}"
            if author is not None
            else translate(
                mod.locale, "admin.report_unknown", platform=ev.chat.platform, id=author_ref
            )
        )
        lines = [
            translate(
                mod.locale,
                "admin.report_to_mods",
                reporter=f"#{ctx.member.id} {ctx.member.display_name}",
                author=who,
                text=text[:EXCERPT] + ("…" if len(text) > EXCERPT else "") or "—",
            )
        ]
        if reason:
            lines.append(translate(mod.locale, "admin.reason", reason=reason))
        if earlier > 1:
            lines.append(translate(mod.locale, "admin.report_count", n=earlier))
        if url:
            lines.append(url)
        if author is not None:
            lines.append(translate(mod.locale, "admin.report_actions", id=author.id))
        take_down = ButtonSpec(
            translate(mod.locale, "admin.report_btn_delete"), data=ctx.sign("rpdel", row.id)
        )
        out.append(Reply("\n".join(lines), [[take_down]], member_id=mod.id))
    # the /report message itself would tell the group (and the author) who reported
    own = getattr(ev, "message_ref", None)
    gone = [DeleteMessage(ev.chat, own)] if own and str(own).isdecimal() else []
    return [_private(ctx, "admin.report_thanks"), *out, *gone]


async def reports_about(session: AsyncSession, author: int | str, since: datetime) -> int:
    """Reports since `since` about a member (their id) or an account the bot never met
    ("platform:user id"). The audit JSON is not indexed: read in Python, fine at community
    sizes."""
    rows = await session.execute(
        select(AuditLog.after).where(AuditLog.action == "member.report", AuditLog.at >= since)
    )
    return sum(1 for (after,) in rows if (after or {}).get("author") == author)


REPORTS_DAYS = 7


async def reports_section(
    session: AsyncSession, member: Member, now: datetime, locale: str
) -> Sequence[Item]:
    """Last week's reports as one line of a moderator's digest (each reached them once, as
    a message, when it was made)."""
    since = now - timedelta(days=REPORTS_DAYS)
    n = (
        await session.execute(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "member.report", AuditLog.at >= since)
        )
    ).scalar_one()
    if not n:
        return []
    text = translate(locale, "digest.staff_reports", n=n, days=REPORTS_DAYS)
    return [Item("staff", 0, text)]


register_section("reports", reports_section, staff=True)


def _private(ctx: Context, key: str) -> Reply:
    """To the reporter alone: a word in the group would tell the author who reported them."""
    return Reply(ctx.t(key), member_id=ctx.member.id)


@button("rpdel", role=Role.MODERATOR)
async def delete_reported(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """The report's "Delete the message" button: the reported message comes down (where the
    bot may delete), once, audited."""
    ref = parts[0] if parts else ""
    row = await ctx.session.get(AuditLog, int(ref)) if ref.isdecimal() else None
    if row is None or row.action != "member.report":
        return [Reply(ctx.t("errors.button_expired"))]
    _, platform, chat_id, thread_id, message_ref = row.target.split(":", 4)
    if not message_ref.isdecimal():
        return [Reply(ctx.t("admin.report_cannot_delete"))]
    done = select(func.count()).where(
        AuditLog.action == "message.delete", AuditLog.target == row.target
    )
    if (await ctx.session.execute(done)).scalar_one():
        return [Reply(ctx.t("admin.report_deleted_already"))]
    await record(ctx, "message.delete", row.target, after={"report": row.id})
    where = Chat(platform, chat_id, "group", thread_id or None)
    return [Reply(ctx.t("admin.report_deleted")), DeleteMessage(where, message_ref)]
