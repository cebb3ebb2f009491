"""Tag suggestions for new text: embedding similarity to the existing tags and what they mean.

Each tag is described by its title, description and the titles of courses that carry it,
so even a tag without a description has context. A moderator accepts or edits the result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Course, Tag, TagSuggestion

if TYPE_CHECKING:
    from core.context import Services

ENCODER_KEY = "catalog.encoder"  # tests put an encoder here to override the default


@dataclass(frozen=True)
class TagInfo:
    slug: str
    text: str


async def vocabulary(session: AsyncSession) -> list[TagInfo]:
    """Every known tag with a text describing it (Tag rows plus tags used by courses)."""
    described = {t.slug: t for t in (await session.execute(select(Tag))).scalars()}
    examples: dict[str, list[str]] = {}
    for c in (await session.execute(select(Course).order_by(Course.id))).scalars():
        for tag in c.tags:
            examples.setdefault(tag, []).append(c.title)
    out = []
    for slug in sorted(set(described) | set(examples)):
        t = described.get(slug)
        words = slug.replace("-", " ")
        parts = [words]
        if t is not None and t.title:
            parts.append(t.title)
        if t is not None and t.description:
            parts.append(t.description)
        parts += examples.get(slug, [])[:5]
        out.append(TagInfo(slug, ". ".join(parts)))
    return out


def suggest(
    encoder: Any,
    text: str,
    vocab: Sequence[TagInfo],
    *,
    k: int = 3,
    min_score: float = 0.15,
) -> list[str]:
    """Up to k tag slugs ranked by cosine similarity; a tag named in the text gets a boost."""
    if not vocab or not text.strip():
        return []
    vecs = encoder.encode([t.text for t in vocab], kind="passage")
    q = encoder.encode([text], kind="query")[0]
    scores = np.asarray(vecs, dtype=np.float32) @ np.asarray(q, dtype=np.float32)
    low = text.lower()
    for i, t in enumerate(vocab):
        if re.search(rf"(?<![a-z0-9]){re.escape(t.slug.replace('-', ' '))}(?![a-z0-9])", low):
            scores[i] += 0.3
    order = np.argsort(-scores, kind="stable")
    best = float(scores[order[0]])
    return [
        vocab[i].slug
        for i in order[:k]
        if float(scores[i]) >= min_score and float(scores[i]) >= 0.5 * best
    ]


def encoder_for(services: Services, text: str) -> Any:
    """The injected encoder, else MiniLM (English) or E5 (Chinese), loaded once per process."""
    if ENCODER_KEY in services.extras:
        return services.extras[ENCODER_KEY]
    from core.recommend.encoders import looks_chinese, pick_encoder

    lang = "zh" if looks_chinese([text]) else "en"
    return services.get(f"{ENCODER_KEY}.{lang}", lambda _s: pick_encoder(lang))


async def propose(
    session: AsyncSession, services: Services, kind: str, target_id: int, text: str, now: datetime
) -> TagSuggestion | None:
    """Store a pending suggestion for a course, lesson or question (None when nothing fits).

    A moderator accepts it with the button `signer.encode("catt", suggestion.id)`
    (handled in core.catalog.commands) or sets tags by hand.
    """
    tags = suggest(encoder_for(services, text), text, await vocabulary(session))
    if not tags:
        return None
    row = TagSuggestion(
        target_kind=kind, target_id=target_id, tags=tags, status="pending", created_at=now
    )
    session.add(row)
    await session.flush()
    return row
