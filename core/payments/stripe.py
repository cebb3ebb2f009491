"""Stripe: Checkout sessions out, signed webhooks in.

Checkout goes through the real `stripe` library; the client is injectable
(`services.extras["stripe.client"]`, or a base URL for a local fake of the API). The webhook
body is verified with `stripe.Webhook.construct_event` (300 s tolerance). Event ids are
stored in the same transaction as their effect, so a replay changes nothing; when our own
write fails the transaction rolls back and we answer 500, so Stripe retries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe as stripe_lib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import audit
from core.context import Services
from core.i18n import translate
from core.membership import plans, service, subscriptions
from core.membership.errors import MembershipError, PaymentRejected
from core.membership.state import LIVE, Ev, InvalidTransition, State
from core.payments import gifts, ledger, payload
from core.replies import AnyReply, ButtonSpec, Invoice
from models.db import conflict_insert
from models.member import Member
from models.membership import Payment, Plan, Subscription, WebhookEvent

log = logging.getLogger("syllabot.payments.stripe")
PROVIDER = "stripe"
TOLERANCE = 300
CLIENT_KEY = "stripe.client"


def configured(services: Services) -> bool:
    s = services.settings
    return CLIENT_KEY in services.extras or bool(
        s.stripe_secret_key and s.stripe_secret_key.get_secret_value()
    )


# Stripe answers in a second or two; the library waits 80 s by default, which would keep a
# member waiting (and a database transaction open) on /cancel or a refund during an outage.
TIMEOUT_S = 15.0


def make_client(
    api_key: str, base_url: str | None = None, timeout: float = TIMEOUT_S
) -> stripe_lib.StripeClient:
    """A real StripeClient; `base_url` points it at another API host (a local fake in tests)."""
    kw: dict[str, Any] = {
        "http_client": stripe_lib.HTTPXClient(timeout=timeout),
        "max_network_retries": 0,
    }
    if base_url:
        kw["base_addresses"] = {"api": base_url}
    return stripe_lib.StripeClient(api_key, **kw)


def client(services: Services) -> stripe_lib.StripeClient:
    def build(sv: Services) -> stripe_lib.StripeClient:
        key = sv.settings.stripe_secret_key
        if key is None or not key.get_secret_value():
            raise MembershipError("provider_unavailable")
        return make_client(key.get_secret_value())

    return services.get(CLIENT_KEY, build)


def billing_interval(days: int) -> dict[str, Any]:
    """Stripe's recurring interval for a plan period (calendar months/years where they fit)."""
    if days % 365 == 0 and days // 365 == 1:
        return {"interval": "year", "interval_count": 1}
    if days % 30 == 0 and days // 30 <= 12:
        return {"interval": "month", "interval_count": days // 30}
    if days % 7 == 0 and days // 7 <= 52:
        return {"interval": "week", "interval_count": days // 7}
    return {"interval": "day", "interval_count": min(days, 365)}


async def checkout(
    session: AsyncSession,
    services: Services,
    member: Member,
    plan: Plan,
    seats: int = 0,
    note: str | None = None,
) -> list[AnyReply]:
    """Create a Checkout session for one plan period; the payload rides in metadata. With
    `seats`: one payment for that many periods as a gift (quantity N, never a subscription)."""
    pr = plans.price(plan, PROVIDER)
    if pr is None:
        raise MembershipError("not_sold_here", plan=plans.title(plan, member.locale))
    intent, signed = await payload.issue(
        session, services, member.id, plan, PROVIDER, *pr, seats, note
    )
    amount = intent.amount
    base = (services.settings.public_url or "https://example.invalid").rstrip("/")
    title = plans.title(plan, member.locale)
    price_data: dict[str, Any] = {
        "currency": pr[1].lower(),
        "unit_amount": pr[0],
        "product_data": {"name": gifts.invoice_title(plan, member.locale, seats)},
    }
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"quantity": max(seats, 1), "price_data": price_data}],
        "client_reference_id": str(member.id),
        "metadata": {"payload": signed},
        "payment_intent_data": {"metadata": {"payload": signed}},
        "success_url": f"{base}/stripe/done",
        "cancel_url": f"{base}/stripe/cancelled",
    }
    description = gifts.invoice_description(plan, member.locale, seats)
    if not seats and plans.recurring(plan, PROVIDER):
        # Stripe bills every period; invoice.paid renews, customer.subscription.deleted ends it
        price_data["recurring"] = billing_interval(plan.period_days)
        params["mode"] = "subscription"
        del params["payment_intent_data"]
        params["subscription_data"] = {"metadata": {"payload": signed}}
        if (first := await first_charge_at(session, services, member, plan)) is not None:
            # days the member already has on this plan (a free trial, a code, a grant) are
            # not paid for again: Stripe's first charge waits until they end
            params["subscription_data"]["trial_end"] = int(first.timestamp())
            description = translate(
                member.locale,
                "membership.invoice_first_charge_later",
                plan=title,
                when=service.when(first, member),
            )
    try:
        sess = await client(services).v1.checkout.sessions.create_async(
            params,  # type: ignore[arg-type]
            options={"idempotency_key": f"checkout-{intent.nonce}"},
        )
    except stripe_lib.StripeError as exc:
        log.warning("stripe checkout failed: %s", exc)
        raise MembershipError("provider_unavailable") from None
    intent.ext_ref = sess.id
    return [
        Invoice(
            title=gifts.invoice_title(plan, member.locale, seats),
            description=description,
            payload=signed,
            currency=pr[1],
            amount=amount,
            provider=PROVIDER,
            url=sess.url,
        )
    ]


