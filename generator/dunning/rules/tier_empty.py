"""P104 tier-empty: a tier's own bounds can never hold (``min`` above ``max``).

A tier whose ``dpd.min`` is above ``dpd.max``, or whose amount ``min`` is above its ``max``
for every currency, matches no account at all. Reported at the tier.

Passing::

    tiers:
      - {id: mid, dpd: {min: 31, max: 60}}

Failing::

    tiers:
      - {id: mid, dpd: {min: 60, max: 31}}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._tiers import boxes

CODE = "P104"
NAME = "tier-empty"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each tier that matches no account by its own bounds."""
    rule = sys.modules[__name__]
    for tier in ctx.policy.tiers:
        if boxes(tier):
            continue
        if tier.dpd.high is not None and tier.dpd.low > tier.dpd.high:
            yield ctx.problem(
                rule,
                at(ctx, tier.source, "dpd", "max"),
                f"tier {tier.id!r} matches no account: dpd min {tier.dpd.low} is above max {tier.dpd.high}",
                "swap the bounds, or set max to null for no upper bound",
            )
        else:
            yield ctx.problem(
                rule,
                at(ctx, tier.source, "amount"),
                f"tier {tier.id!r} matches no account: amount min is above max in every currency",
                "check the amount bounds of this tier",
            )
