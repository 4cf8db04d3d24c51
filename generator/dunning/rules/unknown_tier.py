"""X014 unknown-tier: an experiment, or a ``when: {tiers: …}`` condition, names a tier that is not defined.

Conditions of steps, offers and exclusions may narrow to some tiers; experiments split the
accounts of their tiers. A misspelt tier id silently makes the condition never hold (or
the experiment never run). Reported at the id.

Passing::

    exclusions:
      - {id: small, when: {tiers: [late]}, effect: exclude, reason: Write-off review}

Failing::

    exclusions:
      - {id: small, when: {tiers: [lat]}, effect: exclude, reason: Write-off review}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._refs import conditions, unknown

CODE = "X014"
NAME = "unknown-tier"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report tier ids in experiments and conditions that are not defined."""
    rule = sys.modules[__name__]
    known = [t.id for t in ctx.policy.tiers]

    for source, when, where in conditions(ctx.policy):
        for i, tier_id in enumerate(when.tiers):
            if tier_id not in known:
                yield unknown(ctx, rule, at(ctx, source, "when", "tiers", i), "tier", tier_id, known, where)
    for experiment in ctx.policy.experiments:
        for i, tier_id in enumerate(experiment.tiers):
            if tier_id not in known:
                where = f"experiment {experiment.id!r}"
                yield unknown(ctx, rule, at(ctx, experiment.source, "tiers", i), "tier", tier_id, known, where)
