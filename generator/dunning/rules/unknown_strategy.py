"""X013 unknown-strategy: an experiment arm runs a strategy that is not defined.

Passing::

    experiments:
      - id: early-empathy
        tiers: [early]
        arms:
          - {id: champion, share: 80}
          - {id: challenger, share: 20, strategy: early-empathetic}

Failing (no strategy ``early-empathic``)::

    experiments:
      - id: early-empathy
        tiers: [early]
        arms:
          - {id: champion, share: 80}
          - {id: challenger, share: 20, strategy: early-empathic}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._refs import unknown

CODE = "X013"
NAME = "unknown-strategy"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report arm strategies that are not defined."""
    rule = sys.modules[__name__]
    known = ctx.policy.strategies
    for experiment in ctx.policy.experiments:
        for arm in experiment.arms:
            if arm.strategy is not None and arm.strategy not in known:
                where = f"arm {arm.id!r} of experiment {experiment.id!r}"
                yield unknown(ctx, rule, at(ctx, arm.source, "strategy"), "strategy", arm.strategy, known, where)
