"""/broadcast SEGMENT [at=YYYY-MM-DDTHH:MM] | TEXT, /broadcasts, and the delivery report job."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.admin import broadcasts, segments
from core.admin.args import parse_when
from core.admin.confirm import action, ask
from core.admin.guard import admin_command, record
from core.catalog import topics
from core.context import Context, Services
from core.errors import BadArguments, DomainError
from core.i18n import translate
from core.jobs import periodic
from core.localtime import local_time
from core.replies import AnyReply, Reply
from models.admin import Broadcast
from models.member import Member
from models.membership import Plan

FILTER_KEYS = frozenset(segments.KEYS) | {"at"}


def _split(ctx: Context, args: str) -> tuple[str, str]:
    """(filters, text). Without a `|` the whole line is the text, to everyone, unless it
    starts with filters (`lang=zh 大家好`): then they run up to the first word that is not
    one (`at=` takes the longest run of words after it that reads as a time), and the rest
    is the text. The preview shows both before anything is sent."""
    head, sep, text = args.partition("|")
    if not sep:
        first = args.split(maxsplit=1)[0].lower() if args.strip() else ""
        key = first.partition("=")[0]
        if first and first != "all" and not (first.partition("=")[1] and key in FILTER_KEYS):
            return "", args.strip()
        head, text = _filters_then_text(ctx, args)
    if not text.strip():
        raise BadArguments("errors.usage", usage=ctx.t("usage.broadcast"))
    return head.strip(), text.strip()


def _filters_then_text(ctx: Context, line: str) -> tuple[str, str]:
    words = line.split()
    taken: list[str] = []
    i = 0
    while i < len(words):
        key, eq, value = words[i].partition("=")
        if words[i].lower() == "all" and not taken:
            i += 1
            continue
        if not eq or key.lower() not in FILTER_KEYS:
            break
        if key.lower() != "at":
            taken.append(words[i])
            i += 1
            continue
        # at=tomorrow 9am Berlin: the longest run that reads as a time
        run = 0
        for n in range(min(5, len(words) - i - 1), -1, -1):
            try:
                parse_when(
                    " ".join([value, *words[i + 1 : i + 1 + n]]), ctx.timezone, ctx.clock.now()
                )
            except BadArguments:
                continue
            run = n
            break
        taken += words[i : i + 1 + run]
        i += 1 + run
    return " ".join(taken), " ".join(words[i:])


LISTING_WORDS = {"status", "list", "history", "sent", "report", "状态", "列表", "记录"}
"""A bare `/broadcast WORD` that asks for the recent broadcasts (/broadcasts), not a
broadcast of that one word."""


_CANCEL = re.compile(r"^(?:cancel|stop|abort|delete|取消|撤回|停止)\s*#?(?P<id>\d+)$", re.I)


async def _cancel(ctx: Context, broadcast_id: int) -> list[AnyReply]:
    """Stops what of a broadcast is not sent yet (a scheduled one, or one still going out);
    what was sent stays sent. Audited; no Confirm, as it only holds messages back."""
    b = await ctx.session.get(Broadcast, broadcast_id) if broadcast_id < 2**31 else None
    if b is None:
        raise DomainError("broadcast.unknown", id=broadcast_id)
    if b.status == "cancelled":
        return [Reply(ctx.t("broadcast.cancel_again", id=b.id))]
    held = await broadcasts.cancel(ctx.session, b)
    counts = await broadcasts.delivery(ctx.session, b.id)
    if not held and b.status != "draft" and counts.get("sent", 0):
        return [Reply(ctx.t("broadcast.cancel_late", id=b.id, sent=counts["sent"]))]
    was_draft = b.status == "draft"
    b.status = "cancelled"
    await record(ctx, "broadcast.cancel", f"broadcast:{b.id}", after={"held_back": held})
    if was_draft:
        return [Reply(ctx.t("broadcast.cancelled_draft", id=b.id))]
    return [Reply(ctx.t("broadcast.cancelled", id=b.id, n=held, sent=counts.get("sent", 0)))]


@admin_command("broadcast", usage_key="usage.broadcast")
async def broadcast_cmd(ctx: Context, args: str) -> list[AnyReply]:
    if args.strip().lower() in LISTING_WORDS:
        # "/broadcast status" drafted a broadcast saying "status" to everyone
        return await _recent(ctx)
    if m := _CANCEL.match(args.strip()):
        # "/broadcast cancel 1" drafted "cancel 1" to everyone, and nothing stopped one
        return await _cancel(ctx, int(m["id"]))
    head, text = _split(ctx, args)
    if len(text) > broadcasts.MAX_TEXT:
        raise DomainError("errors.too_long", limit=broadcasts.MAX_TEXT)
    now = ctx.clock.now()
    send_at = now
    words: list[str] = []
    when: list[str] | None = None  # at= takes the words after it up to the next filter
    for word in head.split():
        if word.lower().startswith("at="):
            when = [word[3:]]
        elif when is not None and "=" not in word:
            when.append(word)  # at=tomorrow 18:00 Berlin
        else:
            words.append(word)
    if when is not None:
        send_at = parse_when(" ".join(when), ctx.timezone, now)
        if send_at < now - timedelta(minutes=1) or send_at > now + timedelta(days=90):
            raise DomainError("broadcast.bad_time")
    seg = await topic_named(ctx, segments.parse(" ".join(words)))
    ids = await segments.members_in(ctx.session, seg, now)
    if not ids:
        raise DomainError("broadcast.empty_segment")
    b = Broadcast(
        created_by=ctx.member.id,
        text=text,
        segment=seg.as_dict(),
        status="draft",
        send_at=send_at,
        recipients=len(ids),
        created_at=now,
    )
    ctx.session.add(b)
    await ctx.session.flush()
    summary = ctx.t(
        "broadcast.preview",
        id=b.id,
        n=len(ids),
        segment=seg.describe(),
        when=local_time(send_at, ctx.timezone),
        text=text,
    )
    if not seg.as_dict() and (meant := _addressed(text)) is not None:
        # "/broadcast only to members interested in machine learning: …" was drafted to
        # everyone, the audience left in the text: said before the moderator confirms
        known = await topics.load(ctx.session)
        found = known.found_in(meant, list(known.titles))
        hint = (
            ctx.t("broadcast.addressed_topic", n=len(ids), topic=found[0])
            if found
            else ctx.t("broadcast.addressed", n=len(ids))
        )
        summary = f"{summary}\n{hint}"
    elif not seg.as_dict() and (plan := await _plan_first(ctx, text)) is not None:
        # "/broadcast yearly 年度会员专属：…" was drafted to everyone, "yearly" in the text
        summary += "\n" + ctx.t("broadcast.starts_with_plan", plan=plan, n=len(ids))
    return await ask(ctx, "broadcast", {"broadcast_id": b.id}, summary)


async def _plan_first(ctx: Context, text: str) -> str | None:
    """The plan code the text opens with ("yearly …"), as a segment written without plan=."""
    first = (text.split() or [""])[0].strip(":：,，").lower()[:32]
    return await ctx.session.scalar(select(Plan.code).where(Plan.code == first)) if first else None


_ADDRESSED = re.compile(
    r"^\s*(?:(?:only|just) )?(?:to|for) (?:the )?(?:members?|people|those|users|everyone|anyone)"
    r"\b(?P<who>[^:：\n]{0,80})[:：]|^\s*(?:只|仅)(?:发|发送)?给(?P<zh>[^:：，,\n]{1,40})[:：，,]",
    re.IGNORECASE,
)


def _addressed(text: str) -> str | None:
    """Who the text says it is for, when it opens by saying so ("only to members interested
    in machine learning: …", "只发给学机器学习的会员：…"); None otherwise."""
    m = _ADDRESSED.match(text)
    return None if m is None else (m["who"] or m["zh"] or "").strip()


async def topic_named(ctx: Context, seg: segments.Segment) -> segments.Segment:
    """`topic=` by the topic's slug or either of its names ("ML", "机器学习"); a word that is
    neither a name nor a slug is refused."""
    if seg.topic is None:
        return seg
    known = await topics.load(ctx.session)
    slug = known.slug(seg.topic) or known.slug(seg.topic.replace("-", " "))
    if slug is None and re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", seg.topic):
        slug = seg.topic  # a tag members have that no topic describes yet
    if slug is None:
        raise BadArguments("broadcast.bad_segment", word=f"topic={seg.topic}"[:40])
    return replace(seg, topic=slug)


@action("broadcast")
async def _do_broadcast(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    b = await ctx.session.get(Broadcast, int(p["broadcast_id"]))
    if b is None or b.status != "draft":
        return [Reply(ctx.t("admin.confirm_used"))]
    n = await broadcasts.queue(ctx.session, b, ctx.clock.now())
    await record(
        ctx,
        "broadcast.send",
        f"broadcast:{b.id}",
        after={"segment": b.segment, "recipients": n, "send_at": b.send_at.isoformat()},
    )
    when = local_time(b.send_at, ctx.timezone)
    return [Reply(ctx.t("broadcast.queued", id=b.id, n=n, when=when))]


@admin_command("broadcasts", usage_key="usage.broadcasts")
async def broadcasts_cmd(ctx: Context, args: str) -> list[AnyReply]:
    return await _recent(ctx)


async def _recent(ctx: Context) -> list[AnyReply]:
    """Recent broadcasts with their delivery counts."""
    rows = (
        (await ctx.session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(10)))
        .scalars()
        .all()
    )
    if not rows:
        return [Reply(ctx.t("broadcast.none"))]
    lines = []
    for b in rows:
        counts = await broadcasts.delivery(ctx.session, b.id)
        lines.append(_report_line(ctx.locale, b, counts, ctx.clock.now()))
    return [Reply("\n".join(lines))]


def _report_line(locale: str, b: Broadcast, counts: Any, now: datetime) -> str:
    pending = sum(counts.get(s, 0) for s in ("pending", "sending", "inflight"))
    # where it stands, as a moderator reads it (the row's own status stays "queued")
    stage = "done" if not pending else "scheduled" if b.send_at > now else "sending"
    if b.status in ("draft", "cancelled"):  # a draft never confirmed was shown "delivered"
        stage = "unconfirmed" if b.status == "draft" else "cancelled"
    return translate(
        locale,
        "broadcast.report",
        id=b.id,
        status=translate(locale, f"broadcast.stage_{stage}"),
        segment=segments.from_dict(b.segment).describe(),
        n=b.recipients,
        sent=counts.get("sent", 0),
        pending=pending,
        failed=sum(counts.get(s, 0) for s in ("failed", "dead", "unreachable", "cancelled")),
    )


@periodic("admin.broadcast_reports", every=timedelta(minutes=10))
async def report_finished(services: Services) -> list[AnyReply]:
    """Tell each broadcast's author once, when nothing of it is left to send."""
    out: list[AnyReply] = []
    async with services.session_factory() as s, s.begin():
        rows = (
            (
                await s.execute(
                    select(Broadcast).where(
                        Broadcast.status == "queued", Broadcast.reported_at.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        for b in rows:
            counts = await broadcasts.delivery(s, b.id)
            if not broadcasts.finished(counts):
                continue
            b.reported_at = services.clock.now()
            author = await s.get(Member, b.created_by) if b.created_by else None
            if author is None or author.forgotten_at is not None:
                continue
            line = _report_line(author.locale, b, counts, services.clock.now())
            out.append(Reply(line, member_id=author.id))
    return out
