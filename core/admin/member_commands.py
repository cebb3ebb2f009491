"""/role, /member, /members, /grant, /extend, /revoke, /ban, /unban, /refund, /planedit, /audit."""

from __future__ import annotations

import importlib
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.admin import membership_bridge, refund_requests, segments
from core.admin.analytics import ZERO_DECIMAL, money
from core.admin.args import leading_length, parse_days, split_ref
from core.admin.confirm import action, ask
from core.admin.guard import actor_label, admin_command, record
from core.admin.members import ASSIGNABLE_ROLES, member_card, who
from core.admin.report_commands import reports_about
from core.context import Context, Role
from core.errors import BadArguments, DomainError
from core.i18n import LANGUAGE_NAMES, has_key, sentences, translate
from core.ids import parse_id
from core.localtime import local_time
from core.members import by_account, configured_role, find_member, staff_role
from core.membership.state import LIVE_STATES
from core.replies import AnyReply, Reply
from models.audit import AuditLog
from models.member import Member
from models.membership import Payment, Plan

# providers whose refund the bot makes itself (Stripe's API, Telegram's refundStarPayment);
# any other refund is only recorded, and the moderator returns the money
MONEY_BACK = ("stripe", "telegram_stars")


def _amount(ctx: Context, provider: str, amount: int, currency: str, ref: str) -> str:
    """A payment's money, or for one approved by hand (no amount known) its reference."""
    if provider == "manual":
        return ctx.t("admin.manual_payment", ref=ref[:60])
    if provider == "code":  # a redeemed code moves no money: which code it was
        return ctx.t(
            "admin.code_payment", code_id=ref.split(":")[1] if ref.count(":") >= 3 else "?"
        )
    return money(amount, currency)


def _usage(ctx: Context, name: str) -> str:
    return ctx.t(f"usage.{name}")


async def named_member(ctx: Context, name: str, args: str) -> tuple[Member, str]:
    """The member a command names first (`@user`, `#id`, a name), or, sent as a reply to
    someone's message in a group (Telegram), its author: `/ban 7d spam` replying to the
    spam. A reference written out wins over the reply."""
    replied = getattr(ctx.event, "reply_to_user", None)
    head = args.strip()[:1]
    if replied and head not in {"@", "#"}:
        author = await by_account(ctx.session, ctx.event.chat.platform, replied)
        if author is not None:
            return author, args.strip()
    ref, rest = split_ref(args, _usage(ctx, name))
    return await find_member(ctx.session, ref), rest


# ---- roles -------------------------------------------------------------------------------


@admin_command("role", role=Role.OWNER, usage_key="usage.role")
async def role_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """Owners promote experts and moderators (configured owners are set in config, not here)."""
    target, rest = await named_member(ctx, "role", args)
    new = rest.strip().lower()
    if new not in ASSIGNABLE_ROLES:
        raise BadArguments("errors.usage", usage=_usage(ctx, "role"))
    if target.role == "banned":
        raise DomainError("admin.role_banned", who=who(target))
    if (held := configured_role(ctx.settings, target)) is not None:
        # the settings make them staff whatever is stored here: a change would do nothing
        raise DomainError("admin.role_configured", who=who(target), role=ctx.t(f"roles.{held}"))
    if target.role == new:
        raise DomainError("admin.role_unchanged", who=who(target), role=new)
    summary = ctx.t("admin.role_preview", who=who(target), old=target.role, new=new)
    return await ask(ctx, "role", {"member_id": target.id, "role": new}, summary)


