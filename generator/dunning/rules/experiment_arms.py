"""P131 experiment-arms: two arms of one experiment share an id, or a tier is in two experiments.

Arm ids are the reason codes (``arm/<experiment>/<arm>``) in plans and reports, so they must
be unique within an experiment. An account's arm comes from one experiment per tier; a tier
listed by two experiments would make the split ambiguous. Reported at the second arm id /
the second listing of the tier.

Passing::

    experiments:
      - id: early-empathy
        tiers: [early]
        arms: [{id: champion, share: 50}, {id: challenger, share: 50}]

Failing::

    experiments:
      - id: early-empathy
        tiers: [early]
        arms: [{id: champion, share: 50}, {id: champion, share: 50}]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P131"
NAME = "experiment-arms"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report duplicate arm ids and tiers claimed by two experiments."""
    rule = sys.modules[__name__]
    claimed: dict[str, str] = {}
    for experiment in ctx.policy.experiments:
        seen: set[str] = set()
        for arm in experiment.arms:
            if arm.id in seen:
                yield ctx.problem(
                    rule,
                    at(ctx, arm.source, "id"),
                    f"experiment {experiment.id!r} has two arms named {arm.id!r}",
                    "give each arm its own id",
                )
            seen.add(arm.id)
        for i, tier_id in enumerate(experiment.tiers):
            if tier_id in claimed and claimed[tier_id] != experiment.id:
                yield ctx.problem(
                    rule,
                    at(ctx, experiment.source, "tiers", i),
                    f"tier {tier_id!r} is in experiment {experiment.id!r} and in {claimed[tier_id]!r}",
                    "run one experiment per tier at a time",
                )
            claimed.setdefault(tier_id, experiment.id)
