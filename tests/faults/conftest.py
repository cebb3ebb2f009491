"""Fault-injection fixtures: the e2e product (Telegram on the fake wire) reused by file path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings


def _load(name: str, path: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_e2e = _load("e2e_fixtures", Path(__file__).parents[1] / "e2e" / "conftest.py")
wire = _e2e.wire
tg = _e2e.tg
stripe_api = _e2e.stripe_api


@pytest.fixture
def settings(db: Any, tmp_path: Path) -> Settings:
    """Stars only: the Stripe provider would need its fake API in every test."""
    return _e2e.e2e_settings(
        db.url,
        model_dir=str(tmp_path / "models"),
        stripe_secret_key=None,
        stripe_webhook_secret=None,
    )
