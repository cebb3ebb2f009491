"""Short questions about using the bot, recognised by how members put them.

"how do I pay?", "有优惠吗" or "改昵称" opened a community thread although a built-in answer
covers each: the knowledge-base search embeds an entry as its title and body together, and
against that mixture a three-word question is close to several built-in answers at once
("how do I pay?" sits nearer the refund answer than the one on joining), so its confidence
stays under the answer threshold. Here each built-in answer also has a handful of short
asks (``data/help_asks.json``); a short question close enough to one answer's asks, and
clearly closer to it than to any other answer's, is that answer. Cut-offs per encoder were
chosen on those asks and course questions only; ``bench/qa_intents.py`` measures them on
questions written apart from the asks (``bench/data/help_intents_test.jsonl``).

A longer message of two or three parts is compared part by part ("I want a refund, the
course is nothing like what was advertised"): see `parts`.

Only the encoders the cut-offs were measured for take part: another encoder (the hashing
one in tests) matches nothing here, and questions go to the search as before.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from core.catalog.topics import PROPER_NAMES
from core.qa import help_words
from core.qa.tokenize import Language, cjk_chars, split_parts
from core.recommend.encoders import TextEncoder

ASKS = Path(__file__).parent / "data" / "help_asks.json"

MAX_WORDS = 10
"""An English question longer than this is left to the search: a long one says enough
for the knowledge base, and its words are rarely all about the bot."""
MAX_CJK = 16
"""The same for Chinese, in Han characters."""


@dataclass(frozen=True)
class Cut:
    cosine: float
    """The closest ask must be at least this close."""
    lead: float
    """And the best answer's asks this much closer than any other answer's."""


CUTS: dict[str, Cut] = {
    "minilm-l6-v2": Cut(cosine=0.67, lead=0.03),
    "multilingual-e5-small-q4": Cut(cosine=0.93, lead=0.02),
}
"""By encoder name (bench/qa_intents.py, "Choosing the cut-offs"; MiniLM's chosen again
when the English asks grew from 8 to 14 per answer, 2026-12-07)."""


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z+#]+")
LIBRARIES = frozenset(
    {"pandas", "numpy", "matplotlib", "seaborn", "sklearn", "scikit", "jupyter", "keras"}
    | {"scipy", "plotly", "dplyr", "ggplot"}
)
"""Tools written in lower case, so not among the proper names (added 2026-12-07 on the
development set: Chinese course questions taken 6 -> 5, no right answer lost)."""
TOOLS = (PROPER_NAMES - {"go"}) | LIBRARIES
"""A question naming one of these ("docker 容器怎么改名", "rename a table in postgres") is about
the tool, not the bot ("go" is also the English verb). On the development set
(bench/data/help_intents_dev.jsonl) this kept 6 of 12 Chinese and 1 of 2 English course
questions from a built-in answer and cost no right answer."""


def names_a_tool(text: str) -> bool:
    return any(w.lower() in TOOLS for w in _LATIN_WORD.findall(text))


@dataclass(frozen=True)
class Intent:
    key: str
    """The built-in answer's key ("join" for ``help:join:en``)."""
    cosine: float
    lead: float


@cache
def asks() -> dict[str, dict[str, tuple[str, ...]]]:
    """key -> language -> the short asks."""
    raw: dict[str, dict[str, list[str]]] = json.loads(ASKS.read_text(encoding="utf-8"))
    return {key: {lang: tuple(texts) for lang, texts in by.items()} for key, by in raw.items()}


def is_short(text: str, lang: Language) -> bool:
    if lang == "zh":
        return 0 < len(cjk_chars(text)) <= MAX_CJK and len(text) <= 3 * MAX_CJK
    return 0 < len(text.split()) <= MAX_WORDS


_VECTORS: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}
_LOCK = threading.Lock()


