"""The webhook server's own routes: health and metrics, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.web import build_web_app
from core.events import Actor, Chat, Command


async def test_healthz_and_metrics_count_dispatched_events(app):
    await app.router.dispatch(Command(Actor("console", "zed"), Chat("console", "zed"), name="help"))
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        r = await client.get("/healthz")
        assert r.status == 200 and (await r.json())["status"] == "ok"
        r = await client.get("/metrics")
        body = await r.text()
        assert r.status == 200
        assert 'syllabot_events_total{outcome="ok",type="Command"}' in body
        assert "syllabot_database_up 1" in body


async def test_healthz_reports_database_down(app):
    await app.engine.dispose()
    app.services.session_factory.kw["bind"] = None  # no engine: every query fails
    async with TestClient(TestServer(build_web_app(app), host="127.0.0.1")) as client:
        r = await client.get("/healthz")
        assert r.status == 503
