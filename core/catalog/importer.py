"""Catalogue files (YAML, CSV, JSONL) <-> validated records; upsert by slug; export.

Parsing and validation are pure: every problem is collected with its line number and the
whole file is refused when there is any, so nothing is ever half-imported.

Formats (`syllabot catalog export` writes each of them; see tests/data/catalog/):
- YAML: ``{tags: [{slug, title, title_zh, description}], courses: [...]}`` (or a bare list
  of courses). A course has ``slug, title`` and optionally ``title_zh, description,
  description_zh, tags, level, author, duration_minutes, url, plan_codes, hidden``,
  ``lessons: [...]`` and ``modules: [{slug, title, title_zh, lessons: [...]}]``; a lesson
  has ``slug, title`` and optionally ``title_zh, content, url, duration_minutes, tags``.
- JSONL: one course object (same shape) per line, or ``{"tag": slug, "description": ...}``.
- CSV: columns from CSV_COLUMNS; a row without ``lesson`` defines the course ``course``,
  a row with ``lesson`` adds that lesson (to a course in the file or already stored);
  list cells (tags, plan_codes) are separated by ``;``.
Fields a file leaves out keep their stored values; lessons not in the file are kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LEVELS = ("beginner", "intermediate", "advanced")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_+#.-]{0,47}$")
PLAN_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_FILE_BYTES = 20 * 1024 * 1024

COURSE_FIELDS = (
    "title",
    "title_zh",
    "description",
    "description_zh",
    "tags",
    "level",
    "author",
    "duration_minutes",
    "url",
    "plan_codes",
    "hidden",
)
LESSON_FIELDS = ("title", "title_zh", "content", "url", "duration_minutes", "tags")
TAG_FIELDS = ("title", "title_zh", "description")
CSV_COLUMNS = [
    "course",
    "module",
    "module_title",
    "module_title_zh",
    "lesson",
    "title",
    "title_zh",
    "description",
    "description_zh",
    "content",
    "tags",
    "level",
    "author",
    "duration_minutes",
    "url",
    "plan_codes",
    "hidden",
]
TEXT_LIMITS = {
    "title": 200,
    "title_zh": 200,
    "author": 128,
    "url": 500,
    "description": 20_000,
    "description_zh": 20_000,
    "content": 100_000,
}


class CatalogFileError(Exception):
    """The file is refused; `problems` are (line, message) pairs, line 0 = the whole file."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(f"line {ln}: {msg}" if ln else msg for ln, msg in self.problems)


@dataclass
class TagRec:
    line: int
    slug: str
    values: dict[str, Any]


@dataclass
class ModuleRec:
    line: int
    slug: str
    title: str
    title_zh: str = ""


@dataclass
class LessonRec:
    line: int
    slug: str
    module: str
    values: dict[str, Any]


@dataclass
class CourseRec:
    line: int
    slug: str
    values: dict[str, Any]  # only the fields the file gives
    modules: list[ModuleRec] = field(default_factory=list)
    lessons: list[LessonRec] = field(default_factory=list)
    defined: bool = True  # False: a CSV that only adds lessons to an existing course


@dataclass
class CatalogFile:
    tags: list[TagRec] = field(default_factory=list)
    courses: list[CourseRec] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


