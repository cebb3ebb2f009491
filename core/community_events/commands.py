"""/event new|cancel|attended (moderators), /events and RSVP buttons (members), reminders."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin.args import parse_when
from core.admin.confirm import action
from core.admin.confirm import ask as confirm
from core.admin.guard import admin_command, record
from core.community_events import asked, service
from core.context import Context, Services
from core.errors import BadArguments, DomainError
from core.i18n import translate
from core.ids import parse_id
from core.jobs import periodic
from core.localtime import local_time, zone
from core.members import find_member
from core.notifications import wants
from core.qa import help_answers, help_words
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, command
from models.admin import CommunityEvent, EventRsvp
from models.member import Member


def _name(m: Member) -> str:
    """How moderators' event lists name a member: a forgotten one (or one with no name)
    by number only."""
    return m.display_name if m.forgotten_at is None and m.display_name else f"#{m.id}"


def _when(ev: CommunityEvent, tz: str | None) -> str:
    """The start as the reader reads it: their zone, else the community's."""
    return local_time(ev.starts_at, tz)


SUB_WORDS = {
    "create": "new",
    "add": "new",
    "schedule": "new",
    "reschedule": "move",
    "postpone": "move",
    "delete": "cancel",
    "remove": "cancel",
    "attendees": "who",
    "rsvps": "who",
    "ls": "list",
    "attendance": "report",
    "stats": "report",
    **dict.fromkeys(("出勤", "统计", "报告"), "report"),
    **dict.fromkeys(("新建", "创建", "添加", "安排"), "new"),
    **dict.fromkeys(("改期", "调整", "延期"), "move"),
    **dict.fromkeys(("取消", "删除"), "cancel"),
    **dict.fromkeys(("列表", "全部"), "list"),
    **dict.fromkeys(("名单", "报名"), "who"),
    **dict.fromkeys(("出席", "签到", "到场"), "attended"),
}
"""Other words moderators type for /event's actions ("/event create ..." was the usage)."""


@admin_command("event", usage_key="usage.event")
async def event_cmd(ctx: Context, args: str) -> list[AnyReply]:
    sub, _, rest = args.strip().partition(" ")
    sub = SUB_WORDS.get(sub.lower(), sub.lower())
    now = ctx.clock.now()
    if sub == "new":
        spec = service.parse_new(rest, now, ctx.timezone)
        ev = CommunityEvent(
            title=spec.title,
            starts_at=spec.starts_at,
            link=spec.link,
            capacity=spec.capacity,
            created_by=ctx.member.id,
            created_at=now,
        )
        ctx.session.add(ev)
        await ctx.session.flush()
        await record(
            ctx,
            "event.create",
            f"event:{ev.id}",
            after={"title": ev.title, "starts_at": ev.starts_at.isoformat(), "cap": ev.capacity},
        )
        when = _when(ev, ctx.timezone)
        return [Reply(ctx.t("events.created", id=ev.id, title=ev.title, when=when))]
    if sub == "list" or (sub == "who" and not rest.strip()):
        return await _upcoming(ctx)  # the upcoming events, with their ids
    if sub == "move":
        return await _move(ctx, rest, now)
    if sub == "recording":
        return await _recording(ctx, rest, now)
    if sub == "who":
        return await _who(ctx, rest)
    if sub == "report":
        return await attendance_report(ctx, rest, now)
    if sub in {"cancel", "attended"}:
        ref, _, who = rest.strip().partition(" ")
        event_id = parse_id(ref)
        if event_id is None:
            raise BadArguments("errors.usage", usage=ctx.t("usage.event"))
        found = await ctx.session.get(CommunityEvent, event_id)
        if found is None or found.cancelled_at is not None:
            raise DomainError("events.unknown")
        ev = found
        if sub == "cancel":
            return await _ask_cancel(ctx, ev)
        refs = who.split()
        if not refs:
            raise BadArguments("errors.usage", usage=ctx.t("usage.event"))
        if ev.starts_at > now:  # nobody attended what has not begun
            raise DomainError("events.not_started", title=ev.title, when=_when(ev, ctx.timezone))
        members = [await find_member(ctx.session, r) for r in refs[:50]]
        marked = [m for m in members if await service.mark_attended(ctx.session, ev, m.id, now)]
        if marked:
            await record(
                ctx, "event.attended", f"event:{ev.id}", after={"members": [m.id for m in marked]}
            )
        if not marked:
            return [Reply(ctx.t("events.attended_already", title=ev.title))]
        names = ", ".join(_name(m) for m in marked)
        return [Reply(ctx.t("events.attended", n=len(marked), title=ev.title, names=names))]
    raise BadArguments("errors.usage", usage=ctx.t("usage.event"))


