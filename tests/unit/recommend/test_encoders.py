"""Encoders: normalised, deterministic, cached by content hash."""

from __future__ import annotations

import numpy as np

from core.recommend.encoders import (
    CachedEncoder,
    EmbeddingCache,
    HashingEncoder,
    TextEncoder,
    looks_chinese,
    text_key,
)


class Counting(HashingEncoder):
    def __init__(self) -> None:
        super().__init__(32)
        self.calls: list[list[str]] = []

    def encode(self, texts, kind="passage"):
        self.calls.append(list(texts))
        return super().encode(texts, kind)


def test_hashing_encoder_is_normalised_and_deterministic():
    enc = HashingEncoder(64)
    assert isinstance(enc, TextEncoder)
    a = enc.encode(["Intro to SQL", "学习数据库", ""])
    assert a.shape == (3, 64) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a[:2], axis=1), 1.0, atol=1e-6)
    assert not a[2].any()
    np.testing.assert_array_equal(a, HashingEncoder(64).encode(["Intro to SQL", "学习数据库", ""]))


def test_nothing_is_encoded_twice(tmp_path):
    inner = Counting()
    cache = EmbeddingCache(tmp_path / "emb.npz")
    enc = CachedEncoder(inner, cache)
    first = enc.encode(["a b", "c d", "a b"])
    enc.encode(["c d", "e f"])
    assert inner.calls == [["a b", "c d"], ["e f"]]
    np.testing.assert_array_equal(first[0], first[2])
    cache.save()
    again = CachedEncoder(Counting(), EmbeddingCache(tmp_path / "emb.npz"))
    np.testing.assert_array_equal(again.encode(["a b"]), first[:1])
    assert again.misses == 0


def test_cache_key_separates_encoder_kind_and_text():
    keys = {
        text_key("m", "x"),
        text_key("m", "x", "query"),
        text_key("n", "x"),
        text_key("m", "y"),
    }
    assert len(keys) == 4


def test_chinese_detection():
    assert looks_chinese(["我想学习数据库"])
    assert not looks_chinese(["I want to learn SQL"])


def test_real_encoders_rank_the_related_text_first():
    from core.recommend.encoders import E5Encoder, MiniLMEncoder, pick_encoder

    zh = pick_encoder("zh-CN")
    assert isinstance(zh, E5Encoder)
    docs = zh.encode(["SQL 数据库查询入门", "如何烹饪意大利面"], "passage")
    q = zh.encode(["我想学习数据库"], "query")[0]
    assert docs[0] @ q > docs[1] @ q
    en = pick_encoder("en")
    assert isinstance(en, MiniLMEncoder)
    docs = en.encode(["Intro to SQL databases", "Watercolour painting for beginners"])
    q = en.encode(["learn to write database queries"], "query")[0]
    assert docs.shape == (2, 384) and docs[0] @ q > docs[1] @ q


def test_loading_minilm_draws_no_progress_bar(capfd):
    """transformers 5 prints a "Loading weights" bar on each load; the console demo and the
    service log showed it between replies."""
    from transformers.utils import logging as hf_logging

    from core.recommend.encoders import _load_sentence_transformer, _minilm_path

    hf_logging.enable_progress_bar()  # as a fresh process starts
    model = _load_sentence_transformer.__wrapped__(_minilm_path())
    assert model.encode(["qubit"]).shape == (1, 384)
    assert "Loading weights" not in capfd.readouterr().err
