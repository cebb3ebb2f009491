"""Confirmation buttons for changes to money, access, roles and personal data.

`ask()` stores a `PendingAction` and answers with signed Confirm/Cancel buttons. Pressing one
re-checks everything at press time: the presser is the author, still holds the action's role,
the action has not expired, and it was not used before (a compare-and-set on `used_at`), so a
replayed or forwarded button does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from core.context import Context, Role
from core.errors import DomainError, NotAllowed
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button
from models.admin import PendingAction

EXPIRES = timedelta(minutes=15)
ActionFn = Callable[[Context, dict[str, Any]], Awaitable[list[AnyReply]]]


@dataclass(frozen=True)
class ActionSpec:
    kind: str
    role: Role
    run: ActionFn


ACTIONS: dict[str, ActionSpec] = {}


def action(kind: str, role: Role = Role.MODERATOR) -> Callable[[ActionFn], ActionFn]:
    def deco(fn: ActionFn) -> ActionFn:
        ACTIONS[kind] = ActionSpec(kind, role, fn)
        return fn

    return deco


async def ask(ctx: Context, kind: str, params: dict[str, Any], summary: str) -> list[AnyReply]:
    """Store the change and ask the author to confirm it with a single-use button."""
    if kind not in ACTIONS:
        raise ValueError(f"unknown confirmable action {kind}")
    now = ctx.clock.now()
    row = PendingAction(
        kind=kind,
        actor_member_id=ctx.member.id,
        params=params,
        created_at=now,
        expires_at=now + EXPIRES,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    buttons = [
        [
            ButtonSpec(ctx.t("admin.btn_confirm"), ctx.sign("adm", "y", row.id)),
            ButtonSpec(ctx.t("admin.btn_cancel"), ctx.sign("adm", "n", row.id)),
        ]
    ]
    return [Reply(f"{summary}\n{ctx.t('admin.confirm_question')}", buttons=buttons)]


@button("adm", role=Role.MEMBER)  # /forget is a member action: the real role check is below
async def on_confirm(ctx: Context, parts: list[str]) -> list[AnyReply]:
    if len(parts) != 2 or parts[0] not in {"y", "n"} or not parts[1].isdecimal():
        raise DomainError("errors.button_expired")
    row = await ctx.session.get(PendingAction, int(parts[1]))
    if row is None or row.actor_member_id != ctx.member.id:
        raise DomainError("errors.button_expired")
    spec = ACTIONS.get(row.kind)
    if spec is None:
        raise DomainError("errors.button_expired")
    if ctx.role < spec.role:
        raise NotAllowed()
    now = ctx.clock.now()
    if row.expires_at < now:
        raise DomainError("admin.confirm_expired")
    res = await ctx.session.execute(
        update(PendingAction)
        .where(PendingAction.id == row.id, PendingAction.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(res, "rowcount", 0) or 0) != 1:
        return [Reply(ctx.t("admin.confirm_used"))]
    if parts[0] == "n":
        return [Reply(ctx.t("admin.cancelled"))]
    return await spec.run(ctx, dict(row.params))