async def _ask_cancel(ctx: Context, ev: CommunityEvent) -> list[AnyReply]:
    """Members signed up hear of a cancel at once and it cannot be taken back, so the
    moderator first sees which event a typed number named; one nobody joined goes at once."""
    signed_up = (
        await ctx.session.execute(
            select(func.count()).select_from(EventRsvp).where(EventRsvp.event_id == ev.id)
        )
    ).scalar_one()
    if not signed_up:
        return await _cancel(ctx, ev)
    when = _when(ev, ctx.timezone)
    summary = ctx.t("events.cancel_first", title=ev.title, when=when, n=signed_up)
    return await confirm(ctx, "event_cancel", {"event_id": ev.id}, summary)


@action("event_cancel")
async def _cancel_confirmed(ctx: Context, params: dict[str, Any]) -> list[AnyReply]:
    ev = await ctx.session.get(CommunityEvent, int(params["event_id"]))
    if ev is None or ev.cancelled_at is not None:  # cancelled meanwhile
        raise DomainError("events.unknown")
    return await _cancel(ctx, ev)


async def _cancel(ctx: Context, ev: CommunityEvent) -> list[AnyReply]:
    now = ctx.clock.now()
    ev.cancelled_at = now
    await record(ctx, "event.cancel", f"event:{ev.id}")
    told, direct = await _tell_signed_up(ctx.session, ctx.services, ev, "cancel", now)
    return [Reply(ctx.t("events.cancelled", title=ev.title, told=_told(ctx, told))), *direct]


JOIN_WORDS = {"join", "go", "rsvp", "come", "attend", "yes", "报名", "参加", "去"}
LEAVE_WORDS = {"leave", "cancel", "no", "drop", "取消", "不去", "退出"}
"""Signing up or off by typing, as the card's buttons do: "/events join 3", "/events 取消 3"."""


@command("events", help_key="help.events", usage_key="usage.events")
async def events_cmd(ctx: Context, args: str) -> list[AnyReply]:
    words = args.lower().replace("#", " ").split()
    if not words:
        return await _upcoming(ctx)
    if words[0] in MINE_WORDS and len(words) == 1:
        return await _upcoming(ctx, mine=True)
    if words[0] in PAST_WORDS and len(words) == 1:
        return await past_events(ctx, await _recent(ctx))
    number = words[-1]
    verb = words[0] if len(words) == 2 else ""
    known = not verb or verb in JOIN_WORDS or verb in LEAVE_WORDS
    if len(words) > 2 or not known or not number.isdecimal() or len(number) > 9:
        raise BadArguments("errors.usage", usage=ctx.t("usage.events"))
    if verb:
        return await _rsvp(ctx, verb in JOIN_WORDS, int(number))
    ev = await ctx.session.get(CommunityEvent, int(number))
    if ev is None or ev.cancelled_at is not None:
        raise DomainError("events.unknown")
    return await event_cards(ctx, [ev])  # "/events 3": that one, with its button


@help_answers.live_view("events")
async def next_events(ctx: Context) -> list[AnyReply]:
    """Under the answer to "when is the next event?": the next three, each with its button."""
    return await _upcoming(ctx, limit=3)


PAST_DAYS = 120
"""How far back a question about an event that is not planned again finds its last one."""
LOOKED_AT = 300
"""Coming events, and past ones, a question about when an event is reads (soonest and
latest first)."""


