"""🚫 on the study partner of a digest said "I won't suggest that again", and the next
digest, and /peers, showed the same person."""

from __future__ import annotations

import re

from core.demo.seed import seed_demo


def _partner(text: str) -> tuple[int, str]:
    """The digest's study-partner line: its number and the partner's name."""
    m = re.search(r"🤝 A study partner\n(\d+)\. (\w+)", text)
    assert m, text
    return int(m.group(1)), m.group(2)


def _button(text: str, label: str) -> int:
    m = re.search(r"\[(\d+)\] " + re.escape(label) + r"(?:\s|$)", text)
    assert m, (label, text)
    return int(m.group(1))


async def test_a_dismissed_study_partner_is_not_suggested_again(app, console_bot):
    async with app.services.session_factory() as s, s.begin():
        await seed_demo(s, app.services.clock)
    await console_bot.send("/peers on", as_member="carol")
    preview = await console_bot.send("/digest now")
    n, name = _partner(preview)
    said = await console_bot.send(f"/press {_button(preview, f'{n} 🚫')}")
    assert "won't suggest that again" in said
    again = await console_bot.send("/digest now")
    assert name not in again.split("🤝 A study partner")[-1]
    assert f"Say hi to {name}" not in await console_bot.send("/peers")
    # another digest the next day: still not them
    app.services.clock.advance(days=1)
    assert name not in (await console_bot.send("/digest now")).split("🤝 A study partner")[-1]
