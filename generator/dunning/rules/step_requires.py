"""P115 step-requires: a step requires a template that is not registered, or that no step of
any strategy sends.

``requires: [{sent: TEMPLATE, at_least_days: N}]`` holds a step (agency placement, legal
review) until a message of ``TEMPLATE`` went out at least N days earlier. A template that
does not exist, or that no cadence ever sends, can never be "sent": the step would wait for
ever. Reported at the requirement.

Passing::

    steps:
      - {day: 91, channel: letter, template: letter-notice}
      - {day: 120, channel: agency, template: agency-placement,
         requires: [{sent: letter-notice, at_least_days: 14}]}

Failing::

    steps:
      - {day: 120, channel: agency, template: agency-placement,
         requires: [{sent: letter-final, at_least_days: 14}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P115"
NAME = "step-requires"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each requirement naming an unknown template or one that no step sends."""
    rule = sys.modules[__name__]
    sent = {s.template for strategy in ctx.policy.strategies.values() for s in strategy.steps if s.template}
    for arm_templates in (a.templates for e in ctx.policy.experiments for a in e.arms):
        sent.update(arm_templates.values())
    for sid, strategy in ctx.policy.strategies.items():
        for step in strategy.steps:
            for need in step.requires:
                if need.sent not in ctx.policy.templates:
                    yield ctx.problem(
                        rule,
                        at(ctx, need.source, "sent"),
                        f"step {step.id} of strategy {sid!r} requires template {need.sent!r}, which is not registered",
                        "name a template of the `templates:` registry",
                    )
                elif need.sent not in sent:
                    yield ctx.problem(
                        rule,
                        at(ctx, need.source, "sent"),
                        f"step {step.id} of strategy {sid!r} requires {need.sent!r}, but no step of any strategy "
                        "sends it, so the step would wait for ever",
                        f"add a step that sends {need.sent!r} before day {step.day}, or drop the requirement",
                    )
