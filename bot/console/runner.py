"""Starts the console demo: migrate, seed, then read lines from a script or the terminal."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from rich.console import Console

from bot.console.adapter import ConsoleAdapter
from bot.wiring import build_app
from config.settings import Settings
from core.clock import RunningClock
from core.demo.seed import seed_demo
from models.db import upgrade

BANNER = """Syllabot demo — you are chatting with the bot of a demo community.
Try: /help  /as alice  /courses  /as mod  (moderator)  /clock +3d (move time)  /quit"""


async def run_demo(settings: Settings, lines: list[str] | None) -> int:
    console = Console(highlight=False, soft_wrap=True)
    Path("var").mkdir(exist_ok=True)
    logging.basicConfig(
        filename="var/demo.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with console.status("Preparing the demo database…", spinner="dots"):
        await asyncio.to_thread(upgrade, settings.database_url)
    app = build_app(settings, clock=RunningClock())
    try:
        await app.startup()
        async with app.services.session_factory() as session, session.begin():
            await seed_demo(session, app.services.clock)
        adapter = ConsoleAdapter(app.router)
        if lines is not None:
            for line in lines:
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                print(f"> {line}")
                if line.strip() in {"/quit", "/exit"}:
                    break
                for out in await adapter.handle_line(line):
                    print(out)
            return 0
        console.print(BANNER)
        while True:
            try:
                line = await asyncio.to_thread(input, f"@{adapter.user}> ")
            except EOFError:
                break
            if line.strip() in {"/quit", "/exit"}:
                break
            for out in await adapter.handle_line(line):
                console.print(out, markup=False)
        return 0
    finally:
        await app.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(asyncio.run(run_demo(Settings(), None)))
