"""Plans: synced from config at start-up, then editable by moderators (edits survive restarts)."""

from __future__ import annotations

import difflib
import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import PlanConfig, Settings
from core.audit import audit
from core.clock import Clock
from core.membership.errors import MembershipError
from models.membership import Plan

log = logging.getLogger("syllabot.membership")

EDITABLE = {"title_en", "title_zh", "period_days", "trial_days", "grace_days", "active"}


def _targets(pc: PlanConfig) -> dict[str, Any]:
    return {
        "telegram": [str(c) for c in pc.telegram_chat_ids],
        "discord_guild": str(pc.discord_guild_id) if pc.discord_guild_id else None,
        "discord_roles": [str(r) for r in pc.discord_role_ids],
        "discord_sku": str(pc.discord_sku_id) if pc.discord_sku_id else None,
        "kick_on_expiry": pc.kick_on_expiry,
    }


def _fields(pc: PlanConfig) -> dict[str, Any]:
    return {
        "title_en": pc.title_en,
        "title_zh": pc.title_zh,
        "prices": {
            k: {"amount": v.amount, "currency": v.currency}
            | ({"recurring": True} if v.recurring else {})
            for k, v in pc.prices.items()
        },
        "period_days": pc.period_days,
        "trial_days": pc.trial_days,
        "grace_days": pc.grace_days,
        "targets": _targets(pc),
    }


async def sync_plans(session: AsyncSession, settings: Settings, clock: Clock) -> list[str]:
    """Insert new config plans, update unedited ones; returns the codes that changed.

    Idempotent: a second run changes nothing. Plans a moderator edited keep the edit.
    """
    existing = {p.code: p for p in (await session.execute(select(Plan))).scalars()}
    changed: list[str] = []
    for pc in settings.plans:
        want = _fields(pc)
        plan = existing.get(pc.code)
        if plan is None:
            session.add(Plan(code=pc.code, active=True, **want))
            changed.append(pc.code)
            continue
        if plan.edited_at is not None:
            continue
        diff = {k: v for k, v in want.items() if getattr(plan, k) != v}
        if diff:
            for k, v in diff.items():
                setattr(plan, k, v)
            changed.append(pc.code)
    if changed:
        await session.flush()
        await audit(session, clock, actor="config", action="plans.sync", after={"codes": changed})
    return changed


CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def shown(text: str) -> str:
    """User input echoed in a message: printable characters only, short."""
    return "".join(ch for ch in text if ch.isprintable())[:32] or "?"


async def get_plan(session: AsyncSession, code: str, *, active_only: bool = True) -> Plan:
    """The plan a member or moderator named: its code, or its title in either language
    ("月度会员", "Yearly membership"), or the start of one title ("月度", "year")."""
    code = (code or "").strip()
    plan = None
    if CODE_RE.match(code.lower()):  # never send junk (NUL bytes...) to the database
        q = select(Plan).where(Plan.code == code.lower())
        plan = (await session.execute(q)).scalar_one_or_none()
    if plan is None:
        plan = await _titled(session, code)
    if plan is None:
        plan = await _by_period(session, code)
    if plan is None:
        near = await _near(session, code)
        if near is not None:  # "montly": the plan they most likely meant, by its code
            raise MembershipError("plan_unknown_near", plan=shown(code), near=near.code)
        raise MembershipError("plan_unknown", plan=shown(code))
    if active_only and not plan.active:  # it exists: "no plan called yearly" read as a typo
        raise MembershipError("plan_retired", plan=shown(code))
    return plan


async def _titled(session: AsyncSession, text: str) -> Plan | None:
    typed = " ".join(text.split()).casefold()
    if not typed or len(typed) > 64:
        return None
    every = list((await session.execute(select(Plan).order_by(Plan.id))).scalars())

    def titles(p: Plan) -> list[str]:
        return [t.casefold() for t in (p.title_en, p.title_zh) if t]

    for hit in (
        [p for p in every if typed in titles(p)],
        [p for p in every if len(typed) >= 2 and any(t.startswith(typed) for t in titles(p))],
    ):
        live = [p for p in hit if p.active] or hit  # a retired plan only when nothing else fits
        if len(live) == 1:
            return live[0]
    return None


PERIOD_WORDS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(
        ("month", "monthly", "月", "月度", "月费", "包月", "按月", "月付", "按月付"), (28, 31)
    ),
    **dict.fromkeys(
        (
            "annual",
            "annually",
            "year",
            "yearly",
            "年",
            "年度",
            "年费",
            "包年",
            "按年",
            "年付",
            "按年付",
        ),
        (365, 366),
    ),
    **dict.fromkeys(("lifetime", "forever", "终身", "永久", "买断"), (0, 0)),
}
"""How members name a plan by its length ("annual", "年费", "包月") when no plan's code or
title says so: the one plan on sale whose period is in that range of days."""


async def _by_period(session: AsyncSession, typed: str) -> Plan | None:
    word = " ".join(typed.split()).casefold()
    return _of_length(await list_plans(session), word) if word in PERIOD_WORDS else None


