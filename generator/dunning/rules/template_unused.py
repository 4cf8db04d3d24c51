"""X019 template-unused: a registered template that no step or experiment arm sends.

Dead templates still have to be translated, reviewed for tone and disclosures and kept in
step with the context; usually a step was switched to a new template and the old one
forgotten (or the step's ``template:`` has a typo and points at another one). Reported at
the registry entry.

Passing::

    strategies:
      early: {steps: [{day: 8, channel: sms, template: sms-early}]}
    templates:
      sms-early: {channel: sms}

Failing (nothing sends ``sms-early-v1``)::

    templates:
      sms-early: {channel: sms}
      sms-early-v1: {channel: sms}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext

CODE = "X019"
NAME = "template-unused"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report registered templates that no step or arm refers to."""
    rule = sys.modules[__name__]
    used = {s.template for st in ctx.policy.strategies.values() for s in st.steps if s.template}
    for experiment in ctx.policy.experiments:
        for arm in experiment.arms:
            used.update(arm.templates.values())
    for template_id, template in sorted(ctx.policy.templates.items()):
        if template_id not in used:
            yield ctx.problem(
                rule,
                template.source,
                f"template {template_id!r} is registered but no step or experiment arm sends it",
                "use it in a step, or remove it from the registry (and its files)",
            )
