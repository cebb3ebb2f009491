"""Injectable time: every rule about trials, grace and digests asks this, never datetime.now()."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock tests (and the demo's /clock command) move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kw: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kw)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


class RunningClock(FrozenClock):
    """The demo's clock: it runs with real time from `start`, and /clock moves it on.

    A frozen demo clock stood behind the wall-clock stamps knowledge-base entries get
    (``catalog_sync.next_stamp``), so a 👎 given in the demo counted as older than the
    answer it was on, and the same answer came again."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start or datetime.now(UTC))
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._now + timedelta(seconds=time.monotonic() - self._t0)

    def advance(self, delta: timedelta | None = None, **kw: float) -> datetime:
        super().advance(delta, **kw)
        return self.now()

    def set(self, when: datetime) -> None:
        super().set(when)
        self._t0 = time.monotonic()
