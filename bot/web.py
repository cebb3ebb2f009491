"""The aiohttp server: health and metrics here; webhooks are added by modules in bot/http/."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil

from aiohttp import web

from bot.wiring import App
from config.settings import Settings

APP_KEY: web.AppKey[App] = web.AppKey("syllabot_app", App)


def enabled(_settings: Settings) -> bool:
    return True


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        async with app.services.session_factory() as s:
            from sqlalchemy import text

            await s.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - health reports, never raises
        return web.json_response({"status": "degraded", "database": "down"}, status=503)
    return web.json_response({"status": "ok"})


def build_web_app(app: App) -> web.Application:
    wapp = web.Application(client_max_size=1024 * 1024)
    wapp[APP_KEY] = app
    wapp.router.add_get("/healthz", healthz)
    import bot.http as http_pkg

    for mod in pkgutil.iter_modules(http_pkg.__path__):
        module = importlib.import_module(f"bot.http.{mod.name}")
        module.setup(wapp, app)
    return wapp


async def start(app: App) -> None:
    runner = web.AppRunner(build_web_app(app))
    await runner.setup()
    site = web.TCPSite(runner, app.settings.http_host, app.settings.http_port)
    await site.start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
