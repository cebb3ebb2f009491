"""Short form of bench/load.py: 2 webhook workers on PostgreSQL, 3 s of updates acknowledged
into the inbox, then drained: none lost or applied twice. Timings are recorded by the bench,
never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "load.py"


def test_webhook_burst_on_two_workers_loses_nothing_and_applies_nothing_twice(
    pg_database: str | None, tmp_path: Path
) -> None:
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable")
    out = tmp_path / "load.json"
    cmd = [sys.executable, str(BENCH), "--rate", "100", "--seconds", "3"]
    cmd += ["--drain-timeout", "60", "--out", str(out)]
    subprocess.run(cmd, check=True, timeout=150, capture_output=True)
    res = json.loads(out.read_text())
    assert res["errors"] == {} and res["unfinished"] == 0, res
    assert res["acked"] == res["sent"] == 300 and res["inbox_rows"] == 300
    assert res["drained"] and res["inbox_pending"] == 0 and res["inbox_set_aside"] == 0
    assert res["lost"] == 0 and res["not_applied"] == 0 and res["applied_twice"] == 0
    assert res["members"] == 300, "one member per distinct sender"