# Checkout refuses a subscription trial that ends within two days; fewer days left are
# paid for again (at most two).
MIN_DEFERRAL = timedelta(days=2, minutes=5)


async def first_charge_at(
    session: AsyncSession, services: Services, member: Member, plan: Plan
) -> datetime | None:
    """When a new Stripe subscription to `plan` should first charge: the end of the period
    the member already has on it and nothing renews, or None for at once."""
    end = await service.days_held_until(session, services, member, plan)
    return end if end is not None and end > services.clock.now() + MIN_DEFERRAL else None


async def _first_charge_later(
    session: AsyncSession, services: Services, signed: str, sub_ref: str
) -> list[AnyReply] | None:
    """The $0 invoice that opens a subscription whose first charge waits for the member's
    running days: nothing is paid and no day is added, but from now on Stripe renews the
    plan, so /cancel, /resume and the renewal reminders go through Stripe."""
    intent, plan = await payload.resolve(session, services, signed)
    member = await subscriptions.load_member(session, intent.member_id)
    sub = await subscriptions.get_or_create(session, services, intent.member_id, plan, PROVIDER)
    if sub.auto_renew and sub.external_ref == sub_ref:
        return []  # already told
    if await service.days_held_until(session, services, member, plan) is None:
        return None  # no days of ours to wait for (a coupon at Stripe?): the ledger judges it
    sub.external_ref, sub.auto_renew, sub.source = sub_ref, True, PROVIDER
    await audit(
        session,
        services.clock,
        actor=PROVIDER,
        action="subscription.renewal_set",
        target=f"member:{member.id}",
        after={
            "plan": plan.code,
            "subscription": sub_ref,
            "first_charge": str(sub.current_period_end),
        },
    )
    return [
        service.dm(
            member,
            "membership.renewal_set",
            plan=plans.title(plan, member.locale),
            when=service.when(sub.current_period_end, member),
        )
    ]


async def refund_at_stripe(services: Services, pay: Payment) -> None:
    """Send the money back for a moderator's refund (the charge.refunded event then no-ops)."""
    pi = pay.ext_ref or (pay.meta or {}).get("payment_intent")
    if not pi:
        raise MembershipError("refund_needs_stripe")
    try:
        await client(services).v1.refunds.create_async(
            {"payment_intent": str(pi)}, options={"idempotency_key": f"refund-{pay.id}"}
        )
    except stripe_lib.StripeError as exc:
        log.warning("stripe refund of payment %s failed: %s", pay.id, exc)
        raise MembershipError("provider_unavailable") from None


