"""Digest fixtures (helpers live in digest_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from digest_helpers import RecordingDeliverer, make_services

from core.clock import FrozenClock
from core.context import Services


@pytest.fixture(autouse=True)
def fallback_recommender(monkeypatch: pytest.MonkeyPatch) -> None:
    """Digest tests use the built-in recommender: fast and predictable. The real one is wired
    in test_digest_with_the_real_recommender_service (with a hashing encoder)."""
    from core.digest import providers

    monkeypatch.setattr(providers, "_build_recommender", lambda _s: providers.FallbackRecommender())


@pytest.fixture
def services(db: Any, clock: FrozenClock) -> Services:
    return make_services(db, clock)


@pytest.fixture
def fake_telegram() -> RecordingDeliverer:
    return RecordingDeliverer()
