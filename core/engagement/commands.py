"""/points, /leaderboard and moderators' /award."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.audit import audit
from core.common.switch import turned
from core.context import Context, Role
from core.engagement import digest_section as _digest_section  # noqa: F401 (registers it)
from core.engagement import rules, service
from core.errors import BadArguments, DomainError, NotAllowed
from core.i18n import translate
from core.members import find_member
from core.qa import help_answers
from core.replies import AnyReply, Reply
from core.router import command
from models.engagement import LevelReward

SELF_WORDS = {"me", "my", "mine", "myself", "我", "我的", "自己"}
"""/points me: the member's own points, as /points alone."""


@command("points", help_key="help.points", usage_key="usage.points")
async def points(ctx: Context, args: str) -> list[AnyReply]:
    """Your points; a moderator may name a member (`/points @bea`) to see theirs."""
    who, head = ctx.member, []
    if args.strip() and args.strip().lower() not in SELF_WORDS:
        typed = args.strip().split()[0].replace("\x00", "")
        named = await find_member(ctx.session, typed, near=ctx.role >= Role.MODERATOR)
        if named.id != ctx.member.id and ctx.role >= Role.MODERATOR:
            who = named
            head.append(ctx.t("engagement.points_of", name=named.display_name or f"#{named.id}"))
        elif named.id != ctx.member.id:
            # each member's points are theirs to see; the leaderboard lists those who opted in
            head.append(ctx.t("engagement.points_private", name=named.display_name))
    scoring = rules.Scoring.of(ctx.settings)
    await service.sync(ctx.session, ctx.clock, who.id, scoring=scoring)
    total = (await service.totals(ctx.session)).get(who.id, 0)
    week = (
        await service.totals(
            ctx.session, service.week_start(ctx.clock.now(), ctx.settings.timezone)
        )
    ).get(who.id, 0)
    level, _ = rules.level_for(total, scoring)
    lines = [
        *head,
        ctx.t(
            "engagement.points",
            total=total,
            week=week,
            level=level,
            name=ctx.t(f"engagement.level_{level}"),
        ),
    ]
    if more := service.next_level(ctx.locale, total, scoring):
        lines.append(more)
    st = await service.learning_streak(ctx.session, ctx.clock, who)
    lines.append(ctx.t("engagement.streak", days=st.days))
    if st.frozen:
        lines.append(ctx.t("engagement.frozen", day=st.frozen[0].isoformat()))
    given, accepted = await service.answers_by(ctx.session, who.id)
    if given:  # a member who answers asked how many were accepted (it opened a thread)
        lines.append(ctx.t("engagement.answers", given=given, accepted=accepted))
    return [Reply("\n".join(lines))]


_MY_ANSWERS = re.compile(
    r"\bhow many (?:of )?my answers\b|\bmy answers?\b[^.?!]{0,30}\b(?:accepted|marked|helpful|"
    r"stats?|count)\b|我的回答[^。？！?!]{0,10}(?:采纳|多少|几个)|(?:采纳|被采纳)了?(?:多少|几个)",
    re.IGNORECASE,
)


