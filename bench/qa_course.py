"""How the bot answers questions about its own course material (the demo community).

    .venv/bin/python bench/qa_course.py [--out bench/results/qa_course.json]

``bench/data/course_questions.jsonl``: member-style questions written for the demo
community's lessons and FAQ answers (``ok``: the titles of the entries that answer it) and
questions on its topics that no entry answers (``ok`` empty: the right outcome is a thread).
The demo is seeded into a fresh SQLite database exactly as ``syllabot demo`` does and
searched through the bot's own index. Reported per confidence threshold: how many
answerable questions get a right answer, a wrong one, or a thread, and how many
unanswerable ones get a (necessarily wrong) answer, and how many near misses are answered:
an answerable question searched with the entries that answer it left out, as when the
community has no material on exactly that (its top hit is then necessarily wrong).
Retrieval alone: Recall@1 / MRR.

The questions were written by us, after reading the lessons, so they are not a sample of
real members' wording; treat the numbers as a check of behaviour, not a benchmark to tune on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.wiring import build_app  # noqa: E402
from config.settings import load_settings  # noqa: E402
from core.clock import FrozenClock, SystemClock  # noqa: E402
from core.demo.seed import seed_demo  # noqa: E402
from core.qa import service  # noqa: E402
from core.qa.index import DEFAULT_THRESHOLD, KnowledgeIndex, SearchResult, can_answer  # noqa: E402
from core.qa.tokenize import detect_language  # noqa: E402
from models.catalog import Lesson  # noqa: E402
from models.db import upgrade  # noqa: E402
from models.qa import KBEntry  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "course_questions.jsonl"
THRESHOLDS = (0.3, 0.4, DEFAULT_THRESHOLD, 0.6, 0.7)


LESSON_TITLES: dict[str, str] = {}
"""Lesson entry id -> the lesson's English title (its Chinese-titled passages too)."""


def answers(result: SearchResult, ok: list[str]) -> bool:
    """Lesson entries are titled "LESSON · COURSE"; FAQ and thread entries by the question."""
    title = LESSON_TITLES.get(result.id, result.item.title)
    return any(title == t or title.startswith(f"{t} · ") for t in ok)


async def demo_index(encoders: Any) -> KnowledgeIndex:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/demo.db"
        await asyncio.to_thread(upgrade, url)
        settings = load_settings(None, database_url=url, secret_key="bench")
        app = build_app(settings, clock=FrozenClock(SystemClock().now().replace(microsecond=0)))
        await app.startup()
        try:
            async with app.services.session_factory() as s, s.begin():
                await seed_demo(s, app.services.clock)
            async with app.services.session_factory() as s:
                lessons = dict((await s.execute(select(Lesson.id, Lesson.title))).all())
                for entry_id, ref in await s.execute(
                    select(KBEntry.id, KBEntry.source_ref).where(KBEntry.source == "lesson")
                ):
                    lesson_id = int(ref.split("/l", 1)[1].split(":")[0].split("#")[0])
                    LESSON_TITLES[str(entry_id)] = lessons[lesson_id]
                return await service.build_index(s, encoders)
        finally:
            await app.close()


def evaluate(index: KnowledgeIndex, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per language (English through MiniLM, Chinese through E5, as the bot routes them)."""
    out: dict[str, Any] = {}
    for lang in ("en", "zh"):
        mine = [r for r in rows if detect_language(r["query"]) == lang]
        if mine:
            out[lang] = _evaluate(index, mine)
    return out


def _right_ids(index: KnowledgeIndex, ok: list[str]) -> set[str]:
    return {
        it.id
        for it in index.items()
        if any(
            (title := LESSON_TITLES.get(it.id, it.title)) == t or title.startswith(f"{t} · ")
            for t in ok
        )
    }


def _evaluate(index: KnowledgeIndex, rows: list[dict[str, Any]]) -> dict[str, Any]:
    per_query = []
    for row in rows:
        q = row["query"]
        lang = detect_language(q)
        results = index.search(q, service.SIMILAR_FOR_ROUTING, lang=lang)
        near: list[float] = []
        if row["ok"]:
            missed = index.search(
                q, service.SIMILAR_FOR_ROUTING, lang=lang, exclude=_right_ids(index, row["ok"])
            )
            near = [t for t in THRESHOLDS if missed and can_answer(missed[0], t)]
        rank = next((i for i, r in enumerate(results, 1) if answers(r, row["ok"])), None)
        top = results[0] if results else None
        per_query.append(
            {
                "query": q,
                "answerable": bool(row["ok"]),
                "rank": rank,
                "top": top.item.title if top else None,
                "top_source": top.item.source if top else None,
                "top_right": bool(top and answers(top, row["ok"])),
                "confidence": round(top.confidence, 3) if top else 0.0,
                "answered_at": [t for t in THRESHOLDS if top and can_answer(top, t)],
                "near_miss_answered_at": near,
                # what a thread at the shipped threshold comes with (service.pointer)
                "offered": bool(
                    top
                    and not can_answer(top, DEFAULT_THRESHOLD)
                    and service.pointer(lambda key, **kw: key, results, DEFAULT_THRESHOLD, lang)
                ),
            }
        )
    able = [p for p in per_query if p["answerable"]]
    unable = [p for p in per_query if not p["answerable"]]
    by_threshold = {}
    for t in THRESHOLDS:
        answered = [p for p in per_query if t in p["answered_at"]]
        by_threshold[str(t)] = {
            "answerable_right": sum(p["top_right"] for p in able if t in p["answered_at"]),
            "answerable_wrong": sum(not p["top_right"] for p in able if t in p["answered_at"]),
            "answerable_thread": sum(t not in p["answered_at"] for p in able),
            "unanswerable_answered": sum(t in p["answered_at"] for p in unable),
            "near_miss_answered": sum(t in p["near_miss_answered_at"] for p in able),
            "precision": round(sum(p["top_right"] for p in answered) / len(answered), 3)
            if answered
            else None,
        }
    offered = [p for p in per_query if p["offered"]]
    return {
        "threads_at_default": sum(DEFAULT_THRESHOLD not in p["answered_at"] for p in per_query),
        "offered_while_waiting": len(offered),
        "offered_right": sum(p["answerable"] and p["top_right"] for p in offered),
        "answerable": len(able),
        "unanswerable": len(unable),
        "recall@1": round(sum(p["rank"] == 1 for p in able) / len(able), 3),
        "recall@5": round(
            sum(p["rank"] is not None and p["rank"] <= 5 for p in able) / len(able), 3
        ),
        "mrr": round(sum(1 / p["rank"] for p in able if p["rank"]) / len(able), 3),
        "by_threshold": by_threshold,
        "per_query": per_query,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "qa_course.json"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    index = asyncio.run(demo_index(service.default_encoders()))
    result = evaluate(index, rows)
    for lang, part in result.items():
        for t, r in part["by_threshold"].items():
            print(lang, t, r)
        for keys in (
            ("answerable", "unanswerable", "recall@1", "recall@5", "mrr"),
            ("threads_at_default", "offered_while_waiting", "offered_right"),
        ):
            print(lang, {k: part[k] for k in keys})
    result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
