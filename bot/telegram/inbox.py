"""Durable webhook inbox: acknowledge Telegram once the raw update is committed, apply it later.

Processing an update (PTB, router, one transaction, the reply) costs ~10 ms of CPU, so a
worker that answers only after processing cannot absorb a burst. Instead:

- `InboxWriter` (one task per process) group-commits: webhook handlers enqueue rows and await
  their commit; the writer inserts everything queued with one multi-row
  `INSERT ... ON CONFLICT DO NOTHING` (a redelivery is a no-op) and resolves the waiters.
  A failed write fails every waiter, so the webhook answers 503 and Telegram redelivers.
- `InboxConsumer` claims pending rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
  processes share the work), only the oldest pending row of each `order_key` and only when no
  row of that key is in flight, so a member's updates apply in order. A claim is a lease: a
  consumer that dies mid-way leaves rows that another one retries once it expires. Effects are
  applied exactly once by the router's update-id dedupe (`core.router._first_delivery`), in the
  same transaction as the effects; the inbox row is marked processed after.
- Processed rows are pruned after `KEEP_PROCESSED`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.errors import Unavailable
from models.inbox import InboxUpdate

log = logging.getLogger("syllabot.telegram.inbox")

PLATFORM = "telegram"
LEASE = timedelta(seconds=60)  # a claim older than this is presumed dead and retried
RETRY_AFTER = timedelta(seconds=5)  # infrastructure failed while applying: try again then
KEEP_PROCESSED = timedelta(hours=1)  # redeliveries of answered updates come within minutes
PRUNE_EVERY_S = 60.0
MAX_BATCH = 500  # rows per INSERT
SCAN_WINDOW = 1000  # oldest pending rows a claim considers (see claim)
# While this process acknowledges more than BURST_RATE updates/s, only its first consumer
# claims and the process applies one update at a time, pausing after each: applying costs
# ~10 ms of CPU and shares the event loop with the acknowledgements, which must stay fast
# (Telegram waits on them); the backlog is applied at full width once the burst is over.
# Chosen with 3-5 s bursts of bench/load.py (2,000/s offered).
BURST_RATE = 150.0
BURST_PAUSE_S = 0.1
RATE_WINDOW_S = 0.5

Apply = Callable[[dict[str, Any]], Awaitable[None]]

_MESSAGES = ("message", "edited_message", "channel_post", "edited_channel_post")


def _int_id(obj: Any) -> int | None:
    if not isinstance(obj, dict):
        return None
    value = obj.get("id")
    return value if type(value) is int else None  # bool is an int to isinstance


def order_key(data: dict[str, Any]) -> str | None:
    """Whose updates must apply in order, or None when the update lacks the fields the Bot API
    always sends (the webhook refuses it with 400 rather than store what cannot be applied).

    The key is the member acting (in a private chat that is the chat), the subject of a
    chat_member change, or the chat for the bot's own status; so a member's /subscribe and their
    button press apply in order, while a busy group is not serialised."""
    for kind in _MESSAGES:
        if kind in data:
            msg = data[kind]
            if not isinstance(msg, dict) or type(msg.get("message_id")) is not int:
                return None
            if type(msg.get("date")) is not int or (chat := _int_id(msg.get("chat"))) is None:
                return None
            if "from" in msg:
                sender = _int_id(msg["from"])
                return None if sender is None else str(sender)
            return str(chat)
    for kind in ("callback_query", "pre_checkout_query", "chat_join_request"):
        if kind in data:
            body = data[kind]
            if not isinstance(body, dict) or (sender := _int_id(body.get("from"))) is None:
                return None
            if kind == "chat_join_request" and _int_id(body.get("chat")) is None:
                return None
            return str(sender)
    for kind in ("chat_member", "my_chat_member"):
        if kind in data:
            body = data[kind]
            if not isinstance(body, dict) or (chat := _int_id(body.get("chat"))) is None:
                return None
            new = body.get("new_chat_member")
            if _int_id(body.get("from")) is None or not isinstance(new, dict):
                return None
            if (subject := _int_id(new.get("user"))) is None:
                return None
            return str(subject) if kind == "chat_member" else str(chat)
    return ""  # a kind we never ask for (allowed_updates): acknowledged, not stored


_UNNEST = text(
    "INSERT INTO inbox_update (platform, update_id, order_key, payload, received_at, attempts)"
    " SELECT p, u, k, b, t, 0 FROM unnest(CAST(:p AS varchar[]), CAST(:u AS bigint[]),"
    " CAST(:k AS varchar[]), CAST(:b AS text[]), CAST(:t AS timestamp[])) AS x(p, u, k, b, t)"
    " ON CONFLICT (platform, update_id) DO NOTHING"
)
_SQLITE_INSERT = sqlite_insert(InboxUpdate).on_conflict_do_nothing(
    index_elements=["platform", "update_id"]
)


@dataclass
class _Pending:
    row: dict[str, Any]
    done: asyncio.Future[None]


class InboxWriter:
    """Group commit: many handlers' rows, one INSERT and one COMMIT per round."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.on_commit = on_commit
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._recent: deque[tuple[float, int]] = deque()  # (loop time, rows) of recent commits

    async def append(self, update_id: int, key: str, payload: str) -> None:
        """Return once the update is durably in the inbox; raise if it could not be written."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="inbox-writer")
        row = {
            "platform": PLATFORM,
            "update_id": update_id,
            "order_key": key[:64],
            "payload": payload,
            "received_at": self.clock.now(),
            "attempts": 0,
        }
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(row, done))
        await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            live = [p for p in batch if not p.done.done()]  # a waiter may have timed out
            try:
                if live:
                    await self._write([p.row for p in live])
            except Exception as exc:  # noqa: BLE001 - every waiter answers 503, Telegram retries
                log.warning("inbox write of %d updates failed: %r", len(live), exc)
                for p in live:
                    if not p.done.done():
                        p.done.set_exception(Unavailable("inbox"))
                continue
            for p in live:
                if not p.done.done():
                    p.done.set_result(None)
            if self.on_commit is not None:
                self.on_commit()

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        async with self.session_factory() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                # one statement whatever the batch size: its text never changes, so it is
                # prepared once; building a VALUES list per batch cost ~0.1 ms of CPU per row
                await session.execute(
                    _UNNEST,
                    {
                        "p": [r["platform"] for r in rows],
                        "u": [r["update_id"] for r in rows],
                        "k": [r["order_key"] for r in rows],
                        "b": [r["payload"] for r in rows],
                        "t": [r["received_at"].astimezone(UTC).replace(tzinfo=None) for r in rows],
                    },
                )
            else:  # SQLite: one compiled INSERT, executemany
                await session.execute(_SQLITE_INSERT, rows)
        now = asyncio.get_running_loop().time()
        self._recent.append((now, len(rows)))
        while self._recent and self._recent[0][0] < now - RATE_WINDOW_S:
            self._recent.popleft()

    def ack_rate(self) -> float:
        """Updates acknowledged per second over the last RATE_WINDOW_S."""
        now = asyncio.get_running_loop().time()
        return sum(n for t, n in self._recent if t >= now - RATE_WINDOW_S) / RATE_WINDOW_S

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def claim(
    session_factory: async_sessionmaker[AsyncSession], now: datetime, limit: int
) -> list[tuple[int, str]]:
    """Lease up to `limit` rows, each the oldest pending row of a key with nothing in flight.

    The oldest SCAN_WINDOW pending rows (claimed or not; one index range) decide: a key's
    first row there is its head, eligible unless some row of that key is leased. No
    correlated subquery: with stale statistics (a table that just filled up in a burst)
    PostgreSQL probed those through the wrong index, seconds per claim at a 40,000-row backlog.
    The lease itself is `SELECT … FOR UPDATE SKIP LOCKED` of the chosen rows, re-checked."""
    i = InboxUpdate
    async with session_factory() as session, session.begin():
        window = (
            await session.execute(
                select(i.platform, i.update_id, i.order_key, i.claimed_until)
                .where(i.processed_at.is_(None))
                .order_by(i.platform, i.update_id)
                .limit(SCAN_WINDOW)
            )
        ).all()
        busy_keys = {
            (platform, key)
            for platform, _uid, key, until in window
            if until is not None and until > now
        }
        heads: dict[tuple[str, str], tuple[str, int]] = {}
        for platform, update_id, key, _until in window:  # oldest first
            if (platform, key) not in busy_keys:
                heads.setdefault((platform, key), (platform, update_id))
        chosen = list(heads.values())[:limit]
        if not chosen:
            return []
        unclaimed = or_(i.claimed_until.is_(None), i.claimed_until <= now)
        pick = select(i.platform, i.update_id).where(
            tuple_(i.platform, i.update_id).in_(chosen), i.processed_at.is_(None), unclaimed
        )
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        locked = [tuple(r) for r in (await session.execute(pick)).all()]
        if not locked:
            return []
        stmt = (
            update(i)
            .where(tuple_(i.platform, i.update_id).in_(locked))
            .values(claimed_until=now + LEASE, attempts=i.attempts + 1)
            .returning(i.update_id, i.payload)
            .execution_options(synchronize_session=False)
        )
        rows = (await session.execute(stmt)).all()
    return sorted((int(uid), payload) for uid, payload in rows)


async def settle(
    session_factory: async_sessionmaker[AsyncSession],
    now: datetime,
    done: dict[int, str | None],
    retry: list[int],
) -> None:
    """Mark applied rows processed (with an error text for ones that can never apply) and put
    rows whose infrastructure failed back for a later retry."""
    i = InboxUpdate
    async with session_factory() as session, session.begin():
        ok = [uid for uid, err in done.items() if err is None]
        if ok:
            await session.execute(
                update(i)
                .where(i.platform == PLATFORM, i.update_id.in_(ok))
                .values(processed_at=now, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
        for uid, err in done.items():
            if err is not None:
                await session.execute(
                    update(i)
                    .where(i.platform == PLATFORM, i.update_id == uid)
                    .values(processed_at=now, claimed_until=None, error=err[:200])
                    .execution_options(synchronize_session=False)
                )
        if retry:
            await session.execute(
                update(i)
                .where(i.platform == PLATFORM, i.update_id.in_(retry))
                .values(claimed_until=now + RETRY_AFTER)
                .execution_options(synchronize_session=False)
            )


async def prune(session_factory: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Delete processed rows older than KEEP_PROCESSED (the router keeps update ids longer)."""
    i = InboxUpdate
    async with session_factory() as session, session.begin():
        res = await session.execute(
            delete(i).where(i.processed_at.is_not(None), i.processed_at < now - KEEP_PROCESSED)
        )
    return int(getattr(res, "rowcount", 0) or 0)


