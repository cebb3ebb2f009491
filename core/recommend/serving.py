"""Pure serving helpers: what to leave out, diversity (MMR), and explanations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "BlendedScorer",
    "EXCLUDING_KINDS",
    "Explanation",
    "ItemInfo",
    "MemberInfo",
    "excluded_items",
    "explain",
    "mmr",
]

# Interaction kinds after which an item is not recommended again.
EXCLUDING_KINDS = frozenset(
    {"enrol", "enroll", "complete", "not_interested", "dismiss", "thumbs_down"}
)


def excluded_items(history: Iterable[tuple[int, str]]) -> set[int]:
    """Items the member already has, finished, or dismissed."""
    return {item for item, kind in history if kind in EXCLUDING_KINDS}


def mmr(
    candidates: Sequence[int],
    scores: Sequence[float] | np.ndarray,
    item_vecs: np.ndarray,
    k: int,
    lambda_: float = 0.7,
    max_similarity: float | None = 0.95,
) -> list[int]:
    """Maximal marginal relevance: trade score against similarity to what is picked.

    ``item_vecs`` rows are L2-normalised and aligned with ``candidates``. Candidates whose
    similarity to an already chosen one exceeds ``max_similarity`` are near-duplicates
    and only used when nothing else is left.
    """
    n = len(candidates)
    if n == 0 or k <= 0:
        return []
    s = np.asarray(scores, dtype=np.float64)
    span = s.max() - s.min()
    rel = (s - s.min()) / span if span > 0 else np.ones(n)
    vecs = np.asarray(item_vecs, dtype=np.float64)
    sim = vecs @ vecs.T
    chosen: list[int] = []
    max_sim = np.full(n, -np.inf)
    left = np.ones(n, dtype=bool)
    while len(chosen) < min(k, n):
        penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
        value = lambda_ * rel - (1.0 - lambda_) * penalty
        if max_similarity is not None:
            dup = left & (max_sim > max_similarity)
            if (left & ~dup).any():
                value = np.where(dup, -np.inf, value)
        value = np.where(left, value, -np.inf)
        best = int(np.argmax(value))
        chosen.append(best)
        left[best] = False
        max_sim = np.maximum(max_sim, sim[best])
    return [candidates[i] for i in chosen]


@dataclass(frozen=True)
class Explanation:
    """An i18n key and its parameters, e.g. ``recommend.why_finished`` / title."""

    key: str
    params: Mapping[str, str] = field(default_factory=dict)

    def english(self) -> str:
        """Plain English rendering (logs, tests, the CLI); the bot uses the catalog."""
        templates = {
            "recommend.why_finished": "because you finished {title}",
            "recommend.why_taking": "because you are taking {title}",
            "recommend.why_goal": "matches your goal {goal}",
            "recommend.why_popular_topic": "popular with members learning {topic}",
            "recommend.why_popular": "popular in the community",
            "recommend.why_new": "new in the catalogue",
        }
        return templates.get(self.key, self.key).format(**self.params)


@dataclass(frozen=True)
class ItemInfo:
    index: int
    title: str
    tags: tuple[str, ...] = ()


@dataclass
class MemberInfo:
    """What explanations may cite about a member."""

    finished: Sequence[int] = ()  # item indices
    taking: Sequence[int] = ()
    goals: Sequence[str] = ()
    goal_vecs: np.ndarray | None = None  # aligned with goals, L2-normalised
    topics: Sequence[str] = ()  # tags of what they engage with, most frequent first


def explain(
    item: ItemInfo,
    member: MemberInfo,
    item_vecs: np.ndarray,
    titles: Mapping[int, str],
    *,
    item_popularity: float = 0.0,
    similar_threshold: float = 0.45,
    goal_threshold: float = 0.35,
) -> Explanation:
    """Pick the most specific true reason for recommending ``item``.

    1. a finished (then an in-progress) item similar to it -> "because you finished X";
    2. a stated goal similar to it -> "matches your goal Z";
    3. a topic the member engages with among its tags -> "popular with members learning Y";
    4. otherwise popular, or new when nobody has taken it yet.
    """
    v = item_vecs[item.index]
    for key, pool in (
        ("recommend.why_finished", member.finished),
        ("recommend.why_taking", member.taking),
    ):
        pool = [i for i in pool if i != item.index]
        if pool:
            sims = item_vecs[np.asarray(pool, dtype=np.int64)] @ v
            best = int(np.argmax(sims))
            if sims[best] >= similar_threshold:
                return Explanation(key, {"title": titles.get(pool[best], str(pool[best]))})
    if member.goals and member.goal_vecs is not None and len(member.goal_vecs):
        sims = np.asarray(member.goal_vecs) @ v
        best = int(np.argmax(sims))
        if sims[best] >= goal_threshold:
            return Explanation("recommend.why_goal", {"goal": member.goals[best]})
    tags = set(item.tags)
    for topic in member.topics:
        if topic in tags:
            return Explanation("recommend.why_popular_topic", {"topic": topic})
    if item_popularity > 0:
        return Explanation("recommend.why_popular")
    return Explanation("recommend.why_new")


# ---------------------------------------------------------------------- fast batch top-k


DENSE_CONTENT_LIMIT = 20_000_000  # items x content dims under which content is dense


@dataclass
class BlendedScorer:
    """Top-k for many members over a large catalogue without materialising score matrices.

    Scores are the hybrid model's: ``z(cf) + w * z(content)`` where ``z`` standardises each
    member's row over all items (``HybridModel._blend``), or plain ``cf`` when the model has
    no content side. Per-member means and standard deviations come analytically from small
    matrices (a d x d Gram matrix of the item vectors, a sparse feature co-occurrence matrix
    for content), so a chunk of members costs one float32 matmul, one sparse product for the
    content part (only items sharing a feature get a non-constant content score) and a
    ``torch.topk``. Exclusions are a sparse (members x items) mask.
    """

    V: np.ndarray  # (n_items, d) float32
    b: np.ndarray  # (n_items,) float32
    content_items: Any = None  # scipy csr (n_items, F) or None
    content_weight: float = 0.0
    threads: int | None = None

    def __post_init__(self) -> None:
        import scipy.sparse as sp

        V = np.asarray(self.V, dtype=np.float64)
        b = np.asarray(self.b, dtype=np.float64)
        n = max(V.shape[0], 1)
        self._n = V.shape[0]
        self._v_mean = V.mean(0) if len(V) else np.zeros(V.shape[1])
        self._b_mean = float(b.mean()) if len(b) else 0.0
        Vc, bc = V - self._v_mean, b - self._b_mean
        self._gram = Vc.T @ Vc / n
        self._vb = Vc.T @ bc / n
        self._b_var = float(bc @ bc / n)
        self._Vt = _torch().from_numpy(np.ascontiguousarray(self.V, dtype=np.float32).T.copy())
        self._bt = _torch().from_numpy(np.ascontiguousarray(self.b, dtype=np.float32))
        self._C = None
        if self.content_items is not None and self.content_weight:
            C = sp.csr_matrix(self.content_items, dtype=np.float64)
            self._C = sp.csr_matrix(C, dtype=np.float32)
            self._CT = sp.csr_matrix(self._C.T)
            self._c_mean = np.asarray(C.mean(axis=0)).ravel()
            gram = sp.csr_matrix(C.T @ C) / n
            # dense when small: text columns make it dense anyway, and sparse @ dense is fast
            self._c_gram = gram.toarray() if gram.shape[0] <= 4096 else gram
            # small catalogues (or dense text columns): one dense matmul beats sparse products
            self._CT_dense = None
            if C.shape[0] * C.shape[1] <= DENSE_CONTENT_LIMIT:
                self._CT_dense = _torch().from_numpy(
                    np.ascontiguousarray(self._C.T.toarray(), dtype=np.float32)
                )

    @classmethod
    def for_model(cls, model: Any) -> BlendedScorer:
        """Scorer for a fitted ``HybridModel`` (public vectors plus its content side)."""
        V, b = model.item_vectors()
        content = getattr(model, "_content", None)
        weight = float(model.config.content_weight) if content is not None else 0.0
        items = None if content is None else content.items
        return cls(V, b, items, weight, model.config.threads)

    @property
    def blended(self) -> bool:
        return self._C is not None

    def content_profiles_new(self, histories: Sequence[np.ndarray]) -> Any:
        """Content profiles of members the model has not seen (sum of liked items)."""
        import scipy.sparse as sp

        assert self._C is not None
        rows = [np.full(len(h), r, np.int64) for r, h in enumerate(histories)]
        cols = [np.asarray(h, np.int64) for h in histories]
        empty = np.zeros(0, np.int64)
        r = np.concatenate(rows or [empty])
        c = np.concatenate(cols or [empty])
        hist = sp.csr_matrix((np.ones(len(c), np.float32), (r, c)), shape=(len(histories), self._n))
        return sp.csr_matrix(hist @ self._C)

    def top_k(
        self,
        user_vecs: np.ndarray,
        k: int,
        profiles: Any = None,
        exclude: Any = None,
        item_mask: np.ndarray | None = None,
        chunk: int = 1024,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(members, k) item indices best first and their scores (-inf where fewer remain).

        ``profiles``: content profiles (csr, members x F), needed when the model blends;
        ``exclude``: csr (members x items), non-zero = leave out; ``item_mask``: bool per
        item, False = never recommend (hidden courses).
        """
        import scipy.sparse as sp

        torch = _torch()
        U = np.asarray(user_vecs, dtype=np.float32)
        m, n = U.shape[0], self._n
        k = min(k, n)
        idx_out = np.zeros((m, k), dtype=np.int64)
        val_out = np.full((m, k), -np.inf, dtype=np.float64)
        if m == 0 or k == 0:
            return idx_out, val_out
        U64 = U.astype(np.float64)
        cf_mean = U64 @ self._v_mean + self._b_mean
        cf_var = np.einsum("ij,jk,ik->i", U64, self._gram, U64) + 2 * U64 @ self._vb + self._b_var
        if self.blended:
            a = 1.0 / (np.sqrt(np.maximum(cf_var, 0.0)) + 1e-6)
            P = sp.csr_matrix(profiles, dtype=np.float64)
            if isinstance(self._c_gram, np.ndarray) and P.nnz > 0.1 * np.prod(P.shape):
                Pd = P.toarray()  # dense profiles (text columns): BLAS all the way
                norms = np.maximum(np.sqrt(np.einsum("ij,ij->i", Pd, Pd)), 1e-12)
                c_mean = (Pd @ self._c_mean) / norms
                c_sq = np.einsum("ij,ij->i", Pd @ self._c_gram, Pd) / norms**2
            else:
                norms = np.maximum(np.sqrt(np.asarray(P.multiply(P).sum(axis=1)).ravel()), 1e-12)
                c_mean = (P @ self._c_mean) / norms
                PG = P @ self._c_gram
                c_sq = np.asarray(P.multiply(PG).sum(axis=1)).ravel() / norms**2
            c_std = np.sqrt(np.maximum(c_sq - c_mean**2, 0.0))
            c_scale = self.content_weight / (c_std + 1e-6)
            shift = -a * cf_mean - c_scale * c_mean
            Ps = sp.csr_matrix(sp.diags(c_scale / norms) @ P, dtype=np.float32)
            PsT = sp.csc_matrix(Ps.T)
        else:
            a = np.ones(m)
            shift = np.zeros(m)
        mask_cols = None
        if item_mask is not None and not np.all(item_mask):
            mask_cols = torch.from_numpy(np.flatnonzero(~np.asarray(item_mask, dtype=bool)))
        ex = None if exclude is None else sp.csr_matrix(exclude)
        with _Threads(self.threads):
            for lo in range(0, m, chunk):
                hi = min(m, lo + chunk)
                ua = torch.from_numpy((U[lo:hi] * a[lo:hi, None]).astype(np.float32))
                at = torch.from_numpy(a[lo:hi].astype(np.float32))
                S = torch.addmm(self._bt.unsqueeze(0) * at.unsqueeze(1), ua, self._Vt)
                flat = S.view(-1)
                if self.blended and self._CT_dense is not None:
                    pd = torch.from_numpy(np.asarray(Ps[lo:hi].toarray(), dtype=np.float32))
                    S.addmm_(pd, self._CT_dense)
                elif self.blended:
                    # items x members: scipy's product is fastest this way round, and
                    # toarray writes it in C into a reused buffer
                    Q = sp.csr_matrix(self._C @ PsT[:, lo:hi])
                    if Q.nnz:
                        buf = np.empty((n, hi - lo), dtype=np.float32)
                        Q.toarray(out=buf)
                        S.add_(torch.from_numpy(buf).T)
                if mask_cols is not None:
                    S[:, mask_cols] = -np.inf
                if ex is not None:
                    E = ex[lo:hi].tocoo()
                    if E.nnz:
                        flat[torch.from_numpy(E.row.astype(np.int64) * n + E.col)] = -np.inf
                vals, ids = torch.topk(S, k, dim=1)
                idx_out[lo:hi] = ids.numpy()
                val_out[lo:hi] = vals.numpy().astype(np.float64) + shift[lo:hi, None]
        return idx_out, val_out


def _torch() -> Any:
    import torch

    return torch


class _Threads:
    def __init__(self, n: int | None) -> None:
        self.n = n
        self.old = 0

    def __enter__(self) -> None:
        if self.n:
            self.old = _torch().get_num_threads()
            _torch().set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        if self.n:
            _torch().set_num_threads(self.old)
