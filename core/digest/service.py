"""Use cases behind /digest: show and change settings, preview, record clicks, stats."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit
from core.clock import Clock
from core.digest import outbox
from core.digest.errors import (
    DigestUsageError,
    FrequencyUnsupportedError,
    HourRangeError,
    NotYourDigestError,
    OnTheHourError,
    UnknownTimezoneError,
)
from core.digest.schedule import FREQUENCY_WORDS, next_due
from core.i18n import translate
from core.localtime import (
    WEEKDAYS,
    join_meridiem,
    parse_clock,
    parse_timezone,
    zh_moment,
    zone,
    zone_label,
)
from models.digest import Digest, Outbox
from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Member

QUIET_RE = re.compile(r"^(?:from\s+|从)?(.+?)\s*(?:[-–~到至]|\s(?:to|until|till)\s)\s*(.+)$")
DAY_PARTS = {
    **dict.fromkeys(("morning", "早上", "上午", "早晨"), "9"),
    **dict.fromkeys(("noon", "midday", "lunchtime", "中午"), "12"),
    **dict.fromkeys(("afternoon", "下午"), "14"),
    **dict.fromkeys(("evening", "傍晚"), "18"),
    **dict.fromkeys(("night", "tonight", "晚上"), "20"),
}
"""A part of the day as a schedule's hour: "/digest every monday morning" is Monday at 9."""
ACTION_KINDS = {"o": "digest_click", "u": "thumbs_up", "d": "thumbs_down", "x": "not_interested"}


def _hour(text: str) -> int:
    """An hour as members write it (`parse_clock`: 18, 18:00, 6pm, 18h, 18点); minutes other
    than :00 are refused with the hours either side (digests go out on the hour)."""
    clock = parse_clock(text)
    if clock is None:
        if text.strip().lstrip("+-").isdecimal():
            raise HourRangeError()
        raise DigestUsageError()
    hour, minute = clock
    if minute:
        raise OnTheHourError(hour)
    return hour


def _settings_of(m: Member) -> dict[str, Any]:
    return {
        "frequency": m.digest_frequency,
        "weekday": m.digest_weekday,
        "hour": m.digest_hour,
        "timezone": m.timezone,
        "quiet": [m.quiet_start, m.quiet_end],
    }


def how_often(frequency: str, weekday: int, locale: str) -> str:
    """ "every day" or "every Monday": a digest's schedule as /digest and /settings say it."""
    if frequency == "daily":
        return translate(locale, "digest.freq_daily")
    day = translate(locale, f"digest.weekday_{weekday % 7}")
    return translate(locale, "digest.freq_weekly", day=day)


def describe(member: Member, now: datetime, locale: str) -> str:
    """The member's digest settings and the next send time, in their own timezone."""
    from core.digest.compose import prefs_of

    t = lambda k, **kw: translate(locale, k, **kw)  # noqa: E731
    p = prefs_of(member)
    quiet = (
        t("digest.quiet_none")
        if p.quiet_start is None or p.quiet_end is None
        else t("digest.quiet_range", start=f"{p.quiet_start:02d}", end=f"{p.quiet_end:02d}")
    )
    if p.frequency == "off":
        if p.quiet_start is None or p.quiet_end is None:
            return t("digest.settings_off")
        # Quiet hours outlive the digest: they hold expert invitations and hush other DMs.
        return t("digest.settings_off_quiet", quiet=quiet, tz=zone_label(p.timezone))
    when = how_often(p.frequency, p.weekday, locale)
    nxt = next_due(p, now)
    nxt_s = nxt.astimezone(zone(p.timezone)).strftime("%Y-%m-%d %H:%M") if nxt else "-"
    return t(
        "digest.settings",
        when=when,
        hour=f"{p.hour:02d}:00",
        tz=zone_label(p.timezone),
        quiet=quiet,
        next=nxt_s,
    )


def _spaced_zh(text: str) -> str:
    """Chinese schedules are written without spaces: "每周五 18点" -> "每周 周五 18点" (a
    weekday is parted from its time by `zh_moment`, which runs first)."""
    text = re.sub(r"(每周|每天|每日)(?=\S)", r"\1 ", text)
    return re.sub(r"每周 (?=[一二三四五六日天])", "每周 周", text)


