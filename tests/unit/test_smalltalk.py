"""What counts as small talk (a short reply) and what is still a question or an answer."""

from __future__ import annotations

import pytest

from core.common.smalltalk import kind, says_nothing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thank you very much!", "thanks"),
        ("great, thanks!", "thanks"),
        ("谢谢你的帮助", "thanks"),
        ("hello there, how are you?", "greeting"),
        ("早上好各位", "greeting"),
        ("is anyone there?", "greeting"),
        ("有人吗？", "greeting"),
        ("你好，我想问一下", "greeting"),
        ("ok cool", "ack"),
        ("same here", "ack"),
        ("+1", "ack"),
        ("hi, how do I reset my password?", None),
        ("his code fails on import", None),
        ("how much is the yearly plan", None),
        ("请问怎么重置密码？", None),
        ("Thank you for the answer about joins", None),
    ],
)
def test_small_talk_and_questions_told_apart(text, expected):
    assert kind(text) == expected


def test_emoji_alone_says_nothing_but_an_answer_does():
    assert says_nothing("👍🙏") and says_nothing("同问")
    assert not says_nothing("Pin the version to 0.24.")
