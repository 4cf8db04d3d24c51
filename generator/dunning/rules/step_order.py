"""P112 step-order: cadence steps are not in day order.

Steps are read as a timeline; one that comes earlier in the file but later in days makes
the cadence hard to review (and often means a day was mistyped). Reported at the step
whose ``day:`` is before the previous step's.

Passing::

    steps:
      - {day: 8, channel: sms, template: sms-early}
      - {day: 10, channel: call, template: call-early}

Failing::

    steps:
      - {day: 10, channel: call, template: call-early}
      - {day: 8, channel: sms, template: sms-early}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P112"
NAME = "step-order"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each step whose day is before the one above it."""
    rule = sys.modules[__name__]
    for sid, strategy in ctx.policy.strategies.items():
        for before, step in zip(strategy.steps, strategy.steps[1:], strict=False):
            if step.day < before.day:
                yield ctx.problem(
                    rule,
                    at(ctx, step.source, "day"),
                    f"step {step.id} of strategy {sid!r} (day {step.day}) comes after day {before.day}",
                    "order the steps by day",
                )