@action("role", role=Role.OWNER)
async def _do_role(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    target = await ctx.session.get(Member, int(p["member_id"]))
    if target is None or target.forgotten_at is not None:
        raise DomainError("errors.member_unknown", ref=f"#{p['member_id']}")
    before = target.role
    target.role = str(p["role"])
    await record(
        ctx,
        "member.role",
        f"member:{target.id}",
        before={"role": before},
        after={"role": target.role},
    )
    done = Reply(ctx.t("admin.role_done", who=who(target), role=target.role))
    if target.id == ctx.member.id:
        return [done]
    # they hear it: a new moderator learns where their commands are, the others what changed
    key = f"admin.role_told_{target.role}" if target.role != "member" else "admin.role_told"
    told = translate(
        target.locale,
        key,
        role=translate(target.locale, f"roles.{target.role}"),
        community=ctx.settings.community_name,
    )
    return [done, Reply(told, member_id=target.id)]


# ---- member card -------------------------------------------------------------------------


def _role_name(ctx: Context, role: str) -> str:
    return ctx.t(f"roles.{role}") if has_key(f"roles.{role}") else role


LIST_MAX = 25
"""Members /members names; the count says how many more match."""


def held_text(locale: str, held: tuple[str, str, datetime | None] | None) -> str:
    """A member's latest plan as moderators read it in a line ("monthly active until
    2026-04-01", "no plan"): /members and a /support notice."""
    if held is None:
        return translate(locale, "admin.members_no_plan")
    code, state, end = held
    if end is not None and state in LIVE_STATES:
        until = f"{end:%Y-%m-%d}"
        return translate(locale, "admin.members_plan_until", plan=code, state=state, until=until)
    return translate(locale, "admin.members_plan", plan=code, state=state)


@admin_command("members", usage_key="usage.members")
async def members_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """Who is in the community, newest first, narrowed as a broadcast is (`plan=monthly`,
    `state=grace`, `joined=7`, `inactive=30`): there was no way to see more than one member."""
    from core.admin.broadcast_commands import topic_named

    seg = await topic_named(ctx, segments.parse(args))
    now = ctx.clock.now()
    ids = await segments.members_in(ctx.session, seg, now, everyone=True)
    described = f" ({seg.describe()})" if seg.as_dict() else ""
    if not ids:
        return [Reply(ctx.t("admin.members_none", segment=described))]
    shown = (
        (
            await ctx.session.execute(
                select(Member)
                .where(Member.id.in_(ids))
                .order_by(Member.created_at.desc(), Member.id.desc())
                .limit(LIST_MAX)
            )
        )
        .scalars()
        .all()
    )
    plans = await segments.latest_plans(ctx.session, [m.id for m in shown])
    lines = [ctx.t("admin.members_head", n=len(ids), segment=described)]
    for m in shown:
        held = held_text(ctx.locale, plans.get(m.id))
        if m.role == "banned":
            held += ctx.t("admin.members_banned")
        elif not m.reachable:
            held += ctx.t("admin.members_unreachable")
        joined = f"{m.created_at:%Y-%m-%d}"
        lines.append(ctx.t("admin.members_line", who=who(m), held=held, joined=joined))
    if len(ids) > LIST_MAX:
        lines.append(ctx.t("admin.members_more", n=len(ids) - LIST_MAX))
    return [Reply("\n".join(lines), ephemeral=True)]


LOOKUP_WORDS = frozenset({"find", "lookup", "show", "info", "search", "查", "查找", "查询"})
"""Words moderators put before the member: "/member find @datadan" was "no member called
find"."""


@admin_command("member", usage_key="usage.member")
async def member_cmd(ctx: Context, args: str) -> list[AnyReply]:
    head, _, rest = args.strip().partition(" ")
    if head.lower() in LOOKUP_WORDS and rest.strip():  # "/member find @datadan"
        args = rest
    target, _ = await named_member(ctx, "member", args)
    card = await member_card(ctx.session, target, ctx.clock.now())
    lines = [
        ctx.t(
            "admin.card_head",
            id=card.id,
            name=card.name,
            role=_role_name(ctx, configured_role(ctx.settings, target) or card.role),
            locale=LANGUAGE_NAMES.get(card.locale, card.locale),
            joined=f"{card.joined:%Y-%m-%d}",
            platforms=", ".join(card.platforms) or "-",
        )
    ]
    if target.role == "banned":
        lines.append(await _ban_line(ctx, target))
    if card.subscriptions:
        for code, state, end in card.subscriptions:
            until = f"{end:%Y-%m-%d}" if end else "-"
            # a plan that still gives access runs "until" its end; an ended one ended "on" it
            key = "admin.card_sub" if state in LIVE_STATES else "admin.card_sub_ended"
            if end is None and state in LIVE_STATES:
                key = "admin.card_sub_lifetime"
            if state == "banned":  # held by the ban: its end is what /unban gives back
                key = "admin.card_sub_banned"
            lines.append(ctx.t(key, plan=code, state=state, until=until))
    else:
        lines.append(ctx.t("admin.card_no_sub"))
    asked = {pay.id for pay, _ in await refund_requests.pending(ctx.session)}
    for pid, provider, amount, currency, status, ref, seats in card.payments:
        line = ctx.t(
            "admin.card_code" if provider == "code" else "admin.card_payment",
            id=pid,
            provider=provider,
            amount=_amount(ctx, provider, amount, currency, ref),
            status=status,
        )
        if seats:  # bought for others: /gifts is theirs, the code list says which
            line += " " + ctx.t("admin.card_gift", n=seats)
        if pid in asked:  # the member asked for it back: /refund requests has the buttons
            line += " " + ctx.t("admin.card_refund_asked")
        lines.append(line)
    month_ago = ctx.clock.now() - timedelta(days=30)
    if reported := await reports_about(ctx.session, target.id, month_ago):
        lines.append(ctx.t("admin.card_reported", n=reported))
    last = f"{card.last_active:%Y-%m-%d}" if card.last_active else "-"
    lines.append(
        ctx.t("admin.card_activity", n=card.interactions_30d, last=last, questions=card.questions)
    )
    return [Reply("\n".join(lines))]


async def _ban_line(ctx: Context, target: Member) -> str:
    """Since when (the last ban), until when and why (the latest reason given, a change of
    its length included) a member is banned, from the audit log."""
    rows = (
        (
            await ctx.session.execute(
                select(AuditLog)
                .where(
                    AuditLog.action.in_(("member.ban", "member.ban_changed")),
                    AuditLog.target == f"member:{target.id}",
                )
                .order_by(AuditLog.id.desc())
                .limit(20)
            )
        )
        .scalars()
        .all()
    )
    began = next((r for r in rows if r.action == "member.ban"), None)
    current = [r for r in rows if began is None or r.id >= began.id]  # not an earlier ban's
    why = next((r.reason for r in current if r.reason), "")
    since = local_time(began.at, ctx.timezone) if began is not None else "-"
    line = (
        ctx.t(
            "admin.card_banned_until",
            since=since,
            until=local_time(target.banned_until, ctx.timezone),
        )
        if target.banned_until is not None
        else ctx.t("admin.card_banned", since=since)
    )
    return line + (" " + ctx.t("admin.reason", reason=why) if why else "")


# ---- money and access: confirm, then call the membership service ------------------------


@admin_command("grant", usage_key="usage.grant")
async def grant_cmd(ctx: Context, args: str) -> list[AnyReply]:
    target, rest = await named_member(ctx, "grant", args)
    code, _, days_txt = rest.partition(" ")
    if not code:
        raise BadArguments("errors.usage", usage=_usage(ctx, "grant"))
    # the plan as moderators name it: its code or title ("monthly", "月度会员", "year")
    plan = await membership_bridge.function("plan_named")(ctx.session, code)
    days = parse_days(days_txt) if days_txt.strip() else None
    membership_bridge.service()  # refuse now, not after the button, when it is missing
    if days:
        length = ctx.t("admin.grant_length_days", n=days)
    elif plan.period_days:
        length = ctx.t("admin.grant_length_plan", n=plan.period_days)
    else:
        length = ctx.t("admin.grant_length_life")
    title = membership_bridge.function("plan_title")(plan, ctx.locale)
    summary = ctx.t("admin.grant_preview", who=who(target), plan=title, length=length)
    if (held := await _held_until(ctx, target, plan.code)) is not None:
        # the days go on top of what they hold (the moderator read it as a fresh period)
        summary += "\n" + ctx.t("admin.grant_adds", until=local_time(held, ctx.timezone))
    return await ask(
        ctx, "grant", {"member_id": target.id, "plan": plan.code, "days": days}, summary
    )


@admin_command("extend", usage_key="usage.extend")
async def extend_cmd(ctx: Context, args: str) -> list[AnyReply]:
    target, rest = await named_member(ctx, "extend", args)
    if not rest:  # "/extend @bob": how many days is the question, not a bad number
        raise BadArguments("errors.usage", usage=_usage(ctx, "extend"))
    days = parse_days(rest)
    sub, plan = await membership_bridge.function("extendable")(ctx.session, target)  # or refuse
    summary = ctx.t("admin.extend_preview", who=who(target), days=days)
    summary += "\n" + ctx.t(
        "admin.extend_from",
        plan=membership_bridge.function("plan_title")(plan, ctx.locale),
        until=local_time(sub.current_period_end, ctx.timezone),
    )
    return await ask(ctx, "extend", {"member_id": target.id, "days": days}, summary)


def _with_reason(ctx: Context, summary: str, reason: str) -> str:
    """The preview repeats the reason, as it will be stored (and told, for /revoke)."""
    reason = reason.strip()[:200]
    return summary + "\n" + ctx.t("admin.reason", reason=reason) if reason else summary


@admin_command("revoke", usage_key="usage.revoke")
async def revoke_cmd(ctx: Context, args: str) -> list[AnyReply]:
    target, reason = await named_member(ctx, "revoke", args)
    await membership_bridge.function("live_subscriptions")(ctx.session, target)  # as /extend
    summary = _with_reason(ctx, ctx.t("admin.revoke_preview", who=who(target)), reason)
    return await ask(ctx, "revoke", {"member_id": target.id, "reason": reason[:200]}, summary)


@admin_command("ban", usage_key="usage.ban")
async def ban_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """`/ban @member [LENGTH] [reason]`: with a length (`7d`, `2 weeks`) the ban lifts by
    itself then."""
    target, rest = await named_member(ctx, "ban", args)
    days, reason = leading_length(rest)
    if target.id == ctx.member.id:
        raise DomainError("admin.not_yourself")
    if (staff := staff_role(ctx.settings, target)) is not None:
        # refused before the Confirm tap; an owner named in the settings was "banned" and
        # told so, yet kept every right
        raise DomainError("admin.ban_staff", who=who(target), role=ctx.t(f"roles.{staff}"))
    change = target.role == "banned"  # a new end for the ban they are under
    if change and days is None and target.banned_until is None:
        raise DomainError("admin.already_banned", who=who(target))
    membership_bridge.service()
    key = "admin.reban_preview" if change else "admin.ban_preview"
    if days is None:
        preview = ctx.t(key, who=who(target))
    else:
        until = local_time(ctx.clock.now() + timedelta(days=days), ctx.timezone)
        preview = ctx.t(f"{key}_until", who=who(target), until=until)
    if change:
        was = target.banned_until
        preview += " " + (
            ctx.t("admin.reban_was_until", until=local_time(was, ctx.timezone))
            if was is not None
            else ctx.t("admin.reban_was")
        )
    summary = _with_reason(ctx, preview, reason)
    p = {"member_id": target.id, "reason": reason[:200], "days": days, "change": change}
    return await ask(ctx, "ban", p, summary)


@admin_command("unban", usage_key="usage.unban")
async def unban_cmd(ctx: Context, args: str) -> list[AnyReply]:
    target, _ = await named_member(ctx, "unban", args)
    if target.role != "banned":
        raise DomainError("admin.not_banned", who=who(target))
    membership_bridge.service()
    summary = ctx.t("admin.unban_preview", who=who(target))
    if target.banned_until is not None:  # a ban for a time: lifting it is only sooner
        summary = sentences(
            summary,
            ctx.t("admin.unban_would_end", until=local_time(target.banned_until, ctx.timezone)),
        )
    return await ask(ctx, "unban", {"member_id": target.id}, summary)


@admin_command("refund", usage_key="usage.refund")
async def refund_cmd(ctx: Context, args: str) -> list[AnyReply]:
    if args.strip().lower() in ("requests", "pending", "list", "申请"):
        return await refund_requests.pending_list(ctx)
    target, rest = await named_member(ctx, "refund", args)
    q = select(Payment).where(Payment.member_id == target.id)
    if rest.strip():
        payment_id = parse_id(rest)
        if payment_id is None:
            raise BadArguments("errors.usage", usage=_usage(ctx, "refund"))
        q = q.where(Payment.id == payment_id)
    else:
        q = q.where(Payment.status == "applied").order_by(Payment.created_at.desc()).limit(1)
    pay = (await ctx.session.execute(q)).scalars().first()
    if pay is None:
        raise DomainError("admin.payment_unknown", who=who(target))
    if pay.status == "refunded":
        raise DomainError("admin.already_refunded", id=pay.id)
    membership_bridge.service()
    summary = ctx.t(
        "admin.refund_preview",
        who=who(target),
        id=pay.id,
        amount=_amount(ctx, pay.provider, pay.amount, pay.currency, pay.provider_charge_id),
        provider=pay.provider,
    )
    if pay.provider not in MONEY_BACK:
        summary = sentences(summary, ctx.t("admin.refund_by_hand", provider=pay.provider))
    used = await membership_bridge.function("gift_seats_used")(ctx.session, pay)
    if pay.status == "applied" and used is not None:
        summary = sentences(summary, ctx.t("admin.refund_ends_gift", n=used))
    if pay.status == "applied" and pay.subscription_id is not None:
        newer = await membership_bridge.function("newer_payment")(ctx.session, pay)
        # what happens to access, said before the moderator confirms (see after_refund)
        if newer is None:
            summary = sentences(summary, ctx.t("admin.refund_ends_access"))
        else:
            summary = sentences(summary, ctx.t("admin.refund_keeps_access", newer=newer))
    if when := await refund_requests.noted(ctx, "refund.declined", f"payment:{pay.id}"):
        # a stale "Review" button, or another moderator's decline unseen: said before Confirm
        # (the member heard "declined", then "refunded")
        note = ctx.t("admin.refund_was_declined", when=local_time(when, ctx.timezone))
        summary = sentences(summary, note)
    return await ask(ctx, "refund", {"member_id": target.id, "payment_id": pay.id}, summary)


PLAN_FIELDS = ("title_en", "title_zh", "period_days", "trial_days", "grace_days", "active", "price")


# the words moderators type for the fields ("/plans edit monthly trial 0")
FIELD_WORDS = {
    "title": "title_en",
    "period": "period_days",
    "days": "period_days",
    "trial": "trial_days",
    "grace": "grace_days",
    # in Chinese, as a moderator writes them
    "标题": "title_en",
    "中文标题": "title_zh",
    "周期": "period_days",
    "天数": "period_days",
    "试用": "trial_days",
    "宽限": "grace_days",
    "宽限期": "grace_days",
    "价格": "price",
    "上架": "active",
}


def _sellers(plan: Plan, value: str) -> list[str]:
    """The providers that sell the plan in the currency of `AMOUNT CURRENCY` (Stars are
    always telegram_stars)."""
    cur = value.split()[-1].upper()
    if cur == "XTR":
        return ["telegram_stars"]
    return [
        name
        for name, p in sorted((plan.prices or {}).items())
        if str(p.get("currency", "")).upper() == cur
    ]


def plan_fields(field: str, value: str) -> dict[str, Any] | None:
    """The typed edit for `/planedit`, or None when the value does not fit the field."""
    if field in {"title_en", "title_zh"}:
        return {field: value[:128]} if value else None
    if field.endswith("_days"):
        if not value.isdecimal() or int(value) > 3660:
            return None
        return {field: int(value)}
    if field == "active":
        flags = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}
        return {field: flags[value.lower()]} if value.lower() in flags else None
    # price PROVIDER AMOUNT CURRENCY, the amount as people write it ("12", "12.50"; Stars
    # and other zero-decimal currencies whole), stored in minor units
    parts = value.split()
    if len(parts) != 3 or not parts[2].isalpha() or len(parts[2]) > 8:
        return None
    currency = parts[2].upper()
    whole = currency in ZERO_DECIMAL
    if not re.fullmatch(r"\d{1,9}" if whole else r"\d{1,9}(?:\.\d{1,2})?", parts[1]):
        return None
    minor = int(parts[1]) if whole else round(Decimal(parts[1]) * 100)
    return {"prices": {parts[0]: {"amount": minor, "currency": currency}}}


