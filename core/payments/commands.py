"""Payment inputs: Stars pre-checkout and payments, Discord entitlements, the demo Pay button,
/redeem CODE (also `/start redeem_CODE`), and the moderators' /codes and /approve."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select

from core.admin.confirm import action, ask
from core.context import Context, Role
from core.errors import BadArguments, DomainError
from core.events import EntitlementChanged, PaymentReceived, PaymentRefunded, PreCheckout
from core.ids import parse_id
from core.members import find_member
from core.membership import plans, service
from core.membership.errors import MembershipError
from core.payments import (
    billing,  # noqa: F401  (registers /billing)
    codes,
    demo,
    discord_entitlements,
    gift_commands,  # noqa: F401  (registers /gift, /gifts)
    ledger,
    telegram_stars,
)
from core.replies import AnyReply, Reply
from core.router import aside, button, command, message_handler, on_event
from models.member import Member
from models.membership import Code, Payment


def _outcome_replies(ctx: Context, res: ledger.Outcome) -> list[AnyReply]:
    if res.status == "duplicate":
        return [Reply(ctx.t("membership.already_applied"))]
    if res.status == "recorded":
        return [Reply(ctx.t("membership.payment_recorded"))]
    return service.for_self(ctx.member.id, res.replies)


@on_event(PreCheckout)
async def precheckout(ctx: Context, ev: PreCheckout) -> list[AnyReply]:
    return [
        await telegram_stars.precheckout(
            ctx.session, ctx.services, ctx.member, ev.query_id, ev.amount, ev.currency, ev.payload
        )
    ]


@on_event(PaymentReceived)
async def payment_received(ctx: Context, ev: PaymentReceived) -> list[AnyReply]:
    if ev.provider != telegram_stars.PROVIDER:
        return []
    c = telegram_stars.charge(
        ctx.member,
        ev.actor.user_id,
        ev.charge_id,
        ev.amount,
        ev.currency,
        ev.payload,
        dict(ev.extra),
        raw=repr(ev).encode(),
    )
    return _outcome_replies(ctx, await ledger.process(ctx.session, ctx.services, c))


@on_event(PaymentRefunded)
async def payment_refunded(ctx: Context, ev: PaymentRefunded) -> list[AnyReply]:
    if ev.provider != telegram_stars.PROVIDER:
        return []
    return service.for_self(
        ctx.member.id,
        await telegram_stars.refunded(ctx.session, ctx.services, ev.charge_id, ev.amount),
    )


@on_event(EntitlementChanged)
async def entitlement_changed(ctx: Context, ev: EntitlementChanged) -> list[AnyReply]:
    return service.for_self(
        ctx.member.id,
        await discord_entitlements.changed(
            ctx.session,
            ctx.services,
            ctx.member,
            ev.action,
            ev.entitlement_id,
            ev.sku_id,
            ev.ends_at,
        ),
    )


@button(demo.BUTTON)
async def demo_pay(ctx: Context, parts: list[str]) -> list[AnyReply]:
    if not demo.available(ctx.settings):
        return [Reply(ctx.t("membership.provider_unavailable"))]
    return _outcome_replies(
        ctx, await demo.pay(ctx.session, ctx.services, ctx.member, parts[0] if parts else "")
    )


@command(
    "redeem", help_key="membership.help_redeem", usage_key="membership.usage_redeem", deep_link=True
)
async def redeem_cmd(ctx: Context, args: str) -> list[AnyReply]:
    if not args.strip():
        raise MembershipError("usage_redeem")
    text = args.strip()  # "ABCD EFGH JKLM" is one code; "ABCD-EFGH-JKLM please" is too
    return await _redeem(ctx, text if codes.looks_like_code(text) else text.split()[0])


async def _redeem(ctx: Context, text: str) -> list[AnyReply]:
    res = await codes.redeem(ctx.session, ctx.services, ctx.member, text)
    if res.status == "rejected" and res.reason == "membership.code_unknown":
        return res.replies
    return _outcome_replies(ctx, res)


@aside
def _a_code(text: str) -> bool:
    return codes.looks_like_code(text, as_shown=True)


@message_handler(priority=80)
async def code_alone(ctx: Context, text: str) -> list[AnyReply] | None:
    """A code sent on its own in a private chat (pasted from the shop's e-mail, or after a
    bare /redeem) is redeemed: it was "I didn't understand that"."""
    if ctx.event.chat.kind != "private" or not _a_code(text):
        return None
    return await _redeem(ctx, text.strip())


_SAID_CODE = re.compile(
    r"(?:\b(?:code|voucher|coupon)\b|兑换码|礼品码|优惠码)[^\n]{0,40}?"
    r"(?<![\w-])([A-Z0-9]{3,6}(?:-[A-Z0-9]{3,6}){2})(?![\w-])"
    r"|(?<![\w-])([A-Z0-9]{3,6}(?:-[A-Z0-9]{3,6}){2})(?![\w-])[^\n]{0,40}?"
    r"(?:\b(?:code|voucher|coupon)\b|兑换码|礼品码|优惠码)",
    re.IGNORECASE,
)


def said_code(text: str) -> str | None:
    """The code a private message names with the word for one ("The code is LEARN-7Q2X-KD94",
    "my voucher ABCD-EFGH-JKLM doesn't work"): dashed groups in capitals, the way codes are
    printed. A code sent alone is `code_alone`'s."""
    m = _SAID_CODE.search(text)
    token = (m.group(1) or m.group(2)) if m else None
    return token if token is not None and token == token.upper() else None


