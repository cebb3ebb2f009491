"""Telegram adapter fixtures: the real PTB Application on the `app` fixture, a fake wire."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings

HERE = Path(__file__).parent


def _load(name: str, filename: str) -> Any:
    """Helpers under names no other test folder uses (tests/ has no packages)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / filename)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


tg_wire = _load("tg_wire", "wire.py")
tg_payloads = _load("tg_payloads", "payloads.py")

WEBHOOK_SECRET = "s3cret-Token_42"


@pytest.fixture
def settings(db: Any) -> Settings:
    """Test settings plus a Telegram token, webhook mode and a community chat on the plan."""
    from config.settings import load_settings

    return load_settings(
        None,
        database_url=db.url,
        moderator_ids=["console:mod", "telegram:9000", "discord:9000"],
        owner_ids=["console:owner"],
        secret_key="test-secret",
        telegram_token=tg_wire.TOKEN,
        telegram_mode="webhook",
        telegram_webhook_secret=WEBHOOK_SECRET,
        public_url="https://bot.example.org/",
        plans=[
            {
                "code": "monthly",
                "title_en": "Monthly membership",
                "title_zh": "月度会员",
                "period_days": 30,
                "grace_days": 3,
                "prices": {"telegram_stars": {"amount": 250, "currency": "XTR"}},
                "telegram_chat_ids": [tg_payloads.GROUP_ID],
            }
        ],
    )


@pytest.fixture
def wire() -> Any:
    w = tg_wire.FakeWire()
    yield w
    assert w.violations == [], "Bot API calls that violate the spec:\n" + "\n".join(w.violations)


@pytest.fixture
async def bot(wire: Any) -> AsyncIterator[Any]:
    """A real telegram.Bot on the fake wire, for tests that touch no storage."""
    from telegram import Bot

    b = Bot(tg_wire.TOKEN, request=wire, get_updates_request=wire.twin())
    await b.initialize()
    wire.clear()
    yield b
    await b.shutdown()


@pytest.fixture
async def tg(app: Any, wire: Any) -> AsyncIterator[Any]:
    """The Telegram adapter of `app`, initialized (getMe) against the fake wire."""
    from bot.telegram.app import TelegramAdapter

    adapter = TelegramAdapter(
        app, token=tg_wire.TOKEN, request=wire, get_updates_request=wire.twin()
    )
    app.services.extras["telegram"] = adapter
    await adapter.initialize()
    wire.clear()
    yield adapter
    await adapter.application.shutdown()
