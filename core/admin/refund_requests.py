"""A member's /refund: the moderators are asked to refund their last payment.

/refund was "for moderators only", so a member who wanted their money back was told nothing
about how to get it. Now it reaches every moderator with the payment, the member's reason
and a button that opens the moderators' own /refund for that payment (which previews and
asks to confirm). One request per payment; it is audited as ``refund.requested``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.admin import membership_bridge
from core.admin.analytics import money
from core.admin.args import clean
from core.admin.confirm import action
from core.admin.confirm import ask as confirm
from core.admin.guard import record
from core.context import Context, Role
from core.digest.providers import Item, register_section
from core.errors import DomainError
from core.i18n import translate
from core.localtime import local_time
from core.members import moderators
from core.qa import help_answers
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, for_members, run_command
from models.audit import AuditLog
from models.member import Member
from models.membership import Payment, Plan

REASON_MAX = 300
NO_MONEY = ("code",)
"""Providers whose payments moved no money (a redeemed code): nothing to give back."""


async def _last_payment(ctx: Context) -> Payment | None:
    """The member's last payment that moved money and still stands."""
    return (
        (
            await ctx.session.execute(
                select(Payment)
                .where(
                    Payment.member_id == ctx.member.id,
                    Payment.status == "applied",
                    Payment.provider.not_in(NO_MONEY),
                )
                .order_by(Payment.created_at.desc(), Payment.id.desc())
                .limit(1)
            )
        )
        .scalars()
        .first()
    )


@for_members("refund")
async def refund_request(ctx: Context, args: str) -> list[AnyReply]:
    pay = await _last_payment(ctx)
    if pay is None:
        raise DomainError("admin.refund_request_nothing")
    if (before := await _asked_before(ctx, pay)) is not None:
        return before
    target = f"payment:{pay.id}"
    reason = " ".join(clean(args).split())[:REASON_MAX]
    # the reason goes to the moderators only: the audit log is append-only and outlives
    # /forget, and a member's own words may say who they are
    await record(ctx, "refund.requested", target)
    plan = await ctx.session.get(Plan, pay.plan_id) if pay.plan_id is not None else None
    amount = money(pay.amount, pay.currency)
    out: list[AnyReply] = [
        Reply(
            ctx.t(
                "admin.refund_requested",
                plan=_title(plan, ctx.locale),
                amount=amount,
                when=local_time(pay.created_at, ctx.timezone),
            ),
            ephemeral=True,
        )
    ]
    for mod in await moderators(ctx.session, ctx.services):
        if mod.id == ctx.member.id:
            continue
        lines = [
            translate(
                mod.locale,
                "admin.refund_request_to_mods",
                who=f"#{ctx.member.id} {ctx.member.display_name}",
                plan=_title(plan, mod.locale),
                amount=amount,
                provider=pay.provider,
                when=local_time(pay.created_at, mod.timezone or ctx.settings.timezone),
                id=pay.id,
            )
        ]
        if reason:
            lines.append(translate(mod.locale, "admin.reason", reason=reason))
        buttons = _answer_buttons(ctx, mod.locale, ctx.member.id, pay.id)
        out.append(Reply("\n".join(lines), [buttons], member_id=mod.id))
    return out


_WANTS_REFUND = re.compile(
    r"\b(?:i (?:want|would like|'d like|need|demand|request|am requesting)|can i (?:get|have)|"
    r"please (?:give me|issue)|give me) (?:a |my )?(?:full )?(?:refund|money back)\b|"
    r"\brefund (?:me|please|my (?:payment|money|membership|subscription))\b|"
    r"\bi want my money back\b|(?:我)?(?:想|要|申请|希望)(?:全额)?退(?:款|钱|费)|(?:给我|请)退(?:款|钱)",
    re.IGNORECASE,
)


