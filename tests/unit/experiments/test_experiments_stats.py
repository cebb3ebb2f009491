"""Assignment, statistics and off-policy replay: pure functions against known values."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.experiments.assign import Variant, bucket, choose
from core.experiments.replay import Logged, ips
from core.experiments.stats import (
    needed_per_variant,
    sample_ratio_mismatch,
    two_proportion_z,
    wilson,
)


@settings(max_examples=25, deadline=None)
@given(
    name=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    weights=st.lists(st.integers(1, 100), min_size=2, max_size=4),
)
def test_assignment_is_stable_and_follows_the_split(name, weights):
    variants = [Variant(f"v{i}", float(w)) for i, w in enumerate(weights)]
    n = 4000
    got = [choose(m, name, variants) for m in range(1, n + 1)]
    assert got == [choose(m, name, variants) for m in range(1, n + 1)]  # sticky: same every time
    total = sum(weights)
    for i, w in enumerate(weights):
        share = got.count(f"v{i}") / n
        p = w / total
        sd = (p * (1 - p) / n) ** 0.5
        assert abs(share - p) < 5 * sd + 1e-9, (name, weights, i, share)


def test_buckets_are_independent_across_experiments():
    a = [bucket(m, "exp-a") < 0.5 for m in range(2000)]
    b = [bucket(m, "exp-b") < 0.5 for m in range(2000)]
    both = sum(x and y for x, y in zip(a, b, strict=True)) / 2000
    assert 0.2 < both < 0.3  # about a quarter: being in A's treatment says nothing about B's


def test_z_test_against_known_values():
    t = two_proportion_z(200, 1000, 250, 1000)
    assert t.z == pytest.approx(2.6774, abs=1e-3)
    assert t.p_value == pytest.approx(0.00742, abs=1e-4)
    assert t.lift == pytest.approx(0.25)
    assert t.diff_low == pytest.approx(0.05 - 1.959964 * ((0.16 + 0.1875) / 1000) ** 0.5, abs=1e-6)
    assert t.significant
    assert not two_proportion_z(100, 1000, 105, 1000).significant


def test_wilson_interval_known_value():
    low, high = wilson(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert wilson(0, 20)[0] == 0.0 and wilson(0, 20)[1] > 0.1


def test_sample_ratio_mismatch_detected_on_skewed_split():
    assert not sample_ratio_mismatch([5010, 4990], [50, 50]).mismatch
    skewed = sample_ratio_mismatch([5000, 5600], [50, 50])
    assert skewed.mismatch and skewed.chi2 == pytest.approx(33.96, abs=0.01)
    assert not sample_ratio_mismatch([2000, 8000], [20, 80]).mismatch


def test_sample_size_for_a_ten_percent_lift():
    assert needed_per_variant(0.10, 0.10) == pytest.approx(14749, abs=5)


def test_ips_is_unbiased_on_a_simulated_log():
    rng = random.Random(3)
    mean = {(0, 0): 0.1, (0, 1): 0.5, (0, 2): 0.2, (1, 0): 0.6, (1, 1): 0.1, (1, 2): 0.3}

    def target(x, a):  # deterministic candidate: the best action per context
        return 1.0 if a == (1 if x == 0 else 0) else 0.0

    true_value = 0.5 * 0.5 + 0.5 * 0.6
    estimates = []
    for _ in range(200):
        log = []
        for _ in range(300):
            x = rng.randrange(2)
            a = rng.randrange(3)  # uniform logging policy: propensity 1/3
            log.append(Logged(x, a, 1 / 3, float(rng.random() < mean[(x, a)])))
        estimates.append(ips(log, target))
    avg = sum(e.ips for e in estimates) / len(estimates)
    se_of_avg = (sum(e.ips_se**2 for e in estimates) / len(estimates)) ** 0.5 / len(
        estimates
    ) ** 0.5
    assert abs(avg - true_value) < 3 * se_of_avg
    # the logging policy's own value is estimated too (pi == logging policy -> plain mean)
    one = estimates[0]
    assert one.n == 300 and 0 < one.effective_n <= 300
    with pytest.raises(ValueError):
        ips([Logged(0, 0, 0.0, 1.0)], target)
