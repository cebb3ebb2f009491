"""Process start: load the knowledge index before the first question arrives.

Without this the first ``/ask`` after a restart pays for loading the encoders and embedding
every ``kb_entry`` row. An empty knowledge base is skipped (nothing to build, and the
encoders then load on first use), which also keeps processes without Q&A content light.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import func, select

from core.context import Services
from core.hooks import on_startup
from core.qa import help_answers, help_intents, service
from models.qa import KBEntry

log = logging.getLogger("syllabot.qa")


@on_startup
async def preload_knowledge_index(services: Services) -> None:
    if services.settings.qa_help_answers:
        async with services.session_factory() as s, s.begin():
            if changed := await help_answers.ensure(s):
                log.info("qa: %d answers about using the bot added or updated", changed)
    if not getattr(services.settings, "qa_preload", True):
        return
    async with services.session_factory() as s:
        n = (
            await s.execute(
                select(func.count()).select_from(KBEntry).where(KBEntry.active.is_(True))
            )
        ).scalar_one()
        if not n:
            return
        t0 = time.perf_counter()
        state = service.state_for(services)
        await state.sync(s)
    # Warm the query side too (model load, first forward pass), off the event loop, and
    # the built-in answers' short asks (embedded once per process).
    await asyncio.to_thread(state.index.search, "warm up the question encoder", 1)
    if services.settings.qa_help_answers:
        await asyncio.to_thread(help_intents.warm, state.encoders)
    log.info("qa: knowledge index loaded (%d entries) in %.1f s", n, time.perf_counter() - t0)
