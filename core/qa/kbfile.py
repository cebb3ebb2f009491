"""Reading knowledge-base and question files: JSONL, CSV, Markdown and plain text.

Every reader keeps going past a bad line and reports it with its line number, so one typo
in a 500-line file costs one entry, not the whole import.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.qa.index import KBItem

MAX_FIELD = 20_000


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class CheckQuery:
    line: int
    query: str
    expected_id: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ValueError("must be a string")
    return str(value)[:MAX_FIELD]


def read_text(path: Path) -> str:
    return decode_text(path.read_bytes())


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace")


def looks_binary(data: bytes) -> bool:
    """A spreadsheet, PDF or image sent where a text file was expected."""
    head = data[:4096]
    return b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xff\xd8"))


def format_of(name: str, text: str) -> str:
    """A file's format from its extension, else from its text (:func:`guess_format`)."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in ("csv", "md", "markdown"):
        return suffix
    return guess_format(text)


JSONL_SUFFIXES = ("jsonl", "json", "ndjson")


def _looks_jsonl(path: Path, text: str) -> bool:
    if path.suffix.lower().lstrip(".") in JSONL_SUFFIXES:
        return True
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first.startswith("{")


def parse_questions(path: Path) -> tuple[list[CheckQuery], list[LineError]]:
    """JSONL ``{"query": ..., "expected_id": optional}`` per line, or plain text (one
    question a line). Blank lines are skipped; in plain text, lines starting ``#`` too."""
    text = read_text(path)
    queries: list[CheckQuery] = []
    errors: list[LineError] = []
    if not _looks_jsonl(path, text):
        for no, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if line and not line.startswith("#"):
                queries.append(CheckQuery(no, line))
        return queries, errors
    for no, obj in json_objects(text, errors):
        query = obj.get("query")
        if not isinstance(query, str) or not query.strip():
            errors.append(LineError(no, 'missing "query" (a non-empty string)'))
            continue
        expected = obj.get("expected_id")
        if expected is not None and not isinstance(expected, str | int):
            errors.append(LineError(no, '"expected_id" must be a string or number'))
            continue
        queries.append(CheckQuery(no, query.strip(), None if expected is None else str(expected)))
    return queries, errors


_COLUMNS = {
    "question": "title",
    "q": "title",
    "问题": "title",
    "标题": "title",
    "a": "answer",
    "答案": "answer",
    "回答": "answer",
    "tag": "tags",
    "标签": "tags",
}
"""Names moderators give the columns: a FAQ file with a "question,answer" header was
refused ("the header must name a title column")."""


def _column(name: str) -> str:
    key = (name or "").strip().lower()
    return _COLUMNS.get(key, key)


def _canonical(obj: dict[str, Any]) -> dict[str, Any]:
    out = {str(k).strip().lower(): v for k, v in obj.items()}
    for k, v in obj.items():
        name = _column(str(k))
        if not out.get(name):  # an explicit "title" beside "question" wins
            out[name] = v
    return out


def _item(obj: dict[str, Any], fallback_id: str, source: str) -> KBItem:
    obj = _canonical(obj)
    title = _text(obj.get("title")).strip()
    if not title:
        raise ValueError('missing "title"')
    item_id = _text(obj.get("id")).strip() or fallback_id
    body = _text(obj.get("body"))
    answer = _text(obj.get("answer"))
    if not (body or answer):
        raise ValueError('needs a "body" or an "answer"')
    tags = obj.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    return KBItem(
        id=item_id,
        title=title[:300],
        body=body,
        answer=answer,
        lang=_text(obj.get("lang")).strip(),
        url=_text(obj.get("url")).strip()[:500],
        source=source,
        tags=tuple(str(t) for t in tags),
    )


def slug(text: str) -> str:
    s = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return s[:80] or "entry"


def parse_kb(
    path: Path, fmt: str | None = None, source: str = "import"
) -> tuple[list[KBItem], list[LineError]]:
    """Knowledge-base entries from JSONL, CSV (header: id,title,body,answer,lang,url,tags)
    or Markdown (``## Title`` starts an entry; the text under it is the answer)."""
    text = read_text(path)
    return parse_kb_text(text, (fmt or format_of(path.name, text)).lower(), source)


def guess_format(text: str) -> str:
    """For pasted text: JSONL when it starts with "{", CSV when the first line is a header
    naming a title column, else Markdown."""
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if first.startswith("{"):
        return "jsonl"
    if "," in first and "title" in [_column(c) for c in first.split(",")]:
        return "csv"
    return "md"


def parse_kb_text(
    text: str, kind: str, source: str = "import"
) -> tuple[list[KBItem], list[LineError]]:
    if kind in ("md", "markdown"):
        return _parse_markdown(text, source)
    if kind == "csv":
        return _parse_csv(text, source)
    return _parse_jsonl(text, source)


def json_objects(
    text: str, errors: list[LineError], where: str = ""
) -> list[tuple[int, dict[str, Any]]]:
    """The JSON objects of a JSON-lines text with their line numbers; blank lines are
    skipped, anything else that is not an object goes to ``errors`` (``where`` names the
    file in the message when there are several)."""
    out: list[tuple[int, dict[str, Any]]] = []
    prefix = f"{where}: " if where else ""
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LineError(no, f"{prefix}not valid JSON ({exc.msg})"))
            continue
        if not isinstance(obj, dict):
            errors.append(LineError(no, f"{prefix}expected a JSON object"))
            continue
        out.append((no, obj))
    return out


def _parse_jsonl(text: str, source: str) -> tuple[list[KBItem], list[LineError]]:
    items: list[KBItem] = []
    errors: list[LineError] = []
    for no, obj in json_objects(text, errors):
        try:
            items.append(_item(obj, f"line-{no}", source))
        except ValueError as exc:
            errors.append(LineError(no, str(exc)))
    return _dedupe(items, errors)


def _parse_csv(text: str, source: str) -> tuple[list[KBItem], list[LineError]]:
    items: list[KBItem] = []
    errors: list[LineError] = []
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "title" not in [_column(f) for f in reader.fieldnames]:
        return [], [LineError(1, 'the header must name a "title" column')]
    for row in reader:
        no = reader.line_num
        try:
            items.append(_item(dict(row), f"line-{no}", source))
        except ValueError as exc:
            errors.append(LineError(no, str(exc)))
    return _dedupe(items, errors)


def _parse_markdown(text: str, source: str) -> tuple[list[KBItem], list[LineError]]:
    items: list[KBItem] = []
    errors: list[LineError] = []
    title: str | None = None
    start = 0
    lines: list[str] = []

    def flush() -> None:
        if title is None:
            return
        answer = "\n".join(lines).strip()
        if not answer:
            errors.append(LineError(start, f"entry {title!r} has no text under its heading"))
            return
        items.append(KBItem(id=slug(title), title=title[:300], answer=answer, source=source))

    for no, raw in enumerate(text.splitlines(), start=1):
        m = re.match(r"^#{1,3}\s+(.+?)\s*#*\s*$", raw)
        if m:
            flush()
            title, start, lines = m.group(1), no, []
        elif title is not None:
            lines.append(raw)
    flush()
    if not items and not errors:
        errors.append(LineError(1, "no '## Title' headings found"))
    return _dedupe(items, errors)


def _dedupe(items: list[KBItem], errors: list[LineError]) -> tuple[list[KBItem], list[LineError]]:
    seen: dict[str, KBItem] = {}
    for it in items:
        seen[it.id] = it  # last one wins, like an upsert
    return list(seen.values()), errors