@admin_command("planedit", usage_key="usage.planedit")
async def planedit_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """`/planedit CODE FIELD VALUE` (the issue's `/plans edit`: /plans itself lists plans)."""
    parts = args.split(None, 2)
    field = FIELD_WORDS.get(parts[1].lower(), parts[1].lower()) if len(parts) == 3 else ""
    if len(parts) != 3 or field not in PLAN_FIELDS:
        raise BadArguments("errors.usage", usage=_usage(ctx, "planedit"))
    code, value = parts[0].lower(), parts[2].strip()
    plan = (await ctx.session.execute(select(Plan).where(Plan.code == code))).scalar_one_or_none()
    if plan is None:
        raise DomainError("admin.plan_unknown", code=code[:32])
    if field == "price" and len(value.split()) == 2:
        # no provider named: every provider that sells the plan in that currency
        sellers = _sellers(plan, value)
        per = [plan_fields(field, f"{name} {value}") for name in sellers]
        prices = {k: v for f in per if f for k, v in f["prices"].items()}
        fields = {"prices": prices} if per and all(per) else None
        value = f"{value} ({', '.join(sellers)})"
    else:
        fields = plan_fields(field, value)
    if fields is None:
        raise BadArguments("errors.usage", usage=_usage(ctx, "planedit"))
    membership_bridge.service()
    summary = ctx.t("admin.planedit_preview", plan=code, field=field, value=value[:100])
    return await ask(ctx, "planedit", {"plan": code, "fields": fields}, summary)


