"""Tokenization for the lexical (BM25) side and language detection.

English: NFKC, lowercase, alphanumeric runs (keeping inner ``-``, ``_``, ``'``, ``+``,
``#`` so "c++", "c#" and "qubit-based" survive), a small stopword list and a light
plural strip. Chinese: runs of CJK characters are cut with jieba's search mode, which also
emits the shorter words inside long ones ("搜索算法" -> "搜索", "算法", "搜索算法").
Mixed text is handled run by run, so "Grover 算法" gives both kinds of tokens.

jieba loads its dictionary lazily on the first Chinese text (about half a second).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")

# CJK Unified Ideographs (+ extension A, compatibility ideographs).
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD = re.compile(r"[a-z0-9]+(?:['_\-][a-z0-9]+)*(?:\+\+|#)?")
_LETTER = re.compile(r"[^\W\d_]")
_SPLIT = re.compile(f"([{_CJK}]+)")

# Deliberately minimal: only words that carry no topic at all. Words like "how", "why",
# "not" stay, they distinguish questions.
EN_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "their",
        "there",
        "here",
        "do",
        "does",
        "did",
        "so",
        "if",
        "then",
        "than",
        "but",
        "about",
        "into",
        "over",
        "also",
        "just",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "have",
        "has",
        "had",
        "am",
        "im",
        "ive",
        "id",
        "s",
        "t",
    ]
)
ZH_STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "就",
        "都",
        "而",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "着",
        "把",
        "被",
        "让",
        "给",
        "对",
        "从",
        "到",
        "这",
        "那",
        "这个",
        "那个",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "请问",
        "一下",
        "一个",
        "有",
        "没有",
        "会",
        "能",
        "可以",
        "怎么",
        "什么",
    ]
)

CJK_THRESHOLD = 0.2
"""A text is Chinese when at least this share of its letters are CJK ideographs."""

_jieba_lock = threading.Lock()
_jieba: Any = None


def _jieba_module() -> Any:
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def cjk_chars(text: str) -> list[str]:
    """The CJK ideographs of ``text``, in order."""
    return _CJK_CHAR.findall(text)


def cjk_ratio(text: str) -> float:
    """Share of letters (not digits, spaces, punctuation) that are CJK ideographs."""
    letters = _LETTER.findall(text)
    if not letters:
        return 0.0
    cjk = sum(1 for ch in letters if _CJK_CHAR.match(ch))
    return cjk / len(letters)


def as_language(code: str) -> Language:
    """A stored language code (``Question.lang``) as the search takes it."""
    return "zh" if code == "zh" else "en"


def detect_language(text: str) -> Language:
    """``"zh"`` when enough of the letters are CJK, else ``"en"``.

    Counted per character, so a Chinese sentence with a few English terms ("Grover 算法的
    复杂度") is still Chinese, while an English sentence quoting one Chinese word is not.
    """
    return "zh" if cjk_ratio(text) >= CJK_THRESHOLD else "en"


def _stem(word: str) -> str:
    # A light plural strip, enough for "qubits" ~ "qubit", "gates" ~ "gate".
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def _cut_chinese(run: str) -> tuple[str, ...]:
    jieba = _jieba_module()
    return tuple(w for w in jieba.cut_for_search(run) if w.strip())


def _latin_tokens(text: str) -> Iterable[str]:
    for word in _WORD.findall(text):
        if word in EN_STOPWORDS:
            continue
        yield _stem(word)


def tokenize(text: str) -> list[str]:
    """Lexical tokens of ``text`` in order (duplicates kept: BM25 counts them)."""
    norm = normalize(text)
    out: list[str] = []
    for i, part in enumerate(_SPLIT.split(norm)):
        if not part:
            continue
        if i % 2 == 1:  # a CJK run (split keeps the captured group at odd positions)
            out.extend(w for w in _cut_chinese(part) if w not in ZH_STOPWORDS)
        else:
            out.extend(_latin_tokens(part))
    return out


def word_count(text: str) -> int:
    """Roughly how many words a question has: Latin words + Chinese words (jieba)."""
    norm = normalize(text)
    count = len(_WORD.findall(_CJK_RUN.sub(" ", norm)))
    for run in _CJK_RUN.findall(norm):
        jieba = _jieba_module()
        count += sum(1 for w in jieba.cut(run) if w.strip())
    return count


_PART_ENDS = re.compile(r"[.?!。？！;；,，]+")


def split_parts(text: str) -> list[str]:
    """A message's parts, split at sentence ends and commas (either script), stripped, empty
    ones left out: "能开发票吗？公司报销需要" -> ["能开发票吗", "公司报销需要"]."""
    return [p.strip() for p in _PART_ENDS.split(text) if p.strip()]
