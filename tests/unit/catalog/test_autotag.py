"""Auto-tagging: new text gets the tags whose meaning is closest; a moderator accepts them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core.catalog.autotag import ENCODER_KEY, TagInfo, propose, suggest, vocabulary
from core.catalog.importer import read_file
from core.catalog.service import apply_catalog
from core.events import Actor, Button, Chat
from core.recommend.encoders import HashingEncoder
from models.audit import AuditLog
from models.catalog import TagSuggestion
from models.qa import Question

DATA = Path(__file__).parents[2] / "data" / "catalog"


class _SentenceModel:
    """The session's MiniLM behind the TextEncoder interface."""

    def __init__(self, model) -> None:
        self.model = model

    def encode(self, texts, kind="passage"):
        return self.model.encode(list(texts), normalize_embeddings=True)


@pytest.fixture
async def vocab(db, clock) -> list[TagInfo]:
    async with db.session() as s, s.begin():
        await apply_catalog(s, clock, read_file(DATA / "tags.yaml"))
        return await vocabulary(s)


async def test_vocabulary_describes_tags_with_their_courses(vocab):
    by_slug = {t.slug: t.text for t in vocab}
    assert "Neural networks from scratch" in by_slug["deep-learning"]
    assert "Docker" in by_slug["devops"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "My query on a big orders table is slow; would an index on customer_id help?",
            "performance",
        ),
        ("Training a convolutional network on the GPU runs out of memory", "deep-learning"),
        ("How do I plot monthly revenue as a bar chart?", "visualization"),
        ("Is my p-value below 0.05 enough to call the test significant?", "statistics"),
        ("Shipping the bot in a container to a Linux server", "devops"),
    ],
)
async def test_minilm_suggestions_lead_with_the_fitting_tag(vocab, minilm_model, text, expected):
    tags = suggest(_SentenceModel(minilm_model), text, vocab)
    assert tags and tags[0] == expected, tags
    assert len(tags) <= 3


def test_hashing_encoder_and_empty_inputs():
    vocab = [TagInfo("sql", "sql queries select joins"), TagInfo("python", "python scripts")]
    enc = HashingEncoder()
    assert suggest(enc, "joins in sql queries", vocab)[0] == "sql"
    assert suggest(enc, "   ", vocab) == [] and suggest(enc, "anything", []) == []


async def test_question_suggestion_accepted_by_a_moderator(app, db, clock):
    app.services.extras[ENCODER_KEY] = HashingEncoder()
    async with db.session() as s, s.begin():
        await apply_catalog(s, clock, read_file(DATA / "tags.yaml"))
        q = Question(text="Why are my SQL joins returning duplicate rows?", created_at=clock.now())
        s.add(q)
        await s.flush()
        sug = await propose(s, app.services, "question", q.id, q.text, clock.now())
        assert sug is not None and sug.tags[0] == "sql"
        qid, sid = q.id, sug.id
    data = app.services.signer.encode("catt", sid)
    out = await app.router.dispatch(
        Button(Actor("console", "eve"), Chat("console", "eve"), data=data)
    )
    assert "moderators only" in out[0].text
    out = await app.router.dispatch(
        Button(Actor("console", "mod"), Chat("console", "mod"), data=data)
    )
    assert "Tags are now: sql" in out[0].text
    async with db.session() as s:
        assert (await s.get(Question, qid)).tags[0] == "sql"
        assert (await s.get(TagSuggestion, sid)).status == "accepted"
        acts = (await s.execute(select(AuditLog.action))).scalars().all()
        assert "catalog.tags_accept" in acts
