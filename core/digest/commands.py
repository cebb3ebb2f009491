"""/digest (settings, preview, moderator stats) and the digest buttons."""

from __future__ import annotations

from core import peer_declines
from core.catalog import topics
from core.catalog.service import course_places, enrollment_of, remember_listed
from core.context import Context
from core.digest import compose, service
from core.errors import NotAllowed
from core.localtime import zone
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, command, start_hook
from models.catalog import Course
from models.member import Member
from models.qa import Question


@command("digest", help_key="help.digest", usage_key="usage.digest", private_only=True)
async def digest_cmd(ctx: Context, args: str) -> list[AnyReply]:
    await service.mark_reachable(ctx.session, ctx.clock, ctx.member, ctx.event.chat.kind)
    words = args.split()
    verb = service.VERB_WORDS.get(words[0].lower(), words[0].lower()) if words else ""
    if not verb:
        return [Reply(service.describe(ctx.member, ctx.clock.now(), ctx.locale))]
    if verb in ("now", "preview"):
        if len(words) > 1:
            return [Reply(ctx.t("digest.usage"))]
        rendered = await compose.build(ctx.session, ctx.services, ctx.member, ctx.clock.now())
        if not rendered.items:
            return [Reply(ctx.t("digest.preview_empty"))]
        # "/enroll 2" after the preview means its second line, as after a digest
        listed = course_places((it.kind, it.ref) for it in rendered.items)
        remember_listed(ctx.member, listed, ctx.clock.now())
        return [
            Reply(
                ctx.t("digest.preview_note") + "\n\n" + rendered.text,
                buttons=_buttons(rendered.buttons),
            )
        ]
    if verb == "stats":
        if not ctx.is_mod():
            raise NotAllowed()
        days = 7
        if len(words) > 2 or (
            len(words) == 2 and not (words[1].isdecimal() and 1 <= int(words[1]) <= 90)
        ):
            return [Reply(ctx.t("digest.stats_usage"))]
        if len(words) == 2:
            days = int(words[1])
        rows = await service.stats(ctx.session, ctx.clock.now(), days)
        if not rows:
            return [Reply(ctx.t("digest.stats_empty", days=days))]
        lines = [ctx.t("digest.stats_header", days=days)]
        for r in rows:
            lines.append(
                ctx.t(
                    "digest.stats_row",
                    day=r.day,
                    sent=r.sent,
                    delivered=r.delivered,
                    opened=r.opened,
                    clicked=r.clicked,
                    unsubscribed=r.unsubscribed,
                )
            )
        return [Reply("\n".join(lines))]
    key = await service.change(ctx.session, ctx.clock, ctx.member, args)
    return [Reply(ctx.t(key) + "\n" + service.describe(ctx.member, ctx.clock.now(), ctx.locale))]


def _buttons(rows: list[list[dict[str, str]]]) -> list[list[ButtonSpec]]:
    return [
        [ButtonSpec(b["label"], data=b.get("data"), url=b.get("url")) for b in row] for row in rows
    ]


@start_hook(priority=5)
async def back_in_reach(ctx: Context, args: str) -> list[AnyReply] | None:
    """A member who blocked the bot and now /starts it again can be reached again."""
    await service.mark_reachable(ctx.session, ctx.clock, ctx.member, ctx.event.chat.kind)
    return None


@button("dg")
async def digest_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    kind, course_id, item_kind = await service.record_click(
        ctx.session, ctx.clock, ctx.member, parts
    )
    if kind == "not_interested" and item_kind == "peer":
        await peer_declines.decline(ctx.session, ctx.member.id, int(parts[3]), ctx.clock.now())
    if kind != "digest_click":
        return [Reply(ctx.t(f"digest.feedback_{kind}"))]
    ref = int(parts[3])
    zh = ctx.locale == "zh-CN"
    if course_id is not None:
        c = await ctx.session.get(Course, course_id)
        if c is None:
            return [Reply(ctx.t("digest.item_gone"))]
        title = c.title_zh if zh and c.title_zh else c.title
        desc = c.description_zh if zh and c.description_zh else c.description
        text = f"{title}\n{desc}".strip()
        row = [ButtonSpec(ctx.t("digest.btn_open"), url=c.url)] if c.url else []
        if await enrollment_of(ctx.session, ctx.member.id, c.id) is not None:
            return [Reply(text + "\n" + ctx.t("digest.open_course_taking"), buttons=[row])]
        # one tap to enroll, as under /courses (the plan check is the same)
        row.append(ButtonSpec(ctx.t("digest.btn_enroll"), data=ctx.sign("cate", c.id)))
        return [Reply(text + "\n" + ctx.t("digest.open_course_hint", slug=c.slug), [row])]
    if item_kind == "question":
        q = await ctx.session.get(Question, ref)
        if q is None:
            return [Reply(ctx.t("digest.item_gone"))]
        return [Reply(ctx.t("digest.open_question", id=q.id, text=q.text[:1000]))]
    if item_kind == "peer":
        m = await ctx.session.get(Member, ref)
        if m is None or m.forgotten_at is not None or not m.peer_opt_in:
            return [Reply(ctx.t("digest.item_gone"))]
        names = (await topics.load(ctx.session)).names(m.tags or [], ctx.locale)
        text = ctx.t("digest.open_peer", name=m.display_name, tags=names or "-")
        if not ctx.member.peer_opt_in or m.id == ctx.member.id:
            return [Reply(text)]
        hi = ButtonSpec(ctx.t("recommend.btn_say_hi", name=m.display_name), ctx.sign("phi", m.id))
        return [Reply(text, buttons=[[hi]])]  # the introduction /peers offers
    if item_kind == "event":
        return await _open_event(ctx, ref)
    return [Reply(ctx.t("digest.feedback_digest_click"))]


async def _open_event(ctx: Context, ref: int) -> list[AnyReply]:
    try:
        from models.admin import CommunityEvent
    except ImportError:
        return [Reply(ctx.t("digest.item_gone"))]
    ev = await ctx.session.get(CommunityEvent, ref)
    if ev is None or ev.cancelled_at is not None:
        return [Reply(ctx.t("digest.item_gone"))]
    if ev.starts_at > ctx.clock.now():
        # not begun: the member signs up here as in /events (a capped event's link comes
        # with a place, so a digest must not hand it to everyone)
        from core.community_events.commands import event_cards

        return await event_cards(ctx, [ev], open_link=True)
    when = ev.starts_at.astimezone(zone(ctx.member.timezone or "UTC")).strftime("%Y-%m-%d %H:%M")
    btns = [[ButtonSpec(ctx.t("digest.btn_open"), url=ev.link)]] if ev.link else []
    return [Reply(ctx.t("digest.open_event", title=ev.title, when=when), buttons=btns)]
