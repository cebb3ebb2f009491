"""What a member says they want to learn ("I want to learn machine learning", "我想学机器学
习", "how do I get started with SQL?"): the courses on it answer that better than any
knowledge-base entry, and such a statement was offered for the community's forum."""

from __future__ import annotations

import re

_EN = [
    r"(?:i|we) (?:really )?(?:want|would like|'d like|wanna|hope|plan|am planning|'m planning|need)"
    r" to (?:learn|study|get into|get started with|start learning|start with|understand|master)"
    r"(?: more)?(?: about)? (?P<x>.+)",
    r"(?:i'm|i am) (?:interested in|curious about|keen on|keen to learn) (?:learning )?"
    r"(?:about )?(?P<x>.+)",
    r"how (?:do|can|should) i (?:start |begin )?(?:to )?(?:learn|learning|study|studying|get into|"
    r"get started with|begin with|start with) (?P<x>.+)",
    r"where (?:do|can|should) i (?:start|begin)(?: with| learning| to learn)? (?P<x>.+)",
    r"teach me (?:about )?(?P<x>.+)",
    r"(?:are there |is there |do you have )?(?:any |a )?(?:courses?|classes) (?:on|about|for) "
    r"(?P<x>.+)",
]
_ZH = [
    r"我(?:很)?(?:想|要|打算|希望|准备|想要)(?:学|学习|了解|入门|学会)(?:一下|一些)?(?P<x>.+)",
    r"我对(?P<x>.+?)(?:很|比较|挺|非常)?感兴趣",
    r"(?:怎么|如何|怎样)(?:开始)?(?:学|学习|入门)(?P<x>.+)",
    r"(?P<x>.+?)(?:应该)?(?:怎么|如何|从哪里|从哪儿)(?:学|入门|开始学|开始)",
    r"(?:有没有|有)(?:关于)?(?P<x>.+?)的课(?:程)?",
    r"想学(?P<x>.+)",
]
_PATTERNS = [re.compile(p) for p in _EN + _ZH]
_DROP = frozenset(
    {
        *("for", "the", "a", "an", "about", "to", "with", "in", "on", "and", "more", "some"),
        *("basics", "of", "beginners", "beginner", "properly", "from", "scratch", "please"),
        *("course", "courses", "stuff", "things", "it", "well", "better", "fast", "quickly"),
    }
)
_ZH_TAIL = re.compile(r"(?:吗|呢|啊|呀|了|的知识|知识|方面|相关)+$")
MAX_WORDS = 4


def topic_wanted(text: str) -> str | None:
    """The subject of "I want to learn X" and its kin, as a course search ("machine
    learning", "机器学习"); None when the message is no such statement or X is long (then it
    is a real question about learning, for the knowledge base)."""
    plain = " ".join(text.lower().replace("’", "'").split()).strip(" ?!.。？！~～,，")
    for pattern in _PATTERNS:
        if (m := pattern.fullmatch(plain)) is None:
            continue
        subject = _ZH_TAIL.sub("", m.group("x").strip(" ?!.。？！,，"))
        words = [w for w in subject.split() if w not in _DROP]
        if words and len(words) <= MAX_WORDS and len(subject) <= 40:
            return " ".join(words)
    return None
