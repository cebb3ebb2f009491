"""Voucher / order codes and manual payment approval.

Codes are random (60 bits from an unambiguous alphabet), shown once to the moderator who made
them and stored only as an HMAC; wrong guesses are rate-limited per member; a code is
single-use unless made with more uses, and each member can use a given code once. A
redemption goes through the ledger like any payment (provider "code"), so it grants once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit
from core.context import Services
from core.i18n import translate
from core.membership import plans
from core.membership.errors import MembershipError
from core.payments import ledger
from core.replies import Reply
from models.member import Member
from models.membership import Code, CodeAttempt, CodeRedemption, Plan

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
GROUPS, GROUP_LEN = 3, 4
MAX_WRONG = 5
WINDOW = timedelta(hours=1)
MAX_USES = 10_000
REFERENCE_RE = re.compile(r"[\w.\-:/#]{3,120}")  # a manual payment's bank/shop reference


def _hash(secret: str, code: str) -> str:
    key = hashlib.sha256(("codes:" + secret).encode()).digest()
    return hmac.new(key, normalize(code).encode(), hashlib.sha256).hexdigest()


def normalize(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


_CODE_SHAPE = re.compile(r"[A-Za-z0-9]{4}[-\s]?[A-Za-z0-9]{4}[-\s]?[A-Za-z0-9]{4}")
_CODE_AS_SHOWN = re.compile(r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")


def could_be_code(norm: str) -> bool:
    """Whether a normalized text has a code's length and alphabet (a guess worth checking)."""
    return len(norm) == GROUPS * GROUP_LEN and not set(norm) - set(ALPHABET)


def looks_like_code(text: str, *, as_shown: bool = False) -> bool:
    """Text that is a code and nothing else: three groups of four from the code alphabet.
    `as_shown`: with its dashes, as codes are handed out (so "need help asap" is not one),
    or typed with spaces or none when it holds a digit, as words of a sentence do not
    ("gjkn zdv2 mmnz" copied by hand from a printed card)."""
    t = text.strip()
    shape = _CODE_AS_SHOWN if as_shown and not any(c.isdecimal() for c in t) else _CODE_SHAPE
    return bool(shape.fullmatch(t)) and could_be_code(normalize(t))


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(raw[i : i + GROUP_LEN] for i in range(0, len(raw), GROUP_LEN))


def check_new(uses: int, count: int, expires_at: datetime | None, now: datetime) -> None:
    """What a batch of new codes must satisfy (checked before a moderator is asked to confirm)."""
    if not 1 <= uses <= MAX_USES or not 1 <= count <= 50:
        raise MembershipError("codes_bad_numbers")
    if expires_at is not None and expires_at <= now:
        raise MembershipError("codes_expiry_past")


async def create(
    session: AsyncSession,
    services: Services,
    plan_code: str,
    *,
    uses: int = 1,
    expires_at: datetime | None = None,
    count: int = 1,
    actor_member_id: int | None = None,
) -> list[str]:
    """New codes (plain text, shown once). Only their HMAC is stored."""
    now = services.clock.now()
    check_new(uses, count, expires_at, now)
    plan = await plans.get_plan(session, plan_code)
    out = [
        add(session, services, plan, uses=uses, expires_at=expires_at, by=actor_member_id)[1]
        for _ in range(count)
    ]
    await session.flush()
    await audit(
        session,
        services.clock,
        actor=f"member:{actor_member_id}" if actor_member_id else "system",
        action="codes.create",
        target=f"plan:{plan.code}",
        after={
            "count": count,
            "uses": uses,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "hints": [normalize(c)[-4:] for c in out],
        },
        actor_member_id=actor_member_id,
    )
    return out


def add(
    session: AsyncSession,
    services: Services,
    plan: Plan,
    *,
    uses: int,
    expires_at: datetime | None,
    by: int | None,
    payment_id: int | None = None,
) -> tuple[Code, str]:
    """One new code row (not flushed) and its plain text, which is never stored."""
    code = new_code()
    row = Code(
        code_hash=_hash(services.settings.secret_key.get_secret_value(), code),
        plan_id=plan.id,
        uses_left=uses,
        uses_total=uses,
        expires_at=expires_at,
        created_by=by,
        created_at=services.clock.now(),
        hint=normalize(code)[-4:],
        payment_id=payment_id,
    )
    session.add(row)
    return row, code


LIST_LIMIT = 20


def over(code: Code, now: datetime) -> bool:
    """Nobody can redeem it any more: expired or used up."""
    return code.uses_left <= 0 or (code.expires_at is not None and code.expires_at <= now)


async def recent(session: AsyncSession, plan_id: int | None = None) -> list[tuple[Code, Plan]]:
    """The newest codes with their plans, for /codes."""
    q = select(Code, Plan).join(Plan, Plan.id == Code.plan_id).order_by(Code.id.desc())
    if plan_id is not None:
        q = q.where(Code.plan_id == plan_id)
    rows = (await session.execute(q.limit(LIST_LIMIT))).all()
    return [(c, p) for c, p in rows]


