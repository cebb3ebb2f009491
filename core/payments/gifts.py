"""Gifts and team seats: a member pays for N seats of a plan for other people.

The payment is an ordinary one through the ledger (one row per charge, checked against the
intent, which carries the seat count, so the amount must be N times the price). Instead of a
period for the payer it makes one code with N uses, shown once to the buyer, who passes it
on; each person who redeems it gets one period, through the ledger as a code payment, and
the buyer is told who joined. `/gifts` lists what was bought and who used it, and replaces a
lost or leaked code with a new one for the seats left. Refunding the gift ends its code and
the access of those who joined with it (each their own audited refund).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit
from core.context import Services
from core.i18n import translate
from core.membership import plans
from core.membership.errors import MembershipError
from core.payments import codes, ledger
from core.replies import AnyReply, Reply
from models.member import Member
from models.membership import Code, CodeRedemption, Payment, Plan

MAX_SEATS = 50  # a larger team is a conversation with the moderators (an invoice, /codes)
VALID = timedelta(days=365)  # a gift code is redeemable for a year
LIST_LIMIT = 10

# "5", "x5", "5x", "×5", "5 seats", "5个", "5位", "5人"
_SEATS_RE = re.compile(r"[x×*]?(\d{1,4})(?:x|×|个|位|人|名|席|seats?|people)?", re.IGNORECASE)
_FILLER = {
    "seat",
    "seats",
    "people",
    "persons",
    "for",
    "of",
    "x",
    "×",
    "个",
    "位",
    "人",
    "名额",
    "席位",
}


NOTE_MAX = 200
_QUOTED = re.compile(r"[\"“「『](.+?)[\"”」』]", re.DOTALL)


def parse(args: str) -> tuple[str, int, str]:
    """(the plan as typed, seats, the buyer's message) from `/gift monthly 5`, `/gift 5
    monthly`, `/gift 月度会员 5个`, `/gift yearly "Happy birthday, Sam!"`, `/gift monthly 3 |
    Welcome to the team`; one seat when no number is given."""
    head, bar, tail = args.partition("|")
    note = tail
    if not bar and (quoted := _QUOTED.search(args)) is not None:
        head, note = args[: quoted.start()] + args[quoted.end() :], quoted.group(1)
    note = " ".join("".join(ch for ch in note if ch.isprintable()).split())
    if len(note) > NOTE_MAX:
        raise MembershipError("gift_note_long", max=NOTE_MAX)
    seats: int | None = None
    words: list[str] = []
    for tok in head.split():
        m = _SEATS_RE.fullmatch(tok)
        if m and seats is None:
            seats = int(m.group(1))
        elif tok.lower() not in _FILLER:
            words.append(tok)
    if not words:
        raise MembershipError("usage_gift")
    seats = 1 if seats is None else seats
    if not 1 <= seats <= MAX_SEATS:
        raise MembershipError("gift_bad_seats", max=MAX_SEATS)
    return " ".join(words), seats, note


def invoice_title(plan: Plan, locale: str, seats: int) -> str:
    name = plans.title(plan, locale)
    if not seats:
        return name
    return translate(locale, "membership.gift_invoice_title", plan=name, n=seats)


def invoice_description(plan: Plan, locale: str, seats: int) -> str:
    name = plans.title(plan, locale)
    if not seats:
        return translate(locale, "membership.invoice_description", plan=name)
    return translate(locale, "membership.gift_invoice_description", plan=name, n=seats)


async def made(
    session: AsyncSession,
    services: Services,
    pay_id: int,
    buyer_id: int,
    plan: Plan,
    gift: ledger.Gift,
) -> list[AnyReply]:
    """The ledger applied a gift payment: its code, with one use per seat, for the buyer."""
    seats = gift.seats
    row, plain = await _code(
        session, services, plan, seats, services.clock.now() + VALID, buyer_id, pay_id
    )
    await audit(
        session,
        services.clock,
        actor=f"member:{buyer_id}",
        action="gift.code",
        target=f"payment:{pay_id}",
        after={"plan": plan.code, "seats": seats, "code": row.id, "hint": row.hint},
        actor_member_id=buyer_id,
    )
    buyer = await session.get_one(Member, buyer_id)
    text = translate(
        buyer.locale,
        "membership.gift_ready",
        n=seats,
        plan=plans.title(plan, buyer.locale),
        code=plain,
        until=f"{row.expires_at:%Y-%m-%d}",
    )
    if gift.note:
        text += "\n" + translate(buyer.locale, "membership.gift_note_goes", note=gift.note)
    return [Reply(text, member_id=buyer_id)]


async def _code(
    session: AsyncSession,
    services: Services,
    plan: Plan,
    uses: int,
    until: datetime | None,
    buyer_id: int,
    pay_id: int,
) -> tuple[Code, str]:
    """A gift's code (flushed, so it has its id) and its plain text, shown once."""
    row, plain = codes.add(
        session, services, plan, uses=uses, expires_at=until, by=buyer_id, payment_id=pay_id
    )
    await session.flush()
    return row, plain


async def seat_taken(session: AsyncSession, code: Code, plan: Plan, member: Member) -> list[Reply]:
    """Someone redeemed a gift code: the buyer hears who and how many seats are left; the
    one who joined hears whose gift it was."""
    if code.created_by is None:
        return []
    buyer = await session.get(Member, code.created_by)
    if buyer is None or buyer.forgotten_at is not None:
        return []
    pay = await session.get(Payment, code.payment_id) if code.payment_id else None
    note = str(((pay.meta or {}) if pay is not None else {}).get("gift_note") or "")
    key = "membership.gift_from_note" if note else "membership.gift_from"
    out = [
        Reply(
            translate(member.locale, key, buyer=buyer.display_name, note=note),
            member_id=member.id,
        )
    ]
    if buyer.id != member.id:
        out.append(
            Reply(
                translate(
                    buyer.locale,
                    "membership.gift_seat_taken",
                    member=member.display_name,
                    plan=plans.title(plan, buyer.locale),
                    left=code.uses_left - 1,  # the row was decremented by an UPDATE
                ),
                member_id=buyer.id,
            )
        )
    return out


@dataclass
class Gift:
    """One gift payment as its buyer sees it: the seats, who used them, the live code."""

    payment: Payment
    plan: Plan
    seats: int
    joined: list[str] = field(default_factory=list)
    live: Code | None = None  # the code that still works, if any
    until: datetime | None = None


async def mine(session: AsyncSession, services: Services, member: Member) -> list[Gift]:
    """The member's gifts, newest first, with who joined with each."""
    rows = (
        await session.execute(
            select(Payment, Plan)
            .join(Plan, Plan.id == Payment.plan_id)
            .where(
                Payment.member_id == member.id,
                Payment.id.in_(select(Code.payment_id).where(Code.created_by == member.id)),
            )
            .order_by(Payment.id.desc())
            .limit(LIST_LIMIT)
        )
    ).all()
    gifts = [Gift(p, plan, int((p.meta or {}).get("gift_seats") or 0)) for p, plan in rows]
    if not gifts:
        return []
    by_pay = {g.payment.id: g for g in gifts}
    now = services.clock.now()
    for code in (
        await session.execute(
            select(Code).where(Code.payment_id.in_(list(by_pay))).order_by(Code.id)
        )
    ).scalars():
        g = by_pay[code.payment_id or 0]
        g.until = code.expires_at if g.until is None else g.until
        if not codes.over(code, now):
            g.live = code
    joined = await session.execute(
        select(Code.payment_id, Member.display_name)
        .join(CodeRedemption, CodeRedemption.code_id == Code.id)
        .join(Member, Member.id == CodeRedemption.member_id)
        .where(Code.payment_id.in_(list(by_pay)))
        .order_by(CodeRedemption.id)
    )
    for pay_id, name in joined.all():
        by_pay[pay_id or 0].joined.append(name)
    return gifts


async def seats_used(session: AsyncSession, payment_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(CodeRedemption.id))
            .join(Code, Code.id == CodeRedemption.code_id)
            .where(Code.payment_id == payment_id)
        )
        or 0
    )


async def new_code(
    session: AsyncSession, services: Services, member: Member, code_id: int
) -> tuple[Code, str]:
    """A new code for the seats a gift has left; the old one stops working at once (a code
    the buyer lost, or one that reached the wrong people). Named by the old code, so a second
    press of the same button makes nothing more."""
    now = services.clock.now()
    old = await session.get(Code, code_id, with_for_update=True)
    if old is None or old.payment_id is None or old.created_by != member.id:
        raise MembershipError("gift_unknown")
    pay = await session.get(Payment, old.payment_id)
    if codes.over(old, now) or pay is None or pay.status != "applied":
        raise MembershipError("gift_nothing_left")
    payment_id = pay.id
    plan = await session.get_one(Plan, old.plan_id)
    left, until = old.uses_left, old.expires_at
    old.expires_at = now
    # the gift's year, however often its code is replaced
    row, plain = await _code(session, services, plan, left, until, member.id, payment_id)
    await audit(
        session,
        services.clock,
        actor=f"member:{member.id}",
        action="gift.code_replaced",
        target=f"payment:{payment_id}",
        before={"code": old.id, "hint": old.hint},
        after={"code": row.id, "hint": row.hint, "uses": left},
        actor_member_id=member.id,
    )
    return row, plain


async def after_refund(
    session: AsyncSession, services: Services, pay: Payment, *, actor: str
) -> list[AnyReply]:
    """A gift's money went back: its code stops working and those who joined with it lose
    that access (each through the ledger, so each is audited and a seat someone has since
    paid for themselves is left to a moderator)."""
    now = services.clock.now()
    made_codes = (
        (await session.execute(select(Code).where(Code.payment_id == pay.id).with_for_update()))
        .scalars()
        .all()
    )
    for code in made_codes:
        if not codes.over(code, now):
            code.expires_at = now
    taken = (
        await session.execute(
            select(CodeRedemption.code_id, CodeRedemption.member_id).where(
                CodeRedemption.code_id.in_([c.id for c in made_codes])
            )
        )
    ).all()
    charge_ids = [f"code:{code_id}:member:{member_id}" for code_id, member_id in taken]
    seats = (
        (
            await session.execute(
                select(Payment.id).where(
                    Payment.provider == "code",
                    Payment.provider_charge_id.in_(charge_ids),
                    Payment.status == ledger.APPLIED,
                )
            )
        )
        .scalars()
        .all()
        if charge_ids
        else []
    )
    out: list[AnyReply] = []
    for seat in seats:
        out += await ledger.refund(session, services, seat, actor=actor, reason="gift_refunded")
    await audit(
        session,
        services.clock,
        actor=actor,
        action="gift.refunded",
        target=f"payment:{pay.id}",
        after={"codes_ended": [c.id for c in made_codes], "seats_ended": len(seats)},
    )
    buyer = await session.get(Member, pay.member_id) if pay.member_id else None
    plan = await session.get(Plan, pay.plan_id) if pay.plan_id else None
    if buyer is not None and plan is not None:
        out.append(
            Reply(
                translate(
                    buyer.locale,
                    "membership.gift_refunded" if seats else "membership.gift_refunded_unused",
                    plan=plans.title(plan, buyer.locale),
                    n=len(seats),
                ),
                member_id=buyer.id,
            )
        )
    return out
