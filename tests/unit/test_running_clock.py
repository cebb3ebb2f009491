"""The demo's clock runs with real time, and /clock moves it on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import clock as clocks
from core.clock import FrozenClock, RunningClock


def test_it_runs_with_real_time_and_moves_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([100.0, 100.0, 102.5, 102.5, 103.0, 200.0, 200.0])
    monkeypatch.setattr(clocks.time, "monotonic", lambda: next(ticks))
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    c = RunningClock(start)  # t0 = 100
    assert c.now() == start  # 100
    assert c.now() == start + timedelta(seconds=2.5)  # 102.5: real time went by
    assert c.advance(timedelta(days=3)) == start + timedelta(days=3, seconds=2.5)  # /clock +3d
    assert c.now() == start + timedelta(days=3, seconds=3)
    c.set(start)  # t0 = 200
    assert c.now() == start
    assert isinstance(c, FrozenClock)  # the console's /clock accepts it
