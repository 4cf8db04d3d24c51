"""P103 tier-shadowed: every account a tier could take is taken by earlier tiers.

Tiers are checked top to bottom and the first that fits takes the account, so a tier
whose whole range (days past due × amount × product × segment × jurisdiction) is covered
by the tiers above it — by one of them or by several together — never gets an account,
and its strategy never runs. Usually a broad tier was put above a narrow one.

Passing (the narrow tier comes first)::

    tiers:
      - {id: early-large, dpd: {min: 8, max: 30}, amount: {min: {CNY: 20000}}}
      - {id: early, dpd: {min: 8, max: 30}}

Failing (``early-large`` never takes an account)::

    tiers:
      - {id: early, dpd: {min: 8, max: 30}}
      - {id: early-large, dpd: {min: 8, max: 30}, amount: {min: {CNY: 20000}}}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules.tier_overlap import tier_analysis

CODE = "P103"
NAME = "tier-shadowed"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each tier whose every account is taken by the tiers above it."""
    rule = sys.modules[__name__]
    shadowed = tier_analysis(ctx).shadowed_by
    for tier in ctx.policy.tiers:
        earlier = shadowed.get(tier.id)
        if not earlier:
            continue
        names = ", ".join(repr(t.id) for t in earlier)
        yield ctx.problem(
            rule,
            tier.source,
            f"tier {tier.id!r} never takes an account: every account it matches is taken earlier by {names}",
            f"move {tier.id!r} above {earlier[0].id!r} (tiers are checked top to bottom), or narrow the earlier tier",
        )
