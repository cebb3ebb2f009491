"""Process-local counters exported at /metrics in Prometheus text format (no extra dependency)."""

from __future__ import annotations

import threading
from collections import defaultdict

_lock = threading.Lock()
_counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
HELP: dict[str, str] = {
    "syllabot_events_total": "Events dispatched by the router, by type and outcome.",
    "syllabot_handler_errors_total": "Unexpected handler failures (logged with context).",
}


def inc(name: str, amount: float = 1.0, **labels: str) -> None:
    key = (name, tuple(sorted(labels.items())))
    with _lock:
        _counters[key] += amount


def snapshot() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with _lock:
        return dict(_counters)


def render(extra_gauges: dict[str, float] | None = None) -> str:
    lines: list[str] = []
    seen: set[str] = set()
    for (name, labels), value in sorted(snapshot().items()):
        if name not in seen:
            seen.add(name)
            lines.append(f"# HELP {name} {HELP.get(name, name)}")
            lines.append(f"# TYPE {name} counter")
        lab = ",".join(f'{k}="{v}"' for k, v in labels)
        lines.append(f"{name}{{{lab}}} {value:g}" if lab else f"{name} {value:g}")
    for name, value in sorted((extra_gauges or {}).items()):
        lines.append(f"# TYPE {name} gauge")
        lines.append(f"{name} {value:g}")
    return "\n".join(lines) + "\n"