@message_handler(priority=81)
async def code_in_a_sentence(ctx: Context, text: str) -> list[AnyReply] | None:
    """It was offered for the public forum, code and all: tried as the member's code now
    (one that cannot be a code is told what codes look like, and costs no guess)."""
    if ctx.event.chat.kind != "private" or (code := said_code(text)) is None:
        return None
    return await _redeem(ctx, code)


_CODE_OPTIONS = {"uses", "expires", "count"}


def _options(tokens: list[str]) -> tuple[list[str], dict[str, str]]:
    """Options as moderators type them: `--uses 5`, `--uses=5`, `uses=5`, `uses 5`, and
    `—uses 5` (phones turn "--" into a dash)."""
    pos: list[str] = []
    opts: dict[str, str] = {}
    it = iter(tokens)
    for tok in it:
        name, eq, val = tok.lstrip("-—–").partition("=")
        dashed = tok[:1] in "-—–" and bool(name)
        if dashed or name.lower() in _CODE_OPTIONS:
            if not eq:
                nxt = next(it, None)
                if nxt is None:
                    raise BadArguments("membership.usage_codes_error")
                val = nxt
            opts[name.lower()] = val
        else:
            pos.append(tok)
    return pos, opts


def _date(text: str) -> datetime:
    try:
        d = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise MembershipError("codes_bad_date", date=text[:20]) from None
    return datetime.combine(d, time(23, 59), tzinfo=UTC)


@command(
    "codes",
    role=Role.MODERATOR,
    help_key="membership.help_codes",
    usage_key="membership.usage_codes",
)
async def codes_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """/codes new PLAN [--uses N] [--expires YYYY-MM-DD] [--count K] · /codes [list] [PLAN]
    · /codes off ID"""
    words = args.split()
    if not words or words[0].lower() == "list":
        return await _codes_list(ctx, words[1] if len(words) > 1 else "")
    if len(words) == 1 and words[0].lower() not in ("new", "off"):
        return await _codes_list(ctx, words[0])  # /codes PLAN
    if words[0].lower() == "off":
        return await _codes_off(ctx, words[1:])
    pos, opts = _options(words)
    if len(pos) == 3 and pos[2].isdecimal() and "count" not in opts:
        # "/codes new monthly 5": five codes, as people say it (the preview shows it all)
        opts["count"] = pos.pop()
    if len(pos) != 2 or pos[0].lower() != "new" or set(opts) - {"uses", "expires", "count"}:
        raise MembershipError("usage_codes")
    try:
        uses = int(opts.get("uses", "1"))
        count = int(opts.get("count", "1"))
    except ValueError:
        raise MembershipError("codes_bad_numbers") from None
    expires = _date(opts["expires"]) if "expires" in opts else None
    codes.check_new(uses, count, expires, ctx.clock.now())
    plan = await plans.get_plan(ctx.session, pos[1])
    expires_text = (
        ctx.t("membership.codes_expire_on", date=opts["expires"])
        if "expires" in opts
        else ctx.t("membership.codes_no_expiry")
    )
    summary = ctx.t(
        "membership.codes_preview",
        n=count,
        plan=plans.title(plan, ctx.locale),
        uses=uses,
        expires=expires_text,
    )
    params = {
        "plan": plan.code,
        "uses": uses,
        "count": count,
        "expires": expires.isoformat() if expires else None,
        "expires_text": expires_text,
    }
    return await ask(ctx, "codes_new", params, summary)


