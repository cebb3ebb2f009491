"""Offline evaluation of Q&A retrieval and expert routing on a StackExchange-style dump.

Used by ``bench/qa.py`` and ``syllabot qa evaluate``. Everything goes through
:class:`~core.qa.index.KnowledgeIndex`, the same class the bot answers with.

Data layout (``questions.jsonl``, ``answers.jsonl``, ``duplicates_<split>.jsonl``) is the
one in ``../shared/datasets/qa/<site>/README.md``: ``train`` ships with the data, the
held-out ``test`` split is kept by the maintainers and is scored by dropping its file beside
the others (``syllabot qa evaluate`` scores every split it finds, each on its own). The content is CC BY-SA (Stack Exchange
and its authors); items keep their ``url`` so any shown answer can be attributed.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core.qa.experts import (
    Contribution,
    ExpertCandidate,
    PastAnswer,
    RoutingWeights,
    candidate_from_history,
    expert_features,
    fit_routing_weights,
    rank_experts,
    relevance_by_member,
)
from core.qa.hybrid import Mode, fit_calibration
from core.qa.index import KBItem, KnowledgeIndex, topic_tags
from core.recommend.encoders import TextEncoder

MODES: tuple[Mode, ...] = ("lexical", "dense", "hybrid")


@dataclass
class Dataset:
    questions: dict[int, dict[str, Any]]
    answers: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    path: Path
    split: str = "train"
    """Which ``duplicates_<split>.jsonl`` :attr:`duplicates` came from."""
    other_duplicate_ids: frozenset[int] = frozenset()
    """Duplicate questions of the other splits present: kept out of the dev sets too."""

    def answers_by_question(self) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for a in self.answers:
            out[a["question_id"]].append(a)
        return out


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def duplicate_splits(path: str | Path) -> list[str]:
    """The duplicate splits a dataset folder holds, ``train`` first, then by name."""
    names = [p.name[len("duplicates_") : -len(".jsonl")] for p in Path(path).glob(DUP_GLOB)]
    return sorted(names, key=lambda n: (n != "train", n))


DUP_GLOB = "duplicates_*.jsonl"


def load_dataset(path: str | Path, split: str = "train") -> Dataset:
    """Questions, answers and the duplicate links of one split (none when the split's file
    is absent: the title proxy, dev sets and routing need no duplicates)."""
    root = Path(path)
    questions = {q["id"]: q for q in _read_jsonl(root / "questions.jsonl")}
    answers = _read_jsonl(root / "answers.jsonl")
    dups_path = root / f"duplicates_{split}.jsonl"
    dups = _read_jsonl(dups_path) if dups_path.exists() else []
    others = {
        link["dup_id"]
        for name in duplicate_splits(root)
        if name != split
        for link in _read_jsonl(root / f"duplicates_{name}.jsonl")
    }
    return Dataset(questions, answers, dups, root, split, frozenset(others))


def _when(s: str) -> datetime:
    return datetime.fromisoformat(s)


def question_item(q: Mapping[str, Any], answer: str = "", with_title: bool = True) -> KBItem:
    return KBItem(
        id=str(q["id"]),
        title=q["title"] if with_title else "",
        body=q.get("body") or "",
        answer=answer,
        lang="en",
        url=q.get("url", ""),
        source="import",
        tags=tuple(q.get("tags") or ()),
    )


def _first_rank(ids: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based position of the first relevant id, None when none is listed."""
    rel = set(relevant)
    return next((i for i, x in enumerate(ids, start=1) if x in rel), None)


def ranking_metrics(
    ranked: Sequence[Sequence[str]], relevant: Sequence[Iterable[str]]
) -> dict[str, float]:
    """Recall@1, Recall@5 (any relevant id in the top k) and MRR, averaged over queries."""
    r1 = r5 = rr = 0.0
    for ids, rel in zip(ranked, relevant, strict=True):
        rank = _first_rank(ids, rel)
        if rank is not None:
            rr += 1.0 / rank
            r1 += rank <= 1
            r5 += rank <= 5
    n = len(ranked)
    if n == 0:
        return {"n": 0, "recall@1": 0.0, "recall@5": 0.0, "mrr": 0.0}
    return {"n": n, "recall@1": r1 / n, "recall@5": r5 / n, "mrr": rr / n}


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    if not seconds:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0, "n": 0}
    arr = np.asarray(seconds) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "max_ms": round(float(arr.max()), 2),
        "n": len(seconds),
    }


