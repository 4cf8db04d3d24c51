"""P101 tier-gap: some days past due fall in no tier.

An account whose days past due match no tier gets no strategy: it is excluded with the
reason ``tier/none`` and nobody contacts it. Usually that is a typo in a ``dpd`` bound.
Tiers restricted by amount, product, segment or jurisdiction do not close a gap for
accounts they do not cover, so only unrestricted tiers are counted.

Passing::

    tiers:
      - {id: early, dpd: {min: 1, max: 30}}
      - {id: late,  dpd: {min: 31, max: null}}

Failing (days 31–35 are in no tier)::

    tiers:
      - {id: early, dpd: {min: 1, max: 30}}
      - {id: late,  dpd: {min: 36, max: null}}
"""

from __future__ import annotations

from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext

CODE = "P101"
NAME = "tier-gap"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each run of uncovered days after the first tier starts."""
    import sys

    rule = sys.modules[__name__]
    open_tiers = [
        t for t in ctx.policy.tiers if not (t.min_amount or t.max_amount or t.products or t.segments or t.jurisdictions)
    ]
    if not open_tiers:
        return
    ordered = sorted(open_tiers, key=lambda t: t.dpd.low)
    reach = ordered[0].dpd.high
    for tier in ordered[1:]:
        if reach is None:
            return
        if tier.dpd.low > reach + 1:
            yield ctx.problem(
                rule,
                tier.source,
                f"days past due {reach + 1}–{tier.dpd.low - 1} fall in no tier (before tier {tier.id!r})",
                f"start tier {tier.id!r} at dpd {reach + 1}, or add a tier for those days",
            )
        reach = None if tier.dpd.high is None else max(reach, tier.dpd.high)
