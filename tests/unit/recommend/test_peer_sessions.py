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


async def _introduce(app, who: str, other: str, other_id: int) -> None:
    """``who`` says hi to ``other``, who says yes: the two are introduced."""
    out = await _press(app, who, app.services.signer.encode("phi", other_id))
    await _press(app, other, out[1].buttons[0][0].data)


async def test_session_counts_once_both_partners_confirm(app, db, clock):
    for who in ("ann", "ben", "cat", "dan"):
        await _say(app, who, "peers", "on")
    ann, ben, cat = await _id(db, "ann"), await _id(db, "ben"), await _id(db, "cat")
    sign = app.services.signer.encode
    # never introduced: nothing is sent to them (a stranger was told "Ann says you had a
    # study session together")
    out = await _press(app, "ann", sign("pses", await _id(db, "dan")))
    assert "with a partner you were introduced to" in out[0].text and len(out) == 1
    await _introduce(app, "ann", "ben", ben)
    await _introduce(app, "cat", "ann", ann)
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


async def test_say_hi_shares_contacts_only_when_the_partner_agrees(app, db, clock):
    """Before, /peers named partners with no way to reach them. Now a tap asks the partner
    privately; only their own "yes" sends each the other's handle, and never more than one
    request a day goes to the same member."""
    for who in ("ann", "ben", "cat"):
        await _say(app, who, "peers", "on")
    ann, ben, cat = await _id(db, "ann"), await _id(db, "ben"), await _id(db, "cat")
    sign = app.services.signer.encode
    out = await _press(app, "ann", sign("phi", ben))
    assert "I asked Ben whether they want to study together" in out[0].text
    ask = out[1]
    assert isinstance(ask, Reply) and ask.member_id == ben and "Ann, who also takes" in ask.text
    assert "@ann" not in ask.text  # no contact before Ben says yes
    again = await _press(app, "ann", sign("phi", ben))
    assert "already asked Ben today" in again[0].text and len(again) == 1
    out = await _press(app, "ben", ask.buttons[0][0].data)
    assert out[0].text == "You and Ann are introduced! Reach them at: console @ann."
    assert out[1].member_id == ann
    assert out[1].text == "You and Ben are introduced! Reach them at: console @ben."
    # a second tap on "yes" (before: Ann was introduced again, DM and all) or on "Say hi"
    out = await _press(app, "ben", ask.buttons[0][0].data)
    assert [r.text for r in out] == [
        "You and Ann are already introduced. Reach them at: console @ann."
    ]
    out = await _press(app, "ann", sign("phi", ben))
    assert [r.text for r in out] == [
        "You and Ben are already introduced. Reach them at: console @ben."
    ]
    # /peers keeps those met within reach: their "I studied with" is one tap away
    listing = await _say(app, "ann", "peers")
    assert "Introduced to you: Ben." in listing[0].text
    labels = [b.label for row in listing[0].buttons for b in row]
    assert labels[-1] == "📚 I studied with Ben"
    # a forged or stale "yes": cat was never asked by ann, so cat's press shares nothing
    out = await _press(app, "cat", sign("phok", ann))
    assert "no longer available" in out[0].text and len(out) == 1
    # leaving matching ends pending requests; a week-old one has lapsed
    await _press(app, "ann", sign("phi", cat))
    await _say(app, "ann", "peers", "off")
    assert "no longer available" in (await _press(app, "cat", sign("phok", ann)))[0].text
    await _say(app, "ann", "peers", "on")
    clock.advance(days=8)
    assert "no longer available" in (await _press(app, "cat", sign("phok", ann)))[0].text
    # a partner opened from a digest offers the same introduction
    from core.digest.compose import KIND_CODES

    opened = await _press(app, "cat", sign("dg", "o", 0, KIND_CODES["peer"], ben))
    (hi,) = [b for row in opened[0].buttons for b in row]
    assert hi.label == "👋 Say hi to Ben"
    assert "I asked Ben" in (await _press(app, "cat", hi.data))[0].text
    # the /peers list offers both taps for each partner
    listing = await _say(app, "cat", "peers")
    labels = [b.label for r in listing if isinstance(r, Reply) for row in r.buttons for b in row]
    assert any(label.startswith("👋 Say hi to") for label in labels)
