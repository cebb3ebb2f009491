"""`syllabot qa evaluate` scores every duplicate split it finds, each on its own: the
maintainers' held-out test split is scored by dropping its file beside the training one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from qa_se_records import answer, question
from typer.testing import CliRunner

from core.qa import cli
from core.qa.evaluate import dev_sets, duplicate_splits, load_dataset
from core.recommend.encoders import HashingEncoder

TOPICS = [
    ("Grover search with several marked items", "How many iterations when k items match?"),
    ("Surface code threshold under biased noise", "Does the threshold rise for Z-biased noise?"),
    ("Transpiling Toffoli gates for IBM hardware", "Why does my Toffoli become so many CNOTs?"),
    ("Bloch sphere picture of a mixed state", "Where does a mixed state sit on the sphere?"),
    ("Shor's algorithm period finding step", "Why does the continued fraction give the period?"),
    ("Measuring entanglement between photons", "Which experiment shows two photons entangled?"),
]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    questions = [question(i, t, b, day=i) for i, (t, b) in enumerate(TOPICS, start=1)]
    answers = [
        answer(100 + i, i, f"Answer about {t.lower()}.", day=i, accepted=True)
        for i, (t, _) in enumerate(TOPICS, start=1)
    ]
    # Two later rewordings: 20 duplicates Grover (train), 21 duplicates Shor (test).
    questions += [
        question(
            20, "Grover iterations with several marked items", "k items match: how many?", 20, 0
        ),
        question(21, "Continued fraction step in Shor's period finding", "Why the period?", 21, 0),
    ]
    _write(tmp_path / "questions.jsonl", questions)
    _write(tmp_path / "answers.jsonl", answers)
    _write(tmp_path / "duplicates_train.jsonl", [{"dup_id": 20, "all_original_ids": [1]}])
    _write(tmp_path / "duplicates_test.jsonl", [{"dup_id": 21, "all_original_ids": [5]}])
    return tmp_path


@pytest.fixture
def hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's encoder, swapped for a fast one (what is scored is the same code)."""
    monkeypatch.setattr("core.recommend.encoders.pick_encoder", lambda lang: HashingEncoder())


def test_every_split_present_is_scored_on_its_own(dump: Path, hashing: None) -> None:
    out = dump / "result.json"
    res = CliRunner().invoke(
        cli.app, ["evaluate", str(dump), "--no-experts", "--json", str(out)], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    assert "dups train" in res.output and "dups test" in res.output
    assert "hybrid beats both" in res.output or "hybrid does not beat" in res.output
    result = json.loads(out.read_text())["duplicates"]
    assert set(result) == {"train", "test"}
    for split, dup, original in [("train", 20, "1"), ("test", 21, "5")]:
        assert set(result[split]) == {"none", "as_of"}
        (row,) = result[split]["none"]["queries"]
        assert row["dup_id"] == dup and row["originals"] == [original]
        # Earlier answered questions only: the six originals, never the other duplicate.
        assert row["candidates"] == 6
        assert row["rank"]["lexical"] == 1  # shares the original's words


def test_one_split_and_one_protocol_can_be_asked_for(dump: Path, hashing: None) -> None:
    out = dump / "result.json"
    args = ["evaluate", str(dump), "--no-experts", "--split", "test", "--answers", "as_of"]
    res = CliRunner().invoke(cli.app, [*args, "--json", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    result = json.loads(out.read_text())["duplicates"]
    assert list(result) == ["test"] and list(result["test"]) == ["as_of"]
    assert "dups train" not in res.output


def test_unknown_split_or_protocol_is_refused_with_what_exists(dump: Path, hashing: None) -> None:
    res = CliRunner().invoke(cli.app, ["evaluate", str(dump), "--split", "holdout"])
    assert res.exit_code == 2
    assert "no duplicates_holdout.jsonl" in res.output and "train, test" in res.output
    res = CliRunner().invoke(cli.app, ["evaluate", str(dump), "--answers", "later"])
    assert res.exit_code == 2 and "--answers must be one of" in res.output


def test_other_splits_duplicates_stay_out_of_the_dev_sets(dump: Path) -> None:
    assert duplicate_splits(dump) == ["train", "test"]
    ds = load_dataset(dump, "train")
    assert [link["dup_id"] for link in ds.duplicates] == [20]
    assert ds.other_duplicate_ids == frozenset({21})
    # Duplicate 21 cites question 5's title: a linked dev query but for being a duplicate.
    q = ds.questions[21]
    q["body"] = f"See {ds.questions[5]['title']} first."
    assert not dev_sets(ds)["linked"][1]
    # Were it no duplicate anywhere, it would be one.
    (linked,) = dev_sets(replace(ds, other_duplicate_ids=frozenset()))["linked"][1]
    assert linked.relevant == ["5"]
    assert [link["dup_id"] for link in load_dataset(dump, "test").duplicates] == [21]
    assert load_dataset(dump, "holdout").duplicates == []