@dataclass
class ModeResult:
    ranked: dict[str, list[list[str]]] = field(default_factory=lambda: {m: [] for m in MODES})
    relevant: list[list[str]] = field(default_factory=list)
    latency_s: list[float] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        out: dict[str, Any] = {m: ranking_metrics(self.ranked[m], self.relevant) for m in MODES}
        out["hybrid_latency"] = percentiles_ms(self.latency_s)
        return out


def _search_all_modes(
    index: KnowledgeIndex, query: str, k: int, result: ModeResult, exclude: set[str] | None = None
) -> None:
    for mode in MODES:
        t0 = time.perf_counter()
        hits = index.search(query, k, mode=mode, exclude=exclude)
        dt = time.perf_counter() - t0
        if mode == "hybrid":
            result.latency_s.append(dt)
        result.ranked[mode].append([h.id for h in hits])


AnswerProtocol = Literal["none", "as_of"]
"""How :func:`eval_duplicates` indexes the earlier questions: ``"none"``, title + body of
every question that has an answer in the dump (the protocol first recorded); ``"as_of"``,
the knowledge base as it stood when the duplicate was asked (see there)."""


def _answer_order(a: Mapping[str, Any]) -> tuple[bool, int]:
    """The answer a KB entry shows: the accepted one, else the top-scored."""
    return (not a.get("is_accepted"), -(a["score"] or 0))


def _answered_as_of(
    ds: Dataset, when: str, skip: int
) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """Questions created before ``when`` that had an answer before ``when``, in creation
    order, each with the answer the KB would hold then (accepted if already written, else
    the top-scored one written by then)."""
    existing: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in ds.answers:
        if a["creation_date"] < when:
            existing[a["question_id"]].append(a)
    chosen: dict[int, dict[str, Any]] = {}
    for qid, answers in existing.items():
        q = ds.questions.get(qid)
        if q is None or qid == skip or q["creation_date"] >= when:
            continue
        chosen[qid] = min(answers, key=_answer_order)
    pool = sorted((ds.questions[qid] for qid in chosen), key=lambda q: q["creation_date"])
    return pool, chosen


def eval_duplicates(
    ds: Dataset,
    encoders: Mapping[str, TextEncoder] | TextEncoder,
    k: int = 10,
    options: Mapping[str, Any] | None = None,
    answers: AnswerProtocol = "none",
) -> dict[str, Any]:
    """Each duplicate searches only earlier questions that have an answer.

    ``answers="none"``: questions created strictly before the duplicate with an answer in
    the dump (written at any time), indexed as title + body only, since most answers were
    written after the duplicate was asked.

    ``answers="as_of"``: what the bot's knowledge base (question + answer pairs) held when
    the duplicate was asked: questions with an answer written strictly before the duplicate,
    each indexed with that answer (accepted one if already written, else the top-scored
    one then written). Nothing written after the duplicate is used; the dump only has
    final scores and acceptance flags, not their dates.

    Either way the index grows (and entries are updated) in creation order, as the bot's.
    """
    dups: dict[int, set[str]] = defaultdict(set)
    for link in ds.duplicates:
        dups[link["dup_id"]].update(str(x) for x in link["all_original_ids"])
    ever_answered = sorted(
        (q for q in ds.questions.values() if (q.get("answer_count") or 0) >= 1),
        key=lambda q: q["creation_date"],
    )
    index = KnowledgeIndex(encoders, include_answer=answers == "as_of", searcher_options=options)
    indexed: dict[str, KBItem] = {}
    result = ModeResult()
    per_query: list[dict[str, Any]] = []
    for dup_id in sorted(dups, key=lambda d: ds.questions[d]["creation_date"]):
        dq = ds.questions[dup_id]
        chosen: dict[int, dict[str, Any]] = {}
        if answers == "as_of":
            pool, chosen = _answered_as_of(ds, dq["creation_date"], dup_id)
            entries = [question_item(q, chosen[q["id"]]["body"]) for q in pool]
        else:
            entries = [
                question_item(q)
                for q in ever_answered
                if q["creation_date"] < dq["creation_date"] and q["id"] != dup_id
            ]
        index.add_many([it for it in entries if indexed.get(it.id) != it])
        indexed.update((it.id, it) for it in entries)
        query = f"{dq['title']}\n{dq.get('body') or ''}"
        result.relevant.append(sorted(dups[dup_id]))
        _search_all_modes(index, query, k, result)
        row: dict[str, Any] = {
            "dup_id": dup_id,
            "candidates": len(index),
            "originals": sorted(dups[dup_id]),
            "rank": {m: _first_rank(result.ranked[m][-1], dups[dup_id]) for m in MODES},
            **{m: result.ranked[m][-1][:5] for m in MODES},
        }
        if answers == "as_of":
            row["original_answer_indexed"] = {
                o: chosen[int(o)]["id"] if int(o) in chosen else None for o in sorted(dups[dup_id])
            }
        per_query.append(row)
    out = result.metrics()
    out["answers"] = answers
    out["queries"] = per_query
    return out


