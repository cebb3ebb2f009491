"""Periodic digest jobs: compose what is due, then drain the outbox.

The console demo runs these through `core.jobs.run_all` on `/clock`; production runs the same
functions from APScheduler (core/digest/scheduler_runner.py) in the leader process.
Names sort compose before drain, so one tick composes and delivers.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.context import Services
from core.digest.cohorts import compose_cohorts_job  # noqa: F401 - registers the job
from core.digest.compose import MAX_PER_RUN, compose_due
from core.digest.delivery import ConsoleDeliverer, deliverers, drain
from core.digest.outbox import purge_done
from core.i18n import translate
from core.jobs import periodic
from core.replies import AnyReply, ButtonSpec, Reply
from models.member import Account

CONSOLE_SHOWN = 3  # the demo prints a few digests in full, then a count
WATCHING = "console.watching"
"""services.extras key: the console user (`/as NAME`), whose messages the demo prints first."""


@periodic("digest.compose_due", every=timedelta(minutes=5))
async def compose_job(services: Services) -> list[AnyReply]:
    await compose_due(services, max_members=MAX_PER_RUN)
    return []


@periodic("digest.drain_outbox", every=timedelta(seconds=15))
async def drain_job(services: Services) -> list[AnyReply]:
    await drain(services, budget_s=50.0)
    console = deliverers(services).get("console")
    if not isinstance(console, ConsoleDeliverer) or not console.sent:
        return []
    return await _console_replies(services, console)


@periodic("digest.purge_outbox", every=timedelta(hours=6))
async def purge_job(services: Services) -> list[AnyReply]:
    async with services.session_factory() as s, s.begin():
        await purge_done(s, services.clock.now())
    return []


async def _console_replies(services: Services, console: ConsoleDeliverer) -> list[AnyReply]:
    """What the console "platform" received, as replies the console adapter prints."""
    batch, console.sent[:] = list(console.sent), []
    watching = services.extras.get(WATCHING)
    batch.sort(key=lambda sent: sent[0] != watching)  # stable: the rest keep their order
    targets = {t for t, _ in batch}
    async with services.session_factory() as s:
        found = await s.execute(
            select(Account.chat_id, Account.member_id).where(
                Account.platform == "console", Account.chat_id.in_(targets)
            )
        )
        owners: dict[str | None, int] = {chat: mid for chat, mid in found}
    out: list[AnyReply] = []
    for target, payload in batch[:CONSOLE_SHOWN]:
        buttons = [
            [ButtonSpec(b["label"], data=b.get("data"), url=b.get("url")) for b in row]
            for row in payload.get("buttons", [])
        ]
        out.append(Reply(payload.get("text", ""), buttons=buttons, member_id=owners.get(target)))
    if len(batch) > CONSOLE_SHOWN:
        out.append(
            Reply(
                translate(
                    services.settings.locale, "digest.console_more", n=len(batch) - CONSOLE_SHOWN
                )
            )
        )
    return out
