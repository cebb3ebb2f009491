"""Q&A fixtures: the production encoders (MiniLM + E5) loaded once, and a small bilingual KB."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parents[2] / "data" / "qa"


def _load(name: str, filename: str) -> Any:
    """A helper module under a name no other test folder uses (tests/ has no packages)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / filename)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


qa_se_records = _load("qa_se_records", "se_records.py")


@pytest.fixture(scope="session")
def qa_encoders() -> dict[str, Any]:
    """MiniLM (English) and E5 (Chinese), exactly as the bot picks them; loaded once."""
    from core.qa.service import _PassageCache, default_encoders

    # One passage cache for the session: each test's fresh index re-embeds the same
    # fixture entries, which is the slow part on two cores.
    return {lang: _PassageCache(enc) for lang, enc in default_encoders().items()}


@pytest.fixture(scope="session")
def kb_items() -> list[Any]:
    from core.qa.kbfile import parse_kb

    items, errors = parse_kb(DATA / "kb.jsonl")
    assert not errors
    return items


@pytest.fixture
def kb_index(qa_encoders: dict[str, Any], kb_items: list[Any]) -> Any:
    from core.qa.index import KnowledgeIndex

    index = KnowledgeIndex(qa_encoders)
    index.add_many(kb_items)
    return index


@pytest.fixture
async def qa_app(app: Any, qa_encoders: dict[str, Any], kb_items: list[Any]) -> Any:
    """The app with the production encoders and the fixture KB imported."""
    from core.qa import curation, service

    state = service.QAState(qa_encoders)
    app.services.extras[service.STATE_KEY] = state
    async with app.services.session_factory() as s, s.begin():
        await curation.import_entries(s, app.services.clock, kb_items, state)
    return app


@pytest.fixture
async def help_app(app: Any, qa_encoders: dict[str, Any]) -> Any:
    """The app started as in production: the built-in answers on, the start-up hook run."""
    from core.qa import service
    from core.qa.startup import preload_knowledge_index

    app.services.extras[service.STATE_KEY] = service.QAState(qa_encoders)
    app.services.settings.qa_help_answers = True
    await preload_knowledge_index(app.services)
    return app
