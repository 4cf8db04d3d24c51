"""The champion/challenger interval against published values and an independent computation."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from dunning.results.intervals import difference, sentence, wilson

Z95 = NormalDist().inv_cdf(0.975)


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        # Newcombe (1998), Table II, method 10: (a) 56/70 - 48/80, (e) 0/10 - 0/10
        ((48, 80), (56, 70), 0.0524, 0.3339),
        ((0, 10), (0, 10), -0.2775, 0.2775),
    ],
)
def test_matches_newcombes_published_intervals(a: tuple[int, int], b: tuple[int, int], low: float, high: float) -> None:
    d = difference(a[0], a[1], b[0], b[1])
    assert (round(d.low, 4), round(d.high, 4)) == (low, high)


def _wilson_by_bisection(successes: int, n: int) -> tuple[float, float]:
    """The Wilson bounds solved numerically: the p where |p - p_hat| = z * sqrt(p (1 - p) / n)."""
    p_hat = successes / n

    def gap(p: float) -> float:
        return abs(p - p_hat) - Z95 * math.sqrt(p * (1 - p) / n)

    def solve(lo: float, hi: float) -> float:
        for _ in range(200):
            mid = (lo + hi) / 2
            if (gap(lo) > 0) == (gap(mid) > 0):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    lower = 0.0 if successes == 0 else solve(0.0, p_hat)
    upper = 1.0 if successes == n else solve(p_hat, 1.0)
    return lower, upper


@pytest.mark.parametrize(("successes", "n"), [(1, 3), (5, 50), (420, 4210), (0, 20), (20, 20), (999, 1000)])
def test_wilson_bounds_equal_a_numerical_solution(successes: int, n: int) -> None:
    closed = wilson(successes, n, Z95)
    numeric = _wilson_by_bisection(successes, n)
    assert closed == pytest.approx(numeric, abs=1e-9)


def test_hybrid_interval_combines_the_two_wilson_intervals() -> None:
    low_a, high_a = _wilson_by_bisection(380, 4210)
    low_b, high_b = _wilson_by_bisection(468, 4210)
    p_a, p_b = 380 / 4210, 468 / 4210
    d = difference(380, 4210, 468, 4210)
    assert d.low == pytest.approx(p_b - p_a - math.hypot(p_b - low_b, high_a - p_a), abs=1e-9)
    assert d.high == pytest.approx(p_b - p_a + math.hypot(high_b - p_b, p_a - low_a), abs=1e-9)
    assert d.shown


def test_sentences_declare_no_winner_on_noise() -> None:
    shown = difference(380, 4210, 468, 4210)
    assert sentence("cure rate", "cures", "B", "A", 4210, 4210, shown) == (
        "challenger B cures 2.1 points more than A, 95 % interval 0.8 to 3.4, 4,210 accounts per arm"
    )
    noise = difference(380, 4210, 395, 4000)
    assert sentence("cure rate", "cures", "B", "A", 4210, 4000, noise) == (
        "no difference shown yet: challenger B cures 0.8 points more than A, "
        "but the 95 % interval -0.4 to 2.1 includes zero (4,000 and 4,210 accounts)"
    )
    small = difference(3, 50, 40, 60)
    assert sentence("cure rate", "cures", "B", "A", 50, 60, small) == (
        "cure rate: not enough accounts yet (60 in B, 50 in A; at least 100 per arm)"
    )
