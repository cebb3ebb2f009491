"""Outgoing text and buttons in Discord's shape; button presses survive restarts.

A button's custom_id is the signed callback data itself, so a `DynamicItem` can rebuild it
from any message, old or new, and the router verifies the signature.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.render import escape, split
from core.replies import ButtonSpec

PLATFORM = "discord"
MAX_ROWS = 5
MAX_PER_ROW = 5

# What core.callbacks.CallbackSigner.encode produces: "<body>~<urlsafe b64 signature>".
SIGNED = r"(?P<data>[^~\s]{1,90}~[A-Za-z0-9_-]{4,16})"

ButtonHandler = Callable[[discord.Interaction[Any], str], Awaitable[None]]


def render_text(text: str, markup: str = "plain") -> list[str]:
    """Escape plain text so names like *bob* stay literal, then split at Discord's 2000."""
    body = escape(PLATFORM, text) if markup == "plain" else text
    return [part for part in split(PLATFORM, body) if part.strip()] or []


class SignedButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SIGNED):
    """A core button; pressing it anywhere, any time, becomes a `core.events.Button`."""

    def __init__(self, data: str, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=(label or "…")[:80], custom_id=data, style=discord.ButtonStyle.secondary
            )
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SignedButton:
        label = getattr(item, "label", None) or "…"
        return cls(match["data"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: ButtonHandler | None = getattr(interaction.client, "on_core_button", None)
        if handler is not None:
            await handler(interaction, self.data)


def build_view(rows: Sequence[Sequence[ButtonSpec]]) -> discord.ui.View | None:
    """A persistent view (no timeout) for core button rows; None when there are none."""
    view = discord.ui.View(timeout=None)
    count = 0
    for r, row in enumerate(rows[:MAX_ROWS]):
        for spec in row[:MAX_PER_ROW]:
            if spec.data:
                item: discord.ui.Item[Any] = SignedButton(spec.data, spec.label)
            elif spec.url:
                item = discord.ui.Button(label=(spec.label or "…")[:80], url=spec.url)
            else:
                continue
            item.row = r
            view.add_item(item)
            count += 1
    return view if count else None


def buttons_from_payload(raw: Any) -> list[list[ButtonSpec]]:
    """Outbox payload buttons ([[{label, data?, url?}]]) back into core specs."""
    rows: list[list[ButtonSpec]] = []
    for row in raw or []:
        specs = [
            ButtonSpec(str(b.get("label", "")), b.get("data"), b.get("url"))
            for b in row
            if isinstance(b, dict)
        ]
        if specs:
            rows.append(specs)
    return rows
