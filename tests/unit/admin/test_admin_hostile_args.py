"""Every command, with arguments a person might mistype or a prober might send, answers
with a message of its own: never the "something went wrong on our side" of a crash."""

from __future__ import annotations

from core.router import COMMANDS, load_features

HOSTILE = [
    "99999999999999999999",  # past SQLite's 2**63
    "#9999999999",  # past PostgreSQL's INTEGER
    "@alice 9999999999 x",
    "remove 9999999999",
    "show #9999999999",
    "edit 9999999999 a | b",
    "cancel 9999999999",
    "\x00",
    "💥" * 300,
    "| | |",
]


async def test_no_command_crashes_on_hostile_arguments(bot):
    load_features()
    crashed = []
    for name in sorted(COMMANDS):
        if name == "forget":  # its confirmation would erase the owner
            continue
        for args in HOSTILE:
            text = await bot.text("owner", f"/{name} {args}")
            if "went wrong" in text.lower():
                crashed.append((name, args[:24]))
    assert crashed == []
