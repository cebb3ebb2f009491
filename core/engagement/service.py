"""Points ledger sync/rebuild, totals, leaderboard, streaks and audited adjustments.

`sync` turns new interactions into ledger rows (0 points once a daily cap is reached);
`rebuild` drops every derived row and syncs from scratch. Because caps count awards per
member, action and local day, both give the same totals whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from core.audit import audit
from core.clock import Clock
from core.engagement import rules
from core.errors import DomainError
from core.events import Chat
from core.i18n import translate
from core.localtime import in_quiet, local_day, quiet_now, zone
from core.notifications import wants
from core.replies import AnyReply, Invite, Kick, MemberTag, Reply
from models.engagement import (
    EngagementSetting,
    LevelGrant,
    LevelReward,
    LevelTold,
    PointsEntry,
    StreakNudge,
)
from models.interaction import Interaction
from models.member import Member
from models.qa import Answer

BATCH = 2000


async def sync(
    session: AsyncSession,
    clock: Clock | None = None,
    member_id: int | None = None,
    *,
    scoring: rules.Scoring | None = None,
) -> int:
    """Ledger rows for interactions not yet scored with the community's table (settings
    [engagement]); returns how many were added."""
    scoring = scoring or rules.Scoring.from_config()
    added = 0
    while True:
        q = (
            select(Interaction.id, Interaction.member_id, Interaction.kind, Interaction.at)
            .outerjoin(PointsEntry, PointsEntry.interaction_id == Interaction.id)
            .where(PointsEntry.id.is_(None), Interaction.kind.in_(list(scoring.points)))
            .order_by(Interaction.id)
            .limit(BATCH)
        )
        if member_id is not None:
            q = q.where(Interaction.member_id == member_id)
        rows = (await session.execute(q)).all()
        if not rows:
            return added
        members = {r.member_id for r in rows}
        tzs = dict(
            (
                await session.execute(
                    select(Member.id, Member.timezone).where(Member.id.in_(members))
                )
            ).all()
        )
        actions = [
            rules.Action(
                r.id,
                r.member_id,
                r.kind,
                local_day(r.at, tzs.get(r.member_id, "UTC")).isoformat(),
            )
            for r in rows
        ]
        days = {a.day for a in actions}
        awarded = {
            (m, k, d): n
            for m, k, d, n in (
                await session.execute(
                    select(PointsEntry.member_id, PointsEntry.kind, PointsEntry.day, func.count())
                    .where(
                        PointsEntry.member_id.in_(members),
                        PointsEntry.day.in_(days),
                        PointsEntry.points > 0,
                        PointsEntry.interaction_id.is_not(None),
                    )
                    .group_by(PointsEntry.member_id, PointsEntry.kind, PointsEntry.day)
                )
            ).all()
        }
        points = rules.score(actions, awarded, scoring)
        at = {r.id: r.at for r in rows}
        for a in actions:
            session.add(
                PointsEntry(
                    member_id=a.member_id,
                    interaction_id=a.id,
                    kind=a.kind,
                    points=points[a.id],
                    day=a.day,
                    at=at[a.id],
                    reason="",
                )
            )
        await session.flush()
        added += len(actions)


async def rebuild(session: AsyncSession, clock: Clock, scoring: rules.Scoring | None = None) -> int:
    """Forget every derived row and score the whole interaction log again."""
    await session.execute(delete(PointsEntry).where(PointsEntry.interaction_id.is_not(None)))
    return await sync(session, clock, scoring=scoring)


async def totals(session: AsyncSession, since: datetime | None = None) -> dict[int, int]:
    q = select(PointsEntry.member_id, func.sum(PointsEntry.points)).group_by(PointsEntry.member_id)
    if since is not None:
        q = q.where(PointsEntry.at >= since)
    return {m: int(p or 0) for m, p in (await session.execute(q)).all()}


async def adjust(
    session: AsyncSession,
    clock: Clock,
    actor: Member,
    member: Member,
    points: int,
    reason: str,
    scoring: rules.Scoring | None = None,
) -> PointsEntry:
    """A moderator's correction: needs a reason, bounded, audited."""
    limit = (scoring or rules.Scoring.from_config()).adjust_limit
    if points == 0 or abs(points) > limit:
        raise DomainError("engagement.adjust_range", limit=limit)
    reason = reason.strip().replace("\x00", "")
    if not reason:
        raise DomainError("engagement.adjust_reason")
    now = clock.now()
    before = (await totals(session)).get(member.id, 0)
    row = PointsEntry(
        member_id=member.id,
        interaction_id=None,
        kind="adjust",
        points=points,
        day=local_day(now, member.timezone).isoformat(),
        at=now,
        reason=reason[:500],
        actor_member_id=actor.id,
    )
    session.add(row)
    await session.flush()
    await audit(
        session,
        clock,
        actor=f"member:{actor.id}",
        actor_member_id=actor.id,
        action="engagement.adjust",
        target=f"member:{member.id}",
        before={"points": before},
        after={"points": before + points},
        reason=reason[:500],
    )
    return row


