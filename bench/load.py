"""Webhook load on loopback: 2 worker processes sharing one PostgreSQL database.

    .venv/bin/python bench/load.py --rate 2000 --seconds 30 --out bench/results/load_postgres.json
    .venv/bin/python bench/load.py --rate 200 --seconds 3          # short form

Each worker is the real aiohttp server (bot/web.py + the Telegram webhook route, secret header,
durable inbox and its consumers) with the Telegram adapter on the tests' fake wire (no
network). The client posts /help updates from distinct users at a fixed rate and records the
acknowledgements (200 = durably in the inbox): throughput, latency, errors. Then it waits for
the inbox to drain (the consumers apply the backlog), records the drain rate, and checks the
database: every update applied once (InboundUpdate rows, members created), none left behind.
Bounded: it stops after --seconds, --ack-wait and --drain-timeout whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SECRET = "load-Secret_1"
PG_ADMIN = os.environ.get(
    "SYLLABOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _wire_module() -> Any:
    path = ROOT / "tests" / "adapters" / "telegram" / "wire.py"
    spec = importlib.util.spec_from_file_location("load_tg_wire", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["load_tg_wire"] = mod
    spec.loader.exec_module(mod)
    return mod


def _worker(url: str, port: int, ready: Any) -> None:
    """One `syllabot`-style web worker (own process, own engine)."""

    async def main() -> None:
        from aiohttp import web

        from bot.telegram.app import TelegramAdapter
        from bot.web import build_web_app
        from bot.wiring import build_app
        from config.settings import load_settings

        wire = _wire_module()
        settings = load_settings(
            None,
            database_url=url,
            secret_key="load",
            telegram_token=wire.TOKEN,
            telegram_mode="webhook",
            telegram_webhook_secret=SECRET,
            model_dir=f"/tmp/load-models-{port}",
            public_url="https://bot.example.org/",
        )
        app = build_app(settings)
        await app.startup()
        fake = wire.FakeWire()
        fake.check = False
        adapter = TelegramAdapter(app, token=wire.TOKEN, request=fake, get_updates_request=fake)
        app.services.extras["telegram"] = adapter
        await adapter.initialize()
        from bot.web import freeze_startup_heap

        wapp = build_web_app(app)
        freeze_startup_heap()
        runner = web.AppRunner(wapp, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def _update(i: int) -> dict[str, Any]:
    uid = 10_000_000 + i
    u = {"id": uid, "is_bot": False, "first_name": f"U{i}", "language_code": "en"}
    return {
        "update_id": 500_000_000 + i,
        "message": {
            "message_id": i + 1,
            "from": u,
            "chat": {"id": uid, "type": "private", "first_name": f"U{i}"},
            "date": 1772442000,
            "text": "/help",
            "entities": [{"offset": 0, "length": 5, "type": "bot_command"}],
        },
    }


async def _client(ports: list[int], rate: int, seconds: float, ack_wait_s: float) -> dict[str, Any]:
    import aiohttp

    total = int(rate * seconds)
    lat: list[float] = []  # from sending the request to its answer
    offered_lat: list[float] = []  # from the moment the update was due (includes client lag)
    errors: dict[str, int] = {}
    sem = asyncio.Semaphore(512)
    last_ack = 0.0

    async def post(s: aiohttp.ClientSession, i: int, due: float) -> None:
        nonlocal last_ack
        body = json.dumps(_update(i)).encode()
        port = ports[i % len(ports)]
        async with sem:
            t0 = time.perf_counter()
            try:
                async with s.post(
                    f"http://127.0.0.1:{port}/telegram/webhook",
                    data=body,
                    headers={
                        "X-Telegram-Bot-Api-Secret-Token": SECRET,
                        "Content-Type": "application/json",
                    },
                ) as r:
                    await r.read()
                    if r.status != 200:
                        errors[str(r.status)] = errors.get(str(r.status), 0) + 1
                    else:
                        last_ack = time.perf_counter()
                        lat.append(last_ack - t0)
                        offered_lat.append(last_ack - due)
            except Exception as exc:  # noqa: BLE001 - counted, reported
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

    conn = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=seconds + ack_wait_s)
    start = time.perf_counter()
    async with aiohttp.ClientSession(connector=conn, timeout=timeout) as s:
        tasks = []
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(s, i, due)))
        offered_s = time.perf_counter() - start
        done, pending = await asyncio.wait(tasks, timeout=ack_wait_s)
        for t in pending:
            t.cancel()
    wall = time.perf_counter() - start
    acked_s = (last_ack - start) if lat else wall

    def pct(xs: list[float], q: float) -> float | None:
        xs = sorted(xs)
        return round(xs[max(0, int(len(xs) * q) - 1)] * 1000, 1) if xs else None

    return {
        "sent": total,
        "acked": len(lat),
        "errors": errors,
        "unfinished": len(pending),
        "offered_in_s": round(offered_s, 2),
        "last_ack_at_s": round(acked_s, 2),
        "ack_throughput_per_s": round(len(lat) / acked_s, 1) if acked_s > 0 else None,
        "ack_latency_p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "ack_latency_p95_ms": pct(lat, 0.95),
        "ack_latency_p99_ms": pct(lat, 0.99),
        "ack_latency_max_ms": pct(lat, 1.0),
        "ack_latency_from_due_p95_ms": pct(offered_lat, 0.95),
    }


def _count(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    from models.db import sync_url

    eng = create_engine(sync_url(url))
    with eng.connect() as c:

        def one(sql: str) -> int:
            return int(c.execute(text(sql)).scalar_one())

        out = {
            "inbound_updates": one("SELECT count(*) FROM inbound_update"),
            "distinct_updates": one("SELECT count(DISTINCT update_id) FROM inbound_update"),
            "members": one("SELECT count(*) FROM member"),
            "inbox_rows": one("SELECT count(*) FROM inbox_update"),
            "inbox_pending": one("SELECT count(*) FROM inbox_update WHERE processed_at IS NULL"),
            "inbox_set_aside": one("SELECT count(*) FROM inbox_update WHERE error IS NOT NULL"),
            "inbox_max_attempts": one("SELECT coalesce(max(attempts), 0) FROM inbox_update"),
        }
    eng.dispose()
    return out


def _drain(url: str, timeout_s: float) -> dict[str, Any]:
    """Poll the inbox until nothing is pending (or the bound): how fast the backlog went."""
    from sqlalchemy import create_engine, text

    from models.db import sync_url

    eng = create_engine(sync_url(url))
    pending_sql = text("SELECT count(*) FROM inbox_update WHERE processed_at IS NULL")
    t0 = time.perf_counter()
    with eng.connect() as c:
        start = left = int(c.execute(pending_sql).scalar_one())
        c.commit()
        while left and time.perf_counter() - t0 < timeout_s:
            time.sleep(0.5)
            left = int(c.execute(pending_sql).scalar_one())
            c.commit()
    eng.dispose()
    took = time.perf_counter() - t0
    return {
        "backlog_after_burst": start,
        "drained": left == 0,
        "drain_s": round(took, 1),
        "drain_rate_per_s": round((start - left) / took, 1) if start and took > 0 else None,
    }


def run(
    rate: int,
    seconds: float,
    workers: int = 2,
    ack_wait_s: float = 60.0,
    drain_timeout_s: float = 1200.0,
) -> dict[str, Any]:
    """Create a scratch database, start the workers, fire, drain, verify, tear down."""
    from sqlalchemy import create_engine, text

    from models.db import sync_url, upgrade

    name = f"sb_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sync_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    procs: list[Any] = []
    try:
        upgrade(url)
        ctx = mp.get_context("spawn")
        ports = [18_600 + i for i in range(workers)]
        for port in ports:
            ready = ctx.Event()
            p = ctx.Process(target=_worker, args=(url, port, ready), daemon=True)
            p.start()
            procs.append(p)
            if not ready.wait(90):
                raise RuntimeError(f"worker on {port} did not start")
        load_before = [round(x, 2) for x in os.getloadavg()]
        t0 = time.perf_counter()
        result = asyncio.run(_client(ports, rate, seconds, ack_wait_s))
        result["load_average_after_burst"] = [round(x, 2) for x in os.getloadavg()]
        result.update(_drain(url, drain_timeout_s))
        total_s = time.perf_counter() - t0
        result["load_average_before"] = load_before
        counts = _count(url)
        result.update(counts)
        result["applied_per_s_overall"] = round(counts["distinct_updates"] / total_s, 1)
        # 200 means durably in the inbox: an acknowledged update missing there is lost
        result["lost"] = max(0, result["acked"] - counts["inbox_rows"])
        result["not_applied"] = result["sent"] - counts["distinct_updates"]
        result["applied_twice"] = counts["inbound_updates"] - counts["distinct_updates"]
        result["config"] = {
            "rate": rate,
            "seconds": seconds,
            "workers": workers,
            "ack_wait_s": ack_wait_s,
            "drain_timeout_s": drain_timeout_s,
        }
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        result["machine"] = {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "system": platform.platform(),
        }
        return result
    finally:
        for p in procs:
            p.terminate()
            p.join(5)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ack-wait", type=float, default=60.0)
    ap.add_argument("--drain-timeout", type=float, default=1200.0)
    ap.add_argument("--out", type=str, default="")
    a = ap.parse_args()
    res = run(a.rate, a.seconds, a.workers, a.ack_wait, a.drain_timeout)
    text_out = json.dumps(res, indent=2)
    print(text_out)
    if a.out:
        Path(a.out).write_text(text_out + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