async def switch_off(
    session: AsyncSession, services: Services, code_id: int, actor_member_id: int
) -> Code | None:
    """End a code now (a leaked one): it reads as expired today. None when it was already
    over (expired or used up), so a second press changes nothing."""
    now = services.clock.now()
    code = await session.get(Code, code_id, with_for_update=True)
    if code is None or over(code, now):
        return None
    before = code.expires_at.isoformat() if code.expires_at else None
    code.expires_at = now
    await audit(
        session,
        services.clock,
        actor=f"member:{actor_member_id}",
        action="codes.off",
        target=f"code:{code.id}",
        before={"expires_at": before, "uses_left": code.uses_left},
        after={"expires_at": now.isoformat()},
        actor_member_id=actor_member_id,
    )
    return code


async def _wrong_guesses(session: AsyncSession, member_id: int, now: datetime) -> int:
    return (
        await session.execute(
            select(func.count(CodeAttempt.id)).where(
                CodeAttempt.member_id == member_id, CodeAttempt.at > now - WINDOW
            )
        )
    ).scalar_one()


async def redeem(
    session: AsyncSession, services: Services, member: Member, text: str
) -> ledger.Outcome:
    """Use a code: rate-limited, single use per member, applied through the ledger."""
    now = services.clock.now()
    wrong = await _wrong_guesses(session, member.id, now)
    if wrong >= MAX_WRONG:
        raise MembershipError("code_rate_limited", minutes=int(WINDOW.total_seconds() // 60))
    norm = normalize(text)
    if not norm:
        raise MembershipError("code_missing")
    if not could_be_code(norm):
        # no code looks like that (a typo, a word): said as such, and not a guess to count
        raise MembershipError("code_shape")
    code = (
        await session.execute(
            select(Code)
            .where(Code.code_hash == _hash(services.settings.secret_key.get_secret_value(), norm))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if code is None:
        session.add(CodeAttempt(member_id=member.id, at=now))
        await session.flush()
        # The wrong guess must be stored even though we refuse: the caller commits replies,
        # so we return a rejected outcome instead of raising (which would roll it back).
        left = MAX_WRONG - wrong - 1
        text = translate(member.locale, "membership.code_unknown", left=left)
        return ledger.Outcome("rejected", reason="membership.code_unknown", replies=[Reply(text)])
    if code.expires_at is not None and code.expires_at <= now:
        raise MembershipError("code_expired", when=code.expires_at.strftime("%Y-%m-%d"))
    if code.payment_id is not None and await _has_seat(session, code.payment_id, member.id):
        # a gift's replacement code is the same gift: one seat per person
        raise MembershipError("code_already_yours")
    try:
        async with session.begin_nested():
            session.add(CodeRedemption(code_id=code.id, member_id=member.id, at=now))
            await session.flush()
    except IntegrityError:
        raise MembershipError("code_already_yours") from None
    took = await session.execute(
        update(Code)
        .where(Code.id == code.id, Code.uses_left > 0)
        .values(uses_left=Code.uses_left - 1)
        .execution_options(synchronize_session=False)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]
        raise MembershipError("code_used_up")
    plan = await session.get_one(Plan, code.plan_id)
    gift = {"gift_of": code.payment_id} if code.payment_id is not None else {}
    res = await ledger.process(
        session,
        services,
        ledger.Charge(
            provider="code",
            charge_id=f"code:{code.id}:member:{member.id}",
            amount=0,
            currency="CODE",
            member_id=member.id,
            plan_code=plan.code,
            expect_amount=False,
            actor=f"member:{member.id}",
            meta={"code_hint": code.hint, **gift},
        ),
    )
    if gift and res.status == ledger.APPLIED:
        from core.payments import gifts

        res.replies += await gifts.seat_taken(session, code, plan, member)
    return res


async def _has_seat(session: AsyncSession, payment_id: int, member_id: int) -> bool:
    return (
        await session.scalar(
            select(CodeRedemption.id)
            .join(Code, Code.id == CodeRedemption.code_id)
            .where(Code.payment_id == payment_id, CodeRedemption.member_id == member_id)
            .limit(1)
        )
    ) is not None


async def approve(
    session: AsyncSession,
    services: Services,
    member: Member,
    plan_code: str,
    reference: str,
    *,
    actor_member_id: int,
) -> ledger.Outcome:
    """A moderator confirms a payment made outside the bot (bank transfer, shop order).

    The reference is the charge id: the same transfer can never be approved twice.
    """
    ref = reference.strip()
    if not REFERENCE_RE.fullmatch(ref):
        raise MembershipError("approve_bad_ref")
    plan = await plans.get_plan(session, plan_code)
    return await ledger.process(
        session,
        services,
        ledger.Charge(
            provider="manual",
            charge_id=ref,
            amount=0,
            currency="MANUAL",
            member_id=member.id,
            plan_code=plan.code,
            expect_amount=False,
            actor=f"member:{actor_member_id}",
            meta={"approved_by": actor_member_id},
        ),
    )
