"""The ledger: the only code that writes payments, and the only path from money to access.

Every payment is one row keyed by (provider, provider_charge_id). `process()`:

1. inserts the row (`ON CONFLICT DO NOTHING`) as `recorded`, first thing in the transaction,
   so SQLite takes its write lock before any read and PostgreSQL serializes duplicates on
   the unique key;
2. verifies it (payload signature, issued intent, member, amount, currency, plan); a
   mismatch marks it `rejected`, tells the payer why and flags it to moderators;
3. grants and flips `recorded -> applied` with a conditional UPDATE inside one savepoint
   (the transaction holds the row: it inserted it, or locked it). If granting fails, the
   savepoint rolls back and the row stays `recorded`: the next delivery or the
   `payments.complete_recorded` job completes it.

Cost per new charge on PostgreSQL: insert, one read (intent + plan + payer), savepoint,
subscription upsert (locks the row), one flush (subscription update + both audit rows in
one INSERT), payment update, release. See bench/ledger.py.

Applying the same charge twice, or from two workers at once, grants exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core import audit as audit_mod
from core import metrics
from core.audit import audit
from core.context import Services
from core.errors import DomainError
from core.i18n import translate
from core.members import moderators
from core.membership import plans as plans_mod
from core.membership import subscriptions
from core.membership.errors import PaymentRejected
from core.membership.state import State
from core.payments import payload as payload_mod
from core.replies import AnyReply, Reply
from models.db import conflict_insert
from models.member import Member
from models.membership import Payment, PaymentIntent, Plan

log = logging.getLogger("syllabot.payments")
T = TypeVar("T")

RECORDED, APPLIED, REJECTED, REFUNDED = "recorded", "applied", "rejected", "refunded"


@dataclass(frozen=True)
class Charge:
    """One provider-verified charge, as the verifier saw it (signature already checked)."""

    provider: str
    charge_id: str
    amount: int
    currency: str
    payload: str | None = None  # our signed payload; None when the provider binds otherwise
    member_id: int | None = None  # who the provider says paid (Telegram actor, code redeemer)
    plan_code: str | None = None  # for providers without a payload (codes, manual, Discord)
    expect_amount: bool = True  # False for codes / manual / entitlements (no money seen)
    paid_until: datetime | None = None
    ext_ref: str | None = None
    auto_renew: bool = False
    raw: bytes = b""
    meta: dict[str, Any] = field(default_factory=dict)
    actor: str = "system"


@dataclass
class Outcome:
    status: str  # applied|duplicate|rejected|recorded
    payment_id: int | None = None
    replies: list[AnyReply] = field(default_factory=list)
    reason: str = ""


_TABLE: Table = Payment.__table__  # type: ignore[assignment]
# Hot-path statements, built once (per dialect for the upsert): per-call statement building
# and ORM execution were most of a payment's CPU. Values come as parameters.
_INSERT: dict[str, Any] = {}
# SET values come as parameters named after the columns; the flip stays conditional.
_FLIP = update(_TABLE).where(_TABLE.c.id == bindparam("pay_id"), _TABLE.c.status == RECORDED)


# The columns `_insert_params` sets (the rest: NULL until applied or refunded).
_INSERTED = (
    "provider",
    "provider_charge_id",
    "member_id",
    "plan_id",
    "amount",
    "currency",
    "status",
    "raw_hash",
    "note",
    "created_at",
    "ext_ref",
    "meta",
)


def _insert_stmt(dialect: str) -> Any:
    """Insert the charge as `recorded`, or lock the row already there: `ON CONFLICT DO
    UPDATE` with a no-op SET takes the row lock like `SELECT ... FOR UPDATE` (waiting for a
    racing insert to commit) and returns (id, status) either way, in one statement."""
    stmt = _INSERT.get(dialect)
    if stmt is None:
        ins: Any = conflict_insert(dialect, _TABLE)
        stmt = _INSERT[dialect] = (
            ins.values({k: bindparam(k, type_=_TABLE.c[k].type) for k in _INSERTED})
            .on_conflict_do_update(
                index_elements=["provider", "provider_charge_id"],
                set_={"status": _TABLE.c.status},
            )
            .returning(_TABLE.c.id, _TABLE.c.status)
        )
    return stmt


def _charge_facts(c: Charge) -> dict[str, Any]:
    """What the audit log keeps of a charge (both for applied and rejected payments)."""
    return {
        "provider": c.provider,
        "charge": c.charge_id,
        "amount": c.amount,
        "currency": c.currency,
    }


def _insert_params(services: Services, c: Charge) -> dict[str, Any]:
    return {
        "provider": c.provider,
        "provider_charge_id": c.charge_id[:255],
        "member_id": None,
        "plan_id": None,
        "amount": c.amount,
        "currency": c.currency.upper()[:8],
        "status": RECORDED,
        "raw_hash": hashlib.sha256(c.raw).hexdigest() if c.raw else "",
        "note": "",
        "created_at": services.clock.now(),
        "ext_ref": c.ext_ref,
        "meta": {
            **c.meta,
            **({"paid_until": c.paid_until.isoformat()} if c.paid_until else {}),
            **({"auto_renew": True} if c.auto_renew else {}),
        },
    }


_RECORD_AND_LOOK_UP: list[Any] = []


def _record_and_look_up_stmt() -> Any:
    """PostgreSQL: `_insert_stmt` (as a CTE) and the payload's intent + plan + payer lookup
    in one statement, one row: (pay_id, pay_status, payer columns, NULL when no intent has
    that nonce). One round trip less per charge."""
    if not _RECORD_AND_LOOK_UP:
        recorded = _insert_stmt("postgresql").cte("recorded")
        _RECORD_AND_LOOK_UP.append(
            select(
                recorded.c.id.label("pay_id"),
                recorded.c.status.label("pay_status"),
                *payload_mod.PAYER_COLUMNS,
            ).select_from(recorded.outerjoin(payload_mod.PAYER_FROM, payload_mod.PAYER_NONCE))
        )
    return _RECORD_AND_LOOK_UP[0]


# (member_id, plan_code, nonce) the payload names, and the payer lookup's row for it
Prefetched = tuple[tuple[int, str, str], Any]


async def _record(
    conn: AsyncConnection, services: Services, c: Charge
) -> tuple[int, str, Prefetched | None]:
    """Record the charge (or lock its row): (payment id, its status) and, where one statement
    can do both (PostgreSQL, a payload that verifies), the lookup of what the payload names."""
    params = _insert_params(services, c)
    if c.payload is not None and conn.dialect.name == "postgresql":
        try:
            named = payload_mod.parse(payload_mod.secret_of(services), c.payload)
        except PaymentRejected:
            pass  # recorded below, rejected by _bind
        else:
            row = (
                (await conn.execute(_record_and_look_up_stmt(), {**params, "nonce": named[2]}))
                .one()
                ._mapping
            )
            return row["pay_id"], row["pay_status"], (named, row)
    pay_id, status = (await conn.execute(_insert_stmt(conn.dialect.name), params)).one()
    return pay_id, status, None


def _match_intent(c: Charge, intent: PaymentIntent) -> None:
    if c.member_id is not None and c.member_id != intent.member_id:
        raise PaymentRejected("wrong_member")
    if intent.provider != c.provider:
        raise PaymentRejected("wrong_provider")
    _match_price(c, intent.amount, intent.currency)


def _match_price(c: Charge, amount: int, currency: str) -> None:
    """The charge is exactly the price we asked: currency first, then the amount."""
    if c.currency.upper() != currency:
        raise PaymentRejected("wrong_currency", got=c.currency.upper(), expected=currency)
    if c.amount != amount:
        raise PaymentRejected(
            "wrong_amount",
            got=plans_mod.format_amount(c.amount, currency),
            expected=plans_mod.format_amount(amount, currency),
        )


@dataclass(frozen=True)
class Gift:
    """A payment for others: N seats, and the buyer's message to those who redeem them."""

    seats: int
    note: str = ""


