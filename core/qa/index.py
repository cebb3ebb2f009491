"""The knowledge index: what the bot, ``/kb check`` and ``syllabot qa check|evaluate`` search.

Holds knowledge-base items (course material, FAQ, curated answers, accepted answers from
threads) in memory with a :class:`~core.qa.hybrid.HybridSearcher` over them. Adding,
updating or removing an item takes effect for the next query (no rebuild). The service
keeps one per process, loaded from ``kb_entry`` rows; the CLI loads one from a JSONL file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy.typing as npt

from core.catalog.topics import PROPER_NAMES
from core.qa.hybrid import Hit, HybridSearcher, Mode
from core.qa.tokenize import Language, detect_language, tokenize
from core.recommend.encoders import TextEncoder

DEFAULT_THRESHOLD = 0.5
"""Answer when the top hit's confidence is at least this (tuned later from feedback). On the
bench proxy: answers 40% of mixed covered/not-covered questions, 79% of them correctly."""


@dataclass(frozen=True)
class KBItem:
    id: str
    title: str
    body: str = ""
    answer: str = ""
    lang: str = ""
    url: str = ""
    source: str = "faq"
    tags: tuple[str, ...] = field(default_factory=tuple)
    family: str = ""
    """The source this entry is part of: ``course:7`` for course 7's overview and its
    lessons' passages (see :func:`specific_first`). Empty: its own."""
    passage: str = ""
    """Entries sharing it are one passage under titles in two languages (a lesson's English
    text under its Chinese title too); a search keeps the one in the question's language
    (:func:`one_per_passage`). Empty: its own."""

    def lexical_text(self, include_answer: bool) -> str:
        # The title is repeated: it is the best summary of what the entry answers.
        parts = [self.title, self.title, self.body]
        if include_answer:
            parts.append(self.answer)
        return "\n".join(p for p in parts if p)

    def dense_text(self) -> str:
        # Members ask questions; entries are matched on what they answer (title + question
        # body), falling back to the answer for FAQ items without a body.
        return "\n".join(p for p in (self.title, self.body or self.answer) if p)

    def language(self) -> Language:
        if self.lang in ("en", "zh"):
            return self.lang  # type: ignore[return-value]
        if self.lang.lower().startswith("zh"):
            return "zh"
        return detect_language(f"{self.title}\n{self.body}\n{self.answer}")


@dataclass(frozen=True)
class SearchResult:
    item: KBItem
    score: float
    confidence: float
    hit: Hit[str]

    @property
    def id(self) -> str:
        return self.item.id


def topic_tags(results: Sequence[SearchResult], question: str = "", limit: int = 3) -> list[str]:
    """The thread's topics: tags the question itself names (among those its search results
    carry, "SQL" -> ``sql``, "machine learning" -> ``machine-learning``) first, then the tags
    most common among its five closest entries. Curated FAQ entries are often untagged, so
    the closest five alone can leave a plainly-named topic out. Entries too far from the
    question to share its topic lend it no tags: a question about something the community has
    no material on gets none, rather than the tags of whatever happened to be nearest,
    unless it names a tool an entry's title names too (`PROPER_NAMES`: "Linux", "PostgreSQL"):
    that entry's tags (on the demo's course questions, 2 of the 21 left untagged)."""
    words = set(tokenize(question)) if question else set()
    named: dict[str, None] = {}
    for r in results:
        for tag in r.item.tags:
            parts = set(tokenize(tag.replace("-", " ").replace("_", " ")))
            if tag not in named and parts and (parts <= words or tag.lower() in words):
                named[tag] = None
    counts: Counter[str] = Counter()
    for r in results[:5]:
        if r.hit.on_topic:
            counts.update(r.item.tags)
    ranked = [*named, *(t for t, _ in counts.most_common() if t not in named)]
    if not ranked:  # nothing on its topic, yet it names a tool a course is named for
        names = words & PROPER_NAMES  # "a cron job on Linux": the Linux course's topics
        for r in results if names else ():
            if names & set(tokenize(r.item.title)):
                ranked += [t for t in r.item.tags if t not in ranked]
    return ranked[:limit]


