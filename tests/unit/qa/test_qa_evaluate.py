"""Offline evaluation helpers: the dev sets the fusion is chosen on must not leak answers."""

from __future__ import annotations

from pathlib import Path

from qa_se_records import answer, question

from core.qa.evaluate import Dataset, dev_sets


def test_linked_dev_set_cuts_cited_titles_and_skips_training_duplicates():
    cited = "How does amplitude amplification generalise Grover search?"
    later = "Which simulators run the surface code fast enough?"
    questions = {
        1: question(1, cited, f"Grover finds one item; what about several? ({later})", 1),
        2: question(2, "Why is my transpiled circuit deeper?", f"See {cited} for the idea.", 3),
        3: question(3, "Is this the same as the Grover question?", f"Like {cited} again", 4),
        4: question(4, later, "A question asked after one that quotes its title.", 5),
    }
    answers = [answer(10 + i, i, "An answer long enough to be a query. " * 8) for i in questions]
    ds = Dataset(questions, answers, [{"dup_id": 3, "all_original_ids": [1]}], Path("."))
    items, queries, include_answer = dev_sets(ds)["linked"]
    assert not include_answer and {it.id for it in items} == {"1", "2", "3", "4"}
    # Question 3 is a training duplicate: never a dev query. Question 1 quotes a title
    # asked only later: not a link to an earlier question.
    assert len(queries) == 1
    (q,) = queries
    assert q.relevant == ["1"] and cited not in q.text and q.text.startswith("Why is my")
    assert q.pool == {"1"}  # only questions asked before it
    # Answer -> question pairs come from every answered question.
    assert {tuple(x.relevant) for x in dev_sets(ds)["ans2q"][1]} == {("1",), ("2",), ("3",), ("4",)}
