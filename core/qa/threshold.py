"""Tuning the answer/escalate threshold from members' 👍/👎.

Feedback exists for answers the bot gave, i.e. above past thresholds, and for the lessons
and answers it offered below them while a thread was open (``service.pointer``): those are
what can show that less confident matches are good too. The rule is conservative: answer
at the lowest confidence above which the (smoothed) share of 👍 reaches
``target_precision``; with too little feedback, keep the default. The result is
clamped to ``[lo, hi]`` so a run of bad luck can neither silence the bot nor make it
answer everything.
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_TARGET_PRECISION = 0.8
MIN_SAMPLES = 20


def smoothed_precision(helpful: int, total: int) -> float:
    """Laplace-smoothed share of 👍 (one pseudo-vote each way)."""
    return (helpful + 1.0) / (total + 2.0)


def tune_threshold(
    samples: Sequence[tuple[float, bool]],
    default: float,
    *,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    min_samples: int = MIN_SAMPLES,
    lo: float = 0.3,
    hi: float = 0.9,
) -> float:
    """``samples`` are (confidence when answered, was it helpful)."""
    if len(samples) < min_samples:
        return default
    ordered = sorted(samples, key=lambda s: s[0], reverse=True)
    helpful = 0
    best: float | None = None
    # Walk down from the most confident answer; remember the lowest cut that still meets
    # the target with at least `min_samples // 2` answers above it.
    for total, (conf, ok) in enumerate(ordered, start=1):
        helpful += ok
        if total >= min_samples // 2 and smoothed_precision(helpful, total) >= target_precision:
            best = conf
    if best is None:
        return hi
    return round(min(hi, max(lo, best)), 3)
