"""A StackExchange site's questions and answers as knowledge-base entries.

A community moving from a Q&A forum brings its answered questions along: ``syllabot qa
import DIR`` reads a folder with ``questions.jsonl`` and ``answers.jsonl`` (and, for author
names, ``users.jsonl``), the rows of a StackExchange data dump converted to JSON lines (see
``../shared/datasets/qa/*/README.md`` for the fields). Each question with a good answer
becomes one entry: the accepted answer, else the best-scored one with a score of at least
1; a question whose answers all scored 0 or less is skipped, since nobody vouched for them.

StackExchange content is CC BY-SA: every entry's answer starts with who wrote it, where,
the licence and a link to the answer, so the bot shows the attribution wherever it shows the
text, however short the excerpt. The entry links to the answer, and its id (``se:<site>:<question id>``) makes a
re-import update entries instead of adding them twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from core.qa.index import KBItem
from core.qa.kbfile import MAX_FIELD, LineError, json_objects, read_text

FILES = ("questions.jsonl", "answers.jsonl")
MIN_SCORE = 1
"""An answer that is neither accepted nor scored at least this is not taken."""


def is_dump(path: Path) -> bool:
    """A folder holding a converted StackExchange dump."""
    return path.is_dir() and all((path / name).is_file() for name in FILES)


@dataclass
class Report:
    items: list[KBItem] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    unanswered: int = 0
    """Questions without an answer good enough to import."""


def _rows(path: Path, errors: list[LineError]) -> list[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        return []
    rows = json_objects(read_text(path), errors, path.name)
    for no, obj in rows:
        if not isinstance(obj.get("id"), int):
            errors.append(LineError(no, f'{path.name}: no numeric "id"'))
    return [(no, obj) for no, obj in rows if isinstance(obj.get("id"), int)]


def _best(answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    accepted = [a for a in answers if a.get("is_accepted")]
    if accepted:
        return accepted[0]
    scored = [a for a in answers if int(a.get("score") or 0) >= MIN_SCORE]
    return max(scored, key=lambda a: (int(a.get("score") or 0), -a["id"]), default=None)


def _site(url: str) -> str:
    return urlparse(url).netloc or "Stack Exchange"


def attribution(answer: dict[str, Any], names: dict[int, str]) -> str:
    """Who wrote it, where, under which licence, with links (CC BY-SA asks for all four)."""
    url = str(answer.get("url") or "")
    uid = answer.get("owner_user_id")
    author = names.get(uid, "") if isinstance(uid, int) else ""
    author = author or str(answer.get("owner_display_name") or "") or "an anonymous user"
    site = _site(url)
    if isinstance(uid, int):
        author += f" (https://{site}/users/{uid})"
    return f"Answer by {author} on {site}, licensed CC BY-SA: {url}".rstrip(": ")


def read_dump(folder: Path) -> Report:
    """Entries for the answered questions of a dump folder (see the module docstring)."""
    report = Report()
    questions = _rows(folder / "questions.jsonl", report.errors)
    answers = _rows(folder / "answers.jsonl", report.errors)
    users = _rows(folder / "users.jsonl", report.errors)
    names = {u["id"]: str(u.get("display_name") or "") for _, u in users}
    by_question: dict[int, list[dict[str, Any]]] = {}
    for _, a in answers:
        qid = a.get("question_id")
        if isinstance(qid, int) and str(a.get("body") or "").strip():
            by_question.setdefault(qid, []).append(a)
    for no, q in questions:
        title = str(q.get("title") or "").strip()
        if not title:
            report.errors.append(LineError(no, 'questions.jsonl: missing "title"'))
            continue
        best = _best(by_question.get(q["id"], []))
        if best is None:
            report.unanswered += 1
            continue
        credit = attribution(best, names)  # first, so a shortened answer keeps it
        text = str(best["body"]).strip()[: MAX_FIELD - len(credit) - 2]
        url = str(best.get("url") or q.get("url") or "")
        raw_tags = q.get("tags")
        tags = raw_tags if isinstance(raw_tags, list) else []
        report.items.append(
            KBItem(
                id=f"se:{urlparse(url).netloc or 'site'}:{q['id']}",
                title=title[:300],
                body=str(q.get("body") or "")[:MAX_FIELD],
                answer=f"{credit}\n\n{text}",
                url=url[:500],
                source="import",
                tags=tuple(str(t) for t in tags),
            )
        )
    return report
