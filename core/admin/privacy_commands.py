"""/mydata, /forget (members) and /retention (moderators), plus the retention purge job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import holds
from core.admin import membership_bridge, privacy
from core.admin.args import parse_days
from core.admin.confirm import action, ask
from core.admin.guard import admin_command, record
from core.admin.members import who
from core.audit import audit
from core.context import Context, Role, Services
from core.errors import BadArguments, DomainError, NotAllowed
from core.jobs import periodic
from core.members import find_member, staff_role
from core.replies import AnyReply, Document, Reply
from core.router import command
from models.admin import AdminSetting, PendingAction
from models.interaction import Interaction
from models.member import Member

RETENTION_KEY = "interaction_retention_days"
MIN_RETENTION_DAYS = 30  # the recommender needs some history; shorter is almost surely a typo


@command("mydata", help_key="help.mydata", private_only=True)
async def mydata(ctx: Context, args: str) -> list[AnyReply]:
    """Everything we hold about the caller, as one JSON file."""
    data = await privacy.export_all(ctx.session, ctx.member.id, ctx.clock.now())
    await audit(
        ctx.session,
        ctx.clock,
        actor=f"member:{ctx.member.id}",
        actor_member_id=ctx.member.id,
        action="privacy.export",
        target=f"member:{ctx.member.id}",
    )
    return [
        Document(
            privacy.export_json(data),
            f"mydata-{ctx.member.id}.json",
            ctx.t("privacy.export_caption"),
        )
    ]


@command("forget", help_key="help.forget", usage_key="usage.forget", private_only=True)
async def forget(ctx: Context, args: str) -> list[AnyReply]:
    """`/forget` erases the caller; `/forget @member` lets a moderator act on an erasure request."""
    ref = args.strip()
    names_someone = ref[:1] in {"@", "#"} or ref.isdecimal()
    if not ref or (ctx.role < Role.MODERATOR and not names_someone):
        # "/forget yes", "/forget me": a member can only mean themselves, and still confirms
        return await ask(ctx, "forget", {"member_id": ctx.member.id}, await _preview(ctx))
    if ctx.role < Role.MODERATOR:
        raise NotAllowed()
    target = await find_member(ctx.session, ref)
    if target.id == ctx.member.id:
        return await ask(ctx, "forget", {"member_id": ctx.member.id}, await _preview(ctx))
    if _is_staff(ctx, target) and ctx.role < Role.OWNER:
        raise DomainError("privacy.forget_staff", who=who(target))
    summary = ctx.t("privacy.forget_member_preview", who=who(target))
    return await ask(ctx, "forget_member", {"member_id": target.id}, summary)


async def _preview(ctx: Context) -> str:
    """The erasure preview, saying so when a ban or a used free trial stays with the
    account: coming back after /forget resets neither."""
    preview = ctx.t("privacy.forget_preview")
    if await holds.keeps_anything(ctx.session, ctx.member):
        preview += "\n" + ctx.t("privacy.forget_kept")
    return preview


def _is_staff(ctx: Context, m: Member) -> bool:
    """Moderators and owners (by role or by configured id) are only erased by an owner."""
    return staff_role(ctx.settings, m) is not None


@action("forget_member")
async def _do_forget_member(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    member_id = int(p["member_id"])
    target = await ctx.session.get(Member, member_id)
    if target is None or target.forgotten_at is not None:
        raise DomainError("errors.member_unknown", ref=f"#{member_id}")
    if _is_staff(ctx, target) and ctx.role < Role.OWNER:  # re-checked at press time
        raise DomainError("privacy.forget_staff", who=who(target))
    effects = await _end_membership(ctx, target, f"member:{ctx.member.id}")
    await privacy.forget_all(
        ctx.session, member_id, ctx.clock.now(), secret=ctx.settings.secret_key.get_secret_value()
    )
    await record(ctx, "privacy.forget", f"member:{member_id}", after={"by": "moderator"})
    return [*effects, Reply(ctx.t("privacy.forgotten_member", id=member_id))]


@action("forget", role=Role.MEMBER)
async def _do_forget(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    member_id = int(p["member_id"])
    if member_id != ctx.member.id:  # a member only ever forgets themselves
        return [Reply(ctx.t("errors.button_expired"))]
    locale = ctx.locale
    effects = await _end_membership(ctx, ctx.member, f"member:{member_id}")
    await privacy.forget_all(
        ctx.session, member_id, ctx.clock.now(), secret=ctx.settings.secret_key.get_secret_value()
    )
    await audit(
        ctx.session,
        ctx.clock,
        actor=f"member:{member_id}",
        actor_member_id=member_id,
        action="privacy.forget",
        target=f"member:{member_id}",
    )
    from core.i18n import translate

    return [*effects, Reply(translate(locale, "privacy.forgotten"))]


async def _end_membership(ctx: Context, member: Member, actor: str) -> list[AnyReply]:
    """As the preview promises, the membership ends with the data: removed from the chats
    while the accounts still exist, and no provider bills a member we no longer know. Their
    places in upcoming events go to the waiting lists."""
    from core.community_events.commands import release_places

    effects = await release_places(ctx, member.id)
    try:
        end = membership_bridge.function("end_before_erasure")
    except DomainError:  # a deployment without the membership feature
        return effects
    return effects + list(await end(ctx.session, ctx.services, member, actor))


async def retention_days(session: AsyncSession) -> int | None:
    row = await session.get(AdminSetting, RETENTION_KEY)
    return int(row.value) if row is not None and row.value else None


@admin_command("retention", usage_key="usage.retention")
async def retention_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """`/retention` shows, `/retention DAYS|off` sets how long raw interaction logs are kept."""
    arg = args.strip().lower()
    current = await retention_days(ctx.session)
    if not arg:
        if current is None:
            return [Reply(ctx.t("privacy.retention_off"))]
        return [Reply(ctx.t("privacy.retention_is", days=current))]
    new: int | None = None
    if arg != "off":
        try:  # as /grant reads a length: 90, 90 days, 3 months, 1 year
            new = parse_days(arg)
        except BadArguments:
            new = None
        if new is None or new < MIN_RETENTION_DAYS:
            raise BadArguments("privacy.retention_bad", min=MIN_RETENTION_DAYS)
    if new == current:
        raise DomainError("admin.nothing_to_change")
    if new is None:  # "Keep raw activity logs for off days"
        summary = ctx.t("privacy.retention_preview_off")
    else:
        summary = ctx.t("privacy.retention_preview", days=new)
    return await ask(ctx, "retention", {"days": new}, summary)


@action("retention")
async def _do_retention(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    days = p.get("days")
    row = await ctx.session.get(AdminSetting, RETENTION_KEY)
    before = row.value if row is not None else None
    if row is None:
        row = AdminSetting(key=RETENTION_KEY, value=days, updated_at=ctx.clock.now())
        ctx.session.add(row)
    else:
        row.value = days
        row.updated_at = ctx.clock.now()
    await record(ctx, "settings.retention", RETENTION_KEY, {"days": before}, {"days": days})
    if days is None:
        return [Reply(ctx.t("privacy.retention_off"))]
    return [Reply(ctx.t("privacy.retention_is", days=days))]


async def purge_old_interactions(services: Services) -> int:
    """Delete raw interaction rows older than the retention setting; returns how many."""
    async with services.session_factory() as s, s.begin():
        days = await retention_days(s)
        if days is None:
            return 0
        cutoff = services.clock.now() - timedelta(days=days)
        res = await s.execute(delete(Interaction).where(Interaction.at < cutoff))
        n = int(getattr(res, "rowcount", 0) or 0)
        if n:
            await audit(
                s,
                services.clock,
                actor="system",
                action="privacy.retention_purge",
                target="interaction",
                after={"deleted": n, "before": cutoff.isoformat()},
            )
        return n


@periodic("admin.purge_interactions", every=timedelta(hours=24))
async def _purge_job(services: Services) -> list[AnyReply]:
    await purge_old_interactions(services)
    async with services.session_factory() as s, s.begin():  # stale confirmations, too
        cutoff = services.clock.now() - timedelta(days=1)
        await s.execute(delete(PendingAction).where(PendingAction.expires_at < cutoff))
    return []
