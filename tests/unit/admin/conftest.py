"""Admin test helpers: drive the real router as named console users and press buttons."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

import models
from core.events import Actor, Button, Chat, Command
from core.replies import AnyReply, Reply
from core.router import parse_command


class Driver:
    """`await bot.say("mod", "/extend @alice 5")` -> replies; `await bot.confirm("mod")`."""

    def __init__(self, app: Any, db: Any) -> None:
        self.app = app
        self.db = db
        self.last: dict[str, list[AnyReply]] = {}

    @staticmethod
    def actor(who: str) -> Actor:
        return Actor("console", who, display_name=who.capitalize(), username=who)

    async def say(self, who: str, line: str) -> list[AnyReply]:
        parsed = parse_command(line)
        assert parsed is not None, line
        name, args = parsed
        out = await self.app.router.dispatch(
            Command(self.actor(who), Chat("console", who), name=name, args=args)
        )
        self.last[who] = out
        return out

    async def text(self, who: str, line: str) -> str:
        return "\n".join(r.text for r in await self.say(who, line) if isinstance(r, Reply))

    def button(self, who: str, index: int = 0) -> str:
        buttons = [
            b for r in self.last[who] if isinstance(r, Reply) for row in r.buttons for b in row
        ]
        assert buttons, f"no buttons in {self.last[who]}"
        data = buttons[index].data
        assert data
        return data

    async def press(self, who: str, data: str) -> list[AnyReply]:
        out = await self.app.router.dispatch(
            Button(self.actor(who), Chat("console", who), data=data)
        )
        self.last[who] = out
        return out

    async def confirm(self, who: str) -> str:
        out = await self.press(who, self.button(who, 0))
        return "\n".join(r.text for r in out if isinstance(r, Reply))

    async def counts(self, skip: tuple[str, ...] = ()) -> dict[str, int]:
        """Rows per table: 'nothing changed' means these are equal before and after."""
        out: dict[str, int] = {}
        async with self.db.session() as s:
            for t in models.Base.metadata.sorted_tables:
                if t.name in skip:
                    continue
                out[t.name] = (await s.execute(select(func.count()).select_from(t))).scalar_one()
        return out


@pytest.fixture
async def bot(app: Any, db: Any) -> Driver:
    d = Driver(app, db)
    for who in ("alice", "bob", "eve", "mod", "owner"):
        await d.say(who, "/whoami")  # everyone has made first contact
    return d
