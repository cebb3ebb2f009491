"""One place that turns core replies into each platform's text: escaping and length splits."""

from __future__ import annotations

import html
import re

LIMITS = {"telegram": 4096, "discord": 2000, "console": 100_000}

_MD_DISCORD = re.compile(r"([\\*_~`|>#\[\]()-])")


def escape(platform: str, text: str) -> str:
    """Escape user-provided text so it renders literally on the platform."""
    if platform == "telegram":
        return html.escape(text, quote=False)
    if platform == "discord":
        return _MD_DISCORD.sub(r"\\\1", text).replace("@", "@\u200b")
    return text


def split(platform: str, text: str) -> list[str]:
    """Split at line boundaries to respect the platform's message limit."""
    limit = LIMITS.get(platform, 4096)
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    cur = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if cur:
                parts.append(cur)
                cur = ""
            parts.append(line[:limit])
            line = line[limit:]
        cand = f"{cur}\n{line}" if cur else line
        if len(cand) > limit:
            parts.append(cur)
            cur = line
        else:
            cur = cand
    if cur:
        parts.append(cur)
    return parts