async def _codes_list(ctx: Context, plan_code: str) -> list[AnyReply]:
    """What was handed out and what is left of it (the codes themselves are only hashes:
    each shows its last four characters)."""
    plan = await plans.get_plan(ctx.session, plan_code) if plan_code else None
    rows = await codes.recent(ctx.session, plan.id if plan else None)
    if not rows:
        return [Reply(ctx.t("membership.codes_none"))]
    now = ctx.clock.now()
    bought = {c.created_by for c, _ in rows if c.payment_id and c.created_by}
    named = select(Member.id, Member.display_name).where(Member.id.in_(bought))
    buyers = {i: n for i, n in (await ctx.session.execute(named)).all()} if bought else {}
    lines = [ctx.t("membership.codes_head", n=len(rows))]
    for code, p in rows:
        if code.expires_at is not None and code.expires_at <= now:
            state = ctx.t("membership.codes_expired", when=f"{code.expires_at:%Y-%m-%d}")
        elif code.uses_left <= 0:
            state = ctx.t("membership.codes_used_up")
        elif code.expires_at is not None:
            state = ctx.t("membership.codes_until", when=f"{code.expires_at:%Y-%m-%d}")
        else:
            state = ctx.t("membership.codes_open")
        lines.append(
            ctx.t(
                "membership.codes_line",
                id=code.id,
                hint=code.hint or "????",
                plan=plans.title(p, ctx.locale),
                used=code.uses_total - code.uses_left,
                total=code.uses_total,
                state=state,
            )
            # a member bought its seats: refunding that payment ends it (/refund)
            + (
                ctx.t(
                    "membership.codes_gift",
                    id=code.payment_id,
                    buyer=buyers.get(code.created_by or 0, "?"),
                )
                if code.payment_id
                else ""
            )
        )
    lines.append(ctx.t("membership.codes_off_hint"))
    return [Reply("\n".join(lines), ephemeral=True)]


async def _codes_off(ctx: Context, words: list[str]) -> list[AnyReply]:
    code_id = parse_id(words[0]) if len(words) == 1 else None
    if code_id is None:
        raise MembershipError("usage_codes")
    code = await ctx.session.get(Code, code_id)
    if code is None:
        raise MembershipError("codes_unknown", id=code_id)
    if codes.over(code, ctx.clock.now()):
        raise MembershipError("codes_already_over", id=code_id)
    summary = ctx.t("membership.codes_off_preview", id=code_id, hint=code.hint or "????")
    return await ask(ctx, "codes_off", {"code_id": code_id}, summary)


@action("codes_off")
async def _do_codes_off(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    code = await codes.switch_off(ctx.session, ctx.services, int(p["code_id"]), ctx.member.id)
    if code is None:
        return [Reply(ctx.t("admin.confirm_used"))]
    return [Reply(ctx.t("membership.codes_off_done", id=code.id, hint=code.hint or "????"))]


@action("codes_new")
async def _do_codes_new(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    """Codes are generated only when the moderator presses Confirm (shown once, then hashed)."""
    expires = datetime.fromisoformat(p["expires"]) if p.get("expires") else None
    made = await codes.create(
        ctx.session,
        ctx.services,
        str(p["plan"]),
        uses=int(p["uses"]),
        expires_at=expires,
        count=int(p["count"]),
        actor_member_id=ctx.member.id,
    )
    plan = await plans.get_plan(ctx.session, str(p["plan"]))
    head = ctx.t(
        "membership.codes_made",
        n=len(made),
        plan=plans.title(plan, ctx.locale),
        uses=int(p["uses"]),
        expires=str(p.get("expires_text") or ctx.t("membership.codes_no_expiry")),
    )
    return [Reply("\n".join([head, *made]), ephemeral=True)]


@command(
    "approve",
    role=Role.MODERATOR,
    help_key="membership.help_approve",
    usage_key="membership.usage_approve",
)
async def approve_cmd(ctx: Context, args: str) -> list[AnyReply]:
    """/approve @member PLAN REFERENCE — confirm a payment made outside the bot."""
    parts = args.split()
    if len(parts) != 3 or not all(p.isprintable() for p in parts):
        raise MembershipError("usage_approve")
    member = await find_member(ctx.session, parts[0])
    ref = parts[2].strip()
    if not codes.REFERENCE_RE.fullmatch(ref):
        raise MembershipError("approve_bad_ref")
    plan = await plans.get_plan(ctx.session, parts[1])
    seen = await ctx.session.scalar(
        select(Payment.id).where(Payment.provider == "manual", Payment.provider_charge_id == ref)
    )
    if seen is not None:
        return [Reply(ctx.t("membership.approve_duplicate", ref=ref[:60]))]
    summary = ctx.t(
        "membership.approve_preview",
        member=member.display_name,
        plan=plans.title(plan, ctx.locale),
        ref=ref,
    )
    return await ask(
        ctx, "approve", {"member_id": member.id, "plan": plan.code, "ref": ref}, summary
    )


@action("approve")
async def _do_approve(ctx: Context, p: dict[str, Any]) -> list[AnyReply]:
    member = await ctx.session.get(Member, int(p["member_id"]))
    if member is None or member.forgotten_at is not None:
        raise DomainError("errors.member_unknown", ref=f"#{p['member_id']}")
    plan_code, ref = str(p["plan"]), str(p["ref"])
    res = await codes.approve(
        ctx.session, ctx.services, member, plan_code, ref, actor_member_id=ctx.member.id
    )
    if res.status == "duplicate":
        return [Reply(ctx.t("membership.approve_duplicate", ref=ref[:60]))]
    if res.status == "rejected":
        return res.replies or [Reply(ctx.t("membership.payment_rejected", reason=res.reason))]
    return [
        Reply(ctx.t("membership.approved", member=member.display_name, plan=plan_code)),
        *res.replies,
    ]
