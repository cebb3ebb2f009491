"""Helpers shared by the membership tests (imported by file name: this folder has no package)."""

from __future__ import annotations

from typing import Any

from config.settings import Settings, load_settings


def demo_settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": url,
        "moderator_ids": ["console:mod", "telegram:9000", "discord:9000"],
        "owner_ids": ["console:owner"],
        "secret_key": "test-secret",
        "demo": True,
    }
    base.update(overrides)
    return load_settings(None, **base)
