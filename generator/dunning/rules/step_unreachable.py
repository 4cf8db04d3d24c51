"""P110 step-unreachable: a cadence step can never fire for the tiers that run its strategy.

A step fires on day ``day`` past due (and every ``every`` days after, until ``until`` or
the end of the tier). If no tier running the strategy — directly or through an experiment
arm — covers such a day (or the step's ``when: {tiers: …}`` excludes them all), the step
is dead: usually its day was copied from another tier's cadence. Reported at ``day:``.

Passing (tier ``early`` covers days 8–30)::

    tiers:
      - {id: early, dpd: {min: 8, max: 30}}
    strategies:
      early: {steps: [{day: 10, channel: call, template: call-early}]}

Failing (day 35 is outside 8–30)::

    strategies:
      early: {steps: [{day: 35, channel: call, template: call-early}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._reach import step_reaches, users

CODE = "P110"
NAME = "step-unreachable"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report steps of used strategies that no tier's days can reach."""
    rule = sys.modules[__name__]
    for sid, strategy in ctx.policy.strategies.items():
        runners = users(ctx.policy, sid)
        if not runners:
            continue  # an unused strategy is P114
        for step in strategy.steps:
            if any(step_reaches(step, u) for u in runners):
                continue
            ranges = ", ".join(sorted({f"{u.tier.id!r} (dpd {u.tier.dpd})" for u in runners}))
            yield ctx.problem(
                rule,
                at(ctx, step.source, "day"),
                f"step {step.id} of strategy {sid!r} never fires: it runs for tier {ranges}",
                "move the step to a day inside the tier's dpd range, or into the strategy of the tier that covers it",
            )
