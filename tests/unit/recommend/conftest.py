"""Small synthetic communities where the right answer is known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp

from core.recommend.data import FeatureIndex, RecData, feature_matrix
from core.recommend.encoders import HashingEncoder
from core.recommend.hybrid import HybridConfig

TOPICS = ("sql", "python", "design")
DESCRIPTIONS = {
    "sql": "SQL databases queries joins tables indexes",
    "python": "Python programming functions classes scripts",
    "design": "graphic design colour typography layout",
}


@dataclass
class Community:
    data: RecData
    item_topic: list[str]
    user_topic: list[str]
    index: FeatureIndex
    encoder: HashingEncoder


def build_community(
    seed: int = 0, per_topic_items: int = 6, per_topic_users: int = 20
) -> Community:
    rng = np.random.default_rng(seed)
    enc = HashingEncoder(64)
    item_topic = [t for t in TOPICS for _ in range(per_topic_items)]
    texts = [f"{DESCRIPTIONS[t]} part {i}" for i, t in enumerate(item_topic)]
    index = FeatureIndex()
    feats = feature_matrix(
        [
            [f"tag:{t}", f"level:{'beginner' if i % 2 else 'advanced'}"]
            for i, t in enumerate(item_topic)
        ],
        index,
    )
    user_topic = [t for t in TOPICS for _ in range(per_topic_users)]
    rows, cols = [], []
    for u, t in enumerate(user_topic):
        pool = [i for i, it in enumerate(item_topic) if it == t]
        for i in rng.choice(pool, 3, replace=False):
            rows.append(u)
            cols.append(int(i))
    inter = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(user_topic), len(item_topic))
    )
    data = RecData(inter, item_features=feats, item_text=enc.encode(texts))
    return Community(data, item_topic, user_topic, index, enc)


FAST = HybridConfig(dim=16, epochs=25, batch_size=64, lr=0.05, seed=0, threads=1)


@pytest.fixture(scope="module")
def community() -> Community:
    return build_community()


@pytest.fixture(scope="module")
def big_community() -> Community:
    """Hundreds of items: enough item groups for batch serving's two-level top-k."""
    return build_community(seed=3, per_topic_items=150, per_topic_users=10)


@pytest.fixture
def fast() -> HybridConfig:
    return FAST


@pytest.fixture
def descriptions() -> dict[str, str]:
    return DESCRIPTIONS
