"""An incremental Okapi BM25 index.

Documents are added, replaced and removed one at a time, and the next query sees the
change: no rebuild step. Postings live in per-term dicts (slot -> term frequency); each
term keeps a numpy copy of its postings and of its per-document BM25 weights, rebuilt
lazily after the index changes (the weights depend on the average length), so a query
on an unchanged index is one concatenation and one ``bincount`` over its postings.

Scores use BM25 with the non-negative idf ``log(1 + (N - df + 0.5) / (df + 0.5))``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

K = TypeVar("K", bound=Hashable)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class _Posting:
    tfs: dict[int, int] = field(default_factory=dict)
    slots_arr: IntArray | None = None
    tfs_arr: FloatArray | None = None
    weights: FloatArray | None = None
    """``tf * (k1 + 1) / (tf + norm)`` per slot, valid for ``weights_version`` only."""
    weights_version: int = -1

    def arrays(self) -> tuple[IntArray, FloatArray]:
        if self.slots_arr is None or self.tfs_arr is None:
            self.slots_arr = np.fromiter(self.tfs.keys(), dtype=np.int64, count=len(self.tfs))
            self.tfs_arr = np.fromiter(self.tfs.values(), dtype=np.float64, count=len(self.tfs))
        return self.slots_arr, self.tfs_arr

    def touch(self) -> None:
        self.slots_arr = None
        self.tfs_arr = None
        self.weights = None


@dataclass(frozen=True)
class LexicalHit(Generic[K]):
    key: K
    score: float
    coverage: float
    """Share of the query's idf mass that this document matches (0..1)."""


class BM25Index(Generic[K]):
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, _Posting] = {}
        self._slot_of: dict[K, int] = {}
        self._keys: list[K | None] = []
        self._terms: list[Counter[str] | None] = []
        self._free: list[int] = []
        self._lengths = np.zeros(16, dtype=np.float64)
        self._total_len = 0
        self._version = 0
        """Bumped by every add/remove: cached posting weights depend on avgdl."""
        self._norm: FloatArray | None = None

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    @property
    def avgdl(self) -> float:
        n = len(self._slot_of)
        return self._total_len / n if n else 0.0

    def add(self, key: K, tokens: Sequence[str]) -> None:
        """Add a document (replacing any document with the same key)."""
        if key in self._slot_of:
            self.remove(key)
        counts = Counter(tokens)
        if self._free:
            slot = self._free.pop()
            self._keys[slot] = key
            self._terms[slot] = counts
        else:
            slot = len(self._keys)
            self._keys.append(key)
            self._terms.append(counts)
            if slot >= len(self._lengths):
                grown = np.zeros(len(self._lengths) * 2, dtype=np.float64)
                grown[: len(self._lengths)] = self._lengths
                self._lengths = grown
        length = sum(counts.values())
        self._version += 1
        self._norm = None
        self._lengths[slot] = length
        self._total_len += length
        self._slot_of[key] = slot
        for term, tf in counts.items():
            posting = self._postings.get(term)
            if posting is None:
                posting = self._postings[term] = _Posting()
            posting.tfs[slot] = tf
            posting.touch()

    def remove(self, key: K) -> bool:
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return False
        counts = self._terms[slot]
        assert counts is not None
        for term in counts:
            posting = self._postings[term]
            del posting.tfs[slot]
            if posting.tfs:
                posting.touch()
            else:
                del self._postings[term]
        self._version += 1
        self._norm = None
        self._total_len -= int(self._lengths[slot])
        self._lengths[slot] = 0
        self._keys[slot] = None
        self._terms[slot] = None
        self._free.append(slot)
        return True

    def idf(self, term: str) -> float:
        posting = self._postings.get(term)
        df = len(posting.tfs) if posting else 0
        n = len(self._slot_of)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(
        self,
        tokens: Iterable[str],
        k: int = 10,
        exclude: frozenset[K] | set[K] | None = None,
    ) -> list[LexicalHit[K]]:
        """Top ``k`` documents by BM25 score (only documents matching a query term).

        Repeated query terms count with saturation (``min(qtf, 3)``), so a long question
        that says "entanglement" five times leans on it without drowning other terms.
        """
        n_docs = len(self._slot_of)
        if n_docs == 0 or k <= 0:
            return []
        q = Counter(tokens)
        if not q:
            return []
        size = len(self._keys)
        if self._norm is None or self._norm.shape[0] != size:
            lengths = self._lengths[:size]
            self._norm = self.k1 * (1.0 - self.b + self.b * lengths / max(self.avgdl, 1e-9))
        norm = self._norm
        # One pass over the query's postings: slot ids and weighted term scores are
        # concatenated and summed per slot with bincount (no per-term scatter).
        slot_parts: list[IntArray] = []
        score_parts: list[FloatArray] = []
        idf_parts: list[FloatArray] = []
        total_idf = 0.0
        for term, qtf in q.items():
            weight = min(qtf, 3)
            idf = self.idf(term)
            total_idf += idf * weight
            posting = self._postings.get(term)
            if posting is None:
                continue
            slots, tfs = posting.arrays()
            if posting.weights is None or posting.weights_version != self._version:
                posting.weights = tfs * (self.k1 + 1.0) / (tfs + norm[slots])
                posting.weights_version = self._version
            slot_parts.append(slots)
            score_parts.append(posting.weights * (weight * idf))
            idf_parts.append(np.full(slots.shape[0], idf * weight))
        if not slot_parts:
            return []
        all_slots = np.concatenate(slot_parts)
        scores = np.bincount(all_slots, np.concatenate(score_parts), minlength=size)
        matched_idf = np.bincount(all_slots, np.concatenate(idf_parts), minlength=size)
        candidates = np.flatnonzero(scores > 0)
        if exclude:
            drop = {self._slot_of[x] for x in exclude if x in self._slot_of}
            if drop:
                candidates = candidates[~np.isin(candidates, list(drop))]
        if candidates.size == 0:
            return []
        if candidates.size > k:
            part = np.argpartition(-scores[candidates], k - 1)[:k]
            candidates = candidates[part]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        out: list[LexicalHit[K]] = []
        for slot in order:
            key = self._keys[int(slot)]
            assert key is not None
            cov = float(matched_idf[slot] / total_idf) if total_idf > 0 else 0.0
            out.append(LexicalHit(key, float(scores[slot]), cov))
        return out
