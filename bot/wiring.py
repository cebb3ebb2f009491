"""The composition root: settings -> engine -> services -> router. Nothing else builds services."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from config.settings import Settings
from core.callbacks import CallbackSigner
from core.clock import Clock, SystemClock
from core.context import Services
from core.router import Router
from models.db import make_engine, session_factory

log = logging.getLogger("syllabot")


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    services: Services
    router: Router

    async def startup(self) -> None:
        from core.router import load_features

        load_features()
        from core import hooks

        for fn in hooks.STARTUP:
            await fn(self.services)

    async def close(self) -> None:
        await self.engine.dispose()


def build_app(
    settings: Settings, *, clock: Clock | None = None, engine: AsyncEngine | None = None
) -> App:
    engine = engine or make_engine(settings.database_url)
    services = Services(
        settings=settings,
        session_factory=session_factory(engine),
        clock=clock or SystemClock(),
        signer=CallbackSigner(settings.secret_key.get_secret_value()),
    )
    from bot import delivery

    delivery.install(services)
    return App(settings, engine, services, Router(services))
