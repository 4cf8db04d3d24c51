"""X012 unknown-agency: a step places accounts with an agency that is not defined.

Passing::

    agencies:
      - {id: northwind, name: Northwind Recovery, jurisdictions: [US], fields: [account_id]}
    strategies:
      recovery: {steps: [{day: 120, channel: agency, agency: northwind}]}

Failing::

    strategies:
      recovery: {steps: [{day: 120, channel: agency, agency: nortwind}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._refs import unknown

CODE = "X012"
NAME = "unknown-agency"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report agency ids of steps that are not defined."""
    rule = sys.modules[__name__]
    known = ctx.policy.agencies
    for sid, strategy in ctx.policy.strategies.items():
        for step in strategy.steps:
            if step.agency is not None and step.agency not in known:
                where = f"step {step.id} of strategy {sid!r}"
                yield unknown(ctx, rule, at(ctx, step.source, "agency"), "agency", step.agency, known, where)
