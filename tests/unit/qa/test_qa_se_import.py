"""A StackExchange dump folder as knowledge-base entries: the right answer per question, the
CC BY-SA credit on every one, bad lines reported, and the import answering the next member."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from qa_se_records import answer, question
from typer.testing import CliRunner

from core.events import Actor, Chat, Command
from core.qa import curation, service
from core.qa.cli import app as qa_cli
from core.qa.se_import import is_dump, read_dump
from core.replies import Reply

SITE = "https://quantumcomputing.stackexchange.com"


def _a(aid: int, qid: int, body: str, score: int, accepted: bool = False, **kw: Any) -> dict:
    return answer(aid, qid, body, accepted=accepted) | {
        "score": score,
        "url": f"{SITE}/a/{aid}",
        **kw,
    }


def _write(path: Path, rows: list[Any], bad: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + bad, encoding="utf-8")


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    q = [
        question(1, "Are there emulators for quantum computers?", "To test Q# at home.", 1),
        question(2, "What is a qubit?", "Versus a bit.", 2),
        question(3, "Is my Bell state right?", "Please check.", 3),
    ]
    q = [r | {"url": f"{SITE}/q/{r['id']}", "tags": ["simulation"]} for r in q]
    answers = [
        _a(10, 1, "Try Quirk in the browser.", score=9, owner_user_id=77),
        _a(11, 1, "Use the QDK simulator for Q#.", score=3, accepted=True, owner_user_id=78),
        _a(20, 2, "A two-level quantum system.", score=1, owner_display_name="guest"),
        _a(21, 2, "A kind of bit.", score=0),
        _a(30, 3, "Looks fine.", score=0),
    ]
    users = [{"id": 77, "display_name": "Ada"}, {"id": 78, "display_name": "Grace"}]
    _write(tmp_path / "questions.jsonl", q)
    _write(tmp_path / "answers.jsonl", answers, bad="{not json\n")
    _write(tmp_path / "users.jsonl", users)
    return tmp_path


def test_each_answered_question_brings_its_accepted_else_best_answer_with_credit(dump):
    assert is_dump(dump)
    report = read_dump(dump)
    by_id = {it.id: it for it in report.items}
    assert sorted(by_id) == [
        "se:quantumcomputing.stackexchange.com:1",
        "se:quantumcomputing.stackexchange.com:2",
    ]
    emulators = by_id["se:quantumcomputing.stackexchange.com:1"]
    # Accepted beats the higher score; the credit comes first, so excerpts keep it.
    credit, _, text = emulators.answer.partition("\n\n")
    assert text == "Use the QDK simulator for Q#."
    assert credit == (
        "Answer by Grace (https://quantumcomputing.stackexchange.com/users/78) on "
        f"quantumcomputing.stackexchange.com, licensed CC BY-SA: {SITE}/a/11"
    )
    assert emulators.url == f"{SITE}/a/11" and emulators.tags == ("simulation",)
    qubit = by_id["se:quantumcomputing.stackexchange.com:2"]
    assert qubit.answer.endswith("A two-level quantum system.")  # best score, not the 0
    assert qubit.answer.startswith("Answer by guest on quantumcomputing")
    # Question 3's only answer scored 0: nobody vouched for it.
    assert report.unanswered == 1
    assert [str(e) for e in report.errors] == [
        "line 6: answers.jsonl: not valid JSON (Expecting property name enclosed in double quotes)"
    ]


def test_the_cli_takes_the_folder_and_refuses_one_that_is_not_a_dump(dump, tmp_path):
    res = CliRunner().invoke(qa_cli, ["import", str(dump), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "2 entries would be imported, 1 line(s) skipped" in res.output
    assert "1 question(s) without a good answer left out" in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(qa_cli, ["import", str(empty)])
    assert res.exit_code == 2 and "questions.jsonl and answers.jsonl" in res.output


async def test_an_imported_answer_reaches_the_next_member_with_its_credit(qa_app, dump):
    state = service.state_for(qa_app.services)
    async with qa_app.services.session_factory() as s, s.begin():
        added, _ = await curation.import_entries(
            s, qa_app.services.clock, read_dump(dump).items, state
        )
    assert added == 2
    actor = Actor("console", "erin", display_name="Erin", username="erin")
    ask = Command(
        actor,
        Chat("console", "erin", "private"),
        uuid.uuid4().hex,
        name="ask",
        args="Are there emulators for quantum computers I can run at home?",
    )
    out = await qa_app.router.dispatch(ask)
    text = "\n".join(r.text for r in out if isinstance(r, Reply))
    assert "QDK simulator" in text and "Answer by Grace" in text and "CC BY-SA" in text
    urls = [b.url for r in out if isinstance(r, Reply) for row in r.buttons for b in row]
    assert f"{SITE}/a/11" in urls


def test_qa_check_tries_questions_against_a_dump_folder(dump, tmp_path):
    questions = tmp_path / "q.jsonl"
    expected = "se:quantumcomputing.stackexchange.com:1"
    row = {"query": "Is there an emulator for quantum computers?", "expected_id": expected}
    questions.write_text(json.dumps(row) + "\n", encoding="utf-8")
    res = CliRunner().invoke(qa_cli, ["check", str(questions), "--kb", str(dump)])
    assert res.exit_code == 0, res.output
    assert "Recall@1 1.000" in res.output
