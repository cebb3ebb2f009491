"""Invoice payloads: member + plan + nonce, HMAC-signed, bound to an issued PaymentIntent.

A payment is only granted when its payload verifies and the intent it names matches the
amount, currency, member and provider we asked for. Format (<= 128 bytes, Telegram's limit):
`<member_id>.<plan_code>.<nonce>.<sig>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Services
from core.membership.errors import PaymentRejected
from models.member import Member
from models.membership import PaymentIntent, Plan

T = TypeVar("T")


def _key(secret: str) -> bytes:
    return hashlib.sha256(("payments:" + secret).encode()).digest()


def _sig(secret: str, body: str) -> str:
    mac = hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign(secret: str, member_id: int, plan_code: str, nonce: str) -> str:
    body = f"{member_id}.{plan_code}.{nonce}"
    return f"{body}.{_sig(secret, body)}"


def parse(secret: str, payload: str) -> tuple[int, str, str]:
    """(member_id, plan_code, nonce) or PaymentRejected('payload_forged')."""
    parts = (payload or "").split(".")
    if len(parts) != 4 or not parts[0].isascii() or not parts[0].isdecimal() or len(payload) > 128:
        raise PaymentRejected("payload_forged")
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3].encode(), _sig(secret, body).encode()):
        raise PaymentRejected("payload_forged")
    if not re.fullmatch(r"[0-9a-f]{16}", parts[2]):
        raise PaymentRejected("payload_forged")
    return int(parts[0]), parts[1], parts[2]


def secret_of(services: Services) -> str:
    return services.settings.secret_key.get_secret_value()


async def issue(
    session: AsyncSession,
    services: Services,
    member_id: int,
    plan: Plan,
    provider: str,
    price: int,
    currency: str,
    seats: int = 0,
    note: str | None = None,
) -> tuple[PaymentIntent, str]:
    """Record what we ask to be paid (`intent.amount`) and return the signed payload for the
    invoice. With `seats`, the payment buys that many seats for others (a gift), the price
    times the seats, with the buyer's `note` for those who redeem it."""
    intent = PaymentIntent(
        seats=seats,
        note=note,
        nonce=secrets.token_hex(8),
        member_id=member_id,
        plan_id=plan.id,
        provider=provider,
        amount=price * max(seats, 1),
        currency=currency.upper(),
        created_at=services.clock.now(),
    )
    session.add(intent)
    await session.flush()
    return intent, sign(secret_of(services), member_id, plan.code, intent.nonce)


def payload_of(services: Services, intent: PaymentIntent, plan_code: str) -> str:
    return sign(secret_of(services), intent.member_id, plan_code, intent.nonce)


async def resolve(
    session: AsyncSession, services: Services, payload: str
) -> tuple[PaymentIntent, Plan]:
    """The intent and plan a payload names; forged or unknown payloads are rejected."""
    member_id, plan_code, nonce = parse(secret_of(services), payload)
    row: Any = (
        await session.execute(
            select(PaymentIntent, Plan)
            .join(Plan, Plan.id == PaymentIntent.plan_id)
            .where(PaymentIntent.nonce == nonce)
        )
    ).one_or_none()
    if row is None:
        raise PaymentRejected("payload_unknown")
    return _as_named(row[0], row[1], member_id, plan_code)


def _as_named(
    intent: PaymentIntent, plan: Plan, member_id: int, plan_code: str
) -> tuple[PaymentIntent, Plan]:
    """The intent and plan, if they are the member and plan the signed payload names."""
    if intent.member_id != member_id or plan.code != plan_code:
        raise PaymentRejected("payload_forged")
    return intent, plan


_I: Table = PaymentIntent.__table__  # type: ignore[assignment]
_P: Table = Plan.__table__  # type: ignore[assignment]
_M: Table = Member.__table__  # type: ignore[assignment]
# Intent, plan and payer in one row (plan and member columns prefixed: names overlap), for
# `payer_of`. The ledger on PostgreSQL runs it inside its payment INSERT.
PAYER_COLUMNS = [
    *_I.c,
    *[c.label("p__" + c.key) for c in _P.c],
    *[c.label("m__" + c.key) for c in _M.c],
]
PAYER_FROM = _I.join(_P, _P.c.id == _I.c.plan_id).join(_M, _M.c.id == _I.c.member_id)
PAYER_NONCE = _I.c.nonce == bindparam("nonce")
_WITH_PAYER = select(*PAYER_COLUMNS).select_from(PAYER_FROM).where(PAYER_NONCE)


def _detached(cls: type[T], table: Table, row: Any, prefix: str = "") -> T:
    return cls(**{c.key: row[prefix + c.key] for c in table.c})


def payer_of(row: Any, member_id: int, plan_code: str) -> tuple[PaymentIntent, Plan, Member]:
    """Detached, read-only copies of a `PAYER_COLUMNS` row (None or a row of NULLs: no such
    intent), checked against what the payload names. Not in the session, so
    `member.accounts` is not loaded."""
    if row is None or row["id"] is None:
        raise PaymentRejected("payload_unknown")
    intent, plan = _as_named(
        _detached(PaymentIntent, _I, row), _detached(Plan, _P, row, "p__"), member_id, plan_code
    )
    return intent, plan, _detached(Member, _M, row, "m__")


async def resolve_with_payer(
    session: AsyncSession, services: Services, payload: str
) -> tuple[PaymentIntent, Plan, Member]:
    """`resolve` plus the member the intent was issued to, for the payment hot path: one
    prebuilt Core query and detached copies (`payer_of`). An ORM load of the three rows
    cost about 2.5 times as much CPU (bench/README.md, "Payment ledger")."""
    member_id, plan_code, nonce = parse(secret_of(services), payload)
    conn = await session.connection()
    row = (await conn.execute(_WITH_PAYER, {"nonce": nonce})).one_or_none()
    return payer_of(row._mapping if row is not None else None, member_id, plan_code)
