"""Digest benchmark: compose + enqueue for N synthetic members, then deliver them against a fake
Telegram that enforces its limits (30/s overall, 1/s per chat) and injects 429s and 403s.

    .venv/bin/python bench/digest.py                 # 10,000 members, simulated clock
    .venv/bin/python bench/digest.py --members 2000 --realtime 300

Checks: zero duplicates, zero losses (every digest is delivered or its member is marked
unreachable), achieved send rate within 10% of 30/s. Results: bench/results/digest.json.
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
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from config.settings import load_settings  # noqa: E402
from core.callbacks import CallbackSigner  # noqa: E402
from core.context import Services  # noqa: E402
from core.digest.compose import compose_due  # noqa: E402
from core.digest.delivery import drain  # noqa: E402
from core.digest.providers import recommender  # noqa: E402
from core.digest.ratelimit import RateLimiter  # noqa: E402
from core.ports import SendOutcome  # noqa: E402
from models.catalog import Course  # noqa: E402
from models.db import make_engine, session_factory, upgrade  # noqa: E402
from models.digest import Outbox  # noqa: E402
from models.interaction import Interaction  # noqa: E402
from models.member import Account, Member  # noqa: E402
from models.qa import Question  # noqa: E402

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TAGS = ["sql", "python", "ml", "stats", "viz", "spark", "cloud", "career", "excel", "r"]


class SimClock:
    """One simulated time for the database clock and the rate limiter; sleeping is instant."""

    def __init__(self, realtime: bool = False) -> None:
        self.realtime = realtime
        self.t = 0.0
        self.t0 = time.monotonic()

    def monotonic(self) -> float:
        return time.monotonic() - self.t0 if self.realtime else self.t

    async def sleep(self, dt: float) -> None:
        if self.realtime:
            await asyncio.sleep(dt)
        else:
            self.t += dt

    def now(self) -> datetime:
        return START + timedelta(seconds=self.monotonic())


class FakeTelegram:
    """Accepts at most 30 messages in any 1 s and 1 per chat per second; else 429."""

    platform = "telegram"

    def __init__(self, clock: SimClock, rng: random.Random, p429: float, blocked: set[str]) -> None:
        self.clock, self.rng, self.p429, self.blocked = clock, rng, p429, blocked
        self.window: deque[float] = deque()
        self.last_in_chat: dict[str, float] = {}
        self.accepted: Counter[str] = Counter()
        self.accept_times: list[float] = []
        self.limit_429s = 0
        self.injected_429s = 0
        self.forbidden = 0

    async def deliver(self, target: str, payload: dict[str, Any]) -> SendOutcome:
        now = self.clock.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if target in self.blocked:
            self.forbidden += 1
            return SendOutcome("unreachable", error="403 Forbidden: bot was blocked by the user")
        if len(self.window) >= 30 or now - self.last_in_chat.get(target, -9.0) < 1.0 - 1e-9:
            self.limit_429s += 1
            return SendOutcome("retry", retry_after=1, error="429 Too Many Requests")
        if self.rng.random() < self.p429:
            self.injected_429s += 1
            return SendOutcome("retry", retry_after=self.rng.randint(1, 5), error="429 (injected)")
        self.window.append(now)
        self.last_in_chat[target] = now
        self.accepted[target] += 1
        self.accept_times.append(now)
        return SendOutcome("sent", message_ref=str(len(self.accept_times)))


async def seed(services: Services, n: int, rng: random.Random) -> None:
    async with services.session_factory() as s, s.begin():
        courses = []
        for i in range(40):
            tags = rng.sample(TAGS, 2)
            c = Course(
                slug=f"c{i}", title=f"Course {i}", tags=tags, plan_codes=[], created_at=START
            )
            s.add(c)
            courses.append(c)
        await s.flush()
        members = []
        for i in range(n):
            m = Member(
                display_name=f"m{i}",
                created_at=START,
                tags=rng.sample(TAGS, 3),
                prefs={},
                locale="zh-CN" if i % 4 == 0 else "en",
                digest_frequency="daily",
                digest_hour=9,
                timezone="UTC",
                peer_opt_in=i % 2 == 0,
            )
            members.append(m)
        s.add_all(members)
        await s.flush()
        s.add_all(
            Account(
                member_id=m.id,
                platform="telegram",
                platform_user_id=str(10_000 + m.id),
                chat_id=str(10_000 + m.id),
                created_at=START,
            )
            for m in members
        )
        s.add_all(
            Interaction(
                member_id=m.id,
                course_id=rng.choice(courses).id,
                kind="view",
                weight=0.5,
                at=START - timedelta(days=3),
                source="bench",
                meta={},
            )
            for m in members
            for _ in range(3)
        )
        s.add_all(
            Question(text=f"Question {i} about {t}?", tags=[t], status="open", created_at=START)
            for i, t in enumerate(rng.choices(TAGS, k=200))
        )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    clock = SimClock()
    services = Services(
        settings=load_settings(None, database_url=url, secret_key="bench"),
        session_factory=session_factory(engine),
        clock=clock,
        signer=CallbackSigner("bench"),
    )
    t0 = time.perf_counter()
    await seed(services, args.members, rng)
    seed_s = time.perf_counter() - t0

    if args.recommender == "fallback":
        from core.digest.providers import FallbackRecommender

        services.extras["digest.recommender"] = FallbackRecommender()
    rec = type(recommender(services)).__name__
    train_s = 0.0
    if rec == "RecommendServiceAdapter" and not args.train_in_compose:
        # the model is trained by its own job (core/recommend/jobs.py), not per digest run:
        # time that one-time step apart (embeddings of every member and course + training)
        from core.recommend.service import get_service

        t0 = time.perf_counter()
        async with services.session_factory() as s:
            await get_service(services).ensure(s, clock.now())
        train_s = time.perf_counter() - t0
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    report = await compose_due(services)
    compose_s = time.perf_counter() - t0
    if prof is not None:
        import pstats

        prof.disable()
        stats = pstats.Stats(prof, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)

    async with services.session_factory() as s:
        queued = (await s.execute(select(func.count()).select_from(Outbox))).scalar_one()
        targets = list((await s.execute(select(Outbox.target))).scalars())
    blocked = set(rng.sample(targets, int(len(targets) * args.p403)))
    fake = FakeTelegram(clock, rng, args.p429, blocked)
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    t0 = time.perf_counter()
    rounds = 0
    while True:
        rounds += 1
        await drain(
            services, senders={"telegram": fake}, rate_limiter=limiter, budget_s=None, batch=100
        )
        async with services.session_factory() as s:
            nxt = (
                await s.execute(
                    select(func.min(Outbox.not_before)).where(Outbox.status == "pending")
                )
            ).scalar_one()
        if nxt is None:
            break
        clock.t = max(clock.t, (nxt - START).total_seconds())  # idle until the next retry is due
    deliver_wall_s = time.perf_counter() - t0
    async with services.session_factory() as s:
        statuses = dict(
            (await s.execute(select(Outbox.status, func.count()).group_by(Outbox.status))).all()
        )
        unreachable_targets = set(
            (await s.execute(select(Outbox.target).where(Outbox.status == "unreachable"))).scalars()
        )
        unreachable_members = (
            await s.execute(
                select(func.count()).select_from(Member).where(Member.reachable.is_(False))
            )
        ).scalar_one()
    dups = sum(1 for n in fake.accepted.values() if n > 1)
    lost = [t for t in targets if fake.accepted[t] == 0 and t not in unreachable_targets]
    times = fake.accept_times
    # the steady part: while the first pass is being sent (retries come later, in a trickle)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    first_pass = [x for x in times if x <= times[0] + (queued - len(blocked)) / 30.0]
    steady_rate = (
        (len(first_pass) - 1) / (first_pass[-1] - first_pass[0]) if len(first_pass) > 1 else 0.0
    )
    await engine.dispose()
    out: dict[str, Any] = {
        "members": args.members,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "recommender": rec,
        "seed_s": round(seed_s, 2),
        "compose": {
            "model_train_s": round(train_s, 2),
            "seconds": round(compose_s, 2),
            "per_second": round(report.composed / compose_s, 1),
            "composed": report.composed,
            "queued": report.queued,
            "empty": report.empty,
            "target_s": 60,
        },
        "delivery_simulated": {
            "queued": queued,
            "accepted": sum(fake.accepted.values()),
            "duplicates": dups,
            "lost": len(lost),
            "blocked_403": len(blocked),
            "marked_unreachable": unreachable_members,
            "limit_429s": fake.limit_429s,
            "injected_429s": fake.injected_429s,
            "outbox_statuses": statuses,
            "sim_seconds_total": round(span, 1),
            "steady_rate_per_s": round(steady_rate, 2),
            "overall_rate_per_s": round(len(times) / span, 2) if span else 0.0,
            "rate_within_10pct_of_30": abs(steady_rate - 30.0) <= 3.0,
            "wall_seconds": round(deliver_wall_s, 1),
            "drain_rounds": rounds,
        },
    }
    if args.realtime:
        out["delivery_realtime"] = await realtime_run(args, tmp)
    return out


async def realtime_run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """A short run on the real clock: does the limiter hold 30/s against a real timer?"""
    rng = random.Random(args.seed + 1)
    url = f"sqlite+aiosqlite:///{tmp / 'realtime.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    clock = SimClock(realtime=True)
    services = Services(
        settings=load_settings(None, database_url=url, secret_key="bench"),
        session_factory=session_factory(engine),
        clock=clock,
        signer=CallbackSigner("bench"),
    )
    await seed(services, args.realtime, rng)
    from core.digest.providers import FallbackRecommender

    services.extras["digest.recommender"] = FallbackRecommender()  # this run measures sending
    await compose_due(services, now=START)
    fake = FakeTelegram(clock, rng, 0.0, set())
    limiter = RateLimiter()  # real monotonic clock and asyncio.sleep
    clock.t0 = time.monotonic()
    limiter.monotonic = time.monotonic
    t0 = time.monotonic()
    report = await drain(services, senders={"telegram": fake}, rate_limiter=limiter, budget_s=None)
    wall = time.monotonic() - t0
    await engine.dispose()
    times = fake.accept_times
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {
        "messages": args.realtime,
        "sent": report.sent,
        "retried": report.retried,
        "limit_429s": fake.limit_429s,
        "duplicates": sum(1 for n in fake.accepted.values() if n > 1),
        "wall_seconds": round(wall, 2),
        "rate_per_s": round(rate, 2),
        "rate_within_10pct_of_30": abs(rate - 30.0) <= 3.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--p429", type=float, default=0.01, help="share of sends answered 429")
    ap.add_argument(
        "--p403", type=float, default=0.005, help="share of members who blocked the bot"
    )
    ap.add_argument(
        "--realtime", type=int, default=300, help="messages in the real-clock run (0: skip)"
    )
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--recommender",
        choices=["service", "fallback"],
        default="service",
        help="service: core/recommend/service.py when present (else the fallback)",
    )
    ap.add_argument(
        "--train-in-compose",
        action="store_true",
        help="count the recommender's first training inside the compose time",
    )
    ap.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile compose (cProfile) and print its N costliest calls to stderr",
    )
    ap.add_argument("--out", default=str(Path(__file__).with_name("results") / "digest.json"))
    args = ap.parse_args()
    result = asyncio.run(run(args))
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work sharing the machine
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
