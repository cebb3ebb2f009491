"""Start-up hooks features register from core (e.g. syncing plans); the composition root runs them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.context import Services

StartupHook = Callable[["Services"], Awaitable[None]]
STARTUP: list[StartupHook] = []


def on_startup(fn: StartupHook) -> StartupHook:
    """Register idempotent start-up work; runs after migrations, before adapters start."""
    if fn not in STARTUP:
        STARTUP.append(fn)
    return fn
