"""Knowledge-base quality check (issue 15): how would the bot answer these questions?

Runs each question through the same :class:`~core.qa.index.KnowledgeIndex` search and the
same confidence threshold the bot uses, and reports ranked ids, the top answer, and
whether the bot would answer or escalate. Used by ``syllabot qa check`` and ``/kb check``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.qa.evaluate import ranking_metrics
from core.qa.index import KnowledgeIndex, can_answer, offers_course
from core.qa.kbfile import CheckQuery
from core.qa.tokenize import Language, detect_language


@dataclass(frozen=True)
class CheckRow:
    line: int
    query: str
    ranked_ids: list[str]
    scores: list[float]
    confidences: list[float]
    top_title: str
    confidence: float
    answered: bool
    expected_id: str | None = None
    course_offered: bool = False
    """The first entry is a course overview close enough to be offered (not answered with:
    :func:`core.qa.index.offers_course`)."""

    @property
    def rank(self) -> int | None:
        if self.expected_id is None:
            return None
        return next((i for i, x in enumerate(self.ranked_ids, 1) if x == self.expected_id), None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": self.query,
            "ranked_ids": self.ranked_ids,
            "scores": [round(s, 6) for s in self.scores],
            "answered": self.answered,
            "confidence": round(self.confidence, 4),
            "line": self.line,
        }
        if self.expected_id is not None:
            out["expected_id"] = self.expected_id
            out["rank"] = self.rank
        return out


def run_check(
    index: KnowledgeIndex,
    queries: Iterable[CheckQuery],
    *,
    top: int = 10,
    lang: Language | None = None,
    thresholds: Mapping[Language, float] | None = None,
    on_row: Callable[[CheckRow], None] | None = None,
) -> list[CheckRow]:
    """Each question searched and judged as the bot would; ``thresholds``: the answer
    threshold per question language (members' feedback tunes each), else the index's."""
    rows: list[CheckRow] = []
    for q in queries:
        q_lang = lang or detect_language(q.query)
        threshold = (thresholds or {}).get(q_lang, index.threshold)
        results = index.search(q.query, top, lang=q_lang)
        row = CheckRow(
            line=q.line,
            query=q.query,
            ranked_ids=[r.id for r in results],
            scores=[r.score for r in results],
            confidences=[r.confidence for r in results],
            top_title=results[0].item.title if results else "",
            course_offered=bool(results) and offers_course(results[0], threshold),
            confidence=results[0].confidence if results else 0.0,
            answered=bool(results) and can_answer(results[0], threshold),
            expected_id=q.expected_id,
        )
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def summarize(rows: Sequence[CheckRow]) -> dict[str, Any]:
    """Answered/escalated counts; Recall@1/@5 and MRR over rows that have an expected id."""
    labelled = [r for r in rows if r.expected_id is not None]
    out: dict[str, Any] = {
        "questions": len(rows),
        "answered": sum(r.answered for r in rows),
        "escalated": sum(not r.answered for r in rows),
    }
    if labelled:
        m = ranking_metrics(
            [r.ranked_ids for r in labelled], [[r.expected_id or ""] for r in labelled]
        )
        out.update(
            {
                "labelled": m["n"],
                "recall@1": m["recall@1"],
                "recall@5": m["recall@5"],
                "mrr": m["mrr"],
            }
        )
    return out


def jsonl_lines(rows: Sequence[CheckRow]) -> list[str]:
    return [json.dumps(r.to_json(), ensure_ascii=False) for r in rows]