async def _bind(
    session: AsyncSession, services: Services, c: Charge, prefetched: Prefetched | None = None
) -> tuple[int, Plan, Member | None, Gift | None]:
    """(member_id, plan, payer if loaded, gift) this charge pays for, or PaymentRejected
    with the reason. The payer goes to the grant, which would otherwise load it again.
    `prefetched`: the payload's lookup, when `_record` already ran it. Gift: None when the
    payer buys for themselves (the intent says which)."""
    if c.payload is not None:
        if prefetched is not None:
            (member_id, plan_code, _), row = prefetched
            intent, plan, payer = payload_mod.payer_of(row, member_id, plan_code)
        else:
            intent, plan, payer = await payload_mod.resolve_with_payer(session, services, c.payload)
        try:
            _match_intent(c, intent)
        except PaymentRejected as err:
            err.params.setdefault("_member_id", intent.member_id)
            raise
        gift = Gift(intent.seats, intent.note or "") if intent.seats else None
        return intent.member_id, plan, payer, gift
    if c.member_id is None or not c.plan_code:
        raise PaymentRejected("payload_forged")
    found = (
        await session.execute(select(Plan).where(Plan.code == c.plan_code))
    ).scalar_one_or_none()
    if found is None:
        raise PaymentRejected("plan_unknown", plan=c.plan_code[:32])
    plan = found
    if c.expect_amount:
        want = plans_mod.price(plan, c.provider)
        if want is None:
            raise PaymentRejected("plan_unknown", plan=plan.code)
        _match_price(c, *want)
    return c.member_id, plan, None, None