def _https(url: Any) -> str | None:
    return url if isinstance(url, str) and url.startswith("https://") else None


async def open_invoice_url(services: Services, subscription_ref: str) -> str | None:
    """The payment page of the subscription's unpaid invoice (a failed renewal), if any."""
    try:
        page = await client(services).v1.invoices.list_async(
            {"subscription": subscription_ref, "status": "open", "limit": 1}
        )
    except stripe_lib.StripeError as exc:
        log.warning("stripe open invoice of %s not found: %s", subscription_ref, exc)
        return None
    for inv in page.data:
        if url := _https(getattr(inv, "hosted_invoice_url", None)):
            return url
    return None


async def billing_portal_url(services: Services, subscription_ref: str) -> str | None:
    """A Stripe customer-portal session for the subscription's customer, where the member
    changes the card the renewals use, sees the invoices and downloads receipts; None when
    Stripe cannot make one (the portal is not set up, or Stripe is down)."""
    api = client(services)
    try:
        sub = await api.v1.subscriptions.retrieve_async(subscription_ref)
        customer = getattr(sub, "customer", None)
        if not isinstance(customer, str) or not customer:
            return None
        params: dict[str, Any] = {"customer": customer}
        if services.settings.public_url.startswith("https://"):
            params["return_url"] = services.settings.public_url.rstrip("/") + "/stripe/done"
        session = await api.v1.billing_portal.sessions.create_async(
            params,  # type: ignore[arg-type]
        )
    except stripe_lib.StripeError as exc:
        log.warning("stripe billing portal for %s failed: %s", subscription_ref, exc)
        return None
    return _https(getattr(session, "url", None))


async def set_renewal(services: Services, subscription_ref: str, *, renew: bool) -> None:
    """A member's /cancel (or /resume): Stripe stops (or goes on) billing at the period end.
    No idempotency key: setting the flag twice is harmless, and a key would replay a stale
    answer after a cancel, resume, cancel within a day."""
    try:
        await client(services).v1.subscriptions.update_async(
            subscription_ref, {"cancel_at_period_end": not renew}
        )
    except stripe_lib.StripeError as exc:
        log.warning("stripe renewal change of %s failed: %s", subscription_ref, exc)
        raise MembershipError("provider_unavailable") from None


@dataclass
class WebhookResult:
    status: int
    body: str
    replies: list[AnyReply] = field(default_factory=list)


def verify(services: Services, body: bytes, sig_header: str | None) -> dict[str, Any] | None:
    """The event as a dict, or None when the signature is missing, forged or stale."""
    secret = services.settings.stripe_webhook_secret
    if secret is None or not secret.get_secret_value():
        return None
    try:
        event = stripe_lib.Webhook.construct_event(
            body, sig_header, secret.get_secret_value(), tolerance=TOLERANCE
        )
    except (ValueError, stripe_lib.SignatureVerificationError):
        return None
    return event.to_dict()


