"""Event handlers of channel subscriptions (discovered by the router)."""

from __future__ import annotations

from core.channel_subscriptions.service import on_subscribed
from core.context import Context
from core.events import ChannelSubscribed
from core.replies import AnyReply
from core.router import on_event


@on_event(ChannelSubscribed)
async def channel_subscribed(ctx: Context, event: ChannelSubscribed) -> list[AnyReply]:
    return await on_subscribed(ctx, event)