async def answers_by(session: AsyncSession, member_id: int) -> tuple[int, int]:
    """(answers the member gave in threads, how many of them were accepted)."""
    row = (
        await session.execute(
            select(
                func.count(Answer.id), func.count(Answer.id).filter(Answer.accepted.is_(True))
            ).where(Answer.member_id == member_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def learning_streak(session: AsyncSession, clock: Clock, member: Member) -> rules.Streak:
    """Streak over learning days in the member's own timezone (DST-safe via zoneinfo)."""
    since = clock.now() - timedelta(days=400)
    ats = (
        await session.execute(
            select(Interaction.at).where(
                Interaction.member_id == member.id,
                Interaction.kind.in_(rules.LEARNING_KINDS),
                Interaction.at >= since,
            )
        )
    ).scalars()
    days = {local_day(at, member.timezone) for at in ats}
    return rules.streak(days, local_day(clock.now(), member.timezone))


def week_start(now: datetime, tz: str) -> datetime:
    """Monday 00:00 of the current week in the community's timezone, as aware UTC."""
    local = now.astimezone(zone(tz))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday.astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Row:
    rank: int
    member_id: int
    name: str | None  # None = the member did not opt in: shown anonymously
    points: int


async def leaderboard(session: AsyncSession, since: datetime | None, limit: int = 10) -> list[Row]:
    """Everyone with points is ranked; only opted-in members are named."""
    tot = await totals(session, since)
    ranked = sorted(((p, m) for m, p in tot.items() if p > 0), key=lambda x: (-x[0], x[1]))
    ids = [m for _, m in ranked]
    people = (
        {
            m.id: m
            for m in (await session.execute(select(Member).where(Member.id.in_(ids)))).scalars()
        }
        if ids
        else {}
    )
    out: list[Row] = []
    rank = 0
    last: int | None = None
    for i, (p, m) in enumerate(ranked, 1):
        if p != last:
            rank, last = i, p
        member = people.get(m)
        if member is None or member.forgotten_at is not None:
            continue
        out.append(Row(rank, m, member.display_name if member.leaderboard_opt_in else None, p))
    return out[:limit] if limit else out


NUDGE_HOUR = 19  # local evening: late enough to matter, early enough to act on


async def due_nudges(session: AsyncSession, clock: Clock) -> list[tuple[Member, int]]:
    """Members whose streak (2+ days) breaks tonight unless they learn: at most once a day,
    only in their local evening, never in quiet hours or when they turned them (or the
    digest) off in /settings."""
    now = clock.now()
    recent = (
        await session.execute(
            select(Interaction.member_id)
            .where(
                Interaction.kind.in_(rules.LEARNING_KINDS),
                Interaction.at >= now - timedelta(days=3),
            )
            .distinct()
        )
    ).scalars()
    ids = list(recent)
    if not ids:
        return []
    out: list[tuple[Member, int]] = []
    members = (await session.execute(select(Member).where(Member.id.in_(ids)))).scalars()
    for m in members:
        if m.forgotten_at is not None or not m.reachable or not wants(m, "streak"):
            continue
        local = now.astimezone(zone(m.timezone))
        if local.hour != NUDGE_HOUR or in_quiet(local.hour, m.quiet_start, m.quiet_end):
            continue
        st = await learning_streak(session, clock, m)
        today = local.date()
        learned_today = await _learned_on(session, m, today)
        if st.days < 2 or learned_today:
            continue
        exists = (
            await session.execute(
                select(StreakNudge.id).where(
                    StreakNudge.member_id == m.id, StreakNudge.day == today.isoformat()
                )
            )
        ).first()
        if exists:
            continue
        session.add(StreakNudge(member_id=m.id, day=today.isoformat(), sent_at=now))
        out.append((m, st.days))
    await session.flush()
    return out


async def _learned_on(session: AsyncSession, m: Member, day: date) -> bool:
    start = datetime.combine(day, time(0), tzinfo=zone(m.timezone))
    end = start + timedelta(days=1)
    row = (
        await session.execute(
            select(Interaction.id)
            .where(
                Interaction.member_id == m.id,
                Interaction.kind.in_(rules.LEARNING_KINDS),
                Interaction.at >= start.astimezone(ZoneInfo("UTC")),
                Interaction.at < end.astimezone(ZoneInfo("UTC")),
            )
            .limit(1)
        )
    ).first()
    return row is not None


def reward_effects(r: LevelReward, member_id: int, grant: bool) -> AnyReply:
    """What granting (or revoking) one reward asks of the platform: a Telegram member tag
    (set / cleared), a Discord role (added / removed) or a level-only chat (invite / removal)."""
    if r.platform == "telegram" and r.role:
        return MemberTag(member_id, r.platform, r.target, r.role if grant else "")
    if grant:
        return Invite(member_id, r.platform, r.target, role=r.role or None)
    return Kick(member_id, r.platform, r.target, role=r.role or None)


async def sync_level_rewards(
    session: AsyncSession,
    clock: Clock,
    scoring: rules.Scoring | None = None,
    settings: Settings | None = None,
) -> list[AnyReply]:
    """Effects so level rewards follow points and membership; idempotent, audited.

    A reward is held while the member's level reaches it and their membership is live;
    it is granted once and revoked once when the membership ends (the periodic job
    notices the end of the paid period, grace included, within its interval). With
    `settings`, staff and exempt members (who never lose access) count as live too.
    """
    from core.catalog.access import member_plan_codes
    from core.membership.grants import is_exempt

    rewards = list(
        (await session.execute(select(LevelReward).order_by(LevelReward.level, LevelReward.id)))
        .scalars()
        .all()
    )
    if not rewards:
        return []
    now = clock.now()
    await sync(session, clock, scoring=scoring)
    tot = await totals(session)
    grants = {
        (g.member_id, g.reward_id): g for g in (await session.execute(select(LevelGrant))).scalars()
    }
    candidates = set(tot) | {m for m, _ in grants}
    out: list[AnyReply] = []
    for member_id in sorted(candidates):
        level, _ = rules.level_for(tot.get(member_id, 0), scoring)
        live = bool(await member_plan_codes(session, member_id, now))
        if not live and settings is not None:
            member = await session.get(Member, member_id)
            live = member is not None and await is_exempt(session, member, settings)
        for r in rewards:
            g = grants.get((member_id, r.id))
            held = g is not None and g.revoked_at is None
            should = live and level >= r.level and r.retired_at is None
            if should and not held:
                if g is None:
                    g = LevelGrant(member_id=member_id, reward_id=r.id, granted_at=now)
                    session.add(g)
                else:
                    g.granted_at, g.revoked_at = now, None
                out.append(reward_effects(r, member_id, grant=True))
                action = "engagement.reward_grant"
            elif held and not live:
                assert g is not None
                g.revoked_at = now
                out.append(reward_effects(r, member_id, grant=False))
                action = "engagement.reward_revoke"
            else:
                continue
            await audit(
                session,
                clock,
                actor="system",
                action=action,
                target=f"member:{member_id}",
                after={"reward": r.id, "level": r.level, "role": r.role, "target": r.target},
            )
    await session.flush()
    return out


async def retire_reward(
    session: AsyncSession, clock: Clock, reward: LevelReward, actor_id: int, take_back: bool
) -> tuple[list[AnyReply], int]:
    """Stop giving a reward. Those who hold it keep it until their membership ends (the
    sync still revokes it then), or lose it now with ``take_back``. Returns the platform
    effects and how many members hold it (held before a take-back)."""
    now = clock.now()
    reward.retired_at = now
    held = list(
        (
            await session.execute(
                select(LevelGrant).where(
                    LevelGrant.reward_id == reward.id, LevelGrant.revoked_at.is_(None)
                )
            )
        ).scalars()
    )
    out: list[AnyReply] = []
    for g in held if take_back else []:
        g.revoked_at = now
        out.append(reward_effects(reward, g.member_id, grant=False))
        await audit(
            session,
            clock,
            actor=f"member:{actor_id}",
            actor_member_id=actor_id,
            action="engagement.reward_revoke",
            target=f"member:{g.member_id}",
            after={"reward": reward.id, "level": reward.level, "role": reward.role},
        )
    await audit(
        session,
        clock,
        actor=f"member:{actor_id}",
        actor_member_id=actor_id,
        action="engagement.reward_remove",
        target=f"level:{reward.level}",
        before={"platform": reward.platform, "target": reward.target, "role": reward.role},
        after={"holders": len(held), "taken_back": take_back},
    )
    await session.flush()
    return out, len(held)


def next_level(locale: str, points: int, scoring: rules.Scoring | None = None) -> str:
    """ "N more points to reach level L" ("" at the top level): /points and the level-up."""
    level, nxt = rules.level_for(points, scoring)
    if nxt is None:
        return ""
    return translate(locale, "engagement.next_level", missing=nxt - points, level=level + 1)


LEVELS_TOLD_KEY = "levels_told_since"
"""Set on the first run of :func:`level_ups`: levels reached before it are recorded, not told."""


async def level_ups(
    session: AsyncSession, clock: Clock, scoring: rules.Scoring | None = None
) -> list[tuple[Member, int, int]]:
    """(member, level, points) for each member who reached a level they were never told
    of: each level once, the highest when several came at once, none for a level lost to a
    correction and reached again. A member in quiet hours is told on a later run."""
    now = clock.now()
    tot = await totals(session)
    told = {t.member_id: t for t in (await session.execute(select(LevelTold))).scalars()}
    up = {
        m: level
        for m, points in tot.items()
        if (level := rules.level_for(points, scoring)[0]) > (told[m].level if m in told else 1)
    }
    first = not await get_setting(session, LEVELS_TOLD_KEY)
    if first:  # a community that had points before this existed: nobody is told old news
        await set_setting(session, LEVELS_TOLD_KEY, now.isoformat())
    out: list[tuple[Member, int, int]] = []
    if not up:
        return out
    members = (await session.execute(select(Member).where(Member.id.in_(list(up))))).scalars()
    for m in members:
        level = up[m.id]
        tell = not first and m.forgotten_at is None and m.reachable
        if tell and quiet_now(now, m.timezone, m.quiet_start, m.quiet_end):
            continue  # told when the quiet hours end
        if (row := told.get(m.id)) is None:
            session.add(LevelTold(member_id=m.id, level=level, told_at=now))
        else:
            row.level, row.told_at = level, now
        if tell:
            out.append((m, level, tot[m.id]))
    await session.flush()
    return out


POST_KEY = "leaderboard_channel"  # "platform:chat_id"
POSTED_KEY = "leaderboard_posted_week"
POST_WEEKDAY, POST_HOUR = 0, 9  # Monday morning, community time


async def get_setting(session: AsyncSession, key: str) -> str:
    row = await session.get(EngagementSetting, key)
    return row.value if row is not None else ""


async def set_setting(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(EngagementSetting, key)
    if row is None:
        session.add(EngagementSetting(key=key, value=value))
    else:
        row.value = value
    await session.flush()


async def weekly_post(
    session: AsyncSession,
    clock: Clock,
    tz: str,
    locale: str,
    scoring: rules.Scoring | None = None,
) -> list[AnyReply]:
    """Last week's top 10 to the configured channel, once per week (Monday 09:00 local)."""
    channel = await get_setting(session, POST_KEY)
    if ":" not in channel:
        return []
    now = clock.now()
    local = now.astimezone(zone(tz))
    if local.weekday() != POST_WEEKDAY or local.hour < POST_HOUR:
        return []
    iso = local.isocalendar()
    week = f"{iso[0]}-W{iso[1]:02d}"
    if await get_setting(session, POSTED_KEY) == week:
        return []
    await set_setting(session, POSTED_KEY, week)
    await sync(session, clock, scoring=scoring)
    end = week_start(now, tz)
    start = end - timedelta(days=7)
    tot = await totals(session, start)
    later = await totals(session, end)
    weekly = {m: p - later.get(m, 0) for m, p in tot.items()}
    ranked = sorted(((p, m) for m, p in weekly.items() if p > 0), key=lambda x: (-x[0], x[1]))[:10]
    people = {
        m.id: m
        for m in (
            await session.execute(select(Member).where(Member.id.in_([m for _, m in ranked])))
        ).scalars()
    }
    lines = [translate(locale, "engagement.weekly_post_header")]
    if not ranked:
        lines.append(translate(locale, "engagement.board_empty"))
    for i, (p, m) in enumerate(ranked, 1):
        member = people.get(m)
        shown = member is not None and member.leaderboard_opt_in and member.forgotten_at is None
        name = (
            member.display_name if shown and member else translate(locale, "engagement.anonymous")
        )
        lines.append(f"{i}. {name} — {p}")
    platform, chat_id = channel.split(":", 1)
    return [Reply("\n".join(lines), to=Chat(platform, chat_id, kind="group"))]