async def _first_time(session: AsyncSession, services: Services, event: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    ins: Any = conflict_insert(dialect, WebhookEvent)
    stmt = (
        ins.values(
            provider=PROVIDER,
            event_id=str(event.get("id", ""))[:255],
            kind=str(event.get("type", ""))[:64],
            received_at=services.clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(WebhookEvent.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


async def _sub_by_ref(
    session: AsyncSession, ref: str | None
) -> tuple[Subscription, Plan, Member] | None:
    if not ref:
        return None
    row = (
        await session.execute(
            select(Subscription, Plan, Member)
            .join(Plan, Plan.id == Subscription.plan_id)
            .join(Member, Member.id == Subscription.member_id)
            .where(Subscription.external_ref == ref)
        )
    ).first()
    return row


async def _apply_event(
    session: AsyncSession, services: Services, event: dict[str, Any], raw: bytes
) -> list[AnyReply]:
    kind = event.get("type", "")
    obj: dict[str, Any] = _get(event, "data", "object") or {}
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("mode") == "subscription":
            # The first invoice.paid grants; here we only learn the subscription id.
            signed = _get(obj, "metadata", "payload")
            if signed and obj.get("subscription"):
                intent, plan = await payload.resolve(session, services, signed)
                sub = await subscriptions.get_or_create(
                    session, services, intent.member_id, plan, PROVIDER
                )
                sub.external_ref = str(obj["subscription"])
            return []
        if obj.get("payment_status") != "paid":
            return []  # async payment still pending: async_payment_succeeded follows
        res = await ledger.process(
            session,
            services,
            ledger.Charge(
                provider=PROVIDER,
                charge_id=str(obj.get("id")),
                amount=int(obj.get("amount_total") or 0),
                currency=str(obj.get("currency") or ""),
                payload=str(_get(obj, "metadata", "payload") or ""),
                ext_ref=obj.get("payment_intent"),
                raw=raw,
                actor="stripe",
                meta={"event": event.get("id")},
            ),
        )
        return res.replies
    if kind == "invoice.paid":
        sub_id = _get(obj, "parent", "subscription_details", "subscription") or obj.get(
            "subscription"
        )
        signed = _get(obj, "parent", "subscription_details", "metadata", "payload") or _get(
            obj, "subscription_details", "metadata", "payload"
        )
        if signed and sub_id and not obj.get("amount_paid") and not obj.get("total"):
            later = await _first_charge_later(session, services, str(signed), str(sub_id))
            if later is not None:
                return later
        period_end = _get(obj, "lines", "data")
        paid_until = None
        if isinstance(period_end, list) and period_end:
            ts = _get(period_end[0], "period", "end")
            if isinstance(ts, int):
                paid_until = datetime.fromtimestamp(ts, UTC)
        member_id = plan_code = None
        if not signed:
            found = await _sub_by_ref(session, sub_id)
            if found is None:
                return await ledger.flag(
                    session, services, "membership.flag_stripe_unknown", ref=str(obj.get("id"))[:60]
                )
            member_id, plan_code = found[0].member_id, found[1].code
        res = await ledger.process(
            session,
            services,
            ledger.Charge(
                provider=PROVIDER,
                charge_id=str(obj.get("id")),
                amount=int(obj.get("amount_paid") or 0),
                currency=str(obj.get("currency") or ""),
                payload=signed or None,
                member_id=member_id,
                plan_code=plan_code,
                ext_ref=sub_id,
                auto_renew=bool(sub_id),
                paid_until=paid_until,
                raw=raw,
                actor="stripe",
                meta={"event": event.get("id"), "payment_intent": obj.get("payment_intent")},
            ),
        )
        return res.replies
    if kind == "invoice.payment_failed":
        sub_id = _get(obj, "parent", "subscription_details", "subscription") or obj.get(
            "subscription"
        )
        found = await _sub_by_ref(session, sub_id)
        if found is None:
            return []
        sub, plan, member = found
        try:
            out = await subscriptions.transition(
                session,
                services,
                sub,
                plan,
                Ev.FAIL,
                actor="stripe",
                reason="invoice.payment_failed",
            )
        except InvalidTransition:
            return []
        told = service.dm(
            member,
            "membership.payment_failed",
            plan=plans.title(plan, member.locale),
            when=service.when(sub.grace_until, member),
        )
        if url := _https(obj.get("hosted_invoice_url")):
            # Stripe's page for this invoice takes another card and settles the renewal
            label = translate(member.locale, "membership.btn_pay_invoice")
            told = replace(told, buttons=[[ButtonSpec(label, url=url)]])
        return [*out, told]
    if kind == "customer.subscription.updated":
        return await _renewal_changed(session, services, obj)
    if kind == "customer.subscription.deleted":
        found = await _sub_by_ref(session, str(obj.get("id") or ""))
        if found is None:
            return []
        sub, plan, member = found
        if sub.state not in LIVE or sub.state == "cancelled":
            return []
        out = await subscriptions.transition(
            session,
            services,
            sub,
            plan,
            Ev.CANCEL,
            actor="stripe",
            reason="customer.subscription.deleted",
        )
        return [
            *out,
            service.dm(
                member,
                "membership.cancelled",
                plan=plans.title(plan, member.locale),
                until=service.when(sub.current_period_end, member),
            ),
        ]
    if kind == "charge.dispute.created":
        # A chargeback: the bank holds the money until Stripe decides; a person decides
        # whether access should end meanwhile.
        pay = await _payment_of(session, obj.get("payment_intent"), obj.get("charge"))
        if pay is None:
            return await ledger.flag(
                session, services, "membership.flag_stripe_unknown", ref=str(obj.get("id"))[:60]
            )
        return await ledger.flag(
            session, services, "membership.flag_dispute", id=pay.id, member=pay.member_id or "?"
        )
    if kind == "charge.refunded":
        pay = await _payment_of(session, obj.get("payment_intent"), obj.get("invoice"))
        if pay is None:
            return await ledger.flag(
                session, services, "membership.flag_stripe_unknown", ref=str(obj.get("id"))[:60]
            )
        if not obj.get("refunded"):  # partial refund: a person decides
            return await ledger.flag(session, services, "membership.flag_partial_refund", id=pay.id)
        if pay.status != ledger.APPLIED:
            return []
        return await ledger.refund(
            session, services, pay.id, actor="stripe", reason="charge.refunded"
        )
    return []


async def _payment_of(session: AsyncSession, *refs: Any) -> Payment | None:
    """Our payment row for a Stripe charge, by any of its ids (payment intent, invoice)."""
    wanted = [str(r) for r in refs if r]
    if not wanted:
        return None
    return (
        (
            await session.execute(
                select(Payment).where(
                    Payment.provider == PROVIDER,
                    (Payment.ext_ref.in_(wanted)) | (Payment.provider_charge_id.in_(wanted)),
                )
            )
        )
        .scalars()
        .first()
    )


async def _renewal_changed(
    session: AsyncSession, services: Services, obj: dict[str, Any]
) -> list[AnyReply]:
    """The member stopped or restarted renewal at Stripe (the customer portal), or our own
    /cancel and /resume echo back: mirror the flag, and say so only when it is news."""
    found = await _sub_by_ref(session, str(obj.get("id") or ""))
    if found is None:
        return []
    sub, plan, member = found
    stopping = bool(obj.get("cancel_at_period_end")) or obj.get("cancel_at") is not None
    now = services.clock.now()
    if stopping and sub.state in (State.ACTIVE, State.TRIALING, State.PAST_DUE):
        ev, key = Ev.CANCEL, "membership.cancelled"
    elif (
        not stopping
        and sub.state == State.CANCELLED
        and sub.current_period_end is not None
        and sub.current_period_end > now
    ):
        ev, key = Ev.RESUME, "membership.resumed_renews"
    else:
        return []
    out = await subscriptions.transition(
        session, services, sub, plan, ev, actor="stripe", reason="customer.subscription.updated"
    )
    until = service.when(sub.current_period_end, member)
    return [*out, service.dm(member, key, plan=plans.title(plan, member.locale), until=until)]


async def handle_webhook(services: Services, body: bytes, sig_header: str | None) -> WebhookResult:
    """400 forged/stale, 200 applied or replay, 500 when our write failed (rolled back)."""
    event = verify(services, body, sig_header)
    if event is None:
        return WebhookResult(400, "bad signature")

    async def run(session: AsyncSession) -> list[AnyReply] | None:
        if not await _first_time(session, services, event):
            return None
        try:
            async with session.begin_nested():
                return await _apply_event(session, services, event, body)
        except (PaymentRejected, MembershipError) as err:
            log.warning("stripe event %s refused: %s", event.get("id"), err.key)
            return await ledger.flag(
                session,
                services,
                "membership.flag_stripe_unknown",
                ref=f"{event.get('id')}: {err.key}",
            )

    try:
        replies = await ledger.in_transaction(services, run)
    except Exception:
        log.exception("stripe event %s failed; rolled back for retry", event.get("id"))
        return WebhookResult(500, "retry later")
    if replies is None:
        return WebhookResult(200, "duplicate")
    return WebhookResult(200, "ok", replies)