async def flag(
    session: AsyncSession, services: Services, key: str, **params: Any
) -> list[AnyReply]:
    """A DM to every moderator (translated for each)."""
    return [
        Reply(translate(m.locale, key, **params), member_id=m.id)
        for m in await moderators(session, services)
    ]


async def _reject(
    session: AsyncSession,
    services: Services,
    pay_id: int,
    c: Charge,
    err: PaymentRejected,
    payer_hint: int | None = None,
) -> Outcome:
    payer_id = err.params.pop("_member_id", None) or payer_hint or c.member_id
    await session.execute(
        update(Payment)
        .where(Payment.id == pay_id)
        .values(status=REJECTED, note=err.key, member_id=payer_id)
        .execution_options(synchronize_session=False)
    )
    await audit(
        session,
        services.clock,
        actor=c.actor,
        action="payment.rejected",
        target=f"payment:{pay_id}",
        after=_charge_facts(c),
        reason=err.key,
        flush=False,
    )
    metrics.inc("syllabot_payments_total", provider=c.provider, outcome="rejected")
    log.warning("payment %s/%s rejected: %s", c.provider, c.charge_id, err.key)
    reason_en = translate("en", err.key, **err.params)
    out: list[AnyReply] = await flag(
        session,
        services,
        "membership.flag_payment",
        id=pay_id,
        provider=c.provider,
        charge=c.charge_id[:40],
        reason=reason_en,
    )
    if payer_id is not None:
        payer = await session.get(Member, payer_id)
        if payer is not None:
            out.insert(
                0,
                Reply(
                    translate(
                        payer.locale,
                        "membership.payment_rejected",
                        reason=translate(payer.locale, err.key, **err.params),
                    ),
                    member_id=payer.id,
                ),
            )
    return Outcome(REJECTED, pay_id, out, err.key)


class _Lost(Exception):
    """Someone else applied the payment first: roll our grant back."""


async def _apply(
    session: AsyncSession,
    services: Services,
    pay_id: int,
    c: Charge,
    member_id: int,
    plan: Plan,
    payer: Member | None = None,
) -> Outcome:
    """Grant and flip `recorded -> applied` inside one savepoint.

    The caller holds the payment row (inserted it in this transaction, or locked it), and the
    flip is still conditional on `recorded`: if it finds the row already applied, the
    savepoint (and the grant in it) rolls back and the outcome is a duplicate. Statements:
    the subscription upsert (locks it), its update, both audit rows in one INSERT, and the
    payment update."""
    from core.membership import service  # the service layer sits on top of the ledger

    now = services.clock.now()
    applied = audit_mod.entry(
        services.clock,
        actor=c.actor,
        action="payment.applied",
        target=f"payment:{pay_id}",
        after={**_charge_facts(c), "plan": plan.code, "member": member_id},
    )
    paid_until = await _with_days_given(session, services, c, member_id, plan)
    try:
        async with session.begin_nested():
            replies, sub_id = await service.activate_paid(
                session,
                services,
                member_id,
                plan,
                source=c.provider,
                actor=c.actor,
                paid_until=paid_until,
                external_ref=c.ext_ref if c.auto_renew else None,
                auto_renew=c.auto_renew,
                payer=payer,
                also_audit=[applied],
            )
            conn = await session.connection()
            won = await conn.execute(
                _FLIP,
                {
                    "pay_id": pay_id,
                    "status": APPLIED,
                    "applied_at": now,
                    "member_id": member_id,
                    "plan_id": plan.id,
                    "subscription_id": sub_id,
                },
            )
            if won.rowcount != 1:
                raise _Lost
    except _Lost:
        return Outcome("duplicate", pay_id)
    except DomainError as err:  # e.g. a banned member: money in, no access; moderators decide
        return await _reject(
            session,
            services,
            pay_id,
            c,
            PaymentRejected(err.key.split(".", 1)[-1], **err.params),
            member_id,
        )
    except (OperationalError, IntegrityError):
        raise  # the whole transaction must retry (lock or race on the subscription row)
    except Exception:
        log.exception("granting payment %s failed; left recorded for the next run", pay_id)
        return await _left_recorded(session, c, pay_id, member_id=member_id, plan_id=plan.id)
    metrics.inc("syllabot_payments_total", provider=c.provider, outcome="applied")
    return Outcome(APPLIED, pay_id, replies)


