"""Duplicate retrieval with the answers a member could have seen: nothing written after the
duplicate was asked may reach the index, and what was written before must."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa_se_records import answer, question

from core.qa.evaluate import FUSION_CONFIGS, Dataset, eval_duplicates
from core.qa.hybrid import HybridSearcher
from core.recommend.encoders import HashingEncoder

ORIGINAL = 3
DUPLICATE = 4
WORD = "endianness"  # only in the original's answer and in the duplicate


def _dataset(original_answers: list[dict[str, Any]]) -> Dataset:
    questions = {
        1: question(
            1, "Qubit decoherence times on superconducting chips", "How long do they last?", 1
        ),
        2: question(
            2, "Measuring entanglement between two photons", "Which experiment shows it?", 1
        ),
        ORIGINAL: question(
            ORIGINAL, "Simulator returns wrong counts", "My histogram looks off.", 2
        ),
        DUPLICATE: question(
            DUPLICATE, "Results disagree with theory", f"Maybe I forgot {WORD} conventions?", 10, 0
        ),
    }
    answers = [
        answer(11, 1, "Tens of microseconds on current transmons.", 1),
        answer(12, 2, "Bell tests with polarisers.", 1),
        *original_answers,
    ]
    dup = {"dup_id": DUPLICATE, "original_id": ORIGINAL, "all_original_ids": [ORIGINAL]}
    return Dataset(questions, answers, [dup], Path("."))


def _only_query(ds: Dataset, answers: str) -> dict[str, Any]:
    out = eval_duplicates(ds, HashingEncoder(), answers=answers)  # type: ignore[arg-type]
    (row,) = out["queries"]
    return row


def test_answer_written_before_the_duplicate_makes_the_original_findable_by_its_words():
    ds = _dataset([answer(30, ORIGINAL, f"Bit order: {WORD} reverses the strings.", 3, True)])
    with_answers = _only_query(ds, "as_of")
    assert with_answers["original_answer_indexed"] == {str(ORIGINAL): 30}
    assert with_answers["rank"]["lexical"] == 1
    # Without answers nothing in the query names the original: BM25 cannot find it.
    assert _only_query(ds, "none")["rank"]["lexical"] is None


def test_answer_written_after_the_duplicate_is_never_indexed():
    late = answer(30, ORIGINAL, f"Bit order: {WORD} reverses the strings.", 11, True)
    row = _only_query(_dataset([late]), "as_of")
    # Unanswered when the duplicate was asked: not in the knowledge base at all.
    assert row["candidates"] == 2
    assert row["original_answer_indexed"] == {str(ORIGINAL): None}
    assert all(rank is None for rank in row["rank"].values())

    # Answered early, accepted answer only later: the entry holds the early answer.
    early = answer(29, ORIGINAL, "Check the classical register size.", 3)
    row = _only_query(_dataset([early, late]), "as_of")
    assert row["candidates"] == 3
    assert row["original_answer_indexed"] == {str(ORIGINAL): 29}
    assert row["rank"]["lexical"] is None


def test_last_fusion_config_compared_on_dev_sets_is_the_shipped_default():
    shipped: HybridSearcher[str] = HybridSearcher(None)
    last: HybridSearcher[str] = HybridSearcher(None, **list(FUSION_CONFIGS.values())[-1])
    for attr in ("fusion", "dense_weight", "title_apart", "rrf_k", "candidates"):
        assert getattr(last, attr) == getattr(shipped, attr), attr
    assert (last.lexical.k1, last.lexical.b) == (shipped.lexical.k1, shipped.lexical.b)
