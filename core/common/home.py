"""What a returning member sees under /start: one line from each feature that has news for
them (their plan, their next lesson, answers waiting), registered like digest sections, so
`core.common` does not reach into each feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.context import Context

HomeLine = Callable[[Context], Awaitable[str | None]]


@dataclass(frozen=True)
class _Line:
    priority: int
    fn: HomeLine


HOME_LINES: list[_Line] = []


def home_line(priority: int = 50) -> Callable[[HomeLine], HomeLine]:
    """Register a line for the /start home (lower priority first; None: nothing to say)."""

    def deco(fn: HomeLine) -> HomeLine:
        HOME_LINES.append(_Line(priority, fn))
        HOME_LINES.sort(key=lambda x: x.priority)
        return fn

    return deco


async def home(ctx: Context) -> list[str]:
    out = []
    for line in HOME_LINES:
        if (text := await line.fn(ctx)) is not None:
            out.append(text)
    return out
