"""The difference of two proportions with a confidence interval, and what may be said of it.

Newcombe's hybrid score interval (method 10 of R. G. Newcombe, "Interval estimation for the
difference between independent proportions: comparison of eleven methods", Statistics in
Medicine 17 (1998) 873-890): each arm's Wilson score interval, combined. It keeps its
coverage for small counts and rates near 0 or 1, where the simple Wald interval claims a
difference that is not there — and a champion/challenger report must never declare a
winner on noise. Closed form, no statistics package needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

MIN_PER_ARM = 100  # below this many accounts (or promises) in an arm the report says "not enough yet"


def wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of ``successes / n``."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return (centre - spread) / denominator, (centre + spread) / denominator


@dataclass(frozen=True)
class Difference:
    """``rate_b - rate_a`` with its interval at ``confidence``."""

    rate_a: float
    rate_b: float
    difference: float
    low: float
    high: float
    confidence: float

    @property
    def shown(self) -> bool:
        """True when the interval excludes zero: a difference the data show."""
        return self.low > 0 or self.high < 0


def difference(success_a: int, n_a: int, success_b: int, n_b: int, confidence: float = 0.95) -> Difference:
    """Newcombe's hybrid score interval for ``success_b / n_b - success_a / n_a``."""
    if n_a == 0 or n_b == 0:
        raise ValueError("each arm needs at least one account")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p_a, p_b = success_a / n_a, success_b / n_b
    low_a, high_a = wilson(success_a, n_a, z)
    low_b, high_b = wilson(success_b, n_b, z)
    d = p_b - p_a
    low = d - math.sqrt((p_b - low_b) ** 2 + (high_a - p_a) ** 2)
    high = d + math.sqrt((high_b - p_b) ** 2 + (p_a - low_a) ** 2)
    return Difference(p_a, p_b, d, low, high, confidence)


def _points(value: float) -> str:
    return f"{value * 100:.1f}"


def sentence(metric: str, verb: str, challenger: str, champion: str, n_a: int, n_b: int, d: Difference | None) -> str:
    """What a manager may read out of the comparison, in one plain sentence."""
    counts = f"{n_b:,} accounts per arm" if n_a == n_b else f"{n_b:,} and {n_a:,} accounts"
    if d is None or min(n_a, n_b) < MIN_PER_ARM:
        return (
            f"{metric}: not enough {('promises' if metric == 'kept rate' else 'accounts')} yet "
            f"({n_b:,} in {challenger}, {n_a:,} in {champion}; at least {MIN_PER_ARM} per arm)"
        )
    more = "more" if d.difference >= 0 else "fewer"
    interval = f"{round(d.confidence * 100)} % interval {_points(d.low)} to {_points(d.high)}"
    if d.shown:
        return (
            f"challenger {challenger} {verb} {_points(abs(d.difference))} points {more} than {champion}, "
            f"{interval}, {counts}"
        )
    return (
        f"no difference shown yet: challenger {challenger} {verb} {_points(abs(d.difference))} points {more} "
        f"than {champion}, but the {interval} includes zero ({counts})"
    )
