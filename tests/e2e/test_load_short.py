"""Short form of bench/load.py: 2 webhook workers on PostgreSQL, 3 s of updates, none lost or
applied twice. Timings are recorded by the bench, never asserted here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "load.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("load_bench", BENCH)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["load_bench"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_webhook_burst_on_two_workers_loses_nothing_and_applies_nothing_twice(
    pg_database: str | None,
) -> None:
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable")
    res = _bench().run(rate=100, seconds=3, workers=2, drain_s=60)
    assert res["errors"] == {} and res["unfinished"] == 0, res
    assert res["ok"] == res["sent"] == 300
    assert res["lost"] == 0 and res["applied_twice"] == 0
    assert res["members"] == 300, "one member per distinct sender"
