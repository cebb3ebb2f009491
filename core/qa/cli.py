"""`syllabot qa check|import|evaluate` (mounted by bot/cli.py as `syllabot qa`).

Heavy imports (encoders, numpy models) happen inside the commands so `syllabot --help`
stays fast.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from core.qa.index import KBItem, KnowledgeIndex
    from core.qa.kbfile import LineError
    from core.qa.tokenize import Language

app = typer.Typer(help="Q&A knowledge base: check, import, evaluate.", no_args_is_help=True)

LANGS = ("en", "zh", "auto")
KB_FORMATS = ("jsonl", "csv", "md")


def _settings(config: Path | None) -> Any:
    from bot.cli import settings_or_exit

    return settings_or_exit(config)


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


async def _live_index(database_url: str) -> tuple[KnowledgeIndex, dict[Language, float]]:
    """The live knowledge base, and the answer thresholds members' feedback tuned."""
    from core.qa import service
    from models.db import make_engine, session_factory

    engine = make_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            index = await service.build_index(session, service.default_encoders())
            thresholds = await service.current_thresholds(session)
    finally:
        await engine.dispose()
    return index, thresholds


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command("check")
def check(
    questions_file: Annotated[
        Path, typer.Argument(help="JSONL {query, expected_id?} per line, or one question a line")
    ],
    kb: Annotated[
        Path | None,
        typer.Option(
            "--kb",
            help="a knowledge-base file (JSONL, CSV or Markdown) or StackExchange dump "
            "folder, as for import: test it instead of the live KB",
        ),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="en|zh|auto")] = "auto",
    top: Annotated[int, typer.Option("--top", min=1, max=100)] = 10,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write one JSON line per question here")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Show how the bot would answer each question: top answer, confidence, answered or
    escalated; Recall@1/@5 and MRR when expected ids are given."""
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    from core.qa import service
    from core.qa.check import jsonl_lines, run_check, summarize
    from core.qa.index import KnowledgeIndex
    from core.qa.kbfile import parse_questions

    if lang not in LANGS:
        _fail(f"--lang must be one of {', '.join(LANGS)}")
    if not questions_file.is_file():
        _fail(f"{questions_file} is not a readable file")
    err = Console(stderr=True)
    queries, q_errors = parse_questions(questions_file)
    for e in q_errors:
        typer.echo(f"{questions_file}: {e} (skipped)", err=True)

    if kb is not None:
        items, kb_errors, _ = _read_kb(kb, None)
        for e in kb_errors:
            typer.echo(f"{kb}: {e} (skipped)", err=True)
        if not items:
            _fail(f"{kb} has no usable entries")
        index = KnowledgeIndex(service.default_encoders())
        index.add_many(items)
        thresholds: dict[Language, float] = {}
    else:
        s = _settings(config)
        index, thresholds = asyncio.run(_live_index(s.database_url))
    if not queries:
        _fail(f"{questions_file} has no questions")

    lang_arg = None if lang == "auto" else lang
    rows = run_check(
        index,
        track(queries, description="checking", console=err, transient=True),
        top=top,
        lang=lang_arg,  # type: ignore[arg-type]
        thresholds=thresholds,
    )

    table = Table(show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("question")
    table.add_column("top answer")
    table.add_column("conf.", justify="right")
    table.add_column("result")
    for r in rows:
        result = "answered" if r.answered else "escalated"
        if r.expected_id is not None:
            result += f" (expected at {r.rank})" if r.rank else " (expected: missed)"
        table.add_row(
            str(r.line),
            _shorten(r.query, 50),
            _shorten(r.top_title, 40),
            f"{r.confidence:.2f}",
            result,
        )
    out = Console(width=140)
    out.print(table)
    summary = summarize(rows)
    line = f"{summary['questions']} questions: {summary['answered']} answered, {summary['escalated']} escalated"
    if "mrr" in summary:
        line += (
            f"; with expected ids ({summary['labelled']}): Recall@1 {summary['recall@1']:.3f}, "
            f"Recall@5 {summary['recall@5']:.3f}, MRR {summary['mrr']:.3f}"
        )
    if q_errors:
        line += f"; {len(q_errors)} malformed line(s) skipped"
    typer.echo(line)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text("".join(x + "\n" for x in jsonl_lines(rows)), encoding="utf-8")


def _read_kb(path: Path, fmt: str | None) -> tuple[list[KBItem], list[LineError], str]:
    """Entries from a KB file (JSONL, CSV, Markdown) or a StackExchange dump folder, the
    lines skipped, and a note on what a dump left out."""
    from core.qa.kbfile import parse_kb
    from core.qa.se_import import FILES, is_dump, read_dump

    if path.is_dir():
        if not is_dump(path):
            _fail(f"{path} is a folder without {' and '.join(FILES)}")
        dump = read_dump(path)
        note = f", {dump.unanswered} question(s) without a good answer left out"
        return dump.items, dump.errors, note
    if not path.is_file():
        _fail(f"{path} is not a readable file")
    items, errors = parse_kb(path, fmt)
    return items, errors, ""


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="Knowledge-base entries: .jsonl, .csv or .md; or a folder with a StackExchange "
            "dump as JSON lines (questions.jsonl, answers.jsonl, users.jsonl)"
        ),
    ],
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl|csv|md")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and report only")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Add or update knowledge-base entries (by id); bad lines are reported and skipped. A
    StackExchange folder brings each answered question with its accepted (else best-scored)
    answer, credited to its author with a link, as CC BY-SA asks."""
    from core.clock import SystemClock
    from core.qa import curation
    from models.db import make_engine, session_factory

    if fmt is not None and fmt not in KB_FORMATS:
        _fail(f"--format must be one of {', '.join(KB_FORMATS)}")
    items, errors, note = _read_kb(file, fmt)
    for e in errors:
        typer.echo(f"{file}: {e} (skipped)", err=True)
    if dry_run:
        typer.echo(f"{len(items)} entries would be imported, {len(errors)} line(s) skipped{note}")
        return
    s = _settings(config)

    async def go() -> tuple[int, int]:
        engine = make_engine(s.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await curation.import_entries(session, SystemClock(), items)
        finally:
            await engine.dispose()

    added, updated = asyncio.run(go())
    typer.echo(f"imported: {added} added, {updated} updated, {len(errors)} line(s) skipped{note}")


ANSWER_PROTOCOLS = ("none", "as_of", "both")


@app.command("evaluate")
def evaluate(
    dataset: Annotated[
        Path,
        typer.Argument(help="StackExchange-style dump (questions/answers/duplicates JSONL)"),
    ] = Path("../shared/datasets/qa/quantumcomputing"),
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    experts: Annotated[bool, typer.Option("--experts/--no-experts")] = True,
    split: Annotated[
        list[str] | None,
        typer.Option(
            "--split",
            help="duplicates_<SPLIT>.jsonl to score (repeatable); default: every split present",
        ),
    ] = None,
    answers: Annotated[
        str,
        typer.Option(
            help="how earlier questions are indexed: none (title + body, the dataset README's "
            "protocol), as_of (with the answer written before the duplicate), or both"
        ),
    ] = "both",
) -> None:
    """Duplicate retrieval per split (lexical/dense/hybrid), title->question proxy, expert
    routing. For latency on a 10,000-entry KB run bench/qa.py."""
    from core.qa import evaluate as ev
    from core.recommend.encoders import pick_encoder

    if not (dataset / "questions.jsonl").is_file():
        _fail(f"{dataset} has no questions.jsonl")
    if answers not in ANSWER_PROTOCOLS:
        _fail(f"--answers must be one of {', '.join(ANSWER_PROTOCOLS)}")
    present = ev.duplicate_splits(dataset)
    splits = split or present
    missing = [name for name in splits if name not in present]
    if missing:
        found = ", ".join(present) or "none"
        _fail(f"no duplicates_{missing[0]}.jsonl in {dataset} (splits found: {found})")
    protocols: list[ev.AnswerProtocol] = ["none", "as_of"] if answers == "both" else [answers]  # type: ignore[list-item]
    enc = pick_encoder("en")
    res: dict[str, Any] = {"duplicates": {}}
    lines: list[tuple[str, dict[str, Any]]] = []
    for name in splits:
        ds = ev.load_dataset(dataset, name)
        res["duplicates"][name] = {}
        for protocol in protocols:
            out = ev.eval_duplicates(ds, enc, answers=protocol)
            res["duplicates"][name][protocol] = out
            label = f"dups {name}" + (" +ans" if protocol == "as_of" else "")
            lines.append((label, out))
    ds = ev.load_dataset(dataset, splits[0] if splits else "train")
    res["title_proxy"], _ = ev.eval_title_proxy(ds, enc)
    lines.append(("title_proxy", res["title_proxy"]))
    if experts:
        res["experts"] = ev.eval_experts(ds, enc)
    for label, out in lines:
        for mode in ev.MODES:
            m = out[mode]
            typer.echo(
                f"{label:16} {mode:8} n={m['n']:4} R@1 {m['recall@1']:.3f} "
                f"R@5 {m['recall@5']:.3f} MRR {m['mrr']:.3f}"
            )
        if "queries" in out:
            best_single = max(out["lexical"]["mrr"], out["dense"]["mrr"])
            verdict = "beats" if out["hybrid"]["mrr"] > best_single else "does not beat"
            typer.echo(f"{label:16} hybrid {verdict} both single retrievers on MRR")
            ranks = " ".join(
                f"{q['dup_id']}:" + "/".join(str(q["rank"][m] or "-") for m in ev.MODES)
                for q in out["queries"]
            )
            typer.echo(f"{label:16} ranks lexical/dense/hybrid {ranks}")
    if experts:
        typer.echo(f"experts: {res['experts']}")
    if json_out is not None:
        json_out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