def _ask_vectors(encoder: TextEncoder, lang: str) -> tuple[list[str], np.ndarray]:
    """Each ask's key and vector for one encoder and language, embedded once per process
    (the asks are fixed; a member's question is embedded as a query, so they are too)."""
    with _LOCK:
        if (encoder.name, lang) not in _VECTORS:
            keys, texts = [], []
            for key, by in asks().items():
                for text in by.get(lang, ()):
                    keys.append(key)
                    texts.append(text)
            _VECTORS[encoder.name, lang] = (keys, encoder.encode(texts, "query"))
        return _VECTORS[encoder.name, lang]


def warm(encoders: Mapping[str, TextEncoder]) -> None:
    """Embed the asks for the encoders that take part, before the first question."""
    for lang, encoder in encoders.items():
        if encoder.name in CUTS:
            _ask_vectors(encoder, lang)


def closest(text: str, lang: Language, encoder: TextEncoder) -> list[tuple[str, float]]:
    """Every answer's closest ask to `text`, closest first."""
    return closest_each([text], lang, encoder)[0]


def closest_each(
    texts: list[str], lang: Language, encoder: TextEncoder
) -> list[list[tuple[str, float]]]:
    """`closest` for each text, embedded in one call (a message's two or three parts)."""
    keys, vectors = _ask_vectors(encoder, lang)
    if not keys or not texts:
        return [[] for _ in texts]
    out = []
    for row in (encoder.encode(texts, "query") @ vectors.T).tolist():
        best: dict[str, float] = {}
        for key, sim in zip(keys, row, strict=True):
            best[key] = max(best.get(key, -1.0), sim)
        out.append(sorted(best.items(), key=lambda kv: kv[1], reverse=True))
    return out


def decide(ranked: list[tuple[str, float]], cut: Cut) -> Intent | None:
    if not ranked:
        return None
    key, top = ranked[0]
    lead = top - (ranked[1][1] if len(ranked) > 1 else -1.0)
    if top >= cut.cosine and lead >= cut.lead:
        return Intent(key, top, lead)
    return None


MAX_PARTS = 3
"""A longer message is looked at only when it has at most this many parts."""


def parts(text: str, lang: Language, *, clauses: bool = True) -> list[str]:
    """What is compared with the asks: a short question whole; a longer message of a few
    parts, each short part of at least two words (three Han characters). "I want a refund,
    the course is nothing like what was advertised", "能开发票吗？公司报销需要" opened threads:
    one short part asks for a built-in answer, the rest says why."""
    if is_short(text, lang):
        return [text]
    if not clauses:
        return []
    pieces = split_parts(text)
    if len(pieces) > MAX_PARTS:
        return []
    least = (lambda p: len(cjk_chars(p)) >= 3) if lang == "zh" else (lambda p: len(p.split()) >= 2)
    return [p for p in pieces if is_short(p, lang) and least(p)]


def match(
    text: str,
    lang: Language,
    encoders: Mapping[str, TextEncoder],
    cuts: Mapping[str, Cut] = CUTS,
    *,
    clauses: bool = True,
) -> Intent | None:
    """The built-in answer a short question (or one short part of a longer message) asks
    for, if one clearly does; the first such part decides. A question about the membership
    that names its topic in so many words (`help_words`) gets that answer first."""
    if clauses and (key := named_in_words(text)) is not None:
        return Intent(key, BY_WORDS, BY_WORDS)  # named in so many words: before any ask
    encoder = encoders.get(lang)
    if encoder is None or names_a_tool(text):
        return None
    cut = cuts.get(encoder.name)
    if cut is None:
        return None
    for ranked in closest_each(parts(text, lang, clauses=clauses), lang, encoder):
        if (found := decide(ranked, cut)) is not None:
            return found
    return None


def named_in_words(text: str) -> str | None:
    """The built-in answer a question about the membership names in so many words
    (`help_words`), a question naming a tool keeping only the rule on lessons."""
    return help_words.key_for(text, names_a_tool=names_a_tool(text))


BY_WORDS = 1.0
"""The cosine and lead of an answer taken by `help_words`' rules (no ask compared)."""