async def _left_recorded(session: AsyncSession, c: Charge, pay_id: int, **known: Any) -> Outcome:
    """A grant failed: the payment stays `recorded` with who and what it pays for (and for a
    gift its seats), so `complete_recorded` can finish it."""
    await session.execute(
        update(Payment)
        .where(Payment.id == pay_id)
        .values(**known)
        .execution_options(synchronize_session=False)
    )
    metrics.inc("syllabot_payments_total", provider=c.provider, outcome="recorded")
    return Outcome(RECORDED, pay_id)


async def _with_days_given(
    session: AsyncSession, services: Services, c: Charge, member_id: int, plan: Plan
) -> datetime | None:
    """The provider's end for this payment, plus the days the member had beyond what the
    provider was paid for: a voucher, grant or trial still running at the first provider
    payment, or a moderator's /extend since its last one. The provider bills on its own
    dates; without this those days vanished into its next period. The payment keeps the
    provider's own date (meta), the anchor for the next renewal."""
    if c.paid_until is None:
        return None
    now = services.clock.now()
    sub = await subscriptions.find(session, member_id, plan.id)
    if sub is None or sub.current_period_end is None or sub.current_period_end <= now:
        return c.paid_until
    if sub.state not in (State.TRIALING, State.ACTIVE, State.CANCELLED):
        return c.paid_until
    last = (
        await session.execute(
            select(Payment)
            .where(
                Payment.subscription_id == sub.id,
                Payment.provider == c.provider,
                Payment.status == APPLIED,
            )
            .order_by(Payment.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    anchor = (_paid_until(last) if last is not None else None) or now
    given = sub.current_period_end - max(anchor, now)
    return c.paid_until + given if given > timedelta(0) else c.paid_until


async def process(session: AsyncSession, services: Services, c: Charge) -> Outcome:
    """Record, verify and apply one charge inside the caller's transaction. Never raises
    for bad input: a mismatch is a `rejected` outcome with replies for payer and moderators."""
    conn = await session.connection()
    # Ours and `recorded` (new, or left by a failed grant), or already settled; either way
    # the row is locked until we commit, so a racing delivery or completion waits for us.
    pay_id, status, prefetched = await _record(conn, services, c)
    if status != RECORDED:
        metrics.inc("syllabot_payments_total", provider=c.provider, outcome="duplicate")
        return Outcome("duplicate", pay_id, reason=status)
    try:
        member_id, plan, payer, gift = await _bind(session, services, c, prefetched)
    except PaymentRejected as err:
        return await _reject(session, services, pay_id, c, err)
    if gift is not None:
        return await _apply_gift(session, services, pay_id, c, member_id, plan, gift)
    return await _apply(session, services, pay_id, c, member_id, plan, payer)


async def _apply_gift(
    session: AsyncSession,
    services: Services,
    pay_id: int,
    c: Charge,
    member_id: int,
    plan: Plan,
    gift: Gift,
) -> Outcome:
    """A gift: the payment makes a code with one use per seat (shown to the buyer) instead
    of a period for the payer. Same savepoint and conditional flip as `_apply`; the payment
    keeps its seat count (meta), for a refund and for `complete_recorded`."""
    from core.payments import gifts

    meta = {**_insert_params(services, c)["meta"], "gift_seats": gift.seats}
    if gift.note:
        meta["gift_note"] = gift.note
    try:
        async with session.begin_nested():
            conn = await session.connection()
            won = await conn.execute(
                _FLIP,
                {
                    "pay_id": pay_id,
                    "status": APPLIED,
                    "applied_at": services.clock.now(),
                    "member_id": member_id,
                    "plan_id": plan.id,
                    "meta": meta,
                },
            )
            if won.rowcount != 1:
                raise _Lost
            await audit(
                session,
                services.clock,
                actor=c.actor,
                action="payment.applied",
                target=f"payment:{pay_id}",
                after={
                    **_charge_facts(c),
                    "plan": plan.code,
                    "member": member_id,
                    "seats": gift.seats,
                },
                flush=False,
            )
            replies = await gifts.made(session, services, pay_id, member_id, plan, gift)
    except _Lost:
        return Outcome("duplicate", pay_id)
    except (OperationalError, IntegrityError):
        raise
    except Exception:
        log.exception("gift payment %s failed; left recorded for the next run", pay_id)
        return await _left_recorded(
            session, c, pay_id, member_id=member_id, plan_id=plan.id, meta=meta
        )
    metrics.inc("syllabot_payments_total", provider=c.provider, outcome="applied")
    return Outcome(APPLIED, pay_id, replies)


async def complete_recorded(
    session: AsyncSession, services: Services, limit: int = 100
) -> list[AnyReply]:
    """Finish payments left `recorded` by a failure between record and grant. Rows another
    transaction holds (a re-delivery being processed right now) are skipped."""
    rows = (
        (
            await session.execute(
                select(Payment)
                .where(Payment.status == RECORDED, Payment.member_id.is_not(None))
                .order_by(Payment.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    out: list[AnyReply] = []
    for pay in rows:
        plan = await session.get(Plan, pay.plan_id) if pay.plan_id else None
        if plan is None or pay.member_id is None:
            continue
        c = Charge(
            pay.provider,
            pay.provider_charge_id,
            pay.amount,
            pay.currency,
            member_id=pay.member_id,
            plan_code=plan.code,
            expect_amount=False,
            ext_ref=pay.ext_ref,
            paid_until=_paid_until(pay),
            auto_renew=bool((pay.meta or {}).get("auto_renew")),
            actor="job",
            meta={k: v for k, v in (pay.meta or {}).items() if k not in _GIFT_META},
        )
        seats = int((pay.meta or {}).get("gift_seats") or 0)
        if seats:
            gift = Gift(seats, str((pay.meta or {}).get("gift_note") or ""))
            res = await _apply_gift(session, services, pay.id, c, pay.member_id, plan, gift)
        else:
            res = await _apply(session, services, pay.id, c, pay.member_id, plan)
        out += res.replies
    return out


_GIFT_META = ("gift_seats", "gift_note")


def _paid_until(pay: Payment) -> datetime | None:
    raw = (pay.meta or {}).get("paid_until")
    return datetime.fromisoformat(raw) if raw else None


async def refund(
    session: AsyncSession,
    services: Services,
    payment_id: int,
    *,
    actor: str,
    reason: str = "",
    actor_member_id: int | None = None,
) -> list[AnyReply]:
    """Mark an applied (or rejected) payment refunded, once, and take away what it bought."""
    from core.membership import service

    pay = (
        await session.execute(select(Payment).where(Payment.id == payment_id).with_for_update())
    ).scalar_one_or_none()
    if pay is None:
        raise PaymentRejected("payment_unknown", id=payment_id)
    was = pay.status
    won = await session.execute(
        update(Payment)
        # A rejected payment was still money in (e.g. Stars for a mismatched invoice): it can
        # be sent back too; it granted nothing, so nothing is taken away.
        .where(Payment.id == pay.id, Payment.status.in_((APPLIED, REJECTED)))
        .values(status=REFUNDED, refunded_at=services.clock.now())
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise PaymentRejected("payment_not_refundable", id=pay.id)
    await session.refresh(pay)
    await audit(
        session,
        services.clock,
        actor=actor,
        action="payment.refunded",
        target=f"payment:{pay.id}",
        before={"status": was},
        after={"status": REFUNDED},
        reason=reason,
        actor_member_id=actor_member_id,
    )
    metrics.inc("syllabot_payments_total", provider=pay.provider, outcome="refunded")
    return await service.after_refund(session, services, pay, actor=actor)


_RETRYABLE = ("database is locked", "deadlock detected", "could not serialize", "busy")


async def in_transaction(
    services: Services, fn: Callable[[AsyncSession], Awaitable[T]], attempts: int = 8
) -> T:
    """Run `fn` in its own transaction, retrying lock timeouts, key races and dropped
    connections (the pool has discarded them; whole txn: `process` is idempotent)."""
    for i in range(attempts):
        try:
            async with services.session_factory() as session, session.begin():
                return await fn(session)
        except (OperationalError, IntegrityError, DBAPIError) as exc:
            text = str(exc).lower()
            retry = (
                isinstance(exc, IntegrityError)
                or exc.connection_invalidated
                or any(t in text for t in _RETRYABLE)
            )
            if not retry or i == attempts - 1:
                raise
            await asyncio.sleep(0.01 * (2**i))
    raise AssertionError("unreachable")
