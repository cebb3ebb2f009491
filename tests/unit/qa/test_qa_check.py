"""`syllabot qa check`: ranked ids, metrics, plain text, malformed lines, DB untouched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.qa.check import run_check, summarize
from core.qa.kbfile import CheckQuery, parse_kb_text, parse_questions

DATA = Path(__file__).parents[2] / "data" / "qa"


@pytest.fixture(autouse=True)
def _shared_encoders(monkeypatch, qa_encoders):
    """The CLI builds its index with default_encoders(); reuse the session's loaded ones."""
    from core.qa import service

    monkeypatch.setattr(service, "default_encoders", lambda: qa_encoders)


def _run(*args: str):
    from core.qa.cli import app

    return CliRunner().invoke(app, ["check", *args], catch_exceptions=False)


def test_check_reports_ranked_ids_metrics_and_json(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "query": "I forgot my password, how do I reset it?",
                        "expected_id": "reset-password",
                    }
                ),
                json.dumps({"query": "我需要发票怎么办", "expected_id": "zh-invoice"}),
                "{not json",
                json.dumps({"query": "what is the best pizza in Naples"}),
                json.dumps({"no_query": 1}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    res = _run(str(questions), "--kb", str(DATA / "kb.jsonl"), "--top", "3", "--json", str(out))
    assert res.exit_code == 0, res.output
    assert "line 3: not valid JSON" in res.output
    assert 'line 5: missing "query"' in res.output
    assert "Recall@1 1.000" in res.output and "MRR 1.000" in res.output
    assert "escalated" in res.output and "answered" in res.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["query"][:3] for x in lines] == ["I f", "我需要", "wha"]
    assert lines[0]["ranked_ids"][0] == "reset-password" and len(lines[0]["ranked_ids"]) == 3
    assert len(lines[0]["scores"]) == 3
    assert lines[0]["answered"] is True and lines[2]["answered"] is False
    assert lines[1]["ranked_ids"][0] == "zh-invoice"


def test_plain_text_questions_and_lang_option(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text(
        "# sample questions\nhow does grover search work\n\n量子比特是什么意思\n", encoding="utf-8"
    )
    out = tmp_path / "o.jsonl"
    res = _run(str(questions), "--kb", str(DATA / "kb.jsonl"), "--lang", "auto", "--json", str(out))
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["ranked_ids"][0] for r in rows] == ["grover", "zh-qubit"]
    assert _run(str(questions), "--kb", str(DATA / "kb.jsonl"), "--lang", "fr").exit_code == 2


def test_kb_run_leaves_the_database_alone(tmp_path, monkeypatch):
    from models.db import upgrade

    db = tmp_path / "live.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("SYLLABOT_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    questions = tmp_path / "q.txt"
    questions.write_text("how does grover search work\n", encoding="utf-8")
    res = _run(str(questions), "--kb", str(DATA / "kb.jsonl"))
    assert res.exit_code == 0, res.output
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not (tmp_path / "live.db-wal").exists() or (tmp_path / "live.db-wal").stat().st_size == 0


def test_missing_file_is_a_clear_error(tmp_path):
    res = _run(str(tmp_path / "nope.jsonl"), "--kb", str(DATA / "kb.jsonl"))
    assert res.exit_code == 2 and "not a readable file" in res.output


def test_run_check_metrics_directly(kb_index):
    rows = run_check(
        kb_index,
        [
            CheckQuery(1, "refund annual subscription", "refund"),
            CheckQuery(2, "how does grover search work", "entanglement"),
        ],
        top=5,
    )
    s = summarize(rows)
    assert s["recall@1"] == 0.5 and s["labelled"] == 2
    assert rows[1].rank is not None and rows[1].rank > 1


def test_check_answers_each_question_at_its_languages_threshold(kb_index):
    """As the bot does: feedback made Chinese answers rarer (90%), English stays at 50%."""
    queries = [CheckQuery(1, "我需要发票怎么办", "zh-invoice"), CheckQuery(2, "reset my password")]
    assert [r.answered for r in run_check(kb_index, queries)] == [True, True]
    answered = run_check(kb_index, queries, thresholds={"zh": 0.9})
    assert [r.answered for r in answered] == [False, True]


def test_parsers_report_line_numbers(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"query": "ok question here"}\n[1,2]\n{"query": "x", "expected_id": [1]}\n')
    queries, errors = parse_questions(f)
    assert [q.line for q in queries] == [1] and [e.line for e in errors] == [2, 3]
    items, errs = parse_kb_text('{"id": "a", "title": "T", "answer": "A"}\n{"id": "b"}\n', "jsonl")
    assert [i.id for i in items] == ["a"] and errs[0].line == 2
    items, errs = parse_kb_text("title,answer\nReset,Go to settings\n,missing title\n", "csv")
    assert [i.title for i in items] == ["Reset"] and errs[0].line == 3
    items, errs = parse_kb_text("## Reset password\nGo to settings.\n## Empty\n", "md")
    assert items[0].id == "reset-password" and errs[0].line == 3


def test_import_dry_run_reports_and_writes_nothing(tmp_path):
    from core.qa.cli import app

    f = tmp_path / "kb.md"
    f.write_text("## Reset password\nGo to settings.\n## Empty heading\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["import", str(f), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "1 entries would be imported, 1 line(s) skipped" in res.output
    assert "line 3" in res.output
    res = CliRunner().invoke(app, ["import", str(f), "--format", "xml"])
    assert res.exit_code == 2


def test_check_takes_a_csv_or_markdown_kb_like_import(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("how can I reset my password\n", encoding="utf-8")
    csv_kb = tmp_path / "kb.csv"
    csv_kb.write_text("title,answer\nHow do I reset my password?,Use /profile.\n", "utf-8")
    md_kb = tmp_path / "kb.txt"  # no telling extension: read by its text
    md_kb.write_text("## How do I reset my password?\nUse /profile.\n", "utf-8")
    for kb in (csv_kb, md_kb):
        res = _run(str(questions), "--kb", str(kb))
        assert res.exit_code == 0, (kb.name, res.output)
        assert "1 answered" in res.output


def test_faq_files_with_question_and_answer_columns_are_read():
    """A FAQ exported with a "question,answer" header was refused: "the header must name a
    title column"; JSON lines with "question" likewise, and "问题,答案" in Chinese."""
    from core.qa.kbfile import guess_format

    text = 'question,answer,tags\n"Is there a student discount?","Yes, 50% off.",pricing\n'
    assert guess_format(text) == "csv"
    (item,), errors = parse_kb_text(text, "csv")
    assert errors == [] and item.title == "Is there a student discount?"
    assert item.answer == "Yes, 50% off." and item.tags == ("pricing",)
    (item,), _ = parse_kb_text('{"Question": "Refunds?", "Answer": "Within 14 days."}', "jsonl")
    assert (item.title, item.answer) == ("Refunds?", "Within 14 days.")
    (item,), _ = parse_kb_text("问题,答案\n怎么退款？,14天内可以退款。\n", "csv")
    assert (item.title, item.answer) == ("怎么退款？", "14天内可以退款。")
    (item,), _ = parse_kb_text("question,title,answer\nQ?,The title,A\n", "csv")
    assert item.title == "The title"  # an explicit title column wins
