"""A study session counts (interaction + points) only once both partners confirm it."""

from __future__ import annotations

from sqlalchemy import select

from core.engagement import service as engagement
from core.events import Actor, Button, Chat, Command
from core.replies import Reply
from models.interaction import Interaction
from models.member import Account


async def _say(app, who: str, name: str, args: str = "") -> list:
    a, c = Actor("console", who, username=who, display_name=who.capitalize()), Chat("console", who)
    return await app.router.dispatch(Command(a, c, name=name, args=args))


async def _press(app, who: str, data: str) -> list:
    a, c = Actor("console", who, username=who, display_name=who.capitalize()), Chat("console", who)
    return await app.router.dispatch(Button(a, c, data=data))


async def _id(db, who: str) -> int:
    async with db.session() as s:
        q = select(Account.member_id).where(Account.platform_user_id == who)
        return int((await s.execute(q)).scalar_one())


async def _sessions(db) -> list[tuple[int, int]]:
    async with db.session() as s:
        rows = await s.execute(select(Interaction).where(Interaction.kind == "peer_session"))
        return sorted((r.member_id, r.meta["with"]) for r in rows.scalars())


async def test_session_counts_once_both_partners_confirm(app, db, clock):
    for who in ("ann", "ben", "cat"):
        await _say(app, who, "peers", "on")
    ann, ben, cat = await _id(db, "ann"), await _id(db, "ben"), await _id(db, "cat")
    sign = app.services.signer.encode
    out = await _press(app, "ann", sign("pses", ben))
    assert "asked Ben to confirm" in out[0].text
    ask = out[1]
    assert isinstance(ask, Reply) and ask.member_id == ben and "Ann says" in ask.text
    assert await _sessions(db) == []  # one side alone earns nothing
    again = await _press(app, "ann", sign("pses", ben))
    assert "already asked" in again[0].text and len(again) == 1  # no second DM to ben
    # ben confirms with the button he was sent
    out = await _press(app, "ben", ask.buttons[0][0].data)
    assert "confirmed" in out[0].text and out[1].member_id == ann
    assert await _sessions(db) == sorted([(ann, ben), (ben, ann)])
    # a second tap on the same button, or on ann's name, is not a new session (it was
    # a new claim before: two members could farm points tap after tap)
    for who, data in (("ben", ask.buttons[0][0].data), ("ann", sign("pses", ben))):
        out = await _press(app, who, data)
        assert "already recorded" in out[0].text and len(out) == 1
    assert len(await _sessions(db)) == 2
    async with db.session() as s, s.begin():
        await engagement.sync(s, None)
        totals = await engagement.totals(s)
    assert totals.get(ann, 0) > 0 and totals.get(ben, 0) > 0
    # a stale claim lapses; someone who opted out cannot be claimed
    await _press(app, "cat", sign("pses", ann))
    clock.advance(days=8)
    out = await _press(app, "ann", sign("pses", cat))
    assert "asked Cat to confirm" in out[0].text  # cat's old claim lapsed: ann's is a new ask
    await _say(app, "ben", "peers", "off")
    assert "not available" in (await _press(app, "ann", sign("pses", ben)))[0].text
    assert "not available" in (await _press(app, "ann", sign("pses", ann)))[0].text
    assert len(await _sessions(db)) == 2