@help_answers.lookup_first
async def asked_in_words(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "I want a refund, the course is nothing like what was advertised", "我想退款，买了年费会员
    但没时间学了": a member asking for their money back is offered /refund with their words
    as its reason (it went to the moderators as a /support message, with no payment named
    and no Review button, or opened a thread). A member with no payment to give back gets
    the answer on refunds, as before. Not from moderators (their /refund refunds
    someone), not with /ask (the community's question, asked so)."""
    if ctx.role >= Role.MODERATOR or getattr(ctx.event, "name", None) == "ask":
        return None
    if ctx.event.chat.kind != "private" or not _WANTS_REFUND.search(question):
        return None
    pay = await _last_payment(ctx)
    if pay is None:  # nothing to give back: the answer on refunds says how
        return None
    if (before := await _asked_before(ctx, pay)) is not None:  # asked before: where it stands
        return before
    reason = " ".join(question.split())[:REASON_MAX]
    preview = ctx.t("admin.refund_offer", reason=reason)
    return await confirm(ctx, "refund_asked", {"reason": reason}, preview)


@action("refund_asked", role=Role.MEMBER)
async def _refund_asked(ctx: Context, params: dict[str, Any]) -> list[AnyReply]:
    return await run_command(ctx, "refund", str(params.get("reason", "")))


async def _asked_before(ctx: Context, pay: Payment) -> list[AnyReply] | None:
    """Where an earlier request for this payment stands (declined, or waiting); None when
    there was none."""
    target = f"payment:{pay.id}"
    if (declined := await noted(ctx, "refund.declined", target)) is not None:
        when = local_time(declined, ctx.timezone)
        return [Reply(ctx.t("admin.refund_request_was_declined", when=when), ephemeral=True)]
    if (asked := await noted(ctx, "refund.requested", target)) is not None:
        when = local_time(asked, ctx.timezone)
        return [Reply(ctx.t("admin.refund_request_again", when=when), ephemeral=True)]
    return None


def _answer_buttons(ctx: Context, locale: str, member_id: int, payment_id: int) -> list[ButtonSpec]:
    """A request's two answers, in the reading moderator's language: Review (their own
    /refund for the payment) and Decline."""
    return [
        ButtonSpec(
            translate(locale, "admin.refund_request_btn"), ctx.sign("rfq", member_id, payment_id)
        ),
        ButtonSpec(
            translate(locale, "admin.refund_request_btn_decline"),
            ctx.sign("rfqn", member_id, payment_id),
        ),
    ]


@button("rfq", role=Role.MODERATOR)
async def review_refund(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """The moderators' /refund for the payment asked about: its preview and confirmation."""
    if len(parts) != 2 or not all(p.isdecimal() for p in parts):
        raise DomainError("errors.button_expired")
    target = f"payment:{parts[1]}"
    if (when := await noted(ctx, "refund.declined", target)) is not None:
        # declined by another moderator since this card was sent: not a preview to confirm
        command = f"/refund #{parts[0]} {parts[1]}"
        at = local_time(when, ctx.timezone)
        return [Reply(ctx.t("admin.refund_request_declined_since", when=at, command=command))]
    return await run_command(ctx, "refund", f"#{parts[0]} {parts[1]}")


@button("rfqn", role=Role.MODERATOR)
async def decline_refund(ctx: Context, parts: list[str]) -> list[AnyReply]:
    """The member is told no (once, by whichever moderator answers first); the payment and
    access stay as they are."""
    if len(parts) != 2 or not all(p.isdecimal() for p in parts):
        raise DomainError("errors.button_expired")
    member_id, payment_id = int(parts[0]), int(parts[1])
    pay = await ctx.session.get(Payment, payment_id)
    member = await ctx.session.get(Member, member_id)
    if pay is None or member is None or pay.member_id != member_id:
        raise DomainError("errors.button_expired")
    target = f"payment:{payment_id}"
    if await noted(ctx, "refund.declined", target) is not None or pay.status == "refunded":
        return [Reply(ctx.t("admin.refund_request_answered", id=payment_id))]
    await record(ctx, "refund.declined", target)
    told = Reply(translate(member.locale, "admin.refund_declined"), member_id=member_id)
    return [
        Reply(ctx.t("admin.refund_request_declined", who=f"#{member.id} {member.display_name}")),
        told,
    ]


async def noted(ctx: Context, action: str, target: str) -> datetime | None:
    """When the audit log first noted ``action`` on ``target`` (a request, an answer)."""
    return (
        await ctx.session.execute(
            select(AuditLog.at)
            .where(AuditLog.action == action, AuditLog.target == target)
            .order_by(AuditLog.at)
            .limit(1)
        )
    ).scalar_one_or_none()


PENDING_SHOWN = 10


async def pending(session: AsyncSession) -> list[tuple[Payment, datetime]]:
    """Refund requests no moderator has answered yet (the payment neither refunded nor
    declined), oldest first, with when each was asked."""
    rows = await session.execute(
        select(AuditLog.target, func.min(AuditLog.at))
        .where(AuditLog.action.in_(("refund.requested", "refund.declined")))
        .group_by(AuditLog.target)
        .having(func.sum(case((AuditLog.action == "refund.declined", 1), else_=0)) == 0)
        .order_by(func.min(AuditLog.at))
    )
    asked = {int(n): at for t, at in rows if (n := t.partition(":")[2]).isdecimal()}
    if not asked:
        return []
    payments = await session.execute(  # a member who has since used /forget: not theirs now
        select(Payment)
        .join(Member, Member.id == Payment.member_id)
        .where(Payment.id.in_(asked), Payment.status == "applied", Member.forgotten_at.is_(None))
    )
    open_ = {p.id: p for p in payments.scalars()}
    return [(open_[i], at) for i, at in asked.items() if i in open_]


async def pending_list(ctx: Context) -> list[AnyReply]:
    """`/refund requests`: each unanswered request with its two buttons, as the moderators
    got it (for one who missed the message, or came later)."""
    waiting = await pending(ctx.session)
    if not waiting:
        return [Reply(ctx.t("admin.refund_requests_none"))]
    out: list[AnyReply] = [Reply(ctx.t("admin.refund_requests_header", n=len(waiting)))]
    for pay, at in waiting[:PENDING_SHOWN]:
        member = await ctx.session.get(Member, pay.member_id) if pay.member_id else None
        if member is None:
            continue
        plan = await ctx.session.get(Plan, pay.plan_id) if pay.plan_id is not None else None
        text = ctx.t(
            "admin.refund_requests_line",
            who=f"#{member.id} {member.display_name}",
            plan=_title(plan, ctx.locale),
            amount=money(pay.amount, pay.currency),
            id=pay.id,
            when=local_time(at, ctx.timezone),
        )
        out.append(Reply(text, [_answer_buttons(ctx, ctx.locale, member.id, pay.id)]))
    return out


async def pending_section(
    session: AsyncSession, member: Member, now: datetime, locale: str
) -> Sequence[Item]:
    """One line of a moderator's digest: refund requests still waiting for an answer."""
    n = len(await pending(session))
    if not n:
        return []
    return [Item("staff", 0, translate(locale, "digest.staff_refunds", n=n))]


register_section("refunds", pending_section, staff=True)


def _title(plan: Plan | None, locale: str) -> str:
    """The plan as the reader names it (through the membership feature, as /grant does)."""
    return str(membership_bridge.function("plan_title")(plan, locale)) if plan else "—"
