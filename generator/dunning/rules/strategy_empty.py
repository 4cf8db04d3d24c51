"""P113 strategy-empty: a tier runs a strategy with no steps.

Accounts of the tier are planned but never contacted. If that is intended (a "watch"
tier), say so with a step-less strategy's ``description`` and accept the warning.
Reported at the tier.

Passing::

    strategies:
      early: {steps: [{day: 8, channel: sms, template: sms-early}]}

Failing::

    strategies:
      early: {steps: []}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at, raw

CODE = "P113"
NAME = "strategy-empty"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report tiers whose strategy has no steps."""
    rule = sys.modules[__name__]
    for tier in ctx.policy.tiers:
        strategy = ctx.policy.strategies.get(tier.strategy)
        if strategy is None or strategy.steps:
            continue
        node = raw(ctx, tier.source)
        place = at(ctx, tier.source, "strategy") if node is not None and "strategy" in node else tier.source
        yield ctx.problem(
            rule,
            place,
            f"tier {tier.id!r} runs strategy {tier.strategy!r}, which has no steps: its accounts are never contacted",
            f"add steps to strategy {tier.strategy!r}",
        )