def _about_another(question: str) -> bool:
    """It names an event but asks about something else in so many words ("上个月的 workshop
    我参加了，能拿证书吗？" is about certificates; it was told no events are planned)."""
    return help_words.key_for(question) not in (None, "events")


@help_answers.lookup
async def recording_of(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "Is there a recording of the SQL office hours?" gets its recording, or that none is
    posted yet; "are the live sessions recorded?", "直播有回放吗" the recent recordings (they
    opened threads nobody but a moderator could answer). None for any other question."""
    if not asked.asks_about_recording(question) or _about_another(question):
        return None
    past = await _recent(ctx, LOOKED_AT)
    named = next((ev for ev in past if asked.names_event(question, ev.title)), None)
    if named is not None:  # the latest one of that name
        when = _when(named, ctx.timezone)
        if not named.recording_url:
            return [Reply(ctx.t("events.asked_no_recording_yet", title=named.title, when=when))]
        button = ButtonSpec(ctx.t("events.btn_recording"), url=named.recording_url)
        text = ctx.t("events.asked_recording", title=named.title, when=when)
        return [Reply(f"{text}\n{named.recording_url}", buttons=[[button]])]
    soon = await ctx.session.execute(
        select(CommunityEvent)
        .where(CommunityEvent.cancelled_at.is_(None), CommunityEvent.starts_at > ctx.clock.now())
        .order_by(CommunityEvent.starts_at)
        .limit(LOOKED_AT)
    )
    coming = next((ev for ev in soon.scalars() if asked.names_event(question, ev.title)), None)
    if coming is not None:  # only a coming one: the soonest
        when = _when(coming, ctx.timezone)
        return [Reply(ctx.t("events.asked_recording_coming", title=coming.title, when=when))]
    recorded = [ev for ev in past if ev.recording_url]
    if not recorded:
        return [Reply(ctx.t("events.asked_no_recordings"))]
    shown = await past_events(ctx, recorded[: asked.MAX_SHOWN])
    return [Reply(ctx.t("events.asked_recordings")), *shown[1:]]


@help_answers.lookup
async def when_is_it(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "When is the next office hours?" is told when the "SQL office hours" are, with the
    card to sign up; when none is planned, when the last one was. None for any other."""
    generic = asked.asks_about_events(question)
    if not generic and not asked.asks_when(question) and not asked.asks_about_an_event(question):
        return None
    if _about_another(question):
        return None
    now = ctx.clock.now()
    live = CommunityEvent.cancelled_at.is_(None)
    # the soonest coming ones and the latest past ones: one window from the oldest missed
    # the next event behind a busy past
    soon = select(CommunityEvent).where(live, CommunityEvent.starts_at > now)
    before = select(CommunityEvent).where(
        live,
        CommunityEvent.starts_at <= now,
        CommunityEvent.starts_at > now - timedelta(days=PAST_DAYS),
    )
    coming_rows = await ctx.session.execute(
        soon.order_by(CommunityEvent.starts_at).limit(LOOKED_AT)
    )
    past_rows = await ctx.session.execute(
        before.order_by(CommunityEvent.starts_at.desc()).limit(LOOKED_AT)
    )
    upcoming = list(coming_rows.scalars())
    coming, past = asked.named_in(question, [*upcoming, *past_rows.scalars()], now)
    if coming:
        return [Reply(ctx.t("events.asked_coming")), *await event_cards(ctx, coming)]
    if past is not None:
        when = _when(past, ctx.timezone)
        return [Reply(ctx.t("events.asked_none_planned", title=past.title, when=when))]
    if generic:  # "any events this week?", "下周有什么活动？": what the calendar holds then
        return await _events_then(ctx, question, upcoming, now)
    if asked.asks_about_an_event(question):  # one the calendar does not hold
        if not upcoming:
            return [Reply(ctx.t("events.asked_none_at_all"))]
        later = upcoming[: asked.MAX_SHOWN]
        return [Reply(ctx.t("events.asked_not_found")), *await event_cards(ctx, later)]
    return None


async def _events_then(
    ctx: Context, question: str, upcoming: list[CommunityEvent], now: datetime
) -> list[AnyReply]:
    if not upcoming:
        return [Reply(ctx.t("events.asked_none_at_all"))]
    span = asked.window(question, now.astimezone(zone(ctx.timezone)))
    then = [ev for ev in upcoming if span is None or span[0] <= ev.starts_at < span[1]]
    if then:
        return [
            Reply(ctx.t("events.asked_coming")),
            *await event_cards(ctx, then[: asked.MAX_SHOWN]),
        ]
    later = upcoming[: asked.MAX_SHOWN]
    return [Reply(ctx.t("events.asked_none_then")), *await event_cards(ctx, later)]


PAST_WORDS = {
    "past",
    "recordings",
    "recorded",
    "replays",
    "earlier",
    "过去",
    "以前",
    "回放",
    "录像",
}
"""After /events: the recent past events, with their recordings."""


async def _recent(ctx: Context, limit: int = 10) -> list[CommunityEvent]:
    """The past events of the last PAST_DAYS, latest first (cancelled ones left out)."""
    now = ctx.clock.now()
    q = select(CommunityEvent).where(
        CommunityEvent.cancelled_at.is_(None),
        CommunityEvent.starts_at <= now,
        CommunityEvent.starts_at > now - timedelta(days=PAST_DAYS),
    )
    rows = await ctx.session.execute(q.order_by(CommunityEvent.starts_at.desc()).limit(limit))
    return list(rows.scalars())


async def past_events(ctx: Context, events: list[CommunityEvent]) -> list[AnyReply]:
    """Each past event with a button to its recording, or a word that there is none."""
    if not events:
        return [Reply(ctx.t("events.none_past"))]
    out: list[AnyReply] = [Reply(ctx.t("events.past_head"))]
    for ev in events:
        text = ctx.t("events.past_line", id=ev.id, title=ev.title, when=_when(ev, ctx.timezone))
        if not ev.recording_url:
            out.append(Reply(text + " " + ctx.t("events.past_no_recording")))
            continue
        button = ButtonSpec(ctx.t("events.btn_recording"), url=ev.recording_url)
        out.append(Reply(f"{text}\n🎬 {ev.recording_url}", buttons=[[button]]))
    return out


MINE_WORDS = {"mine", "my", "me", "going", "joined", "我的", "已报名"}
"""After /events: only the coming events the member signed up for (going or waiting)."""


async def _upcoming(ctx: Context, limit: int = 10, *, mine: bool = False) -> list[AnyReply]:
    """The next ten events as /events shows them (also `/event list` for moderators);
    `mine`: only those the member signed up for, going or waiting."""
    now = ctx.clock.now()
    q = select(CommunityEvent).where(
        CommunityEvent.starts_at > now, CommunityEvent.cancelled_at.is_(None)
    )
    if mine:
        q = q.join(EventRsvp, EventRsvp.event_id == CommunityEvent.id).where(
            EventRsvp.member_id == ctx.member.id
        )
    rows = (
        (await ctx.session.execute(q.order_by(CommunityEvent.starts_at).limit(limit)))
        .scalars()
        .all()
    )
    if not rows:
        return [Reply(ctx.t("events.none_mine" if mine else "events.none"))]
    return await event_cards(ctx, list(rows))


async def event_cards(
    ctx: Context, events: list[CommunityEvent], *, open_link: bool = False
) -> list[AnyReply]:
    """Each event as the member sees it in /events (and from a digest): places taken,
    where they stand, and the one button that fits (come, can't come, wait, leave the line).
    A capped event's link comes with a place; `open_link` adds an uncapped one's."""
    mine = {
        row.event_id: row
        for row in (
            await ctx.session.execute(
                select(EventRsvp).where(
                    EventRsvp.member_id == ctx.member.id,
                    EventRsvp.event_id.in_([ev.id for ev in events]),
                )
            )
        ).scalars()
    }
    out: list[AnyReply] = []
    for ev in events:
        n, waiting = await service.signed_up(ctx.session, ev.id)
        cap = str(ev.capacity) if ev.capacity else "∞"
        when = _when(ev, ctx.timezone)
        text = ctx.t("events.line", id=ev.id, title=ev.title, when=when, n=n, cap=cap)
        if waiting:
            text += " " + ctx.t("events.line_waiting", n=waiting)
        leave = ctx.sign("ev", "u", ev.id)
        row = mine.get(ev.id)
        if row is not None and row.waitlisted:
            place = await service.place_in_line(ctx.session, row)
            text += "\n" + ctx.t("events.you_are_waiting", place=place)
            label, data = ctx.t("events.btn_leave_waiting"), leave
        elif row is not None:
            label, data = ctx.t("events.btn_leave"), leave
            text += "\n" + ctx.t("events.you_are_going")
        elif ev.capacity and n >= ev.capacity:
            label, data = ctx.t("events.btn_wait"), ctx.sign("ev", "r", ev.id)
        else:
            label, data = ctx.t("events.btn_join"), ctx.sign("ev", "r", ev.id)
        buttons = [ButtonSpec(label, data)]
        going = row is not None and not row.waitlisted
        if ev.link and (going or (open_link and not ev.capacity)):
            buttons.append(ButtonSpec(ctx.t("digest.btn_open"), url=ev.link))
        out.append(Reply(text, buttons=[buttons]))
    return out


@button("ev")
async def rsvp_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    if len(parts) != 2 or parts[0] not in {"r", "u"} or not parts[1].isdecimal():
        raise DomainError("errors.button_expired")
    return await _rsvp(ctx, parts[0] == "r", int(parts[1]))


async def _rsvp(ctx: Context, coming: bool, event_id: int) -> list[AnyReply]:
    """Signed up (or on the waiting list), or off it, as the card's buttons and
    "/events join 3" say."""
    now = ctx.clock.now()
    if coming:
        said = await service.rsvp(ctx.session, event_id, ctx.member.id, now)
        ev = await ctx.session.get_one(CommunityEvent, event_id)
        if not said.going:
            return [Reply(ctx.t("events.waiting", title=ev.title, place=said.place))]
        extra = f"\n{ev.link}" if ev.link else ""
        return [Reply(ctx.t("events.going", title=ev.title, when=_when(ev, ctx.timezone)) + extra)]
    ev_or_none = await ctx.session.get(CommunityEvent, event_id)
    if ev_or_none is None:
        raise DomainError("events.unknown")
    left, promoted = await service.unrsvp(ctx.session, event_id, ctx.member.id, now)
    key = "events.not_waiting" if left == "waiting" else "events.not_going"
    out: list[AnyReply] = [Reply(ctx.t(key, title=ev_or_none.title))]
    if promoted is not None:
        out.append(await _place_freed(ctx, ev_or_none, promoted))
    return out


async def _who(ctx: Context, rest: str) -> list[AnyReply]:
    """``/event who ID``: who is going, who waits (in order) and who came: the names a
    moderator needs for ``/event attended``."""
    event_id = parse_id(rest)
    if event_id is None:
        raise BadArguments("errors.usage", usage=ctx.t("usage.event"))
    ev = await ctx.session.get(CommunityEvent, event_id)
    if ev is None:
        raise DomainError("events.unknown")
    rows = (
        await ctx.session.execute(
            select(Member, EventRsvp)
            .join(EventRsvp, EventRsvp.member_id == Member.id)
            .where(EventRsvp.event_id == ev.id)
            .order_by(EventRsvp.created_at, EventRsvp.id)
        )
    ).all()

    going = [_name(m) for m, r in rows if not r.waitlisted]
    waiting = [_name(m) for m, r in rows if r.waitlisted]
    came = [_name(m) for m, r in rows if r.attended_at is not None]
    head = "events.who_cancelled" if ev.cancelled_at is not None else "events.who"
    lines = [ctx.t(head, id=ev.id, title=ev.title, when=_when(ev, ctx.timezone))]
    lines.append(ctx.t("events.who_going", n=len(going), names=", ".join(going) or "—"))
    if waiting:
        lines.append(ctx.t("events.who_waiting", n=len(waiting), names=", ".join(waiting)))
    if came:
        lines.append(ctx.t("events.who_came", n=len(came), names=", ".join(came)))
    return [Reply("\n".join(lines))]


REPORT_DAYS = 90


async def attendance_report(ctx: Context, rest: str, now: datetime) -> list[AnyReply]:
    """``/event report [DAYS]``: each event that took place in the window (90 days unless
    said), with how many signed up, waited and came, best attended first ("which events had
    the best attendance this quarter", "上周的直播有多少人报名，多少人实际参加了")."""
    days = REPORT_DAYS
    if rest.strip():
        from core.admin.args import parse_days
        from core.admin.stats_commands import PERIOD_WORDS

        said = rest.strip().lower()
        days = PERIOD_WORDS.get(said) or parse_days(said)
        if not 1 <= days <= 3660:
            raise BadArguments("errors.usage", usage=ctx.t("usage.event"))
    since = now - timedelta(days=days)
    events = (
        (
            await ctx.session.execute(
                select(CommunityEvent).where(
                    CommunityEvent.starts_at >= since,
                    CommunityEvent.starts_at <= now,
                    CommunityEvent.cancelled_at.is_(None),
                )
            )
        )
        .scalars()
        .all()
    )
    if not events:
        return [Reply(ctx.t("events.report_none", days=days))]
    tally = {ev.id: [0, 0, 0] for ev in events}  # going, waiting, came
    for event_id, waitlisted, attended, n in (
        await ctx.session.execute(
            select(
                EventRsvp.event_id,
                EventRsvp.waitlisted,
                EventRsvp.attended_at.is_not(None),
                func.count(),
            )
            .where(EventRsvp.event_id.in_(list(tally)))
            .group_by(EventRsvp.event_id, EventRsvp.waitlisted, EventRsvp.attended_at.is_not(None))
        )
    ).all():
        counted = tally[event_id]
        if waitlisted and not attended:
            counted[1] += n
        elif not waitlisted:
            counted[0] += n
        if attended:
            counted[2] += n
    rows = sorted(events, key=lambda e: (-tally[e.id][2], -e.starts_at.timestamp()))
    lines = [ctx.t("events.report_head", days=days, n=len(rows))]
    for ev in rows:
        going, waiting, came = tally[ev.id]
        rate = f"{came / going:.0%}" if going else "—"
        lines.append(
            ctx.t(
                "events.report_line",
                id=ev.id,
                title=ev.title,
                when=_when(ev, ctx.timezone),
                going=going,
                waiting=waiting,
                came=came,
                rate=rate,
            )
        )
    lines.append(ctx.t("events.report_foot"))
    return [Reply("\n".join(lines))]


_ATTENDANCE = re.compile(
    r"\battendance\b|\bshow(?:ed)? up\b|\bturn(?:ed)? ?out\b|\bhow many (?:people |members )?"
    r"(?:came|attended|joined (?:the|it))\b|\bwho (?:rsvp'?d|signed up for|registered for|came to)\b"
    r"|(?:报名|参加|出席|到场)[^。？！?!]{0,16}(?:多少人|几个人|人数)|(?:多少人|几个人)[^。？！?!]{0,10}"
    r"(?:报名|参加|出席|到场)|出席率|到场率",
    re.IGNORECASE,
)
_PERIOD = (
    (re.compile(r"\bquarter\b|季度", re.IGNORECASE), 91),
    (re.compile(r"\bmonth\b|月", re.IGNORECASE), 30),
    (re.compile(r"\bweek\b|周|星期", re.IGNORECASE), 7),
    (re.compile(r"\byear\b|年", re.IGNORECASE), 365),
)


@help_answers.lookup_first
async def attendance_asked(ctx: Context, question: str) -> list[AnyReply] | None:
    """A moderator asking who came ("who RSVP'd to the data viz workshop and how many
    actually showed up", "上周的机器学习直播有多少人报名，多少人实际参加了"): the attendance
    report for the period named (it got the member's "no events planned", or /stats)."""
    if not ctx.is_mod() or ctx.event.chat.kind != "private" or not _ATTENDANCE.search(question):
        return None
    days = next((d for rx, d in _PERIOD if rx.search(question)), REPORT_DAYS)
    said = ctx.t("admin.asked_loose", command=f"/event report {days}")
    return [Reply(said), *await attendance_report(ctx, str(days), ctx.clock.now())]


async def _move(ctx: Context, rest: str, now: datetime) -> list[AnyReply]:
    """``/event move ID | WHEN``: a new start (the moderator's zone, or UTC), a new reminder
    before it, and everyone signed up told."""
    ref, bar, when_txt = rest.partition("|")
    if not bar:  # "/event move 3 2026-03-03 18:00": the id is one word, the rest the time
        ref, _, when_txt = rest.strip().partition(" ")
    event_id = parse_id(ref)
    if event_id is None or not when_txt.strip():
        raise BadArguments("errors.usage", usage=ctx.t("usage.event"))
    starts = parse_when(when_txt, ctx.timezone, now)
    ev = await ctx.session.get(CommunityEvent, event_id)
    if ev is None or ev.cancelled_at is not None:
        raise DomainError("events.unknown")
    if ev.starts_at <= now:
        raise DomainError("events.started")
    if starts <= now:
        raise DomainError("events.in_past")
    if starts == ev.starts_at:
        return [Reply(ctx.t("events.not_moved", title=ev.title, when=_when(ev, ctx.timezone)))]
    before = ev.starts_at
    ev.starts_at, ev.reminded_at = starts, None  # the reminder goes again before the new time
    await record(
        ctx,
        "event.move",
        f"event:{ev.id}",
        before={"starts_at": before.isoformat()},
        after={"starts_at": starts.isoformat()},
    )
    told, direct = await _tell_signed_up(ctx.session, ctx.services, ev, "move", now)
    when = _when(ev, ctx.timezone)
    return [Reply(ctx.t("events.moved", title=ev.title, when=when, told=_told(ctx, told))), *direct]


async def _recording(ctx: Context, rest: str, now: datetime) -> list[AnyReply]:
    """``/event recording ID URL``: where a past event's recording is. Those who were going
    get the link (once per link); /events past and questions about recordings show it.
    ``/event recording ID off`` takes it down."""
    ref, _, url = rest.strip().partition(" ")
    url = url.strip()
    event_id = parse_id(ref)
    if event_id is None or not url or " " in url:
        raise BadArguments("errors.usage", usage=ctx.t("usage.event"))
    ev = await ctx.session.get(CommunityEvent, event_id)
    if ev is None or ev.cancelled_at is not None:
        raise DomainError("events.unknown")
    if ev.starts_at > now:  # nothing is recorded before it begins
        raise DomainError(
            "events.recording_not_started", title=ev.title, when=_when(ev, ctx.timezone)
        )
    if url.lower() in OFF_WORDS:
        if not ev.recording_url:
            return [Reply(ctx.t("events.recording_none", title=ev.title))]
        before, ev.recording_url = ev.recording_url, ""
        await record(ctx, "event.recording", f"event:{ev.id}", before={"url": before})
        return [Reply(ctx.t("events.recording_removed", title=ev.title))]
    if not service.is_link(url) or len(url) > 500:
        raise DomainError("events.bad_link")
    if url == ev.recording_url:
        return [Reply(ctx.t("events.recording_same", title=ev.title))]
    before, ev.recording_url = ev.recording_url, url
    await record(
        ctx, "event.recording", f"event:{ev.id}", before={"url": before}, after={"url": url}
    )
    told, direct = await _tell_signed_up(ctx.session, ctx.services, ev, "recording", now)
    said = ctx.t("events.recording_told", n=told) if told else ctx.t("events.told_nobody")
    return [Reply(ctx.t("events.recording_set", title=ev.title, told=said)), *direct]


OFF_WORDS = {"off", "remove", "none", "delete", "删除", "取消"}


def _told(ctx: Context, n: int) -> str:
    """Whom a move or a cancel reached: "Told the 3 members…", or that nobody had signed up."""
    return ctx.t("events.told_signed_up", n=n) if n else ctx.t("events.told_nobody")


async def release_places(ctx: Context, member_id: int) -> list[AnyReply]:
    """The member is banned or erased: their places go to the waiting lists, who are told."""
    freed = await service.release_places(ctx.session, member_id, ctx.clock.now())
    return [await _place_freed(ctx, ev, promoted) for ev, promoted in freed]


async def _place_freed(ctx: Context, ev: CommunityEvent, member_id: int) -> Reply:
    """The first on the waiting list now has the place: told at once, in their language."""
    member = await ctx.session.get_one(Member, member_id)
    when = _when(ev, member.timezone or ctx.services.settings.timezone)
    text = translate(member.locale, "events.place_freed", title=ev.title, when=when)
    return Reply(text + (f"\n{ev.link}" if ev.link else ""), member_id=member_id)


async def _tell_signed_up(
    s: AsyncSession, services: Services, ev: CommunityEvent, what: str, now: datetime
) -> tuple[int, list[AnyReply]]:
    """Tell those signed up for `ev` (``what``: "remind", those going, it starts soon;
    "cancel", the waiting list too, it will not take place; "move", everyone, its new start;
    "recording", those going, where its recording is),
    each in their language and zone, once (the outbox's dedupe key; a reminder and a move
    once per start time).
    Returns how many were told and the replies to send where there is no outbox."""
    try:
        from core.digest.outbox import enqueue
    except ModuleNotFoundError:  # without the outbox, answer with direct replies
        enqueue = None  # type: ignore[assignment]
    rsvps = (
        await s.execute(
            select(Member)
            .join(EventRsvp, EventRsvp.member_id == Member.id)
            .where(
                EventRsvp.event_id == ev.id,
                Member.forgotten_at.is_(None),
                Member.role != "banned",
                # a reminder (or the recording) is for those going; a cancel is news to the
                # waiting list too
                EventRsvp.waitlisted.is_(False) if what in ("remind", "recording") else true(),
            )
        )
    ).scalars()
    # a reminder or a recording is what /settings can switch off; a move or a cancel is not
    told = [m for m in rsvps if what not in ("remind", "recording") or wants(m, "events")]
    out: list[AnyReply] = []
    key = {
        "remind": "events.reminder",
        "cancel": "events.cancelled_going",
        "recording": "events.recording_going",
    }.get(what, "events.moved_going")
    # a moved event is reminded of (and moved) again for its new start
    dedupe = f"{what}@{int(ev.starts_at.timestamp())}" if what != "cancel" else what
    if what == "recording":  # once per recording posted (a link may be long: its digest)
        dedupe = "recording@" + hashlib.sha256(ev.recording_url.encode()).hexdigest()[:16]
    for m in told:
        member_id = m.id
        when = _when(ev, m.timezone or services.settings.timezone)
        text = translate(m.locale, key, title=ev.title, when=when)
        if what == "recording":
            text += f"\n{ev.recording_url}"
        elif ev.link and what != "cancel":
            text += f"\n{ev.link}"
        if enqueue is None:
            out.append(Reply(text, member_id=member_id))
            continue
        await enqueue(
            s,
            member_id=member_id,
            payload={"text": text, "markup": "plain"},
            dedupe_key=f"event:{ev.id}:{dedupe}:{member_id}",
            not_before=now,
            now=now,
        )
    return len(told), out


@periodic("events.reminders", every=timedelta(minutes=5))
async def send_reminders(services: Services) -> list[AnyReply]:
    """One reminder per RSVP, about REMIND_BEFORE ahead; `reminded_at` makes it once."""
    now = services.clock.now()
    out: list[AnyReply] = []
    async with services.session_factory() as s, s.begin():
        due = (
            (
                await s.execute(
                    select(CommunityEvent)
                    .where(
                        CommunityEvent.reminded_at.is_(None),
                        CommunityEvent.cancelled_at.is_(None),
                        CommunityEvent.starts_at > now,
                        CommunityEvent.starts_at <= now + service.REMIND_BEFORE,
                    )
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for ev in due:
            ev.reminded_at = now
            out += (await _tell_signed_up(s, services, ev, "remind", now))[1]
    return out