class _LineLoader(yaml.SafeLoader):
    """Safe YAML loader that remembers each mapping's line as `__line__`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    data = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        data[key] = loader.construct_object(value_node, deep=True)
    data["__line__"] = node.start_mark.line + 1
    return data


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def detect_format(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext in {"yaml", "yml"}:
        return "yaml"
    if ext in {"csv"}:
        return "csv"
    if ext in {"jsonl", "ndjson"}:
        return "jsonl"
    raise CatalogFileError([(0, f"unknown file type '{path.suffix}': use .yaml, .csv or .jsonl")])


def read_file(path: Path, fmt: str | None = None) -> CatalogFile:
    """Read and validate a catalogue file; raises CatalogFileError with every problem."""
    fmt = fmt or detect_format(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogFileError([(0, f"cannot read {path}: {exc.strerror}")]) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise CatalogFileError([(0, f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CatalogFileError([(line, "not valid UTF-8 text")]) from exc
    return parse_text(text, fmt)


def parse_text(text: str, fmt: str) -> CatalogFile:
    if fmt == "yaml":
        return _parse_yaml(text)
    if fmt == "jsonl":
        return _parse_jsonl(text)
    if fmt == "csv":
        return _parse_csv(text)
    raise CatalogFileError([(0, f"unknown format '{fmt}': use yaml, csv or jsonl")])


def _parse_yaml(text: str) -> CatalogFile:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise CatalogFileError([(line, f"YAML syntax error: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise CatalogFileError([(0, f"YAML error: {exc}")]) from exc
    v = _Validator()
    courses: Any
    tags: Any
    if isinstance(data, list):
        courses, tags = data, []
    elif isinstance(data, dict):
        extra = set(data) - {"courses", "tags", "__line__", "name"}
        if extra:
            v.err(1, f"unknown top-level key(s): {', '.join(sorted(map(str, extra)))}")
        courses, tags = data.get("courses") or [], data.get("tags") or []
    elif data is None:
        courses, tags = [], []
    else:
        raise CatalogFileError([(1, "expected a list of courses or a mapping with 'courses'")])
    if not isinstance(courses, list) or not isinstance(tags, list):
        raise CatalogFileError([(1, "'courses' and 'tags' must be lists")])
    for t in tags:
        v.tag(t, _line(t, 1))
    for c in courses:
        v.course(c, _line(c, 1))
    return v.finish()


def _parse_jsonl(text: str) -> CatalogFile:
    v = _Validator()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            v.err(n, f"invalid JSON: {exc.msg}")
            continue
        if not isinstance(obj, dict):
            v.err(n, "each line must be a JSON object")
        elif "tag" in obj:
            obj = dict(obj)
            obj["slug"] = obj.pop("tag")
            v.tag(obj, n)
        else:
            v.course(obj, n, nested_line=n)
    return v.finish()


def _parse_csv(text: str) -> CatalogFile:
    v = _Validator()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if not header:
        raise CatalogFileError([(1, "empty CSV: the first line must name the columns")])
    if unknown:
        raise CatalogFileError([(1, f"unknown column(s): {', '.join(unknown)}")])
    if "course" not in header or "title" not in header:
        raise CatalogFileError([(1, "the columns 'course' and 'title' are required")])
    courses: dict[str, CourseRec] = {}
    module_lines: dict[tuple[str, str], int] = {}
    try:
        rows = list(_csv_rows(reader))
    except csv.Error as exc:
        raise CatalogFileError([(reader.line_num, f"CSV error: {exc}")]) from exc
    for n, row in rows:
        if None in row:
            v.err(n, "more cells than columns")
            continue
        cells = {k: (val or "").strip() for k, val in row.items()}
        slug = cells.get("course", "")
        if not cells.get("lesson"):
            obj: dict[str, Any] = {
                k: cells[k] for k in header if k in COURSE_FIELDS or k == "course"
            }
            obj["slug"] = obj.pop("course")
            for k in ("tags", "plan_codes"):
                if k in obj:
                    obj[k] = _split_list(obj[k])
            if "duration_minutes" in obj and obj["duration_minutes"] == "":
                obj["duration_minutes"] = 0
            rec = v.course(obj, n)
            if rec is not None:
                if slug in courses and courses[slug].defined:
                    v.err(
                        n, f"course '{slug}' is defined twice (first on line {courses[slug].line})"
                    )
                elif slug in courses:
                    prev = courses[slug]
                    rec.modules, rec.lessons = prev.modules, prev.lessons
                    courses[slug] = rec
                else:
                    courses[slug] = rec
            continue
        if not SLUG_RE.match(slug):
            v.err(n, f"lesson row needs a valid 'course' slug, got '{slug}'")
            continue
        if slug not in courses:
            courses[slug] = CourseRec(n, slug, {}, defined=False)
        course = courses[slug]
        module = cells.get("module", "")
        if module and (slug, module) not in module_lines:
            module_lines[(slug, module)] = n
            mtitle = cells.get("module_title") or module
            course.modules.append(ModuleRec(n, module, mtitle, cells.get("module_title_zh", "")))
        lobj: dict[str, Any] = {k: cells[k] for k in header if k in LESSON_FIELDS}
        lobj["slug"] = cells["lesson"]
        if "tags" in lobj:
            lobj["tags"] = _split_list(lobj["tags"])
        if lobj.get("duration_minutes") == "":
            lobj["duration_minutes"] = 0
        lesson = v.lesson(lobj, n, module)
        if lesson is not None:
            course.lessons.append(lesson)
    out = v.finish_courses(list(courses.values()))
    return out


def _csv_rows(reader: csv.DictReader[str]) -> Iterable[tuple[int, dict[str, Any]]]:
    start = 2
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def _split_list(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;|]", value) if p.strip()]


def _line(obj: Any, default: int) -> int:
    return int(obj.get("__line__", default)) if isinstance(obj, dict) else default


class _Validator:
    """Collects problems with line numbers while turning raw objects into records."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self.tags: list[TagRec] = []
        self.courses: list[CourseRec] = []

    def err(self, line: int, msg: str) -> None:
        self.problems.append((line, msg))

    def _text(self, line: int, what: str, key: str, value: Any) -> str | None:
        if value is None:
            value = ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.err(line, f"{what}: '{key}' must be text")
            return None
        value = value.strip()
        if "\x00" in value:
            self.err(line, f"{what}: '{key}' contains a NUL character")
            return None
        limit = TEXT_LIMITS.get(key, 2000)
        if len(value) > limit:
            self.err(line, f"{what}: '{key}' is longer than {limit} characters")
            return None
        if key == "url" and value and not re.match(r"^https?://\S+$", value):
            self.err(line, f"{what}: 'url' must start with http:// or https://")
            return None
        return value

    def _list(self, line: int, what: str, key: str, value: Any, pattern: re.Pattern[str]) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            value = _split_list(value.replace(",", ";"))
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.err(line, f"{what}: '{key}' must be a list of words")
            return None
        out: list[str] = []
        for x in value:
            x = x.strip().lower()
            if not pattern.match(x):
                self.err(line, f"{what}: '{x[:40]}' is not a valid {key[:-1].replace('_', ' ')}")
                return None
            if x not in out:
                out.append(x)
        if len(out) > 20:
            self.err(line, f"{what}: at most 20 {key}")
            return None
        return out

    def _int(self, line: int, what: str, key: str, value: Any) -> int | None:
        if isinstance(value, bool):
            value = None
        try:
            n = int(str(value).strip())
        except (TypeError, ValueError):
            self.err(line, f"{what}: '{key}' must be a whole number")
            return None
        if not 0 <= n <= 100_000:
            self.err(line, f"{what}: '{key}' must be between 0 and 100000")
            return None
        return n

    def _values(
        self, obj: dict[str, Any], line: int, what: str, allowed: tuple[str, ...]
    ) -> dict[str, Any] | None:
        before = len(self.problems)
        out: dict[str, Any] = {}
        for key in allowed:
            if key not in obj:
                continue
            value = obj[key]
            if key in ("tags", "plan_codes"):
                out[key] = self._list(line, what, key, value, TAG_RE if key == "tags" else PLAN_RE)
            elif key == "duration_minutes":
                out[key] = self._int(line, what, key, value)
            elif key == "hidden":
                b = _bool(value)
                if b is None:
                    self.err(line, f"{what}: 'hidden' must be true or false")
                out[key] = b
            elif key == "level":
                lv = str(value or "").strip().lower()
                if lv not in LEVELS:
                    self.err(line, f"{what}: 'level' must be one of {', '.join(LEVELS)}")
                out[key] = lv
            else:
                out[key] = self._text(line, what, key, value)
        if allowed is not TAG_FIELDS and not out.get("title") and "title" in obj:
            self.err(line, f"{what}: 'title' must not be empty")
        return out if len(self.problems) == before else None

    def tag(self, obj: Any, line: int) -> None:
        if not isinstance(obj, dict):
            self.err(line, "a tag must be a mapping with 'slug'")
            return
        slug = str(obj.get("slug", "")).strip().lower()
        if not TAG_RE.match(slug):
            self.err(line, f"tag: '{slug[:40]}' is not a valid tag")
            return
        self._unknown(obj, line, f"tag '{slug}'", ("slug", *TAG_FIELDS))
        values = self._values(obj, line, f"tag '{slug}'", TAG_FIELDS)
        if any(t.slug == slug for t in self.tags):
            self.err(line, f"tag '{slug}' is defined twice")
        elif values is not None:
            self.tags.append(TagRec(line, slug, values))

    def _unknown(self, obj: dict[str, Any], line: int, what: str, allowed: Iterable[str]) -> None:
        extra = set(obj) - set(allowed) - {"__line__"}
        if extra:
            self.err(line, f"{what}: unknown field(s) {', '.join(sorted(map(str, extra)))}")

    def course(self, obj: Any, line: int, nested_line: int | None = None) -> CourseRec | None:
        if not isinstance(obj, dict):
            self.err(line, "a course must be a mapping with 'slug' and 'title'")
            return None
        slug = obj.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug.strip()):
            self.err(line, f"course: slug '{str(slug)[:40]}' must be lowercase letters, digits, -")
            return None
        slug = slug.strip()
        what = f"course '{slug}'"
        self._unknown(obj, line, what, ("slug", *COURSE_FIELDS, "modules", "lessons"))
        if "title" not in obj:
            self.err(line, f"{what}: 'title' is missing")
        values = self._values(obj, line, what, COURSE_FIELDS)
        rec = CourseRec(line, slug, values or {})
        lesson_slugs: dict[str, int] = {}
        self._lessons(rec, obj.get("lessons"), "", line, nested_line, lesson_slugs)
        for mpos, m in enumerate(obj.get("modules") or []):
            mline = nested_line or _line(m, line)
            if not isinstance(m, dict) or not SLUG_RE.match(str(m.get("slug", ""))):
                self.err(mline, f"{what}: module {mpos + 1} needs a slug")
                continue
            mslug = str(m["slug"])
            self._unknown(
                m, mline, f"{what} module '{mslug}'", ("slug", "title", "title_zh", "lessons")
            )
            mvals = self._values(m, mline, f"module '{mslug}'", ("title", "title_zh"))
            if any(x.slug == mslug for x in rec.modules):
                self.err(mline, f"{what}: module '{mslug}' is defined twice")
            elif mvals is not None:
                rec.modules.append(
                    ModuleRec(mline, mslug, mvals.get("title") or mslug, mvals.get("title_zh", ""))
                )
            self._lessons(rec, m.get("lessons"), mslug, mline, nested_line, lesson_slugs)
        if values is None:
            return None
        if any(c.slug == slug for c in self.courses):
            first = next(c for c in self.courses if c.slug == slug).line
            self.err(line, f"course '{slug}' is defined twice (first on line {first})")
            return None
        self.courses.append(rec)
        return rec

    def _lessons(
        self,
        rec: CourseRec,
        items: Any,
        module: str,
        line: int,
        nested_line: int | None,
        seen: dict[str, int],
    ) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            self.err(line, f"course '{rec.slug}': 'lessons' must be a list")
            return
        for item in items:
            lline = nested_line or _line(item, line)
            lesson = self.lesson(item, lline, module, course=rec.slug)
            if lesson is None:
                continue
            if lesson.slug in seen:
                self.err(
                    lline,
                    f"course '{rec.slug}': lesson '{lesson.slug}' is defined twice "
                    f"(first on line {seen[lesson.slug]})",
                )
                continue
            seen[lesson.slug] = lline
            rec.lessons.append(lesson)

    def lesson(self, obj: Any, line: int, module: str, course: str = "") -> LessonRec | None:
        if not isinstance(obj, dict) or not SLUG_RE.match(str(obj.get("slug", "")).strip()):
            self.err(line, f"course '{course}': every lesson needs a valid slug")
            return None
        slug = str(obj["slug"]).strip()
        what = f"lesson '{slug}'"
        self._unknown(obj, line, what, ("slug", *LESSON_FIELDS))
        if not obj.get("title"):
            self.err(line, f"{what}: 'title' is missing")
            return None
        values = self._values(obj, line, what, LESSON_FIELDS)
        if values is None:
            return None
        return LessonRec(line, slug, module, values)

    def finish(self) -> CatalogFile:
        return self.finish_courses(self.courses)

    def finish_courses(self, courses: list[CourseRec]) -> CatalogFile:
        for c in courses:
            slugs = {m.slug for m in c.modules}
            for lesson in c.lessons:
                if lesson.module and lesson.module not in slugs:
                    self.err(
                        lesson.line, f"lesson '{lesson.slug}': unknown module '{lesson.module}'"
                    )
            seen: dict[str, int] = {}
            for lesson in c.lessons:
                if lesson.slug in seen and seen[lesson.slug] != lesson.line:
                    self.err(
                        lesson.line, f"course '{c.slug}': lesson '{lesson.slug}' is defined twice"
                    )
                seen.setdefault(lesson.slug, lesson.line)
        if self.problems:
            raise CatalogFileError(self.problems)
        return CatalogFile(self.tags, courses)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in {"", "0", "false", "no", "n"}:
        return False
    if s in {"1", "true", "yes", "y"}:
        return True
    return None


