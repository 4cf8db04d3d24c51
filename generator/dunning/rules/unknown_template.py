"""X011 unknown-template: a step or an experiment arm names a template that is not registered.

Every template a step sends, and every template an arm swaps in, must be in the
``templates:`` registry. Reported at the id.

Passing::

    strategies:
      early: {steps: [{day: 8, channel: sms, template: sms-early}]}
    templates:
      sms-early: {channel: sms}

Failing::

    strategies:
      early: {steps: [{day: 8, channel: sms, template: sms-erly}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._refs import unknown

CODE = "X011"
NAME = "unknown-template"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report template ids of steps and arms that are not registered."""
    rule = sys.modules[__name__]
    known = ctx.policy.templates
    for sid, strategy in ctx.policy.strategies.items():
        for step in strategy.steps:
            if step.template is not None and step.template not in known:
                where = f"step {step.id} of strategy {sid!r}"
                yield unknown(ctx, rule, at(ctx, step.source, "template"), "template", step.template, known, where)
    for experiment in ctx.policy.experiments:
        for arm in experiment.arms:
            for old, new in arm.templates.items():
                where = f"arm {arm.id!r} of experiment {experiment.id!r}"
                if old not in known:
                    place = at(ctx, arm.source, "templates", old, key=True)
                    yield unknown(ctx, rule, place, "template", old, known, where)
                if new not in known:
                    yield unknown(ctx, rule, at(ctx, arm.source, "templates", old), "template", new, known, where)
