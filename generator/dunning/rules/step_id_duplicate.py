"""P118 step-id-duplicate: two steps of one strategy on the same channel and first day.

A step is known by its channel and first day (``letter@61``), and so is every action it
plans: ``<account>-<strategy>-<channel><day>-<yyyymmdd>`` (docs/cadence.md). Two such steps
would plan actions with one id, and a ``sent`` event naming that id would count for both:
the second letter is never caught up, and a step that ``requires`` one of them may take the
other's send for its own. Reported at the second step, as an error.

Passing::

    steps:
      - {day: 61, channel: letter, template: letter-final}
      - {day: 62, channel: letter, template: letter-notice}

Failing::

    steps:
      - {day: 61, channel: letter, template: letter-final}
      - {day: 61, channel: letter, template: letter-notice}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import Step
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P118"
NAME = "step-id-duplicate"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each step whose channel and first day an earlier step of its strategy has."""
    rule = sys.modules[__name__]
    for sid, strategy in ctx.policy.strategies.items():
        seen: dict[str, Step] = {}
        for step in strategy.steps:
            first = seen.setdefault(step.id, step)
            if first is step:
                continue
            yield ctx.problem(
                rule,
                at(ctx, step.source, "day"),
                f"step {step.id} of strategy {sid!r} has the channel and day of the step on line {first.source.line}: "
                f"both would plan actions with the id <account>-{sid}-{step.channel}{step.day}-<date>, "
                "and a `sent` event for one would count for the other",
                "move one of them to another day (or merge them into one step)",
            )