# --------------------------------------------------------------------------- writing


def dump(data: dict[str, Any], fmt: str) -> str:
    """Serialise an export (see service.export_catalog) as yaml, jsonl or csv."""
    if fmt == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    if fmt == "jsonl":
        lines = [
            json.dumps({"tag": t.pop("slug"), **t}, ensure_ascii=False)
            for t in (dict(t) for t in data["tags"])
        ]
        lines += [json.dumps(c, ensure_ascii=False) for c in data["courses"]]
        return "\n".join(lines) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        for c in data["courses"]:
            row = {k: c.get(k, "") for k in COURSE_FIELDS}
            row["tags"] = ";".join(c["tags"])
            row["plan_codes"] = ";".join(c["plan_codes"])
            row["hidden"] = "true" if c["hidden"] else "false"
            w.writerow({"course": c["slug"], **row})
            titles = {m["slug"]: m for m in c.get("modules", [])}
            for lesson in _all_lessons(c):
                m = titles.get(lesson["module"], {})
                w.writerow(
                    {
                        "course": c["slug"],
                        "module": lesson["module"],
                        "module_title": m.get("title", ""),
                        "module_title_zh": m.get("title_zh", ""),
                        "lesson": lesson["slug"],
                        "title": lesson["title"],
                        "title_zh": lesson["title_zh"],
                        "content": lesson["content"],
                        "url": lesson["url"],
                        "duration_minutes": lesson["duration_minutes"],
                        "tags": ";".join(lesson["tags"]),
                    }
                )
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt}")


def _all_lessons(course: dict[str, Any]) -> list[dict[str, Any]]:
    out = [dict(lesson, module="") for lesson in course.get("lessons", [])]
    for m in course.get("modules", []):
        out += [dict(lesson, module=m["slug"]) for lesson in m.get("lessons", [])]
    return out
