"""What a member says they want to learn ("I want to learn machine learning", "我想学机器学
习", "how do I get started with SQL?"): the courses on it answer that better than any
knowledge-base entry, and such a statement was offered for the community's forum."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    # the whole message, else its last clause: "I am a retired engineer, 71 years old, and I
    # would like to learn pandas to analyse my weather station logs" (held for the forum)
    clauses = [plain, *(c for c in _CLAUSES.split(plain)[1:] if c)]
    for said in clauses:
        for pattern in _PATTERNS:
            if (m := pattern.fullmatch(said)) is None:
                continue
            subject = _PURPOSE.split(m.group("x"), maxsplit=1)[0]
            subject = _ZH_TAIL.sub("", subject.strip(" ?!.。？！,，"))
            words = [w for w in subject.split() if w not in _DROP]
            if words and words[0] in _WH:  # "learn how to make my code faster": a question
                continue
            if words and len(words) <= MAX_WORDS and len(subject) <= 40:
                return " ".join(words)
    return None


_WH = frozenset({"how", "what", "why", "when", "where", "which", "who", "whether"})
_CLAUSES = re.compile(r"\s*(?:[.;!?。；！？]|,? and |,? but |,? so )\s*")
_PURPOSE = re.compile(r"\s+(?:to|so that|so i can|so i could|because|for my|for work)\s+")


_ASPECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "duration",
        re.compile(
            r"\bhow (?:long|many (?:hours|weeks|days|months))\b|\bhow much time\b|多久|多长时间|"
            r"几个小时|几周|几个月|多少(?:小时|时间|天)",
            re.IGNORECASE,
        ),
    ),
    (
        "prerequisites",
        re.compile(
            r"\b(?:need|have|ought) to know\b|\bprerequisites?\b|\bbefore (?:starting|taking|i start|"
            r"i take|doing)\b|\bjump (?:straight|right) in\b|\bwhat do i need\b|需要(?:先)?(?:学|会|懂|掌握)|"
            r"先学|前置|基础要求",
            re.IGNORECASE,
        ),
    ),
    (
        "level",
        re.compile(
            r"\b(?:too |very )?(?:hard|difficult|easy|advanced)\b|\bsuitable\b|\bright for me\b|"
            r"\bfor (?:a |complete |total |absolute )?beginners?\b|\b(?:complete|total|absolute) "
            r"beginner\b|\bnever (?:coded|programmed)\b|适合|零基础|难不难|难吗|难度|新手|小白",
            re.IGNORECASE,
        ),
    ),
    (
        "content",
        re.compile(
            r"\bwhat(?:'s| is) (?:actually |really )?(?:in|inside|covered in)\b|\bwhat (?:does|will) "
            r"(?:it|the [\w ]{1,40}?(?:course|class)) (?:cover|teach|include|contain)\b|"
            r"\bwhat(?:'s| is) covered\b|\bwhat (?:will|do) i learn\b|\bsyllabus\b|\boutline\b|"
            r"\bis there an? (?:capstone|final project|project|exam|quiz)\b|\bjust videos\b|"
            r"讲(?:些|了)?什么|学(?:些)?什么内容|内容(?:是什么|有哪些)|包括(?:什么|哪些)|都讲|大纲",
            re.IGNORECASE,
        ),
    ),
)
"""What a question about a course asks of it; the first that fits is answered first."""
_NAMED_AS_COURSE = re.compile(r"^\s*(?:course|class|(?:入门|基础)?课|这门课|这个课)", re.IGNORECASE)
_TITLE_LEAD = re.compile(r"^(?:intro(?:duction)? to|building|an? )\s*", re.IGNORECASE)
_TITLE_TAIL = re.compile(
    r"\s*(?:\b(?:with|for|in|and)\b.*|\b(?:basics|foundations|essentials|101|in practice|"
    r"fundamentals)\b)\s*$",
    re.IGNORECASE,
)
_ZH_TITLE = re.compile(r"^(?:用\s*\S+?\s*(?:做|编写)|面向\S+的)|(?:入门|基础|实战|精讲)$")


def aspect(question: str) -> str | None:
    """What a question asks of a course (duration, prerequisites, level, content), if any."""
    return next((name for name, rule in _ASPECTS if rule.search(question)), None)


def _spelling(text: str) -> str:
    return text.lower().replace("visualis", "visualiz").replace("-", " ")


def short_names(title: str, title_zh: str) -> list[tuple[str, bool]]:
    """How members name a course, each name with whether it is a whole title: "Statistics
    101" also as "statistics", "Data Visualization with matplotlib" as "data visualization",
    "用 matplotlib 做数据可视化" as "数据可视化"."""
    whole = _spelling(title)
    names = [(whole, True)]
    short = _TITLE_TAIL.sub("", _TITLE_LEAD.sub("", whole)).strip()
    if short and short != whole:
        names.append((short, False))
    if (letters := acronym(short or whole)) is not None:
        names.append((letters, False))  # "the ML course", "the OOP course"
    if title_zh:
        zh = "".join(title_zh.split()).lower()
        names.append((zh, True))
        bare = _ZH_TITLE.sub("", zh)
        if len(bare) >= 2 and bare != zh:
            names.append((bare, False))
    return names


def acronym(name: str) -> str | None:
    """The letters members shorten a two-to-four-word name to ("machine learning" -> "ml",
    "object oriented python" -> "oop"); None for a name of one word or with digits."""
    words = name.split()
    if not 2 <= len(words) <= 4 or not all(w.isascii() and w.isalpha() for w in words):
        return None
    return "".join(w[0] for w in words)


def named_course(question: str, titles: Sequence[tuple[int, str, str]]) -> int | None:
    """The id of the one course a question names (`titles`: id, title, Chinese title): by
    its whole title anywhere, or by a short name followed by "course" / "课" ("the statistics
    course", "Python入门课"; "the python oop course" is not Python Basics). None for none,
    or for several."""
    text = _spelling(question)
    bare = "".join(text.split())
    found: set[int] = set()
    for course_id, title, title_zh in titles:
        for name, whole in short_names(title, title_zh):
            if re.search(r"[\u4e00-\u9fff]", name):
                at = bare.find(name)
                after = bare[at + len(name) :] if at >= 0 else ""
            else:
                m = re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text)
                at, after = (m.start(), text[m.end() :]) if m else (-1, "")
            if at >= 0 and (whole or _NAMED_AS_COURSE.match(after)):
                found.add(course_id)
                break
    return next(iter(found)) if len(found) == 1 else None


_PACE = (
    (re.compile(r"(\d+(?:\.\d+)?)\s*(?:hours?|hrs?|h)\s*(?:a|per|each|every|/)\s*week", re.I), 60),
    (re.compile(r"(\d+(?:\.\d+)?)\s*(?:minutes?|mins?)\s*(?:a|per|each|every|/)\s*day", re.I), 7),
    (re.compile(r"(\d+(?:\.\d+)?)\s*(?:hours?|hrs?|h)\s*(?:a|per|each|every|/)\s*day", re.I), 420),
    (re.compile(r"每周(?:只有|大概|大约)?(\d+(?:\.\d+)?)(?:个)?小时"), 60),
    (re.compile(r"每天(?:只有|大概|大约)?(\d+(?:\.\d+)?)(?:个)?小时"), 420),
    (re.compile(r"每天(?:只有|大概|大约)?(\d+)分钟"), 7),
)
_HALF_HOUR_A_DAY = re.compile(r"每天(?:只有|大概|大约)?半(?:个)?小时|half an hour a day", re.I)


def weekly_minutes(question: str) -> int:
    """The study time a question states, in minutes a week ("3 hours a week", "每天只有半小
    时"); 0 when it states none."""
    if _HALF_HOUR_A_DAY.search(question):
        return 210
    for pattern, factor in _PACE:
        if (m := pattern.search(question)) is not None:
            return int(float(m.group(1)) * factor)
    return 0


_PROGRESS = re.compile(
    r"\bwhich courses (?:i(?:'ve| have)|have i) (?:actually |already )?(?:completed|finished|"
    r"done)\b|\b(?:check|see|view|show)(?: me)? (?:my |the )?(?:course )?progress\b"
    r"|\bhow far (?:am i|along am i) (?:in|with|from (?:finishing|completing|the end))\b"
    r"|\b(?:what(?:'s| is)|show me|check) my (?:current )?streak\b|我的?(?:连续)?(?:打卡|学习)?天数"
    r"|进度(?:是)?(?:多少|百分之|几)|(?:看|查)(?:一下|下)?(?:我)?(?:现在)?的?(?:课程|学习)?进度"
    r"|(?:完成|学完)了哪些课",
    re.IGNORECASE,
)
_NEW = re.compile(
    r"\b(?:any|what(?:'s| are)?(?: the)?|are there(?: any)?) new (?:courses?|classes|lessons)\b"
    r"|\bnew courses? (?:since|lately|recently|this (?:month|year))\b"
    r"|(?:有|出)(?:什么|没有)?新(?:出|上|开)?(?:的|了)?(?:什么)?课|新出(?:了)?什么课|最近(?:有)?(?:什么)?新课",
    re.IGNORECASE,
)
_BEGINNERS = re.compile(
    r"\b(?:anything|courses?|something|stuff) for (?:a )?(?:total |complete |absolute )?"
    r"(?:beginn?ers?|newbies?|noobs?)\b|\bi(?:'ve| have)? never (?:written|coded|programmed)\b"
    r"|\bi(?:'m| am) (?:a )?(?:total|complete|absolute) (?:beginner|newbie|noob)\b"
    r"|\bi (?:don'?t|dont|do not) know any (?:coding|codeing|programming|code)\b"
    r"|\bwhere(?:'s|s| is) the (?:beginn?ers?|easy|intro|first) (?:one|course)\b"
    r"|(?:零基础|完全没(?:有)?基础|从来没(?:写过|学过)(?:代码|编程))[^。？！?!]{0,10}(?:学什么|哪(?:门|个)课|从哪|怎么开始|有(?:没有)?(?:什么)?课)",
    re.IGNORECASE,
)


def asks_for_progress(text: str) -> bool:
    """ "how do i check which courses i've actually completed", "看一下我现在的课程进度是多少"."""
    return bool(_PROGRESS.search(text))


def asks_whats_new(text: str) -> bool:
    """ "这段时间有新出什么课程吗", "any new courses since the summer?"."""
    return bool(_NEW.search(text))


def asks_for_beginners(text: str) -> bool:
    """ "do you have anything for total beginners? i've never written code"."""
    return bool(_BEGINNERS.search(text))
