"""Experiments tests compose digests with the built-in recommender (fast, predictable)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fallback_recommender(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.digest import providers

    monkeypatch.setattr(providers, "_build_recommender", lambda _s: providers.FallbackRecommender())
