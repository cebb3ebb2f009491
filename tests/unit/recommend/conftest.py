"""Small synthetic communities where the right answer is known."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sqlalchemy import select

from core.recommend.data import FeatureIndex, RecData, feature_matrix
from core.recommend.encoders import HashingEncoder
from core.recommend.hybrid import HybridConfig
from models.catalog import Course
from models.interaction import Interaction
from models.member import Account

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


CourseRow = tuple[str, str, list[str], str]
"""(slug, title, tags, description)."""


@dataclass
class Seeder:
    """Writes a small catalogue, opted-in members and their histories the way the product
    does (members join through the console bot), for the service-level tests."""

    db: Any
    clock: Any
    bot: Any

    async def courses(self, rows: Iterable[CourseRow]) -> dict[str, int]:
        """Add the courses; slug -> course id."""
        async with self.db.session() as s, s.begin():
            for slug, title, tags, desc in rows:
                s.add(
                    Course(
                        slug=slug,
                        title=title,
                        tags=tags,
                        description=desc,
                        created_at=self.clock.now(),
                    )
                )
        return await self.course_ids()

    async def course_ids(self) -> dict[str, int]:
        async with self.db.session() as s:
            return {c.slug: c.id for c in (await s.execute(select(Course))).scalars()}

    async def opt_in(self, users: Iterable[str]) -> dict[str, int]:
        """Each user sends ``/recommend on``; platform user id -> member id of everyone."""
        for user in users:
            await self.bot.send("/recommend on", as_member=user)
        return await self.member_ids()

    async def member_ids(self) -> dict[str, int]:
        async with self.db.session() as s:
            rows = await s.execute(select(Account.platform_user_id, Account.member_id))
            return {u: m for u, m in rows}

    def interaction(
        self, member_id: int, course_id: int, kind: str, at: datetime | None = None
    ) -> Interaction:
        """An interaction row, a day old unless ``at`` says otherwise."""
        when = at if at is not None else self.clock.now() - timedelta(days=1)
        return Interaction(member_id=member_id, course_id=course_id, kind=kind, weight=0.0, at=when)

    async def log(self, member_id: int, course_id: int, kind: str) -> None:
        """One interaction in its own transaction."""
        async with self.db.session() as s, s.begin():
            s.add(self.interaction(member_id, course_id, kind))

    async def histories(
        self,
        ids: Mapping[str, int],
        cs: Mapping[str, int],
        history: Mapping[str, Sequence[tuple[str, str]]],
    ) -> None:
        """``history``: user -> [(course slug, interaction kind)], all in one transaction."""
        async with self.db.session() as s, s.begin():
            for user, acts in history.items():
                for slug, kind in acts:
                    s.add(self.interaction(ids[user], cs[slug], kind))


@pytest.fixture
def seeder(db: Any, clock: Any, console_bot: Any) -> Seeder:
    return Seeder(db, clock, console_bot)
