"""Helping earns points: asking, answering (once per question), accepted and 👍 answers."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.engagement import service
from core.events import Actor, Button, Chat, Command, Message, ThreadOpened
from core.qa import service as qa
from core.replies import OpenThread, Reply
from models.member import Account


@pytest.fixture(scope="module")
def encoder():
    from core.recommend.encoders import pick_encoder

    return pick_encoder("en")


def _actor(user: str) -> Actor:
    return Actor("console", user, display_name=user.capitalize(), username=user)


async def _send(app, user: str, text: str, chat: Chat | None = None):
    chat = chat or Chat("console", user, "private")
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        ev = Command(_actor(user), chat, uuid.uuid4().hex, name=name, args=args)
    else:
        ev = Message(_actor(user), chat, uuid.uuid4().hex, text=text)
    return await app.router.dispatch(ev)


async def test_questions_and_answers_earn_points_once_each(app, encoder):
    app.services.extras[qa.STATE_KEY] = qa.QAState(encoder)
    out = await _send(app, "erin", "/ask How do I connect my Raspberry Pi to the oscilloscope?")
    qid = next(r for r in out if isinstance(r, OpenThread)).question_id
    forum = Chat("console", "forum", "forum", "88")
    await app.router.dispatch(
        ThreadOpened(_actor("erin"), forum, uuid.uuid4().hex, question_id=qid, thread_ref="t88")
    )
    await _send(app, "gina", "Use the USB-TMC driver and pyvisa.", chat=forum)
    await _send(app, "gina", "And check the scope's VISA address first.", chat=forum)
    await _send(app, "erin", "Thanks, trying it now", chat=forum)  # the asker: no answer
    assert "is solved" in "\n".join(
        r.text for r in await _send(app, "erin", "/solved", chat=forum) if isinstance(r, Reply)
    )
    again = await _send(app, "hank", "/ask connect Raspberry Pi to a lab oscilloscope")
    answer = next(r for r in again if isinstance(r, Reply) and r.buttons)
    thumbs_up = answer.buttons[0][0]
    assert "👍" in thumbs_up.label
    for _ in range(2):  # a second press changes nothing
        await app.router.dispatch(
            Button(_actor("hank"), Chat("console", "hank"), uuid.uuid4().hex, data=thumbs_up.data)
        )
    async with app.services.session_factory() as s, s.begin():
        ids = dict((await s.execute(select(Account.platform_user_id, Account.member_id))).all())
        await service.sync(s, app.services.clock)
        tot = await service.totals(s)
    assert tot[ids["erin"]] == 5  # question_asked
    assert tot[ids["gina"]] == 10 + 25 + 5  # answered once, accepted, one 👍
    assert tot[ids["hank"]] == 5  # asked; the bot's answer he liked came from gina


async def test_a_member_who_answers_sees_how_many_were_accepted(app, encoder):
    """ "how many of my answers have been marked as accepted?" opened a thread: /points
    counts them, and the question in words gets /points."""
    app.services.extras[qa.STATE_KEY] = qa.QAState(encoder)
    asked = {
        "erin": "How do I wire a temperature sensor to the Raspberry Pi GPIO?",
        "fred": "Which PostgreSQL index type suits JSONB containment queries?",
    }
    for n, (asker, question) in enumerate(asked.items()):
        out = await _send(app, asker, f"/ask {question}")
        qid = next(r for r in out if isinstance(r, OpenThread)).question_id
        thread = Chat("console", "forum", "forum", str(90 + n))
        await app.router.dispatch(
            ThreadOpened(
                _actor(asker), thread, uuid.uuid4().hex, question_id=qid, thread_ref=f"t{n}"
            )
        )
        await _send(app, "gina", "Here is how I would do it, step by step.", chat=thread)
        if asker == "erin":
            await _send(app, "erin", "/solved", chat=thread)
    said = "\n".join(r.text for r in await _send(app, "gina", "/points") if isinstance(r, Reply))
    assert "💬 Answers in the forum: 2, 1 of them accepted." in said
    out = await _send(app, "gina", "how many of my answers have been marked as accepted?")
    assert "💬 Answers in the forum: 2, 1 of them accepted." in "\n".join(
        r.text for r in out if isinstance(r, Reply)
    )
    none = "\n".join(r.text for r in await _send(app, "erin", "/points") if isinstance(r, Reply))
    assert "Answers in the forum" not in none