def _of_length(on_sale: list[Plan], word: str) -> Plan | None:
    """The one plan of ``on_sale`` whose period the length word (`PERIOD_WORDS`) names."""
    lo, hi = PERIOD_WORDS[word]
    fits = [p for p in on_sale if lo <= p.period_days <= hi]
    return fits[0] if len(fits) == 1 else None


async def _near(session: AsyncSession, typed: str) -> Plan | None:
    """The one plan on sale whose code or title is a near spelling of what was typed."""
    typed = " ".join(typed.split()).casefold()
    if len(typed) < 3 or len(typed) > 64:
        return None
    on_sale = await list_plans(session)
    names: dict[str, Plan] = {}
    for p in on_sale:
        for name in (p.code, p.title_en, p.title_zh):
            if name:
                names.setdefault(name.casefold(), p)
    for word in PERIOD_WORDS:  # "anual": the plan "annual" names
        if word not in names and (plan := _of_length(on_sale, word)) is not None:
            names[word] = plan
    close = difflib.get_close_matches(typed, list(names), n=3, cutoff=0.75)
    found = {names[c].id: names[c] for c in close}
    return next(iter(found.values())) if len(found) == 1 else None


async def list_plans(session: AsyncSession) -> list[Plan]:
    return list(
        (await session.execute(select(Plan).where(Plan.active.is_(True)).order_by(Plan.id)))
        .scalars()
        .all()
    )


def title(plan: Plan, locale: str) -> str:
    return (plan.title_zh if locale == "zh-CN" and plan.title_zh else plan.title_en) or plan.code


def price(plan: Plan, provider: str) -> tuple[int, str] | None:
    """(amount in minor units, currency) for a provider, or None when not sold there."""
    p = (plan.prices or {}).get(provider)
    if not p:
        return None
    return int(p["amount"]), str(p["currency"]).upper()


def recurring(plan: Plan, provider: str) -> bool:
    """Whether this provider renews the plan automatically each period."""
    p = (plan.prices or {}).get(provider) or {}
    return bool(p.get("recurring")) and plan.period_days > 0


def format_amount(amount: int, currency: str) -> str:
    if currency in ("XTR", "CODE", "SKU", "MANUAL"):
        return f"{amount} {currency}"
    return f"{amount / 100:.2f} {currency}"


def _clean_targets(v: Any) -> dict[str, Any]:
    """Validated access targets from a moderator edit (ids are kept as strings)."""
    if not isinstance(v, dict) or set(v) - {
        "telegram",
        "discord_guild",
        "discord_roles",
        "discord_sku",
        "kick_on_expiry",
    }:
        raise MembershipError("plan_bad_field", field="targets")
    out: dict[str, Any] = {}
    for key, val in v.items():
        if key in ("telegram", "discord_roles"):
            if not isinstance(val, list) or not all(
                re.fullmatch(r"-?\d{1,20}", str(x)) for x in val
            ):
                raise MembershipError("plan_bad_field", field=key)
            out[key] = [str(x) for x in val]
        elif key == "kick_on_expiry":
            out[key] = bool(val)
        else:
            if val is not None and not re.fullmatch(r"\d{1,20}", str(val)):
                raise MembershipError("plan_bad_field", field=key)
            out[key] = str(val) if val is not None else None
    return out


async def edit_plan(
    session: AsyncSession, clock: Clock, code: str, *, actor: str, **fields: Any
) -> Plan:
    """Moderator edit; marks the plan edited (start-up sync keeps it). Audited.

    Fields: title_en, title_zh, period_days, trial_days, grace_days, active,
    prices={provider: {"amount": int, "currency": str}},
    targets={"telegram": [chat ids], "discord_guild": id, "discord_roles": [ids],
             "discord_sku": id, "kick_on_expiry": bool}.
    """
    plan = await get_plan(session, code, active_only=False)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for k, v in fields.items():
        if k == "prices":
            if not isinstance(v, dict):
                raise MembershipError("plan_bad_field", field=k)
            merged = dict(plan.prices or {})
            for prov, pr in v.items():
                amount, currency = int(pr["amount"]), str(pr["currency"]).upper()
                if amount < 0:
                    raise MembershipError("plan_bad_field", field=k)
                keep = {"recurring": True} if (merged.get(prov) or {}).get("recurring") else {}
                merged[prov] = {"amount": amount, "currency": currency} | keep
            before[k], after[k] = plan.prices, merged
            plan.prices = merged
            continue
        if k == "targets":
            merged_t = {**(plan.targets or {}), **_clean_targets(v)}
            before[k], after[k] = plan.targets, merged_t
            plan.targets = merged_t
            continue
        if k not in EDITABLE:
            raise MembershipError("plan_bad_field", field=k)
        if k.endswith("_days") and (not isinstance(v, int) or v < 0 or v > 3660):
            raise MembershipError("plan_bad_field", field=k)
        before[k], after[k] = getattr(plan, k), v
        setattr(plan, k, v)
    plan.edited_at = clock.now()
    await session.flush()
    await audit(
        session,
        clock,
        actor=actor,
        action="plan.edit",
        target=f"plan:{plan.code}",
        before=before,
        after=after,
    )
    return plan
