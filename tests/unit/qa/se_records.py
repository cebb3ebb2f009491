"""StackExchange-style question and answer records, shaped like the rows of
``../shared/datasets/qa/<site>/questions.jsonl`` and ``answers.jsonl`` (only the fields the
evaluation reads). Loaded by this folder's conftest as ``qa_se_records``."""

from __future__ import annotations

from typing import Any


def question(qid: int, title: str, body: str, day: int, answers: int = 1) -> dict[str, Any]:
    """Asked on 2018-03-``day`` at midnight; ``answers``: how many the dump holds."""
    return {
        "id": qid,
        "title": title,
        "body": body,
        "tags": [],
        "creation_date": f"2018-03-{day:02d}T00:00:00",
        "answer_count": answers,
    }


def answer(aid: int, qid: int, body: str, day: int = 1, accepted: bool = False) -> dict[str, Any]:
    """Written on 2018-03-``day`` at noon."""
    return {
        "id": aid,
        "question_id": qid,
        "body": body,
        "score": 1,
        "is_accepted": accepted,
        "creation_date": f"2018-03-{day:02d}T12:00:00",
    }