def eval_title_proxy(
    ds: Dataset,
    encoders: Mapping[str, TextEncoder] | TextEncoder,
    k: int = 10,
    limit: int | None = None,
) -> tuple[dict[str, Any], list[tuple[tuple[float, float, float, float], bool]]]:
    """Proxy task (larger, synthetic): a question's *title* must find its own entry, indexed
    with the title removed (body + accepted/top answer). Also returns the top hybrid hit's
    calibration features with whether it was right, to fit the confidence model: once
    with the answer in the KB, once with it left out (then any top hit is wrong)."""
    by_q = ds.answers_by_question()
    items: list[KBItem] = []
    for q in ds.questions.values():
        answers = sorted(
            by_q.get(q["id"], []), key=lambda a: (not a.get("is_accepted"), -(a["score"] or 0))
        )
        if not answers:
            continue
        items.append(question_item(q, answers[0]["body"], with_title=False))
    index = KnowledgeIndex(encoders, include_answer=True)
    index.add_many(items)
    result = ModeResult()
    calib: list[tuple[tuple[float, float, float, float], bool]] = []
    queries = items if limit is None else items[:limit]
    for item in queries:
        title = ds.questions[int(item.id)]["title"]
        result.relevant.append([item.id])
        _search_all_modes(index, title, k, result)
        top = index.search(title, 1)
        if top:
            calib.append((top[0].hit.features, top[0].id == item.id))
        # The same question when the KB lacks its answer: whatever comes first is wrong.
        # Without these the fit never sees "not covered" questions, only near misses.
        absent = index.search(title, 1, exclude={item.id})
        if absent:
            calib.append((absent[0].hit.features, False))
    out = result.metrics()
    out["entries"] = len(index)
    return out, calib


def threshold_report(
    calib: Sequence[tuple[tuple[float, float, float, float], bool]],
    confidence: Callable[[tuple[float, float, float, float]], float],
    thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
) -> list[dict[str, float]]:
    """Share answered and precision of answered top hits at each threshold."""
    rows = []
    confs = [(confidence(f), ok) for f, ok in calib]
    for t in thresholds:
        answered = [ok for c, ok in confs if c >= t]
        rows.append(
            {
                "threshold": t,
                "answered_share": round(len(answered) / max(1, len(confs)), 3),
                "precision": round(sum(answered) / len(answered), 3) if answered else 0.0,
            }
        )
    return rows


def fit_confidence(calib: Sequence[tuple[tuple[float, float, float, float], bool]]) -> Any:
    x = np.array([f for f, _ in calib], dtype=np.float64)
    y = np.array([ok for _, ok in calib], dtype=np.float64)
    return fit_calibration(x, y)


# ----------------------------------------------------------------------------- dev sets

