"""Whether we can reach a member: a member who blocks the bot is unreachable until they return."""

from __future__ import annotations

from core.audit import audit
from core.context import Context
from core.events import BotStatusChanged
from core.replies import AnyReply
from core.router import on_event


@on_event(BotStatusChanged)
async def bot_status_changed(ctx: Context, event: BotStatusChanged) -> list[AnyReply]:
    if event.chat.kind != "private":
        return []  # group status changes are about the bot's rights, logged by the adapter
    reachable = event.status not in {"kicked", "left"}
    if ctx.member.reachable != reachable:
        before = ctx.member.reachable
        ctx.member.reachable = reachable
        await audit(
            ctx.session,
            ctx.clock,
            actor=f"{event.actor.platform}:{event.actor.user_id}",
            action="member.reachable",
            target=f"member:{ctx.member.id}",
            before={"reachable": before},
            after={"reachable": reachable},
            reason=f"bot status {event.old_status or '?'} -> {event.status}",
        )
    return []