def one_per_passage(results: list[SearchResult], lang: Language) -> list[SearchResult]:
    """One result per passage, at the better rank of its twins, in the question's language
    where it has one: an English question gets the lesson under its English title, a
    Chinese one under its Chinese title. (Each twin's confidence was measured against the
    entries of its own language, so a twin in the other language would lead there with
    little to lose to and look surer than it is.)"""
    out: list[SearchResult] = []
    at: dict[str, int] = {}
    for r in results:
        key = r.item.passage
        if not key:
            out.append(r)
        elif key not in at:
            at[key] = len(out)
            out.append(r)
        elif r.item.language() == lang and out[at[key]].item.language() != lang:
            out[at[key]] = r
    return out


def can_answer(result: SearchResult, threshold: float) -> bool:
    """Whether the bot answers with this hit: confident enough, and not a course's overview.
    An overview names every topic its course teaches, so a question on any of them, or on
    a near miss the course never covers ("squash commits" against "Git essentials"), comes
    close to it; what it offers is where a topic is taught, not the answer
    (bench/qa_course.py: every overview that topped a question with confidence 0.5 or
    more answered it wrongly, in English and in Chinese). The asker is pointed to the course
    instead (:func:`core.qa.service.pointer`)."""
    return result.confidence >= threshold and result.item.source != "course"


def offers_course(result: SearchResult, threshold: float) -> bool:
    """A course's overview matched with an answer's confidence: the course teaches the
    topic, so it is offered to read while the community answers (never given as the answer,
    :func:`can_answer`)."""
    return result.item.source == "course" and result.confidence >= threshold


SPECIFIC_WITHIN = 5
"""How far down the list :func:`specific_first` looks for a course's closer lesson."""


def specific_first(results: list[SearchResult]) -> list[SearchResult]:
    """When the first hit is a course's overview and a passage of one of that course's
    lessons, among the next few, is closer to the question, that passage goes first: the
    overview says what the course covers, the lesson says how (BM25 likes overviews, which
    repeat the course's title and name every topic in it)."""
    if not results or results[0].item.source != "course" or not results[0].item.family:
        return results
    top = results[0]
    closer = [
        r
        for r in results[1:SPECIFIC_WITHIN]
        if r.item.family == top.item.family
        and r.item.source == "lesson"
        and r.hit.cosine > top.hit.cosine
    ]
    if not closer:
        return results
    best = max(closer, key=lambda r: r.hit.cosine)
    return [best, *(r for r in results if r is not best)]


class KnowledgeIndex:
    """KB items + hybrid retrieval. Keys are the items' string ids."""

    def __init__(
        self,
        encoders: Mapping[str, TextEncoder] | TextEncoder | None,
        *,
        include_answer: bool = True,
        threshold: float = DEFAULT_THRESHOLD,
        searcher_options: Mapping[str, Any] | None = None,
    ) -> None:
        # searcher_options: HybridSearcher settings other than the defaults (benchmarks
        # compare fusion settings, see core.qa.evaluate.FUSION_CONFIGS)
        self.searcher: HybridSearcher[str] = HybridSearcher(encoders, **(searcher_options or {}))
        self.include_answer = include_answer
        self.threshold = threshold
        self._items: dict[str, KBItem] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> KBItem | None:
        return self._items.get(item_id)

    def items(self) -> list[KBItem]:
        return list(self._items.values())

    def add_many(
        self, items: Iterable[KBItem], vectors: Mapping[str, npt.ArrayLike] | None = None
    ) -> None:
        batch = list(items)
        for item in batch:
            self._items[item.id] = item
        self.searcher.add_many(
            [(it.id, it.lexical_text(self.include_answer), it.dense_text()) for it in batch],
            vectors,
            groups={it.id: it.language() for it in batch},
            summaries={it.id for it in batch if it.source == "course"},
        )

    def add(self, item: KBItem) -> None:
        """Add or replace an item; visible to the next query."""
        self.add_many([item])

    update = add

    def remove(self, item_id: str) -> bool:
        self._items.pop(item_id, None)
        return self.searcher.remove(item_id)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        lang: Language | None = None,
        mode: Mode = "hybrid",
        exclude: Sequence[str] | frozenset[str] | set[str] | None = None,
    ) -> list[SearchResult]:
        excl = frozenset(exclude) if exclude else None
        hits = self.searcher.search(query, k, lang=lang, mode=mode, exclude=excl)
        results = [
            SearchResult(self._items[h.key], h.score, h.confidence, h)
            for h in hits
            if h.key in self._items
        ]
        return specific_first(one_per_passage(results, lang or detect_language(query)))

    def is_confident(self, results: Sequence[SearchResult]) -> bool:
        return bool(results) and can_answer(results[0], self.threshold)