OTHER_FREQUENCY = re.compile(
    r"\b(twice|two times|three times|\d+ times|every other|biweekly|fortnight\w*|monthly|"
    r"every month|once a month|hourly)\b|两周|半个月|每月|一个月|每个月|一月一次|一周两次|每周两次|"
    r"每周[二三四五]次|隔周",
    re.IGNORECASE,
)
VERB_WORDS = {
    **dict.fromkeys(("免打扰", "勿扰", "安静", "静音"), "quiet"),
    **dict.fromkeys(("时区", "zone"), "tz"),
    **dict.fromkeys(("预览", "现在"), "now"),
    "时间": "hour",
}
"""/digest's words in Chinese, as the reply's own labels name them ("免打扰：无")."""
_LABELLED = re.compile(
    "^("
    + "|".join(map(re.escape, [*VERB_WORDS, *sorted(set(VERB_WORDS.values())), "timezone"]))
    + ")"
    r"\s*[:：]\s*",
    re.IGNORECASE,
)
"""A verb written as a label, "免打扰：22-7", "quiet: 22-7": read as "免打扰 22-7"."""
FILLER = frozenset({"at", "on", "@", "every", "each", "in", "the"})
"""Words members put between a schedule's parts: "weekly on friday at 6pm"."""


async def change(session: AsyncSession, clock: Clock, member: Member, args: str) -> str:
    """Apply one `/digest ...` change; returns the i18n key of the confirmation.

    daily [H] | weekly [DAY] [H] | off | on | hour H | quiet A-B | quiet off | tz ZONE
    """
    args = _LABELLED.sub(r"\1 ", args.strip())  # "免打扰：22-7", "quiet: 22-7"
    words = join_meridiem(_spaced_zh(zh_moment(args))).split()  # "6 pm" is one time
    if not words:
        raise DigestUsageError()
    verb, rest = VERB_WORDS.get(words[0].lower(), words[0].lower()), words[1:]
    if verb == "quiet" and rest[:1] and rest[0].lower() in ("hours", "hour", "time"):
        rest = rest[1:]  # "quiet hours 22-7"
    if verb not in ("tz", "timezone", "quiet"):  # "weekly on friday at 6pm", "in the morning"
        rest = [DAY_PARTS.get(w.lower(), w) for w in rest if w.lower() not in FILLER]
    if verb in ("every", "each") and rest:  # "every friday", "every day at 8"
        verb, rest = rest[0].lower(), rest[1:]
    if verb in ("day", "days", "everyday"):  # "day monday": weekly, that day; "every day"
        verb = "weekly" if rest and rest[0].lower() in WEEKDAYS else "daily"
    if verb in WEEKDAYS:  # "/digest friday 18": weekly, that day
        verb, rest = "weekly", [verb, *rest]
    elif parse_clock(verb) is not None and not rest:  # "/digest 18:00": the hour, as it is
        verb, rest = "hour", [verb]
    before = _settings_of(member)
    if FREQUENCY_WORDS.get(verb.lower()) == "daily":
        if len(rest) > 1:
            raise DigestUsageError()
        member.digest_frequency = "daily"
        if rest:
            member.digest_hour = _hour(rest[0])
    elif FREQUENCY_WORDS.get(verb.lower()) == "weekly":
        if len(rest) > 2:
            raise DigestUsageError()
        member.digest_frequency = "weekly"
        for w in rest:
            if w.lower() in WEEKDAYS:
                member.digest_weekday = WEEKDAYS[w.lower()]
            else:
                member.digest_hour = _hour(w)
    elif verb in ("on", "start", "开启", "打开") and not rest:
        # "off" keeps the day and hour; "on" takes them up again, weekly (the default) since
        # "off" replaced the frequency. The reply shows the schedule, to change if need be.
        if member.digest_frequency == "off":
            member.digest_frequency = "weekly"
    elif FREQUENCY_WORDS.get(verb.lower()) == "off":  # "never", as /profile shows it
        if rest:
            raise DigestUsageError()
        member.digest_frequency = "off"
        await outbox.cancel_pending_digests(session, member.id)
    elif verb == "hour" and len(rest) == 1:
        member.digest_hour = _hour(rest[0])
    elif verb == "quiet" and len(rest) >= 1:
        spec = " ".join(rest)
        if spec.lower() in ("off", "none", "no", "关闭", "无", "取消", "不要"):
            member.quiet_start = member.quiet_end = None
        else:
            m = QUIET_RE.match(spec)
            if not m:
                raise DigestUsageError()
            a, b = _hour(m.group(1)), _hour(m.group(2))
            if a == b:
                raise DigestUsageError()
            member.quiet_start, member.quiet_end = a, b
    elif verb in ("tz", "timezone") and rest:
        typed = " ".join(rest)
        name = parse_timezone(typed)  # as /profile timezone reads it: "berlin", "UTC+8"
        if name is None:
            raise UnknownTimezoneError(typed[:64])
        member.timezone = name
    elif OTHER_FREQUENCY.search(args):
        raise FrequencyUnsupportedError()
    else:
        raise DigestUsageError()
    after = _settings_of(member)
    if after != before:
        await audit(
            session,
            clock,
            actor=f"member:{member.id}",
            actor_member_id=member.id,
            action="digest.unsubscribe"
            if after["frequency"] == "off" and before["frequency"] != "off"
            else "digest.settings",
            target=f"member:{member.id}",
            before=before,
            after=after,
        )
    return "digest.saved"


