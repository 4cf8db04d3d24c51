"""X018 step-template-missing: a step that contacts the debtor has no template.

SMS, email, letter, call and visit steps produce a message, script or sheet from their
template; without one there is nothing to send. (Agency placement and legal review steps
may go without one.) Reported at the step.

Passing::

    steps:
      - {day: 8, channel: sms, template: sms-early}

Failing::

    steps:
      - {day: 8, channel: sms}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import CONTACT_CHANNELS
from dunning.problems import Level, Problem
from dunning.rules import RuleContext

CODE = "X018"
NAME = "step-template-missing"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report contact steps without a template."""
    rule = sys.modules[__name__]
    for sid, strategy in ctx.policy.strategies.items():
        for step in strategy.steps:
            if step.template is None and step.channel in CONTACT_CHANNELS:
                yield ctx.problem(
                    rule,
                    step.source,
                    f"{step.channel} step {step.id} of strategy {sid!r} has no template",
                    f"add `template:` with a registered {step.channel} template",
                )