async def _member(ctx: Context, p: dict[str, Any]) -> Member:
    m = await ctx.session.get(Member, int(p["member_id"]))
    if m is None or m.forgotten_at is not None:
        raise DomainError("errors.member_unknown", ref=f"#{p['member_id']}")
    return m


async def _done(
    ctx: Context,
    kind: str,
    target: str,
    p: dict[str, Any],
    effects: list[AnyReply],
    until: datetime | None = None,
) -> list[AnyReply]:
    """The confirmer's own audit row (the membership service audits the change itself);
    `until`: when the plan now ends, which the moderator reads in the reply."""
    await record(ctx, f"admin.{kind}", target, after=dict(p))
    done = ctx.t(f"admin.{kind}_done")
    if until is not None:
        done = sentences(done, ctx.t("admin.now_until", until=local_time(until, ctx.timezone)))
    return [Reply(done), *effects]


async def _held_until(ctx: Context, member: Member, plan_code: str) -> datetime | None:
    """When the member's live subscription to the plan ends (None: none, or for life)."""
    try:
        live = await membership_bridge.function("live_subscriptions")(ctx.session, member)
    except DomainError:
        return None
    ends = [sub.current_period_end for sub, plan in live if plan.code == plan_code]
    return ends[0] if ends else None


@action("grant")
async def _do_grant(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    m = await _member(ctx, p)
    fn = membership_bridge.function("grant")
    effects = await fn(
        ctx.session, ctx.services, m, p["plan"], int(p["days"] or 0), actor_label(ctx)
    )
    until = await _held_until(ctx, m, p["plan"])
    return await _done(ctx, "grant", f"member:{m.id}", p, effects, until)


@action("extend")
async def _do_extend(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    m = await _member(ctx, p)
    fn = membership_bridge.function("extend")
    effects = await fn(ctx.session, ctx.services, m, int(p["days"]), actor_label(ctx))
    sub, _ = await membership_bridge.function("extendable")(ctx.session, m)
    return await _done(ctx, "extend", f"member:{m.id}", p, effects, sub.current_period_end)


@action("revoke")
async def _do_revoke(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    m = await _member(ctx, p)
    fn = membership_bridge.function("revoke")
    reason = str(p.get("reason", ""))
    effects = await fn(ctx.session, ctx.services, m, actor_label(ctx), reason, tell=True)
    return await _done(ctx, "revoke", f"member:{m.id}", p, effects)


@action("ban")
async def _do_ban(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    m = await _member(ctx, p)
    fn = membership_bridge.function("ban")
    days = p.get("days")
    until = ctx.clock.now() + timedelta(days=int(days)) if days else None
    reason = str(p.get("reason", ""))
    effects = await fn(ctx.session, ctx.services, m, actor_label(ctx), reason, until=until)
    from core.community_events.commands import release_places

    effects += await release_places(ctx, m.id)  # their event places go to the waiting lists
    return await _done(ctx, "reban" if p.get("change") else "ban", f"member:{m.id}", p, effects)


@action("unban")
async def _do_unban(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    m = await _member(ctx, p)
    fn = membership_bridge.function("unban")
    effects = await fn(ctx.session, ctx.services, m, actor_label(ctx), "")
    return await _done(ctx, "unban", f"member:{m.id}", p, effects)


@action("refund")
async def _do_refund(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    pay = await ctx.session.get(Payment, int(p["payment_id"]))
    if pay is None:
        raise DomainError("admin.payment_unknown", who=f"#{p['member_id']}")
    if pay.status == "refunded":
        return [Reply(ctx.t("admin.already_refunded", id=pay.id))]
    fn = membership_bridge.function("refund")
    effects = await fn(ctx.session, ctx.services, pay.id, actor_label(ctx), "moderator refund")
    out = await _done(ctx, "refund", f"payment:{pay.id}", p, effects)
    if pay.provider not in MONEY_BACK:  # recorded, but no money went anywhere
        out[0] = Reply(ctx.t("admin.refund_recorded", provider=pay.provider))
    return out


@action("planedit")
async def _do_planedit(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    edit_plan = getattr(importlib.import_module("core.membership.plans"), "edit_plan", None)
    if edit_plan is None:
        raise DomainError("admin.membership_unavailable")
    await edit_plan(ctx.session, ctx.clock, p["plan"], actor=actor_label(ctx), **p["fields"])
    return await _done(ctx, "planedit", f"plan:{p['plan']}", p, [])


# ---- audit view --------------------------------------------------------------------------


@admin_command("audit", usage_key="usage.audit")
async def audit_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """Recent admin actions, newest first. `/audit member.ban` filters by action prefix;
    `/audit @alice` (or `#12`) shows what was done to that member or by them; both combine."""
    q = select(AuditLog).order_by(AuditLog.id.desc()).limit(20)
    words = args.split()
    if words and words[0][:1] in ("@", "#"):
        m = await find_member(ctx.session, words.pop(0))
        key = f"member:{m.id}"
        q = q.where((AuditLog.target == key) | (AuditLog.actor == key))
    flt = " ".join(words)
    if flt:
        if len(flt) > 64 or len(words) > 1:
            raise BadArguments("errors.usage", usage=_usage(ctx, "audit"))
        q = q.where(AuditLog.action.startswith(flt, autoescape=True))
    rows = (await ctx.session.execute(q)).scalars().all()
    if not rows:
        return [Reply(ctx.t("admin.audit_none" if args.strip() else "admin.audit_empty"))]
    reported = {r.id: (r.after or {}).get("author") for r in rows if r.action == "member.report"}
    refs = [x for r in rows for x in (r.actor, r.target)]
    names = await _member_names(ctx, refs + [f"member:{a}" for a in reported.values()])
    lines = [ctx.t("admin.audit_head", n=len(rows))]
    for r in rows:
        actor, target = names.get(r.actor, r.actor), names.get(r.target, _ref(r.target or ""))
        if r.id in reported:  # a report names the message: say whose it was
            about = reported[r.id]
            target = ctx.t("admin.audit_about", who=names.get(f"member:{about}", str(about)))
        at = local_time(r.at, ctx.timezone)  # in the moderator's zone, named
        line = f"#{r.id} {at} {actor} {r.action} {target}".rstrip()
        lines.append(line + (f" — {r.reason}" if r.reason else ""))
    return [Reply("\n".join(lines))]


def _ref(target: str) -> str:
    """ "payment:7" -> "payment #7", as the other commands name such rows."""
    kind, _, n = target.partition(":")
    return f"{kind} #{n}" if kind.isalpha() and n.isdecimal() else target


async def _member_names(ctx: Context, refs: list[str]) -> dict[str, str]:
    """ "member:12" -> "#12 Alice", so a moderator reads who, not a number."""
    ids = {i for r in refs if r and r.startswith("member:") and (i := parse_id(r[7:]))}
    if not ids:
        return {}
    rows = await ctx.session.execute(
        select(Member.id, Member.display_name, Member.forgotten_at).where(Member.id.in_(ids))
    )
    return {
        f"member:{i}": f"#{i}" if gone is not None else f"#{i} {name}" for i, name, gone in rows
    }