OLD_BM25 = {"bm25_k1": 1.2, "bm25_b": 0.75}
FUSION_CONFIGS: dict[str, dict[str, Any]] = {
    "rrf_k10_dense2": {"fusion": "rrf", "dense_weight": 2.0, "title_apart": False, **OLD_BM25},
    "zscore_dense2": {"fusion": "zscore", "dense_weight": 2.0, "title_apart": False, **OLD_BM25},
    "zscore_dense2_title_apart": {
        "fusion": "zscore",
        "dense_weight": 2.0,
        "title_apart": True,
        **OLD_BM25,
    },
    "zscore_dense1.5_title_apart_bm25_k2_b1": {
        "fusion": "zscore",
        "dense_weight": 1.5,
        "title_apart": True,
        "bm25_k1": 2.0,
        "bm25_b": 1.0,
    },
}
"""Fusion settings compared by :func:`eval_dev_sets`; the last is the shipped default."""


@dataclass
class DevQuery:
    text: str
    relevant: list[str]
    pool: set[str] | None = None
    """Ids the query may find (None: all); the rest are excluded, as in the real task."""


def _top_answer(answers: Sequence[Mapping[str, Any]]) -> str:
    ranked = sorted(answers, key=_answer_order)
    return ranked[0]["body"] if ranked else ""


def dev_sets(ds: Dataset) -> dict[str, tuple[list[KBItem], list[DevQuery], bool]]:
    """Development sets for choosing fusion, none of them the duplicates:

    - ``body``: a question's body must find its entry, indexed as title + top answer;
    - ``ans2q``: an answer (over 200 characters) must find its question, entries indexed
      exactly as in the duplicate task (title + body): long query, different author;
    - ``q2ans``: a question (title + body, exactly as the duplicate queries) must find
      its top answer among all top answers;
    - ``linked``: questions whose body cites an earlier answered question by its title
      (the dump keeps link text, not URLs) must find it among the questions before them,
      with every cited title cut from the query: a real "another question about the same
      thing" set, as small as the duplicates are (30-odd queries); the duplicates of every
      split present are left out of it.

    Each value: (entries, queries, whether the index includes answers).
    """
    by_q = ds.answers_by_question()
    answered = sorted(
        (q for q in ds.questions.values() if by_q.get(q["id"])), key=lambda q: q["creation_date"]
    )
    ids = {q["id"] for q in answered}
    top = {q["id"]: _top_answer(by_q[q["id"]]) for q in answered}
    as_question = [question_item(q) for q in answered]
    sets: dict[str, tuple[list[KBItem], list[DevQuery], bool]] = {}
    sets["body"] = (
        [KBItem(str(q["id"]), q["title"], answer=top[q["id"]], lang="en") for q in answered],
        [DevQuery(q["body"], [str(q["id"])]) for q in answered if (q.get("body") or "").strip()],
        True,
    )
    sets["ans2q"] = (
        as_question,
        [
            DevQuery(a["body"], [str(a["question_id"])])
            for a in ds.answers
            if a["question_id"] in ids and len(a["body"]) > 200
        ],
        False,
    )
    sets["q2ans"] = (
        [KBItem(str(q["id"]), "", answer=top[q["id"]], lang="en") for q in answered],
        [DevQuery(f"{q['title']}\n{q.get('body') or ''}", [str(q["id"])]) for q in answered],
        True,
    )
    skip = {link["dup_id"] for link in ds.duplicates} | ds.other_duplicate_ids
    titles = {q["id"]: q["title"].strip() for q in ds.questions.values() if len(q["title"]) > 25}
    linked: list[DevQuery] = []
    for q in sorted(ds.questions.values(), key=lambda q: q["creation_date"]):
        body = q.get("body") or ""
        cited = [
            pid
            for pid, title in titles.items()
            if pid != q["id"]
            and pid in ids
            and title in body
            and ds.questions[pid]["creation_date"] < q["creation_date"]
        ]
        if q["id"] in skip or not cited:
            continue
        for title in titles.values():
            body = body.replace(title, " ")
        pool = {str(p["id"]) for p in answered if p["creation_date"] < q["creation_date"]}
        linked.append(DevQuery(f"{q['title']}\n{body}", [str(p) for p in cited], pool))
    sets["linked"] = (as_question, linked, False)
    return sets


