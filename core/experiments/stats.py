"""The statistics behind a report: two-proportion z-test, Wilson intervals, sample-ratio
mismatch (chi-square) and the sample size still needed. Frequentist, two-sided, alpha 0.05."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as sps

ALPHA = 0.05
POWER = 0.8
SRM_ALPHA = 0.001  # SRM is a data-quality alarm: only flag clear mismatches


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float
    diff: float  # rate_b - rate_a
    diff_low: float
    diff_high: float
    lift: float | None  # (rate_b - rate_a) / rate_a

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


def wilson(conversions: int, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Wilson score interval for a proportion (good at small n and rates near 0 or 1)."""
    if n <= 0:
        return (0.0, 1.0)
    z = sps.norm.ppf(1 - alpha / 2)
    p = conversions / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_z(c_a: int, n_a: int, c_b: int, n_b: int, alpha: float = ALPHA) -> ZTest:
    """Pooled two-proportion z-test of H0: p_a == p_b; CI of the difference is unpooled."""
    if n_a <= 0 or n_b <= 0:
        raise ValueError("both variants need exposures")
    p_a, p_b = c_a / n_a, c_b / n_b
    pooled = (c_a + c_b) / (n_a + n_b)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    diff = p_b - p_a
    z = diff / se0 if se0 > 0 else 0.0
    p_value = 2 * sps.norm.sf(abs(z)) if se0 > 0 else 1.0
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    zc = sps.norm.ppf(1 - alpha / 2)
    lift = diff / p_a if p_a > 0 else None
    return ZTest(z, float(p_value), diff, diff - zc * se, diff + zc * se, lift)


@dataclass(frozen=True)
class SRM:
    chi2: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


def sample_ratio_mismatch(observed: Sequence[int], weights: Sequence[float]) -> SRM:
    """Chi-square goodness of fit of assignment counts against the configured split."""
    total = sum(observed)
    wsum = sum(weights)
    if total == 0 or wsum <= 0 or len(observed) < 2:
        return SRM(0.0, 1.0)
    expected = [total * w / wsum for w in weights]
    chi2 = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)
    p = float(sps.chi2.sf(chi2, df=len(observed) - 1))
    return SRM(chi2, p)


def needed_per_variant(
    base_rate: float, relative_mde: float = 0.10, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Members per variant to detect a `relative_mde` change of `base_rate` (normal approx.)."""
    p1 = min(max(base_rate, 1e-6), 1 - 1e-6)
    p2 = min(max(p1 * (1 + relative_mde), 1e-6), 1 - 1e-6)
    za = sps.norm.ppf(1 - alpha / 2)
    zb = sps.norm.ppf(power)
    n = (za + zb) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2
    return int(math.ceil(n))
