"""P130 experiment-shares: an experiment's arm shares do not add up to 100, or one is not positive.

Shares are percentages of the experiment's accounts; they must sum to exactly 100 and each
arm must get a positive share (an arm with 0 never gets an account). Reported at ``arms:``
(the sum) or at the ``share:`` (a non-positive one).

Passing::

    arms:
      - {id: champion, share: 80}
      - {id: challenger, share: 20, strategy: early-empathetic}

Failing::

    arms:
      - {id: champion, share: 80}
      - {id: challenger, share: 30, strategy: early-empathetic}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P130"
NAME = "experiment-shares"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report share sums other than 100 and arms with a share <= 0."""
    rule = sys.modules[__name__]
    for experiment in ctx.policy.experiments:
        for arm in experiment.arms:
            if arm.share <= 0:
                yield ctx.problem(
                    rule,
                    at(ctx, arm.source, "share"),
                    f"arm {arm.id!r} of experiment {experiment.id!r} has share {arm.share.normalize():f}",
                    "give every arm a positive share, or remove the arm",
                )
        total = sum((a.share for a in experiment.arms), Decimal(0))
        if total != 100:
            yield ctx.problem(
                rule,
                at(ctx, experiment.source, "arms"),
                f"arm shares of experiment {experiment.id!r} add up to {total.normalize():f}, not 100",
                "shares are percentages of the experiment's accounts; make them sum to 100",
            )
