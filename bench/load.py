"""Webhook load on loopback: 2 worker processes sharing one PostgreSQL database.

    .venv/bin/python bench/load.py --rate 2000 --seconds 30 --out bench/results/load_postgres.json
    .venv/bin/python bench/load.py --rate 200 --seconds 3          # short form

Each worker is the real aiohttp server (bot/web.py + the Telegram webhook route, secret header)
with the Telegram adapter on the tests' fake wire (no network). The client posts /start-like
updates from distinct users at a fixed rate, records latency and errors, then checks the
database: every update applied once (InboundUpdate rows, members created). Bounded: it stops
after --seconds plus a drain timeout whatever happens.
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


async def _client(ports: list[int], rate: int, seconds: float, drain_s: float) -> dict[str, Any]:
    import aiohttp

    total = int(rate * seconds)
    lat: list[float] = []
    errors: dict[str, int] = {}
    sem = asyncio.Semaphore(512)

    async def post(s: aiohttp.ClientSession, i: int) -> None:
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
                        lat.append(time.perf_counter() - t0)
            except Exception as exc:  # noqa: BLE001 - counted, reported
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

    conn = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=seconds + drain_s)
    start = time.perf_counter()
    async with aiohttp.ClientSession(connector=conn, timeout=timeout) as s:
        tasks = []
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(s, i)))
        done, pending = await asyncio.wait(tasks, timeout=drain_s)
        for t in pending:
            t.cancel()
    wall = time.perf_counter() - start
    lat.sort()
    return {
        "sent": total,
        "ok": len(lat),
        "errors": errors,
        "unfinished": len(pending),
        "wall_s": round(wall, 2),
        "throughput_per_s": round(len(lat) / wall, 1),
        "latency_p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "latency_p95_ms": round(lat[int(len(lat) * 0.95) - 1] * 1000, 1) if lat else None,
        "latency_max_ms": round(lat[-1] * 1000, 1) if lat else None,
    }


def _count(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    from models.db import sync_url

    eng = create_engine(sync_url(url))
    with eng.connect() as c:
        out = {
            "inbound_updates": c.execute(text("SELECT count(*) FROM inbound_update")).scalar_one(),
            "distinct_updates": c.execute(
                text("SELECT count(DISTINCT update_id) FROM inbound_update")
            ).scalar_one(),
            "members": c.execute(text("SELECT count(*) FROM member")).scalar_one(),
        }
    eng.dispose()
    return out


def run(rate: int, seconds: float, workers: int = 2, drain_s: float = 60.0) -> dict[str, Any]:
    """Create a scratch database, start the workers, fire, verify, tear everything down."""
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
        result = asyncio.run(_client(ports, rate, seconds, drain_s))
        result["load_average_before"] = load_before
        counts = _count(url)
        result.update(counts)
        result["lost"] = result["sent"] - counts["distinct_updates"]
        result["applied_twice"] = counts["inbound_updates"] - counts["distinct_updates"]
        result["config"] = {"rate": rate, "seconds": seconds, "workers": workers}
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
    ap.add_argument("--out", type=str, default="")
    a = ap.parse_args()
    res = run(a.rate, a.seconds, a.workers)
    text_out = json.dumps(res, indent=2)
    print(text_out)
    if a.out:
        Path(a.out).write_text(text_out + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
