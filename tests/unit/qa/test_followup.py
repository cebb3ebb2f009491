""" "That didn't help" typed after an answer is a 👎 on it.

It was searched as a question of its own and opened a thread titled "that didn't help",
while the question it was about stayed answered."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.events import Actor, Chat, Command, Message
from core.qa.followup import says_not_helpful
from core.replies import OpenThread, Reply
from models.qa import Question
from models.qa_extra import QAFeedback


async def _send(app, user: str, text: str) -> list:
    actor = Actor("console", user, display_name=user, username=user)
    chat = Chat("console", user, "private")
    if text.startswith("/ask "):
        ev = Command(actor, chat, uuid.uuid4().hex, name="ask", args=text[5:])
    else:
        ev = Message(actor, chat, uuid.uuid4().hex, text=text)
    return await app.router.dispatch(ev)


def _said(out: list) -> str:
    return "\n".join(r.text for r in out if isinstance(r, Reply))


async def test_saying_an_answer_did_not_help_asks_the_community(qa_app):
    answered = await _send(qa_app, "erin", "/ask I forgot my password, how can I reset it?")
    assert "Reset password" in _said(answered)
    out = await _send(qa_app, "erin", "that didn't help")
    assert _said(out).startswith("Sorry that didn't help")
    (thread,) = [r for r in out if isinstance(r, OpenThread)]
    assert thread.text == "I forgot my password, how can I reset it?"  # the question, not the words
    async with qa_app.services.session_factory() as s:
        (vote,) = (await s.execute(select(QAFeedback))).scalars().all()
        asked = (await s.execute(select(Question.text))).scalars().all()
    assert vote.helpful is False and vote.kb_entry_id is not None
    assert asked == ["I forgot my password, how can I reset it?"]  # no second question
    # said again: where the question is being discussed, not a thread titled with the words
    again = await _send(qa_app, "erin", "that didn't help")
    assert _said(again).startswith("You already asked this, and it is still open in thread #")
    assert not [r for r in again if isinstance(r, OpenThread)]


async def test_said_after_a_thread_opened_it_points_to_that_thread(qa_app):
    """A question the bot could not answer opened a thread; "that didn't help" then opened
    a second one, titled with the words."""
    first = await _send(qa_app, "dana", "/ask how do I calibrate a thermocouple amplifier?")
    assert [r for r in first if isinstance(r, OpenThread)]
    out = await _send(qa_app, "dana", "that didn't help")
    assert _said(out).startswith("You already asked this, and it is still open in thread #")
    assert not [r for r in out if isinstance(r, OpenThread)]
    async with qa_app.services.session_factory() as s:
        assert len((await s.execute(select(Question.text))).scalars().all()) == 1


async def test_long_after_the_answer_the_words_are_not_a_vote(qa_app):
    await _send(qa_app, "erin", "/ask I forgot my password, how can I reset it?")
    qa_app.services.clock.advance(timedelta(hours=1))
    out = await _send(qa_app, "erin", "不是这个")
    assert not _said(out).startswith(("Sorry that didn't help", "抱歉"))
    async with qa_app.services.session_factory() as s:
        assert (await s.execute(select(QAFeedback))).scalars().all() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("that didn't help", True),
        ("No, that's not what I asked", True),
        ("not helpful", True),
        ("这个没用", True),
        ("不是这个", True),
        ("that didn't help me understand joins", False),
        ("it's not working when I join two tables", False),
    ],
)
def test_which_words_say_the_answer_did_not_help(text: str, expected: bool) -> None:
    assert says_not_helpful(text) is expected