def eval_dev_sets(
    ds: Dataset,
    encoders: Mapping[str, TextEncoder] | TextEncoder,
    configs: Mapping[str, Mapping[str, Any]] = FUSION_CONFIGS,
    k: int = 50,
) -> dict[str, Any]:
    """MRR of lexical, dense and hybrid per dev set and fusion config (see :func:`dev_sets`)."""
    out: dict[str, Any] = {}
    for name, (items, queries, include_answer) in dev_sets(ds).items():
        all_ids = [it.id for it in items]
        excludes = [
            None if q.pool is None else {i for i in all_ids if i not in q.pool} for q in queries
        ]
        row: dict[str, Any] = {"queries": len(queries)}
        relevant = [q.relevant for q in queries]
        for cname, options in configs.items():
            # A fresh index per setting: BM25 parameters apply as documents are added.
            index = KnowledgeIndex(
                encoders, include_answer=include_answer, searcher_options=options
            )
            index.add_many(items)
            lexical = [
                [h.id for h in index.search(q.text, k, mode="lexical", exclude=ex, lang="en")]
                for q, ex in zip(queries, excludes, strict=True)
            ]
            row[f"lexical/{cname}"] = round(ranking_metrics(lexical, relevant)["mrr"], 3)
            for mode in ("dense", "hybrid"):
                ranked = [
                    [h.id for h in index.search(q.text, k, mode=mode, exclude=ex, lang="en")]
                    for q, ex in zip(queries, excludes, strict=True)
                ]
                row[f"{mode}/{cname}"] = round(ranking_metrics(ranked, relevant)["mrr"], 3)
        out[name] = row
    return out


# ----------------------------------------------------------------------------- latency


def synthetic_items(ds: Dataset, n: int, seed: int = 7) -> list[KBItem]:
    """``n`` KB items: the real questions and answers, then recombined sentences of them
    (new titles from shuffled title words, bodies from sentences of other posts)."""
    rng = random.Random(seed)
    items: list[KBItem] = []
    for q in ds.questions.values():
        items.append(question_item(q))
    qlist = list(ds.questions.values())
    for a in ds.answers:
        parent = ds.questions.get(a["question_id"])
        title = parent["title"] if parent else "answer"
        items.append(KBItem(id=f"a{a['id']}", title=title, answer=a["body"], lang="en"))
    sentences = [
        s.strip()
        for post in [q.get("body") or "" for q in qlist] + [a["body"] for a in ds.answers]
        for s in post.replace("\n", " ").split(". ")
        if len(s.strip()) > 20
    ]
    words = [w for q in qlist for w in q["title"].split()]
    i = 0
    while len(items) < n:
        title = " ".join(rng.sample(words, rng.randint(5, 12))).rstrip("?") + "?"
        body = ". ".join(rng.sample(sentences, rng.randint(2, 5)))
        items.append(KBItem(id=f"s{i}", title=title, body=body, lang="en"))
        i += 1
    return items[:n]


