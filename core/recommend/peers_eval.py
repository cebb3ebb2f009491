"""Peers benchmark on a StackExchange dump: who will answer whose questions later?

Questions and answers before a time cutoff (70% of questions) build each member's
profile (goals = tags they asked or answered about, knows = tags they answered, activity);
for every member who asks after the cutoff and was active before, candidates are all
members active before. Hits are the members who answered that member's later questions.
Recall@10 of the reciprocal score, of the one-way score, and of member popularity
(answers given before the cutoff).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from core.recommend.peers import PeerProfile, reciprocal_score, value

__all__ = ["run_peers_benchmark"]


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def run_peers_benchmark(path: str | Path, cutoff_share: float = 0.7, k: int = 10) -> list[dict]:
    base = Path(path)
    questions = _read(base / "questions.jsonl")
    answers = _read(base / "answers.jsonl")
    qs = sorted(questions, key=lambda q: q["creation_date"])
    cutoff = _t(qs[int(len(qs) * cutoff_share)]["creation_date"])
    q_by_id = {q["id"]: q for q in questions}
    asked: dict[int, Counter[str]] = defaultdict(Counter)
    answered: dict[int, Counter[str]] = defaultdict(Counter)
    posts: Counter[int] = Counter()
    n_answers: Counter[int] = Counter()
    first, last = _t(qs[0]["creation_date"]), cutoff
    weeks = max((last - first).days / 7, 1.0)
    for qq in questions:
        u = qq.get("owner_user_id")
        if u is not None and _t(qq["creation_date"]) < cutoff:
            asked[u].update(qq.get("tags") or [])
            posts[u] += 1
    later_answerers: dict[int, set[int]] = defaultdict(set)
    for ans in answers:
        u = ans.get("owner_user_id")
        q = q_by_id.get(ans["question_id"])
        if u is None or q is None:
            continue
        if _t(ans["creation_date"]) < cutoff:
            answered[u].update(q.get("tags") or [])
            posts[u] += 1
            n_answers[u] += 1
        elif _t(q["creation_date"]) >= cutoff and q.get("owner_user_id") not in (None, u):
            later_answerers[q["owner_user_id"]].add(u)
    active = sorted(posts)
    profiles = {
        u: PeerProfile(
            member_id=u,
            opted_in=True,
            goals=frozenset(asked[u]) | frozenset(answered[u]),
            knows=frozenset(answered[u]),
            activity=posts[u] / weeks,
        )
        for u in active
    }
    active_set = set(active)
    askers = [u for u in sorted(later_answerers) if u in active_set]
    pop = np.array([n_answers[u] for u in active], dtype=float)
    rows: dict[str, list[float]] = {
        "popularity": [],
        "peers-one-way": [],
        "peers-reciprocal": [],
        "peers-reciprocal x activity": [],
    }
    for a in askers:
        truth = later_answerers[a] & active_set - {a}
        if not truth:
            continue
        me = profiles[a]
        idx = [i for i, u in enumerate(active) if u != a]
        cands = [active[i] for i in idx]
        scores = {
            "popularity": pop[idx],
            "peers-one-way": np.array([value(me, profiles[c]) for c in cands]),
            "peers-reciprocal": np.array([reciprocal_score(me, profiles[c]) for c in cands]),
        }
        scores["peers-reciprocal x activity"] = scores["peers-reciprocal"] * np.log1p(pop[idx])
        for name, s in scores.items():
            # ties broken by popularity, then id, so every method is deterministic
            order = np.lexsort((np.array(cands), -pop[idx], -s))[:k]
            hits = len({cands[i] for i in order} & truth)
            rows[name].append(hits / len(truth))
    n = len(rows["popularity"])
    return [
        {
            "model": name,
            "recall_at_10": float(np.mean(v)) if v else float("nan"),
            "n_members": n,
            "cutoff": cutoff.isoformat(),
            "candidates": len(active),
        }
        for name, v in rows.items()
    ]
