"""How many payment events per second the ledger applies, with zero duplicate grants.

    .venv/bin/python bench/ledger.py [--engine sqlite|postgres|both] [--events 3000]
                                     [--workers 8] [--processes 2] [--dup-rate 0.3]
                                     [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Each engine gets a fresh, migrated database. Members get signed invoices (payment intents);
the event stream pays each invoice once plus re-deliveries of random charges (the duplicates
providers send), shuffled, and `--workers` asyncio workers apply them concurrently through
`ledger.process` (each event in its own transaction, with the ledger's retry on lock
contention). Afterwards it checks: one payment row per charge, one `subscription.pay` audit
row per charge, and every subscription's period equals its number of paid periods.
Results go to bench/results/ledger_<engine>.json.

The box is shared, so besides events/s each result records CPU per event: the worker
processes' own CPU (user + system) and, when PostgreSQL runs on this machine, the CPU of the
server backends that served the run (read from /proc). Their sum bounds what an idle box
can do: events/s <= cores / (CPU seconds per event).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bot.wiring import build_app  # noqa: E402
from config.settings import load_settings  # noqa: E402
from core.clock import FrozenClock  # noqa: E402
from core.events import Actor  # noqa: E402
from core.members import resolve  # noqa: E402
from core.payments import ledger, payload  # noqa: E402
from models.audit import AuditLog  # noqa: E402
from models.db import sync_url, upgrade  # noqa: E402
from models.membership import Payment, Plan, Subscription  # noqa: E402

RESULTS = Path(__file__).with_name("results")
PROVIDER = "bench"
_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a local process, None when it is not visible here."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


async def backend_cpu(services: Any) -> dict[int, float] | None:
    """CPU seconds of every PostgreSQL backend connected to this database, by pid (None on
    SQLite or when the server is not on this machine)."""
    async with services.session_factory() as s:
        if s.get_bind().dialect.name != "postgresql":
            return None
        pids = (
            await s.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND backend_type = 'client backend'"
                )
            )
        ).scalars()
        cpu = {pid: _proc_cpu(pid) for pid in pids}
    if any(v is None for v in cpu.values()):
        return None
    return {pid: v for pid, v in cpu.items() if v is not None}


async def apply_stream(services: Any, stream: list[ledger.Charge], workers: int) -> dict[str, int]:
    queue: asyncio.Queue[ledger.Charge] = asyncio.Queue()
    for c in stream:
        queue.put_nowait(c)
    outcomes: dict[str, int] = {}

    async def worker() -> None:
        while True:
            try:
                c = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            res = await ledger.in_transaction(
                services, lambda s, c=c: ledger.process(s, services, c), attempts=20
            )
            outcomes[res.status] = outcomes.get(res.status, 0) + 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return outcomes


def _child(
    url: str, part: list[tuple[str, str]], workers: int, barrier: Any, done: Any, out: Any
) -> None:
    async def go() -> None:
        settings = load_settings(None, database_url=url, secret_key="bench-secret")
        app = build_app(settings, clock=FrozenClock())
        stream = [
            ledger.Charge(PROVIDER, cid, 900, "USD", payload=p, actor="bench") for cid, p in part
        ]
        barrier.wait()
        t0, c0 = time.perf_counter(), time.process_time()
        outcomes = await apply_stream(app.services, stream, workers)
        out.put((time.perf_counter() - t0, time.process_time() - c0, outcomes))
        done.wait()  # keep the connections open until the parent has read their CPU
        await app.close()

    asyncio.run(go())


async def run_processes(
    services: Any, url: str, stream: list[ledger.Charge], workers: int, processes: int
) -> tuple[float, float, dict[str, int], dict[int, float] | None]:
    """The same stream split over processes (a duplicate may land in another process).
    Returns (seconds, worker CPU seconds, outcomes, backend CPU by pid at the end)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    barrier, done, out = ctx.Barrier(processes), ctx.Barrier(processes + 1), ctx.Queue()
    parts = [
        [(c.charge_id, c.payload or "") for c in stream[i::processes]] for i in range(processes)
    ]
    procs = [
        ctx.Process(
            target=_child, args=(url, part, max(1, workers // processes), barrier, done, out)
        )
        for part in parts
    ]
    for p in procs:
        p.start()
    loop = asyncio.get_running_loop()
    results = [await loop.run_in_executor(None, out.get) for _ in procs]
    cpu_after = await backend_cpu(services)
    await loop.run_in_executor(None, done.wait)
    for p in procs:
        p.join()
    outcomes: dict[str, int] = {}
    for _, _, o in results:
        for k, v in o.items():
            outcomes[k] = outcomes.get(k, 0) + v
    return max(t for t, _, _ in results), sum(c for _, c, _ in results), outcomes, cpu_after


async def run(
    url: str,
    engine_name: str,
    events: int,
    workers: int,
    dup_rate: float,
    seed: int,
    processes: int = 1,
) -> dict[str, Any]:
    rng = random.Random(seed)
    settings = load_settings(None, database_url=url, secret_key="bench-secret")
    clock = FrozenClock()
    app = build_app(settings, clock=clock)
    await app.startup()
    services = app.services
    unique = int(events / (1 + dup_rate))
    members = max(1, unique // 3)
    charges: list[ledger.Charge] = []
    async with services.session_factory() as s, s.begin():
        plan = (await s.execute(select(Plan).where(Plan.code == "monthly"))).scalar_one()
        ids = []
        for i in range(members):
            m, _ = await resolve(s, clock, Actor("console", f"bench{i}"))
            ids.append(m.id)
        for n in range(unique):
            mid = ids[n % members]
            _, signed = await payload.issue(s, services, mid, plan, PROVIDER, 900, "USD")
            charges.append(
                ledger.Charge(PROVIDER, f"ch_{n}", 900, "USD", payload=signed, actor="bench")
            )
    stream = charges + [rng.choice(charges) for _ in range(events - unique)]
    rng.shuffle(stream)
    outcomes: dict[str, int] = {}
    cpu_before = await backend_cpu(services)
    if processes <= 1:
        t0, c0 = time.perf_counter(), time.process_time()
        outcomes = await apply_stream(services, stream, workers)
        elapsed, worker_cpu = time.perf_counter() - t0, time.process_time() - c0
        cpu_after = await backend_cpu(services)
    else:
        elapsed, worker_cpu, outcomes, cpu_after = await run_processes(
            services, url, stream, workers, processes
        )
    server_cpu = (
        sum(v - (cpu_before or {}).get(pid, 0.0) for pid, v in cpu_after.items())
        if cpu_after is not None
        else None
    )
    async with services.session_factory() as s:
        pays = (await s.execute(select(func.count(Payment.id)))).scalar_one()
        grants = (
            await s.execute(
                select(func.count(AuditLog.id)).where(AuditLog.action == "subscription.pay")
            )
        ).scalar_one()
        subs = (await s.execute(select(Subscription))).scalars().all()
    per_member: dict[int, int] = {}
    for n in range(unique):
        per_member[ids[n % members]] = per_member.get(ids[n % members], 0) + 1
    wrong_periods = sum(
        1
        for sub in subs
        if sub.current_period_end != clock.now() + timedelta(days=30 * per_member[sub.member_id])
    )
    await app.close()
    return {
        "engine": engine_name,
        "events": len(stream),
        "unique_charges": unique,
        "duplicate_deliveries": len(stream) - unique,
        "members": members,
        "workers": workers,
        "processes": processes,
        "seconds": round(elapsed, 3),
        "events_per_second": round(len(stream) / elapsed, 1),
        # CPU per event (ms): worker processes, and the PostgreSQL backends (null on SQLite,
        # where the engine runs inside the workers, or a remote server)
        "cpu_ms_per_event": {
            "workers": round(1000 * worker_cpu / len(stream), 3),
            "server": round(1000 * server_cpu / len(stream), 3) if server_cpu is not None else None,
        },
        "outcomes": outcomes,
        "payment_rows": pays,
        "grants": grants,
        "duplicate_grants": grants - unique,
        "subscriptions_with_wrong_period": wrong_periods,
        "ok": pays == unique
        and grants == unique
        and wrong_periods == 0
        and outcomes.get("applied") == unique,
    }


def _pg_db(admin: str) -> tuple[str, Any]:
    name = f"sb_bench_{uuid.uuid4().hex[:8]}"
    eng = create_engine(sync_url(admin), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--dup-rate", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--processes", type=int, default=2, help="split the workers over N processes")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get(
            "SYLLABOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args()
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    for name in engines:
        if name == "sqlite":
            tmp = tempfile.mkdtemp()
            url, cleanup = f"sqlite+aiosqlite:///{tmp}/bench.db", (lambda: None)
        else:
            url, cleanup = _pg_db(args.pg_url)
        load_before = os.getloadavg()
        try:
            upgrade(url)
            result = asyncio.run(
                run(url, name, args.events, args.workers, args.dup_rate, args.seed, args.processes)
            )
        finally:
            cleanup()
        result["machine"] = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            # 1/5/15-minute load averages: the box is shared, so compare runs with this
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }
        result["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        print(json.dumps(result, indent=2))
        if not args.no_save:
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"ledger_{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        if not result["ok"]:
            sys.exit(1)


if __name__ == "__main__":
    main()
