"""Membership tests run the product in demo mode (the demo provider needs it, tokens unset)."""

from __future__ import annotations

from typing import Any

import pytest
from membership_helpers import demo_settings

from config.settings import Settings


@pytest.fixture
def settings(db: Any) -> Settings:
    return demo_settings(db.url)
