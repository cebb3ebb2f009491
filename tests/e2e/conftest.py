"""End-to-end fixtures: the whole product with Telegram on the fake wire and Stripe on a local API.

The Telegram helpers (fake Bot API wire, realistic update payloads) live with the adapter tests;
they are loaded here by file path under names no other test folder uses.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from config.settings import Settings, load_settings

TG_DIR = Path(__file__).parents[1] / "adapters" / "telegram"


def _load(name: str, path: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


e2e_wire = _load("e2e_tg_wire", TG_DIR / "wire.py")
sys.modules.setdefault("tg_wire", e2e_wire)  # payloads.py imports its constants by this name
e2e_payloads = _load("e2e_tg_payloads", TG_DIR / "payloads.py")

WEBHOOK_SECRET = "e2e-Secret_token-1"
STRIPE_SECRET = "whsec_e2e_secret"
STARS = 250
STRIPE_CENTS = 900


def e2e_settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": url,
        "moderator_ids": ["console:mod", "telegram:9000"],
        "owner_ids": ["console:owner"],
        "secret_key": "e2e-secret",
        "telegram_token": e2e_wire.TOKEN,
        "telegram_mode": "webhook",
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "stripe_secret_key": "sk_test_e2e",
        "stripe_webhook_secret": STRIPE_SECRET,
        "public_url": "https://bot.example.org/",
        "plans": [
            {
                "code": "monthly",
                "title_en": "Monthly membership",
                "title_zh": "月度会员",
                "period_days": 30,
                "trial_days": 7,
                "grace_days": 3,
                "prices": {
                    "telegram_stars": {"amount": STARS, "currency": "XTR"},
                    "stripe": {"amount": STRIPE_CENTS, "currency": "usd"},
                },
                "telegram_chat_ids": [e2e_payloads.GROUP_ID],
            }
        ],
    }
    base.update(overrides)
    return load_settings(None, **base)


@pytest.fixture
def settings(db: Any, tmp_path: Path) -> Settings:
    return e2e_settings(db.url, model_dir=str(tmp_path / "models"))


@pytest.fixture
def wire() -> Any:
    w = e2e_wire.FakeWire()
    yield w
    assert w.violations == [], "Bot API calls that violate the spec:\n" + "\n".join(w.violations)


@pytest.fixture
async def tg(app: Any, wire: Any) -> AsyncIterator[Any]:
    """The real Telegram adapter (PTB Application) of `app` on the fake wire."""
    from bot.telegram.app import TelegramAdapter

    adapter = TelegramAdapter(
        app, token=e2e_wire.TOKEN, request=wire, get_updates_request=wire.twin()
    )
    app.services.extras["telegram"] = adapter
    await adapter.initialize()
    wire.clear()
    yield adapter
    await adapter.application.shutdown()


class FakeStripe:
    """A local api.stripe.com: Checkout Sessions, Refunds and subscription renewal changes,
    recorded."""

    def __init__(self) -> None:
        self.sessions: list[dict[str, list[str]]] = []
        self.refunds: list[dict[str, list[str]]] = []
        self.renewals: list[tuple[str, dict[str, list[str]]]] = []

    async def create(self, request: web.Request) -> web.Response:
        self.sessions.append(parse_qs(await request.text()))
        n = len(self.sessions)
        return web.json_response(
            {
                "id": f"cs_e2e_{n}",
                "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/cs_e2e_{n}",
            }
        )

    async def refund(self, request: web.Request) -> web.Response:
        self.refunds.append(parse_qs(await request.text()))
        return web.json_response(
            {"id": f"re_{len(self.refunds)}", "object": "refund", "status": "succeeded"}
        )

    async def update_subscription(self, request: web.Request) -> web.Response:
        form = parse_qs(await request.text())
        self.renewals.append((request.match_info["sid"], form))
        return web.json_response(
            {
                "id": request.match_info["sid"],
                "object": "subscription",
                "cancel_at_period_end": form.get("cancel_at_period_end") == ["true"],
            }
        )


@pytest.fixture
async def stripe_api(app: Any) -> AsyncIterator[FakeStripe]:
    from core.payments import stripe as stripe_provider

    fake = FakeStripe()
    wapp = web.Application()
    wapp.router.add_post("/v1/checkout/sessions", fake.create)
    wapp.router.add_post("/v1/refunds", fake.refund)
    wapp.router.add_post("/v1/subscriptions/{sid}", fake.update_subscription)
    server = TestServer(wapp, host="127.0.0.1")
    await server.start_server()
    app.services.extras[stripe_provider.CLIENT_KEY] = stripe_provider.make_client(
        "sk_test_e2e", base_url=str(server.make_url("")).rstrip("/")
    )
    yield fake
    await server.close()