@help_answers.lookup
async def my_answers_asked(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "how many of my answers have been marked as accepted?": their /points, which counts
    them. None for any other question, and from a group (points are the member's)."""
    if ctx.event.chat.kind != "private" or not _MY_ANSWERS.search(question):
        return None
    return await points(ctx, "")


WEEK_WORDS = {"", "week", "weekly", "this week", "本周", "周榜"}
ALL_WORDS = {"all", "all time", "all-time", "alltime", "total", "ever", "总榜", "全部", "总"}


@command("leaderboard", help_key="help.leaderboard", usage_key="usage.leaderboard")
async def leaderboard(ctx: Context, args: str) -> list[AnyReply]:
    # "/leaderboard top 10": the board is shown whole; its length is not a choice
    arg = " ".join(re.sub(r"\b(?:top|前)\s*\d{1,3}\b|\btop\b", " ", args.lower()).split())
    if turned(arg):
        ctx.member.leaderboard_opt_in = True
        return [Reply(ctx.t("engagement.opted_in"))]
    if turned(arg) is False:
        ctx.member.leaderboard_opt_in = False
        return [Reply(ctx.t("engagement.opted_out"))]
    if arg in ("channel", "post here"):
        if not ctx.is_mod():
            raise NotAllowed()
        chat = ctx.event.chat
        await service.set_setting(ctx.session, service.POST_KEY, f"{chat.platform}:{chat.chat_id}")
        return [Reply(ctx.t("engagement.channel_set"))]
    if arg not in WEEK_WORDS and arg not in ALL_WORDS:
        raise BadArguments("errors.usage", usage=ctx.t("usage.leaderboard"))
    await service.sync(ctx.session, ctx.clock, scoring=rules.Scoring.of(ctx.settings))
    week = service.week_start(ctx.clock.now(), ctx.settings.timezone)
    since = None if arg in ALL_WORDS else week
    rows = await service.leaderboard(ctx.session, since, limit=0)
    head = ctx.t("engagement.board_all" if since is None else "engagement.board_week")
    if not rows and since is not None:  # a new week: the all-time board, said as such
        rows = await service.leaderboard(ctx.session, None, limit=0)
        since = None if rows else since
        head = ctx.t("engagement.board_week_empty") if rows else head
    if not rows:
        return [Reply(head + "\n" + ctx.t("engagement.board_empty"))]
    lines = [head]
    for r in rows[:10]:
        name = r.name if r.name is not None else ctx.t("engagement.anonymous")
        me = " ← " + ctx.t("engagement.you") if r.member_id == ctx.member.id else ""
        lines.append(f"{r.rank}. {name} — {r.points}{me}")
    mine = next((r for r in rows if r.member_id == ctx.member.id), None)
    if mine is not None and mine.rank > 10:
        lines.append(ctx.t("engagement.your_rank", rank=mine.rank, points=mine.points))
    elif mine is None:  # not on it yet: say how to get there
        lines.append(ctx.t("engagement.not_on_board_" + ("all" if since is None else "week")))
    if not ctx.member.leaderboard_opt_in:
        lines.append(ctx.t("engagement.optin_hint"))
    return [Reply("\n".join(lines))]


@command("award", role=Role.MODERATOR, help_key="help.award", usage_key="usage.award")
async def award(ctx: Context, args: str) -> list[AnyReply]:
    parts = args.split(None, 2)
    if len(parts) >= 2 and parts[0].lstrip("+-").isdecimal():
        parts[0], parts[1] = parts[1], parts[0]  # "/award 10 @ana thanks", as it is said
    if len(parts) < 2 or not parts[1].lstrip("+-").isdecimal() or len(parts[1]) > 12:
        raise BadArguments("errors.usage", usage=ctx.t("usage.award"))
    if len(parts) < 3 or not parts[2].strip():
        # the member reads the reason with the points, and the audit log keeps it
        raise BadArguments("engagement.award_reason", ref=parts[0], points=parts[1])
    member = await find_member(ctx.session, parts[0].replace("\x00", ""))
    if member.id == ctx.member.id:  # points are the community's to give, not one's own
        raise DomainError("admin.not_yourself")
    amount = int(parts[1])  # the service bounds it, and says so
    scoring = rules.Scoring.of(ctx.settings)
    await service.sync(ctx.session, ctx.clock, member.id, scoring=scoring)  # as /points shows
    await service.adjust(ctx.session, ctx.clock, ctx.member, member, amount, parts[2], scoring)
    total = (await service.totals(ctx.session)).get(member.id, 0)
    gave = amount > 0
    done = ctx.t(
        "engagement.adjusted" if gave else "engagement.adjusted_down",
        name=member.display_name,
        points=abs(amount),
        total=total,
    )
    # The member hears it too, with the reason: points they did not earn themselves (or lost)
    # are otherwise a mystery on /points.
    told = translate(
        member.locale,
        "engagement.awarded" if gave else "engagement.deducted",
        by=ctx.member.display_name,
        points=abs(amount),
        reason=parts[2].strip()[:300],
        total=total,
    )
    return [Reply(done), Reply(told, member_id=member.id)]


TAKE_BACK = ("now", "revoke", "takeback", "all")
"""`/levelreward remove ID now`: those who hold the reward lose it at once."""


def _member_of(effect: AnyReply) -> int:
    return int(getattr(effect, "member_id", 0) or 0)


@command(
    "levelreward", role=Role.MODERATOR, help_key="help.levelreward", usage_key="usage.levelreward"
)
async def level_reward(ctx: Context, args: str) -> list[AnyReply]:
    """Configure what a level unlocks (per community, stored in the database, audited)."""
    words = args.replace("\x00", "").split()
    usage = ctx.t("usage.levelreward")
    if not words or words[0].lower() == "list":
        rows = list(
            (
                await ctx.session.execute(
                    select(LevelReward)
                    .where(LevelReward.retired_at.is_(None))
                    .order_by(LevelReward.level)
                )
            ).scalars()
        )
        if not rows:
            return [Reply(ctx.t("engagement.no_rewards"))]
        return [
            Reply(
                "\n".join(
                    f"#{r.id}: level {r.level} → {r.platform} {r.target} {r.role}".rstrip()
                    for r in rows
                )
            )
        ]
    sub = words[0].lower()
    if sub == "add" and len(words) >= 4:
        level, platform, target = words[1], words[2].lower(), words[3]
        # Telegram: the rest is the member tag (may hold spaces); Discord: one role id
        role = " ".join(words[4:]) if platform == "telegram" else " ".join(words[4:5])
        levels = rules.Scoring.of(ctx.settings).levels
        if (
            not level.isdecimal()
            or not 2 <= int(level) <= len(levels)
            or platform not in ("telegram", "discord", "console")
            or (platform != "telegram" and len(words) > 5)
            or (platform == "discord" and not (target.isdecimal() and role.isdecimal()))
            or len(target) > 64
            or len(role) > 64
        ):
            raise BadArguments("errors.usage", usage=usage)
        if platform == "telegram" and role and not rules.member_tag_ok(role):
            return [Reply(ctx.t("engagement.bad_tag", limit=rules.TAG_MAX))]
        exists = (
            await ctx.session.execute(
                select(LevelReward).where(
                    LevelReward.level == int(level),
                    LevelReward.platform == platform,
                    LevelReward.target == target,
                    LevelReward.role == role,
                )
            )
        ).scalar_one_or_none()
        if exists is not None and exists.retired_at is None:
            return [Reply(ctx.t("engagement.reward_exists", id=exists.id))]
        if exists is not None:  # added again after a removal: the same reward, live again
            row = exists
            row.retired_at = None
        else:
            row = LevelReward(
                level=int(level),
                platform=platform,
                target=target,
                role=role,
                created_at=ctx.clock.now(),
            )
            ctx.session.add(row)
        await ctx.session.flush()
        await audit(
            ctx.session,
            ctx.clock,
            actor=f"member:{ctx.member.id}",
            actor_member_id=ctx.member.id,
            action="engagement.reward_add",
            target=f"level:{level}",
            after={"platform": platform, "target": target, "role": role},
        )
        # members already at the level get it now, not at the next half-hourly sync
        given = await service.sync_level_rewards(
            ctx.session, ctx.clock, rules.Scoring.of(ctx.settings), ctx.settings
        )
        mine = [e for e in given if e == service.reward_effects(row, _member_of(e), True)]
        return [
            Reply(ctx.t("engagement.reward_added", id=row.id, level=level, n=len(mine))),
            *given,
        ]
    if sub == "remove" and len(words) in (2, 3) and words[1].lstrip("#").isdecimal():
        found = await ctx.session.get(LevelReward, int(words[1].lstrip("#")[:9]))
        take_back = len(words) == 3 and words[2].lower() in TAKE_BACK
        if found is None:
            raise DomainError("engagement.reward_unknown", id=words[1].lstrip("#")[:9])
        if found.retired_at is not None and not take_back:
            raise DomainError("engagement.reward_already_removed", id=found.id)
        if len(words) == 3 and not take_back:
            raise BadArguments("errors.usage", usage=usage)
        effects, holders = await service.retire_reward(
            ctx.session, ctx.clock, found, ctx.member.id, take_back
        )
        key = (
            "engagement.reward_removed_taken"
            if take_back
            else "engagement.reward_removed_kept"
            if holders
            else "engagement.reward_removed"
        )
        return [Reply(ctx.t(key, id=found.id, n=holders)), *effects]
    raise BadArguments("errors.usage", usage=usage)