def eval_latency(
    ds: Dataset,
    encoders: Mapping[str, TextEncoder] | TextEncoder,
    n_entries: int = 10_000,
    n_queries: int = 200,
    seed: int = 7,
    options: Mapping[str, Any] | None = None,
    random_passages: bool = False,
) -> dict[str, Any]:
    """Query latency on an ``n_entries`` KB, and how soon a new accepted answer is found.

    ``random_passages`` gives the ``n_entries`` random unit vectors instead of embedding
    them (which takes most of an hour on a busy 2-core box): search costs the same for any
    vectors, and queries and the new entry are still embedded for real. ``options`` are
    searcher settings (fusion settings, see ``FUSION_CONFIGS``)."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    index = KnowledgeIndex(encoders, searcher_options=options)
    items = synthetic_items(ds, n_entries, seed)
    vectors = None
    if random_passages:
        gen = np.random.default_rng(seed)
        vectors = {
            enc.name: gen.standard_normal((len(items), enc.dim)).astype(np.float32)
            for enc in index.searcher.encoders.values()
        }
    index.add_many(items, vectors)
    build_s = time.perf_counter() - t0
    qs = list(ds.questions.values())
    rng.shuffle(qs)
    short = [q["title"] for q in qs[:n_queries]]
    full = [f"{q['title']}\n{q.get('body') or ''}" for q in qs[:n_queries]]
    index.search("warm up the encoder", 5)
    out: dict[str, Any] = {"entries": len(index), "build_s": round(build_s, 1)}
    for name, queries in (("title_queries", short), ("title_body_queries", full)):
        times = []
        for query in queries:
            t = time.perf_counter()
            index.search(query, 5)
            times.append(time.perf_counter() - t)
        out[name] = percentiles_ms(times)
    # Time to findable: add one new accepted answer, query for it at once.
    findable: list[dict[str, Any]] = []
    seconds: list[float] = []
    for j in range(5):
        item = KBItem(
            id=f"new{j}",
            title=f"How do I calibrate the flux qubit bias line number {j} on the zorblax-{j} chip?",
            answer="Sweep the bias current while watching the resonator shift, then fit.",
            lang="en",
        )
        t = time.perf_counter()
        index.add(item)
        hits = index.search(f"calibrate flux qubit bias zorblax-{j} chip", 5)
        seconds.append(time.perf_counter() - t)
        findable.append(
            {"seconds": round(seconds[-1], 4), "rank": _first_rank([h.id for h in hits], [item.id])}
        )
    out["time_to_findable"] = findable
    out["time_to_findable_max_s"] = round(max(seconds), 4)
    return out


# ----------------------------------------------------------------------------- experts


@dataclass
class RoutingCase:
    """One held-out question as routing sees it: candidates built only from what existed
    before it was asked."""

    question_id: int
    truth: int
    asker: int | None
    candidates: list[ExpertCandidate]
    relevance: dict[int, float]
    most_active: list[int]
    """Every earlier answerer, most answers first (ties: who answered first)."""
    topics: tuple[str, ...] = ()
    """:func:`topic_tags` of the question; with none the bot invites nobody."""


def routing_cases(
    ds: Dataset,
    encoders: Mapping[str, TextEncoder] | TextEncoder,
    window: tuple[float, float],
    similar: int = 50,
) -> list[RoutingCase]:
    """Questions with an accepted answer between shares ``window`` of the timeline, each
    with its routing candidates: members who answered (accepted or not) one of the
    ``similar`` earlier questions the hybrid index finds for it, built by
    :func:`~core.qa.experts.candidate_from_history` from their earlier answers (when, how
    fast, accepted or not, on whose questions and which tags)."""
    answers = sorted(
        (a for a in ds.answers if a.get("owner_user_id") is not None),
        key=lambda a: a["creation_date"],
    )
    answer_by_id = {a["id"]: a for a in ds.answers}
    targets = sorted(
        (
            q
            for q in ds.questions.values()
            if q.get("accepted_answer_id") in answer_by_id
            and answer_by_id[q["accepted_answer_id"]].get("owner_user_id") is not None
        ),
        key=lambda q: q["creation_date"],
    )
    lo, hi = window
    held = targets[int(len(targets) * lo) : int(len(targets) * hi)]
    questions = sorted(ds.questions.values(), key=lambda q: q["creation_date"])
    index = KnowledgeIndex(encoders, include_answer=False)
    qi = ai = 0
    contributions: dict[str, list[Contribution]] = defaultdict(list)
    answer_count: Counter[int] = Counter()
    history: dict[int, list[PastAnswer]] = defaultdict(list)
    cases: list[RoutingCase] = []
    for q in held:
        now = q["creation_date"]
        batch = []
        while qi < len(questions) and questions[qi]["creation_date"] < now:
            batch.append(question_item(questions[qi]))
            qi += 1
        index.add_many(batch)
        while ai < len(answers) and answers[ai]["creation_date"] < now:
            a = answers[ai]
            uid = a["owner_user_id"]
            parent = ds.questions.get(a["question_id"])
            # The dump has no acceptance date; an earlier answer that ends up accepted
            # counts as accepted (acceptance usually follows within days).
            accepted = parent is not None and parent.get("accepted_answer_id") == a["id"]
            contributions[str(a["question_id"])].append(
                Contribution(uid, "accepted" if accepted else "answered")
            )
            answer_count[uid] += 1
            at = _when(a["creation_date"])
            history[uid].append(
                PastAnswer(
                    at=at,
                    accepted=accepted,
                    delay_hours=(
                        None
                        if parent is None
                        else (at - _when(parent["creation_date"])).total_seconds() / 3600.0
                    ),
                    question_tags=tuple(parent.get("tags") or ()) if parent else (),
                    question_asker=parent.get("owner_user_id") if parent else None,
                )
            )
            ai += 1
        asker = q.get("owner_user_id")
        asked = _when(now)
        text = f"{q['title']}\n{q.get('body') or ''}"
        hits = index.search(text, similar)
        rel = relevance_by_member([(h.id, max(h.hit.cosine, 0.0)) for h in hits], contributions)
        rel.pop(asker if asker is not None else -1, None)
        cases.append(
            RoutingCase(
                question_id=q["id"],
                truth=answer_by_id[q["accepted_answer_id"]]["owner_user_id"],
                asker=asker,
                candidates=[
                    candidate_from_history(
                        uid,
                        r,
                        history[uid],
                        now=asked,
                        question_tags=q.get("tags") or (),
                        asker=asker,
                    )
                    for uid, r in rel.items()
                ],
                relevance=rel,
                topics=tuple(topic_tags(hits, text)),
                most_active=[m for m, _ in answer_count.most_common() if m != asker],
            )
        )
    return cases


def fit_experts(
    ds: Dataset,
    encoders: Mapping[str, TextEncoder] | TextEncoder,
    window: tuple[float, float] = (0.0, 0.8),
    l2: float = 30.0,
    cases: Sequence[RoutingCase] | None = None,
) -> RoutingWeights:
    """Routing weights fitted on the questions in ``window`` (those whose accepted
    answerer is among their candidates)."""
    if cases is None:
        cases = routing_cases(ds, encoders, window)
    data = []
    for case in cases:
        eligible = [c for c in case.candidates if c.relevance > 0]
        ids = [c.member_id for c in eligible]
        if case.truth in ids:
            data.append((expert_features(eligible), ids.index(case.truth)))
    return fit_routing_weights(data, l2=l2)


def eval_experts(
    ds: Dataset,
    encoders: Mapping[str, TextEncoder] | TextEncoder,
    holdout: float = 0.2,
    similar: int = 50,
    n: int = 5,
    weights: RoutingWeights | None = None,
    window: tuple[float, float] | None = None,
    cases: Sequence[RoutingCase] | None = None,
) -> dict[str, Any]:
    """For the latest ``holdout`` share of questions with an accepted answer, is its
    accepted answerer among the top ``n`` routed experts? Uses only what existed before
    each question (:func:`routing_cases`). Baseline: the ``n`` members with the most
    answers so far. The asker is never routed to.

    ``window=(lo, hi)`` evaluates the questions between those shares of the timeline
    instead (an earlier slice, to choose features on without touching the held-out one).
    """
    lo, hi = window if window is not None else (1.0 - holdout, 1.0)
    if cases is None:
        cases = routing_cases(ds, encoders, (lo, hi), similar)
    hits_model = hits_base = hits_rel = no_topic = 0
    for case in cases:
        # As the bot does (``service.route_experts``): a question with no topic invites
        # nobody. The fit still learns from it: who answered, among those candidates.
        no_topic += not case.topics
        ranked = [
            m
            for m, _ in rank_experts(
                case.candidates if case.topics else [],
                n,
                load_cap=10**9,
                exclude=[case.asker if case.asker is not None else -1],
                **({} if weights is None else {"weights": weights}),
            )
        ]
        # Relevance alone (no track record), to show what the rest adds.
        rel_only = [m for m, _ in sorted(case.relevance.items(), key=lambda kv: -kv[1])][:n]
        hits_model += case.truth in ranked
        hits_rel += case.truth in rel_only
        hits_base += case.truth in case.most_active[:n]
    evaluated = len(cases)
    return {
        "window": [lo, hi],
        "held_out_questions": evaluated,
        f"recall@{n}_routing": round(hits_model / max(1, evaluated), 3),
        "no_topic_nobody_invited": no_topic,
        f"recall@{n}_relevance_only": round(hits_rel / max(1, evaluated), 3),
        f"recall@{n}_most_active_baseline": round(hits_base / max(1, evaluated), 3),
    }