async def mark_reachable(
    session: AsyncSession, clock: Clock, member: Member, chat_kind: str
) -> None:
    """They wrote to us in private, so the block (403) that marked them unreachable is over."""
    if member.reachable or chat_kind != "private":
        return
    member.reachable = True
    await audit(
        session,
        clock,
        actor=f"member:{member.id}",
        actor_member_id=member.id,
        action="member.reachable",
        target=f"member:{member.id}",
        before={"reachable": False},
        after={"reachable": True},
    )


async def record_click(
    session: AsyncSession, clock: Clock, member: Member, parts: list[str]
) -> tuple[str, int | None, str]:
    """A digest button press -> one Interaction (pressing twice records once).

    Returns (interaction kind, course id or None, item kind)."""
    from core.digest.compose import CODE_KINDS

    if len(parts) != 4 or parts[0] not in ACTION_KINDS or parts[2] not in CODE_KINDS:
        raise DigestUsageError()
    try:
        digest_id, ref = int(parts[1]), int(parts[3])
    except ValueError as exc:
        raise DigestUsageError() from exc
    kind = ACTION_KINDS[parts[0]]
    item_kind = CODE_KINDS[parts[2]]
    now = clock.now()
    digest = None
    if digest_id:
        digest = await session.get(Digest, digest_id)
        if digest is None or digest.member_id != member.id:
            raise NotYourDigestError()
    course_id = ref if item_kind in ("course", "nudge") else None
    meta = {"digest_id": digest_id, "item": item_kind, "ref": ref}
    dup = (
        await session.execute(
            select(Interaction.id, Interaction.meta).where(
                Interaction.member_id == member.id,
                Interaction.kind == kind,
                Interaction.source == "digest",
                Interaction.course_id == course_id
                if course_id is not None
                else Interaction.course_id.is_(None),
            )
        )
    ).all()
    if not any((m or {}) == meta for _, m in dup):
        session.add(
            Interaction(
                member_id=member.id,
                course_id=course_id,
                kind=kind,
                weight=KIND_WEIGHTS.get(kind, 1.0),
                at=now,
                source="digest",
                meta=meta,
            )
        )
    if digest is not None:
        if digest.opened_at is None:
            digest.opened_at = now
        if kind == "digest_click" and digest.clicked_at is None:
            digest.clicked_at = now
    await session.flush()
    return kind, course_id, item_kind


@dataclass(frozen=True)
class StatsRow:
    day: str
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int


async def stats(session: AsyncSession, now: datetime, days: int = 7) -> list[StatsRow]:
    """Per UTC day of composition: queued digests, delivered, opened, clicked; unsubscribes."""
    from models.audit import AuditLog

    since = now - timedelta(days=days)
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for created, status, sent_at, opened, clicked in await session.execute(
        select(
            Digest.created_at, Digest.status, Digest.sent_at, Digest.opened_at, Digest.clicked_at
        ).where(Digest.created_at >= since)
    ):
        r = rows[created.date().isoformat()]
        if status in ("queued", "sent", "failed"):  # handed to the outbox
            r["sent"] += 1
        r["delivered"] += sent_at is not None
        r["opened"] += opened is not None
        r["clicked"] += clicked is not None
    for (at,) in await session.execute(
        select(AuditLog.at).where(AuditLog.action == "digest.unsubscribe", AuditLog.at >= since)
    ):
        rows[at.date().isoformat()]["unsubscribed"] += 1
    return [
        StatsRow(day, r["sent"], r["delivered"], r["opened"], r["clicked"], r["unsubscribed"])
        for day, r in sorted(rows.items())
    ]


async def outbox_backlog(session: AsyncSession) -> dict[str, int]:
    return {
        s: int(n)
        for s, n in await session.execute(
            select(Outbox.status, func.count()).group_by(Outbox.status)
        )
    }
