"""Small talk ("hi", "thanks!", "ok cool", "+1", "你好"): not a question, not an answer.

Every plain message in a private chat used to be searched as a question, so "thank you so
much!" or "good morning everyone" opened a discussion thread in the community's forum. A
message made only of greetings, thanks and acknowledgements (with filler words around
them) gets a short reply instead; anything with one more word is still a question.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["thanks", "bye", "greeting", "ack"]

_PHRASES: dict[Kind, tuple[str, ...]] = {
    "thanks": (
        "thank you",
        "thanks",
        "thank u",
        "thx",
        "tysm",
        "ty",
        "cheers",
        "much appreciated",
        "appreciated",
        "谢谢",
        "多谢",
        "感谢",
        "谢啦",
        "谢了",
        "that helped",
        "helped a lot",
        "helped",
        "that helps",
        "it helped",
        "this helped",
        "that worked",
        "it worked",
        "works now",
        "it works now",
        "problem solved",
        "solved it",
        "问题解决了",
        "解决了",
        "搞定了",
        "有用",
        "有帮助",
    ),
    "bye": (
        "goodbye",
        "good bye",
        "bye bye",
        "byebye",
        "bye",
        "see you later",
        "see you next week",
        "see you tomorrow",
        "see you soon",
        "see you",
        "see ya",
        "cya",
        "talk later",
        "talk to you later",
        "ttyl",
        "have a nice day",
        "have a good day",
        "have a good one",
        "拜拜",
        "再见",
        "回头见",
        "下次见",
        "明天见",
        "下周见",
    ),
    "greeting": (
        "is anyone there",
        "is anybody there",
        "is anyone here",
        "anyone there",
        "anybody there",
        "anyone here",
        "are you there",
        "are you a bot",
        "有人吗",
        "good morning",
        "good afternoon",
        "good evening",
        "good night",
        "how are you doing",
        "how are you",
        "how are things",
        "how is your day",
        "how's your day",
        "how have you been",
        "how r u",
        "how's it going",
        "hows it going",
        "what's up",
        "whats up",
        "hello",
        "hiya",
        "heya",
        "hey",
        "hi",
        "yo",
        "howdy",
        "greetings",
        "morning",
        "evening",
        "gm",
        "sup",
        "我想问一下",
        "想问一下",
        "请问一下",
        "问一下",
        "请问",
        "你好吗",
        "你好",
        "您好",
        "大家好",
        "早上好",
        "下午好",
        "晚上好",
        "哈喽",
        "嗨",
        "在吗",
        "在么",
        "早",
    ),
    "ack": (
        "i have the same problem",
        "i have the same issue",
        "same problem here",
        "same issue here",
        "same problem",
        "same issue",
        "same here",
        "me too",
        "same",
        "following",
        "bump",
        "subscribed",
        "plusone",
        "我也遇到了",
        "我也一样",
        "我也是",
        "同问",
        "同求",
        "一样",
        "顶",
        "sounds good",
        "all done",
        "got it",
        "okay",
        "ok",
        "kk",
        "k",
        "cool",
        "great",
        "nice",
        "awesome",
        "perfect",
        "sure",
        "yes",
        "yep",
        "yeah",
        "no",
        "nope",
        "alright",
        "lol",
        "haha",
        "好的",
        "知道了",
        "明白了",
        "明白",
        "收到",
        "可以",
        "哈哈",
        "好",
        "嗯",
        "行",
    ),
}
_FILLER = (
    "so much",
    "much",
    "many",
    "a lot",
    "that",
    "it",
    "now",
    "very",
    "so",
    "there",
    "everyone",
    "everybody",
    "all",
    "guys",
    "folks",
    "again",
    "bot",
    "syllabot",
    "you",
    "u",
    "for",
    "the",
    "help",
    "your",
    "really",
    "just",
    "and",
    "oh",
    "ah",
    "well",
    "then",
    "too",
    "mate",
    "actually",
    "totally",
    "today",
    "doing",
    "this morning",
    "tonight",
    "friend",
    "大家",
    "各位",
    "的",
    "帮助",
    "帮忙",
    "非常",
    "你",
    "您",
    "了",
    "啊",
    "呀",
    "哦",
    "呢",
    "吧",
    "太",
    "都",
    "很",
)
# longest first, so "thank you" is taken before "thank", "你好吗" before "你好"
_ALL = sorted(
    [(p, kind) for kind, ps in _PHRASES.items() for p in ps] + [(f, None) for f in _FILLER],
    key=lambda pk: -len(pk[0]),
)
_ORDER: tuple[Kind, ...] = ("thanks", "bye", "greeting", "ack")
_NOISE = re.compile(r"[^\w\s'’\u4e00-\u9fff]+")
_MAX_CHARS = 60


def says_nothing(text: str) -> bool:
    """Small talk, "+1" / "same here", or only emoji and punctuation: in a question's
    thread such a message is not an answer (no points, no "X answered you")."""
    return kind(text) is not None or not _NOISE.sub("", text).strip()


def kind(text: str) -> Kind | None:
    """What a message is when it is only small talk (thanks before goodbye before greeting
    before ack: "hi, thanks!" is thanks, "ok bye" a goodbye), else None."""
    rest = text.casefold().replace("’", "'").replace("+1", " plusone ")
    rest = " ".join(_NOISE.sub(" ", rest).split())
    if not rest or len(rest) > _MAX_CHARS:
        return None
    found: set[Kind] = set()
    while rest:
        for phrase, k in _ALL:
            if not rest.startswith(phrase):
                continue
            after = rest[len(phrase) :]
            cjk = "\u4e00" <= phrase[-1] <= "\u9fff"
            if after and not cjk and not after.startswith(" "):
                continue  # "hi" is not the start of "his"
            if k is not None:
                found.add(k)
            rest = after.lstrip()
            break
        else:
            return None  # a word that is not small talk: a question, or something to search
    return next((k for k in _ORDER if k in found), None)


# What makes a private message a question for the community rather than a statement about
# oneself ("I want to become a data analyst", "每周五小时"): a question mark, a question
# word, or a problem being described. A statement is not posted in a public thread unasked.
_QUESTION_STARTS = frozenset(
    {
        *("how", "what", "why", "when", "where", "which", "who", "whom", "whose"),
        *("can", "could", "should", "would", "will", "shall", "is", "are", "am", "was", "were"),
        *("do", "does", "did", "has", "have", "any", "anyone", "anybody"),
        *("explain", "recommend", "suggest", "help", "please", "pls", "tips", "advice"),
    }
)
_PROBLEM_WORDS = re.compile(
    r"\b(how|why|what|which|help|errors?|exceptions?|traceback|problems?|issues?|bugs?|"
    r"stuck|confus\w*|not working|doesn'?t work|won'?t|can'?t|cannot|unable|fails?|failed|"
    r"failing|wrong|slow|crash\w*|broken|duplicat\w*|missing|differences?|vs\.?|versus|"
    r"hang\w*|freez\w*|time[sd]? ?out|throws?|raises?|leak\w*|best way|need|needs|"
    r"looking for|wonder\w*|want to know|trying to|tried)\b"
    r"|\w(Error|Exception)\b",
    re.IGNORECASE,
)
_ZH_QUESTION = re.compile(
    r"[吗呢么嘛]|怎|如何|为什么|为何|什么|哪|谁|几|是否|能否|可否|有没有|是不是|请问|求助|想知道|"
    r"求教|帮忙|帮我|报错|错误|出错|问题|不能|无法|失败|区别|建议|推荐"
)


def asks_something(text: str) -> bool:
    """Whether a message reads as a question or a problem to solve."""
    stripped = text.strip()
    if "?" in stripped or "？" in stripped:
        return True
    first = re.split(r"[\s,.:;!'’]+", stripped.lower(), maxsplit=1)[0]
    if first in _QUESTION_STARTS:
        return True
    return bool(_PROBLEM_WORDS.search(stripped) or _ZH_QUESTION.search(stripped))


# Stricter than `asks_something`, for where an answer was asked for (an interview question):
# "SQL?" or "maybe weekly?" is an unsure answer, "what does intermediate mean?" is a question.
_ASKING_FIRST = frozenset(
    {
        *("how", "what", "what's", "whats", "why", "when", "where", "which", "who", "whose"),
        *("can", "could", "should", "would", "will", "is", "are", "do", "does", "did"),
        *("has", "have", "isn't", "aren't", "don't", "doesn't", "anyone", "anybody"),
    }
)
_ASKING_OPENINGS = frozenset(
    {
        *("how do", "how can", "how much", "how many", "how long", "how often", "what is"),
        *("what are", "what does", "where is", "where can", "where do", "when is", "when are"),
        *("when does", "is there", "are there", "can i", "can you", "do you", "do i", "does it"),
        *("why is", "why does", "why do", "who is", "who can", "which course"),
    }
)
_ZH_ASKED = re.compile(
    r"^(请问|怎么|怎样|如何|为什么|为何|哪里|哪儿|什么时候|有没有|是不是|能不能|可不可以)|[吗呢]$"
)
_ZH_ASKING = re.compile(
    r"[吗呢]|怎|如何|为什么|为何|什么|哪|谁|多少|几点|是否|能否|有没有|是不是|请问"
)


def is_question(text: str) -> bool:
    """Whether a message is put as a question: a question word first and a question mark
    ("when is the next event?"), an opening that asks ("how do I pay"), or in Chinese a
    question word with a question mark or a question particle ("会员多少钱？", "能退款吗")."""
    stripped = text.strip()
    marked = stripped.endswith(("?", "？"))
    body = stripped.casefold().replace("’", "'").rstrip("?？!！。. ")
    if not body:
        return False
    words = re.split(r"[\s,.:;!]+", body)
    if marked and words[0] in _ASKING_FIRST:
        return True
    if " ".join(words[:2]) in _ASKING_OPENINGS:
        return True
    return bool(_ZH_ASKED.search(body) or (marked and _ZH_ASKING.search(body)))
