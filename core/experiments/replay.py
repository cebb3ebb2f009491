"""Offline replay: estimate how a candidate policy would have done from logged exposures.

Inverse propensity scoring (IPS): each logged (context, action, propensity p, reward r) counts
r * pi(action | context) / p. Unbiased when every action the candidate may take had p > 0 under
the logging policy. The self-normalised variant (SNIPS) trades a little bias for much less
variance; both are reported, with a standard error for IPS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Logged:
    context: Any
    action: int
    propensity: float
    reward: float


@dataclass(frozen=True)
class Estimate:
    ips: float
    ips_se: float
    snips: float
    n: int
    effective_n: float  # (sum w)^2 / sum w^2: how many samples the estimate really rests on


Policy = Callable[[Any, int], float]  # pi(action | context)


def ips(log: Iterable[Logged], policy: Policy, clip: float | None = None) -> Estimate:
    ws: list[float] = []
    wr: list[float] = []
    for row in log:
        if row.propensity <= 0:
            raise ValueError("a logged propensity of 0 cannot be replayed")
        w = policy(row.context, row.action) / row.propensity
        if clip is not None:
            w = min(w, clip)
        ws.append(w)
        wr.append(w * row.reward)
    n = len(ws)
    if n == 0:
        return Estimate(0.0, 0.0, 0.0, 0, 0.0)
    mean = sum(wr) / n
    var = sum((x - mean) ** 2 for x in wr) / max(1, n - 1)
    sw = sum(ws)
    sw2 = sum(w * w for w in ws)
    snips = sum(wr) / sw if sw > 0 else 0.0
    return Estimate(mean, math.sqrt(var / n), snips, n, (sw * sw / sw2) if sw2 > 0 else 0.0)