async def backlog(
    session_factory: async_sessionmaker[AsyncSession], now: datetime
) -> tuple[int, float]:
    """Pending rows and the age in seconds of the oldest (0 when empty), for /healthz, /metrics."""
    i = InboxUpdate
    async with session_factory() as session:
        n, oldest = (
            await session.execute(
                select(func.count(), func.min(i.received_at)).where(i.processed_at.is_(None))
            )
        ).one()
    if not n or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:  # min() bypasses the column type on SQLite
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=UTC)
    return int(n), max(0.0, (now - oldest).total_seconds())


class InboxConsumer:
    """Claims and applies inbox rows until stopped; several may run (and in several processes
    on PostgreSQL). `apply` is the ordinary update path (`TelegramAdapter.process`)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        apply: Apply,
        *,
        batch: int = 32,
        width: int = 4,
        idle_poll_s: float = 0.25,
        wake: asyncio.Event | None = None,
        busy: Callable[[], bool] | None = None,
        yield_in_bursts: bool = False,
        burst_gate: asyncio.Semaphore | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.apply = apply
        self.batch = batch
        self.width = width
        self.idle_poll_s = idle_poll_s
        self.wake = wake or asyncio.Event()
        self.busy = busy or (lambda: False)
        self.yield_in_bursts = yield_in_bursts
        self.burst_gate = burst_gate or asyncio.Semaphore(1)  # shared by a process's consumers
        self.applied = 0

    async def run_once(self) -> int:
        """Claim one batch and apply it; the number of rows claimed (0: nothing eligible)."""
        busy = self.busy()
        if busy and self.yield_in_bursts:
            return 0
        claimed = await claim(self.session_factory, self.clock.now(), self.batch)
        if not claimed:
            return 0
        gate = asyncio.Semaphore(1 if busy else self.width)

        async def one(update_id: int, payload: str) -> tuple[bool, str | None]:
            async with gate:
                if not self.busy():
                    return await self._apply_one(update_id, payload)
                async with self.burst_gate:  # a burst of acknowledgements: leave them the CPU
                    out = await self._apply_one(update_id, payload)
                    await asyncio.sleep(BURST_PAUSE_S)
                    return out

        results = await asyncio.gather(*(one(uid, p) for uid, p in claimed))
        ids = [uid for uid, _ in claimed]
        done = {uid: err for uid, (ok, err) in zip(ids, results, strict=True) if ok}
        retry = [uid for uid, (ok, _err) in zip(ids, results, strict=True) if not ok]
        await settle(self.session_factory, self.clock.now(), done, retry)
        self.applied += len(done)
        return len(claimed)

    async def _apply_one(self, update_id: int, payload: str) -> tuple[bool, str | None]:
        """(settled, error): not settled when our infrastructure failed (retried later)."""
        try:
            await self.apply(json.loads(payload))
        except Unavailable:
            log.warning("inbox update %s not applied (infrastructure): retried later", update_id)
            return False, None
        except Exception as exc:  # noqa: BLE001 - a row that can never apply must not block
            log.exception("inbox update %s cannot be applied; set aside", update_id)
            return True, f"{type(exc).__name__}: {exc}"
        return True, None

    async def run(self) -> None:
        last_prune = 0.0
        loop = asyncio.get_running_loop()
        while True:
            self.wake.clear()  # before claiming: a commit from now on wakes us again
            try:
                if loop.time() - last_prune > PRUNE_EVERY_S:
                    last_prune = loop.time()
                    await prune(self.session_factory, self.clock.now())
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be down; keep trying
                log.warning("inbox consumer: claim failed; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.idle_poll_s)


class Inbox:
    """One process's writer and consumers, started and stopped with the web server."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        apply: Apply,
        *,
        consumers: int = 1,
        batch: int = 32,
        width: int = 4,
    ) -> None:
        self.wake = asyncio.Event()
        self.writer = InboxWriter(session_factory, clock, on_commit=self.wake.set)
        burst_gate = asyncio.Semaphore(1)
        self.consumers = [
            InboxConsumer(
                session_factory,
                clock,
                apply,
                batch=batch,
                width=width,
                wake=self.wake,
                busy=self._busy,
                yield_in_bursts=n > 0,
                burst_gate=burst_gate,
            )
            for n in range(consumers)
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def _busy(self) -> bool:
        return self.writer.ack_rate() >= BURST_RATE

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(c.run(), name=f"inbox-consumer-{n}")
            for n, c in enumerate(self.consumers)
        ]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks = []
        await self.writer.close()


async def drain(
    session_factory: async_sessionmaker[AsyncSession], clock: Clock, timeout_s: float
) -> bool:
    """Wait until no row is pending (True) or `timeout_s` passes (False); for tests, the load
    bench and a graceful stop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        pending, _age = await backlog(session_factory, clock.now())
        if pending == 0:
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
